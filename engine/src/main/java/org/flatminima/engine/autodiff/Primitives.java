package org.flatminima.engine.autodiff;

import java.util.Arrays;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.UnaryOp;

/**
 * The catalogue of primitives, one record each: parameters as record components, the forward computation,
 * and the rules that are not derived from a marker ({@link Primitive}). Notation in the comments: {@code x, a, b}
 * inputs, {@code y} output, {@code dx} a tangent, {@code g} the output cotangent.
 */
public final class Primitives {
    private Primitives() {
    }

    private static Var[] cts(Var... v) {
        return v;
    }

    /**
     * Leading direction axes of tangent {@code t} of primal {@code x} (0 for a single direction, 1 when a
     * batch of directions is pushed through at once).
     */
    private static int lead(Var t, Var x) {
        return t.rank() - x.rank();
    }

    private static int[] leadDims(Var t, int lead) {
        return Arrays.copyOf(t.shape(), lead);
    }

    // ------------------------------------------------------------------ elementwise binary (broadcasting)

    /** {@code y = a + b}. dy = da + db; ga = g, gb = g. */
    public record Add() implements Primitive, Primitive.Broadcasting {
        public String name() {
            return "add";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.add(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0] == null ? t[1] : t[1] == null ? t[0] : t[0].add(t[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g, g);
        }
    }

    /** {@code y = a - b}. dy = da - db; ga = g, gb = -g. */
    public record Sub() implements Primitive, Primitive.Broadcasting {
        public String name() {
            return "sub";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.sub(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0] == null ? t[1].neg() : t[1] == null ? t[0] : t[0].sub(t[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g, g.neg());
        }
    }

    /** {@code y = a * b}. Bilinear: dy = da b + a db; ga = g b, gb = a g. */
    public record Mul() implements Primitive, Primitive.Bilinear, Primitive.Broadcasting {
        public String name() {
            return "mul";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.mul(in[0], in[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.mul(x[1]), x[0].mul(g));
        }
    }

    /** {@code y = a / b}. dy = (da - y db) / b; ga = g / b, gb = -g y / b. */
    public record Div() implements Primitive, Primitive.Broadcasting {
        public String name() {
            return "div";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.div(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var num = t[1] == null ? t[0] : t[0] == null ? y.mul(t[1]).neg() : t[0].sub(y.mul(t[1]));
            return num.div(x[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            Var ga = g.div(x[1]);
            return cts(ga, ga.mul(y).neg());
        }
    }

    // ------------------------------------------------------------------ elementwise unary

    /** {@code y = -x}. Linear; gx = -g. */
    public record Neg() implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "neg";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.NEG, in[0]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.neg());
        }
    }

    /** {@code y = c x} for a constant c. Linear; gx = c g. */
    public record Scale(double c) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "scale";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.scale(in[0], c);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.scale(c));
        }
    }

    /** {@code y = x^2}, f' = 2x. */
    public record Square() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "square";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SQUARE, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.scale(2);
        }
    }

    /** {@code y = sqrt x}, f' = 1 / (2y). */
    public record Sqrt() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "sqrt";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SQRT, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.pow(-1).scale(0.5);
        }
    }

    /** {@code y = e^x}, f' = y. */
    public record Exp() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "exp";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.EXP, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y;
        }
    }

    /** {@code y = ln x}, f' = 1/x. */
    public record Log() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "log";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.LOG, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.pow(-1);
        }
    }

    /** {@code y = x^p} for a constant p, f' = p x^(p-1). */
    public record Pow(double p) implements Primitive, Primitive.Elementwise {
        public String name() {
            return "pow";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.POW, in[0], p);
        }

        public Var derivative(Var x, Var y) {
            return x.pow(p - 1).scale(p);
        }
    }

    /** {@code y = max(x, 0)}, f' = [x > 0] (a constant: its own derivative is zero almost everywhere). */
    public record Relu() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "relu";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.RELU, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return Var.of(TensorOps.unary(UnaryOp.STEP, x.value()));
        }
    }

    /** {@code y = x > 0 ? x : s x}, f' = x > 0 ? 1 : s (a constant). */
    public record LeakyRelu(double slope) implements Primitive, Primitive.Elementwise {
        public String name() {
            return "leaky_relu";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.LEAKY_RELU, in[0], slope);
        }

        public Var derivative(Var x, Var y) {
            return Var.of(TensorOps.unary(UnaryOp.LEAKY_STEP, x.value(), slope));
        }
    }

    /** {@code y = tanh x}, f' = 1 - y^2. */
    public record Tanh() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "tanh";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.TANH, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.square().neg().add(1);
        }
    }

    /** {@code y = 1 / (1 + e^-x)}, f' = y (1 - y). */
    public record Sigmoid() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "sigmoid";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SIGMOID, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.mul(y.neg().add(1));
        }
    }

    /** {@code y = ln(1 + e^x)}, f' = sigmoid(x). */
    public record Softplus() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "softplus";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SOFTPLUS, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.sigmoid();
        }
    }

    // ------------------------------------------------------------------ matrix product

    /**
     * {@code y = a @ b} (rank >= 2, batch axes broadcast). Bilinear: dy = da b + a db; ga = g b^T,
     * gb = a^T g (summed over batch axes that b lacks, centrally, or by one GEMM when b is a matrix).
     */
    public record MatMul() implements Primitive, Primitive.Bilinear, Primitive.Broadcasting {
        public String name() {
            return "matmul";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.matmul(in[0], in[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            Var a = x[0];
            Var b = x[1];
            Var ga = g.matmul(b.mT());
            Var gb;
            if (b.rank() == 2 && a.rank() > 2) {
                // sum over the batch of a_i^T g_i = one GEMM on a folded batch
                gb = a.reshape(-1, a.dim(-1)).mT().matmul(g.reshape(-1, g.dim(-1)));
            } else {
                gb = a.mT().matmul(g);
            }
            return cts(ga, gb);
        }
    }

    // ------------------------------------------------------------------ shapes and views (all linear)

    /** {@code y = x.permute(perm)} (a view). Linear; gx = g permuted back. */
    public record Permute(int[] perm) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "permute";
        }

        public Tensor forward(Tensor... in) {
            return in[0].permute(perm);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            if (l == 0) {
                return Trace.bind(this, t);
            }
            int[] p = new int[l + perm.length];
            for (int i = 0; i < l; i++) {
                p[i] = i;
            }
            for (int i = 0; i < perm.length; i++) {
                p[l + i] = perm[i] + l;
            }
            return t.permute(p);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            int[] inv = new int[perm.length];
            for (int i = 0; i < perm.length; i++) {
                inv[perm[i]] = i;
            }
            return cts(g.permute(inv));
        }
    }

    /** {@code y = x.reshape(shape)}. Linear; gx = g reshaped back. */
    public record Reshape(int[] shape) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "reshape";
        }

        public Tensor forward(Tensor... in) {
            return in[0].reshape(shape);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            return l == 0 ? Trace.bind(this, t) : t.reshape(Trace.concat(leadDims(t, l), shape));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.reshape(x[0].shape()));
        }
    }

    /** {@code y = x[offset : offset + size(shape)]} of a rank-1 x, viewed in {@code shape}. Linear; gx = embed(g). */
    public record FlatView(int offset, int[] shape) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "flat_view";
        }

        /** Acts on the last axis: leading axes (directions of a batched tangent) are kept. */
        public Tensor forward(Tensor... in) {
            Tensor x = in[0];
            if (x.rank() < 1) {
                throw new IllegalArgumentException("flat_view takes a vector, got a scalar");
            }
            int n = Math.toIntExact(org.flatminima.kernels.Shapes.size(shape));
            int[] lead = Arrays.copyOf(x.shape(), x.rank() - 1);
            return x.slice(-1, offset, offset + n).reshape(Trace.concat(lead, shape));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new Embed(offset, x[0].dim(-1), shape.length), g));
        }
    }

    /** {@code y = zeros(length); y[offset : offset + size(x)] = x.flatten()}: the adjoint of {@link FlatView}. */
    public record Embed(int offset, int length, int viewRank) implements Primitive, Primitive.LinearUnary {
        /** Embeds the whole input (no leading axes). */
        public Embed(int offset, int length) {
            this(offset, length, -1);
        }

        public String name() {
            return "embed";
        }

        /** The trailing {@code viewRank} axes are embedded; leading axes (batched directions) are kept. */
        private int lead(Tensor x) {
            return viewRank < 0 ? 0 : x.rank() - viewRank;
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = Primitives.lead(t, x);
            return l == 0 ? Trace.bind(this, t) : Trace.bind(new Embed(offset, length, x.rank()), t);
        }

        public Tensor forward(Tensor... in) {
            Tensor x = in[0];
            int l = lead(x);
            int[] leadDims = Arrays.copyOf(x.shape(), l);
            int rows = Math.toIntExact(org.flatminima.kernels.Shapes.size(leadDims));
            Tensor flat = l == 0 ? TensorOps.embed(x, offset, length)
                    : TensorOps.embedRows(x.contiguous().reshape(rows, -1), offset, length);
            return flat.reshape(Trace.concat(leadDims, new int[] {length}));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            int[] xs = x[0].shape();
            int l = viewRank < 0 ? 0 : xs.length - viewRank;
            return cts(g.view(offset, Arrays.copyOfRange(xs, l, xs.length)));
        }
    }

    /** {@code y = x} broadcast to {@code shape} (a view). Linear; gx = sumTo(g, shape of x). */
    public record Expand(int[] shape) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "expand";
        }

        public Tensor forward(Tensor... in) {
            return in[0].expand(shape);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            if (l == 0) {
                return Trace.bind(this, t);
            }
            int[] xs = x.shape();
            int[] lifted = new int[l + shape.length];
            Arrays.fill(lifted, 1);
            System.arraycopy(t.shape(), 0, lifted, 0, l);
            System.arraycopy(xs, 0, lifted, lifted.length - xs.length, xs.length);
            return t.reshape(lifted).expand(Trace.concat(leadDims(t, l), shape));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.sumTo(x[0].shape()));
        }
    }

    /** {@code y = x} summed down to {@code shape} (the adjoint of broadcasting). Linear; gx = expand(g). */
    public record SumTo(int[] shape) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "sum_to";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.sumTo(in[0], shape);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            if (l == 0) {
                return Trace.bind(this, t);
            }
            Var r = t;
            for (int i = 0; i < x.rank() - shape.length; i++) {
                r = r.sum(l, false); // the data axes that broadcasting added
            }
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == 1 && r.dim(l + i) != 1) {
                    r = r.sum(l + i, true);
                }
            }
            return r;
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.expand(x[0].shape()));
        }
    }

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
    public record Sum(int axis, boolean keepDim) implements Primitive, Primitive.LinearUnary {
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
     * {@code y = max of x along axis}. With m the one-hot mask of the first maximum (a constant):
     * dy = sum(m dx, axis); gx = m g (broadcast along the axis).
     */
    public record Max(int axis, boolean keepDim) implements Primitive {
        public String name() {
            return "max";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.reduce(ReduceOp.MAX, in[0], axis, keepDim);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            int l = lead(t[0], x[0]);
            return t[0].mul(Var.of(TensorOps.argmaxMask(x[0].value(), axis))).sum(axis + l, keepDim);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            Var mask = Var.of(TensorOps.argmaxMask(x[0].value(), axis));
            return cts(keepAxis(g, axis, keepDim).mul(mask));
        }
    }

    /** {@code y[r] = x[r, labels[r]]} for x {@code [rows, cols]}. Linear; gx = scatter(g). */
    public record Gather(int[] labels) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "gather";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.gatherCols(in[0], labels);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            if (lead(t, x) == 0) {
                return Trace.bind(this, t);
            }
            Var onehot = Var.of(TensorOps.oneHot(labels, x.dim(1), x.dtype()));
            return t.mul(onehot).sum(-1, false);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.scatter(labels, x[0].dim(1)));
        }
    }

    /** {@code y = zeros(rows, cols); y[r, labels[r]] = x[r]}: the adjoint of {@link Gather}. Linear; gx = gather(g). */
    public record Scatter(int[] labels, int cols) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "scatter";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.scatterCols(in[0], labels, cols);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            if (lead(t, x) == 0) {
                return Trace.bind(this, t);
            }
            Var onehot = Var.of(TensorOps.oneHot(labels, cols, x.dtype()));
            return t.reshape(Trace.concat(t.shape(), new int[] {1})).mul(onehot);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.gather(labels));
        }
    }

    // ------------------------------------------------------------------ softmax family (last axis)

    /** {@code y = softmax(x)}. dy = y (dx - sum(y dx)); gx = y (g - sum(g y)), sums over the last axis. */
    public record Softmax() implements Primitive {
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
    public record LogSoftmax() implements Primitive {
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
     */
    public record SoftmaxCrossEntropy(int[] labels) implements Primitive {
        public String name() {
            return "softmax_cross_entropy";
        }

        public Tensor forward(Tensor... in) {
            Tensor loss = TensorOps.softmaxCrossEntropy(in[0], labels)[0];
            return TensorOps.scale(TensorOps.sumAll(loss), 1.0 / labels.length);
        }

        private Var residual(Var z) {
            Var e = Var.of(TensorOps.oneHot(labels, z.dim(1), z.dtype()));
            return z.softmax().sub(e);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            int l = lead(t[0], x[0]);
            Var prod = residual(x[0]).mul(t[0]);
            Var total = l == 0 ? prod.sum() : prod.reshape(Trace.concat(leadDims(t[0], l), new int[] {-1})).sum(-1, false);
            return total.scale(1.0 / labels.length);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(residual(x[0]).mul(g.scale(1.0 / labels.length)));
        }
    }
}
