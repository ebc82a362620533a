package org.flatminima.engine.autodiff;

import static org.flatminima.engine.autodiff.Rules.*;

import org.flatminima.engine.IndexOps;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.ReduceOp;

/**
 * Reductions along an axis, the label gather/scatter pair, and the softmax family (last axis), including the
 * fused softmax cross-entropy.
 *
 * <p>A record declared in this file that implements this interface is a registered primitive: the
 * interface is sealed without a {@code permits} clause, so Java permits exactly the records of this file, and
 * {@link Primitive} permits the files. Notation in the comments: {@code x, a, b} inputs, {@code y} output,
 * {@code dx} a tangent, {@code g} the output cotangent.
 */
public sealed interface ReductionPrimitives extends Primitive {
    // ------------------------------------------------------------------ reductions

    private static Var keepAxis(Var g, int axis, boolean keepDim) {
        if (keepDim) {
            return g;
        }
        int[] s = g.shape();
        int[] k = new int[s.length + 1];
        for (int i = 0, j = 0; i < k.length; i++) {
            k[i] = i == axis ? 1 : s[j++];
        }
        return g.reshape(k);
    }

    /** {@code y = sum of x along axis}. Linear; gx = g broadcast along the axis. */
    record Sum(int axis, boolean keepDim) implements ReductionPrimitives, Primitive.LinearUnary {
        public String name() {
            return "sum";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.sum(in[0], axis, keepDim);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            return l == 0 ? Trace.bind(this, t) : t.sum(axis + l, keepDim);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(keepAxis(g, axis, keepDim).expand(x[0].shape()));
        }
    }

    /**
     * {@code y = max of x along axis}. With m the one-hot mask of the first maximum (a constant, kept by the
     * forward as a residual): dy = sum(m dx, axis); gx = m g (broadcast along the axis). A forward that nothing
     * differentiates ({@link #forward}) is the reduction alone.
     */
    record Max(int axis, boolean keepDim) implements ReductionPrimitives, Primitive.WithResiduals<Tensor> {
        public String name() {
            return "max";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.reduce(ReduceOp.MAX, in[0], axis, keepDim);
        }

        public Forward<Tensor> forwardWithResiduals(Tensor... in) {
            return new Forward<>(forward(in), IndexOps.argmaxMask(in[0], axis));
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            int l = lead(t[0], x[0]);
            return t[0].mul(Var.of(residuals(y))).sum(axis + l, keepDim);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(keepAxis(g, axis, keepDim).mul(Var.of(residuals(y))));
        }
    }

    /** {@code y[r] = x[r, labels[r]]} for x {@code [rows, cols]}. Linear; gx = scatter(g). */
    record Gather(int[] labels) implements ReductionPrimitives, Primitive.LinearUnary {
        public String name() {
            return "gather";
        }

        public Tensor forward(Tensor... in) {
            return IndexOps.gatherCols(in[0], labels);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            if (lead(t, x) == 0) {
                return Trace.bind(this, t);
            }
            Var onehot = Var.of(IndexOps.oneHot(labels, x.dim(1), x.dtype()));
            return t.mul(onehot).sum(-1, false);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.scatter(labels, x[0].dim(1)));
        }
    }

    /** {@code y = zeros(rows, cols); y[r, labels[r]] = x[r]}: the adjoint of {@link Gather}. Linear; gx = gather(g). */
    record Scatter(int[] labels, int cols) implements ReductionPrimitives, Primitive.LinearUnary {
        public String name() {
            return "scatter";
        }

        public Tensor forward(Tensor... in) {
            return IndexOps.scatterCols(in[0], labels, cols);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            if (lead(t, x) == 0) {
                return Trace.bind(this, t);
            }
            Var onehot = Var.of(IndexOps.oneHot(labels, cols, x.dtype()));
            return t.reshape(Trace.concat(t.shape(), new int[] {1})).mul(onehot);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.gather(labels));
        }
    }

    // ------------------------------------------------------------------ softmax family (last axis)

    /** {@code y = softmax(x)}. dy = y (dx - sum(y dx)); gx = y (g - sum(g y)), sums over the last axis. */
    record Softmax() implements ReductionPrimitives {
        public String name() {
            return "softmax";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.softmax(in[0]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return y.mul(t[0].sub(y.mul(t[0]).sum(-1, true)));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(y.mul(g.sub(g.mul(y).sum(-1, true))));
        }
    }

    /** {@code y = log_softmax(x)}, p = e^y. dy = dx - sum(p dx); gx = g - p sum(g), sums over the last axis. */
    record LogSoftmax() implements ReductionPrimitives {
        public String name() {
            return "log_softmax";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.logSoftmax(in[0]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0].sub(y.exp().mul(t[0]).sum(-1, true));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.sub(y.exp().mul(g.sum(-1, true))));
        }
    }

    /**
     * {@code y = (1/N) sum_r (logsumexp(z_r) - z_r[labels[r]])} for logits z {@code [N, C]} (rank-0 output).
     * With p = softmax(z) (differentiable) and e the one-hot labels (a constant): dy = sum((p - e) dz) / N;
     * gz = (p - e) g / N. The JVP of this VJP is therefore (diag(p) - p p^T) dz g / N, through softmax's JVP.
     *
     * <p>The kernel computes p along with the loss; the forward keeps it as a residual (a forward that nothing
     * differentiates, {@link #forward}, computes the loss alone). p is a differentiable
     * function of z, so the rules do not use it as a constant: {@link #probs} re-enters it as the output of
     * {@link Softmax} applied to the rule's z ({@link Trace#bindKnown}), which costs nothing when z is a
     * constant and gives dp from softmax's own JVP when z is a tracer (the HVP's backward pass). One softmax per
     * forward, however many levels differentiate it.
     */
    record SoftmaxCrossEntropy(int[] labels) implements ReductionPrimitives, Primitive.WithResiduals<Tensor> {
        public String name() {
            return "softmax_cross_entropy";
        }

        public Tensor forward(Tensor... in) {
            return mean(TensorOps.crossEntropy(in[0], labels));
        }

        public Forward<Tensor> forwardWithResiduals(Tensor... in) {
            Tensor[] lossAndProbs = TensorOps.softmaxCrossEntropy(in[0], labels);
            return new Forward<>(mean(lossAndProbs[0]), lossAndProbs[1]);
        }

        private Tensor mean(Tensor losses) {
            return TensorOps.scale(TensorOps.sumAll(losses), 1.0 / labels.length);
        }

        /** p = softmax(z) at the level of z, its value the forward's residual. */
        private Var probs(Var z, Var y) {
            return Trace.bindKnown(new Softmax(), residuals(y), z);
        }

        /** p - e. */
        private Var residual(Var z, Var y) {
            Var e = Var.of(IndexOps.oneHot(labels, z.dim(1), z.dtype()));
            return probs(z, y).sub(e);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            int l = lead(t[0], x[0]);
            Var prod = residual(x[0], y).mul(t[0]);
            Var total = l == 0 ? prod.sum() : prod.reshape(Trace.concat(leadDims(t[0], l), new int[] {-1})).sum(-1, false);
            return total.scale(1.0 / labels.length);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(residual(x[0], y).mul(g.scale(1.0 / labels.length)));
        }
    }
}
