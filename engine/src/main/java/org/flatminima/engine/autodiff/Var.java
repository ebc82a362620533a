package org.flatminima.engine.autodiff;

import java.util.Arrays;
import org.flatminima.engine.PoolAfterConv;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;

/**
 * A differentiable value: either a constant wrapping a {@link Tensor}, or a tracer that carries derivative
 * information for one {@link Level} of differentiation (a forward-mode tangent, or a node on a reverse-mode
 * tape). Tracers nest: a tracer's primal may itself be a tracer of an outer (lower) level.
 *
 * <p>Every operation below applies a {@link Primitive} through {@link Trace#bind}, which dispatches on the
 * highest level among the operands; with constants only it just computes. Shapes and broadcasting follow
 * {@link org.flatminima.engine.TensorOps}.
 */
public abstract sealed class Var permits Var.Const, Var.JvpTracer, Var.RevTracer {

    Var() {
    }

    /** A constant (not differentiated at any level). */
    public static Var of(Tensor t) {
        return new Const(t);
    }

    /** A rank-0 constant. */
    public static Var scalar(DType dtype, double value) {
        return new Const(Tensor.scalar(dtype, value));
    }

    /** The level this value is a tracer of, or null for a constant. */
    abstract Level level();

    /** The raw value: the innermost primal, with every level stripped. */
    public abstract Tensor value();

    /** The residuals the forward computation of the innermost primal kept (see {@link Primitive.WithResiduals}). */
    abstract Object residuals();

    /** Shape of the value. */
    public int[] shape() {
        return value().shape();
    }

    /** Size of dimension {@code d} (negative counts from the end). */
    public int dim(int d) {
        return value().dim(d);
    }

    public int rank() {
        return value().rank();
    }

    public DType dtype() {
        return value().dtype();
    }

    /** The value of a one-element Var. */
    public double item() {
        return value().item();
    }

    // ------------------------------------------------------------------ elementwise

    /** {@code this + o} with broadcasting. */
    public Var add(Var o) {
        return Trace.bind(new ElementwisePrimitives.Add(), this, o);
    }

    /** {@code this - o} with broadcasting. */
    public Var sub(Var o) {
        return Trace.bind(new ElementwisePrimitives.Sub(), this, o);
    }

    /** {@code this * o} elementwise with broadcasting. */
    public Var mul(Var o) {
        return Trace.bind(new ElementwisePrimitives.Mul(), this, o);
    }

    /** {@code this / o} elementwise with broadcasting. */
    public Var div(Var o) {
        return Trace.bind(new ElementwisePrimitives.Div(), this, o);
    }

    /** {@code this + c} for a constant c. */
    public Var add(double c) {
        return add(scalar(dtype(), c));
    }

    /** {@code c * this} for a constant c. */
    public Var scale(double c) {
        return Trace.bind(new ElementwisePrimitives.Scale(c), this);
    }

    public Var neg() {
        return Trace.bind(new ElementwisePrimitives.Neg(), this);
    }

    public Var square() {
        return Trace.bind(new ElementwisePrimitives.Square(), this);
    }

    public Var sqrt() {
        return Trace.bind(new ElementwisePrimitives.Sqrt(), this);
    }

    public Var exp() {
        return Trace.bind(new ElementwisePrimitives.Exp(), this);
    }

    /** Natural logarithm. */
    public Var log() {
        return Trace.bind(new ElementwisePrimitives.Log(), this);
    }

    /** {@code this^p} for a constant exponent p. */
    public Var pow(double p) {
        return Trace.bind(new ElementwisePrimitives.Pow(p), this);
    }

    public Var relu() {
        return Trace.bind(new ElementwisePrimitives.Relu(), this);
    }

    /** {@code x} where positive, {@code slope * x} elsewhere. */
    public Var leakyRelu(double slope) {
        return Trace.bind(new ElementwisePrimitives.LeakyRelu(slope), this);
    }

    public Var tanh() {
        return Trace.bind(new ElementwisePrimitives.Tanh(), this);
    }

    public Var sigmoid() {
        return Trace.bind(new ElementwisePrimitives.Sigmoid(), this);
    }

    /** {@code ln(1 + e^x)}. */
    public Var softplus() {
        return Trace.bind(new ElementwisePrimitives.Softplus(), this);
    }

    // ------------------------------------------------------------------ linear algebra and shapes

    /** Matrix product ({@link org.flatminima.engine.TensorOps#matmul} rules: rank >= 2, batch axes broadcast). */
    public Var matmul(Var o) {
        return Trace.bind(new ProductPrimitives.MatMul(), this, o);
    }

    /**
     * {@code this @ b + c}, c broadcast to the product's shape (a bias {@code [n]}, say), in one output buffer:
     * {@link #matmul} then {@link #add} without the addition's pass and buffer.
     */
    public Var matmulAdd(Var b, Var c) {
        return Trace.bind(new ProductPrimitives.MatMulAdd(), this, b, c);
    }

    /**
     * {@code relu(this @ b + c)}: {@link #matmulAdd} then {@link #relu} as one primitive, the ReLU written by the
     * product's last store where the GEMM can (a linear layer and its ReLU; the same values and derivatives).
     */
    public Var matmulAddRelu(Var b, Var c) {
        return Trace.bind(new ProductPrimitives.MatMulAddRelu(), this, b, c);
    }

    /** Swaps the last two axes (a view). */
    public Var mT() {
        int r = rank();
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        perm[r - 2] = r - 1;
        perm[r - 1] = r - 2;
        return permute(perm);
    }

    /** Reorders axes: dimension i of the result is dimension {@code perm[i]} of this. */
    public Var permute(int... perm) {
        return Trace.bind(new ViewPrimitives.Permute(perm.clone()), this);
    }

    /** The same elements in another shape (one dimension may be -1). */
    public Var reshape(int... shape) {
        int[] s = resolveShape(shape, value().size());
        return Arrays.equals(s, shape()) ? this : Trace.bind(new ViewPrimitives.Reshape(s), this);
    }

    private static int[] resolveShape(int[] shape, long size) {
        int[] s = shape.clone();
        long known = 1;
        int infer = -1;
        for (int d = 0; d < s.length; d++) {
            if (s[d] == -1 && infer < 0) {
                infer = d;
            } else {
                known *= s[d];
            }
        }
        if (infer >= 0 && known > 0 && size % known == 0) {
            s[infer] = Math.toIntExact(size / known);
        }
        if (infer >= 0 && s[infer] == -1 || Arrays.stream(s).asLongStream().reduce(1, (a, b) -> a * b) != size) {
            throw new IllegalArgumentException("cannot reshape " + size + " elements into " + Arrays.toString(shape));
        }
        return s;
    }

    /**
     * Elements {@code offset .. offset + size(shape)} of this rank-1 vector, viewed in {@code shape}: how layers
     * take their weights out of a flat parameter vector.
     */
    public Var view(int offset, int... shape) {
        return Trace.bind(new ViewPrimitives.FlatView(offset, shape.clone()), this);
    }

    /** Broadcasts to {@code shape} (NumPy rules). */
    public Var expand(int... shape) {
        return Arrays.equals(shape, shape()) ? this : Trace.bind(new ViewPrimitives.Expand(shape.clone()), this);
    }

    /** Sums a broadcast value back to {@code shape}: the adjoint of {@link #expand}. */
    public Var sumTo(int... shape) {
        return Arrays.equals(shape, shape()) ? this : Trace.bind(new ViewPrimitives.SumTo(shape.clone()), this);
    }

    // ------------------------------------------------------------------ reductions

    /** Sum along one axis. */
    public Var sum(int axis, boolean keepDim) {
        return Trace.bind(new ReductionPrimitives.Sum(value().axis(axis), keepDim), this);
    }

    /** Sum of all elements (rank 0). Composite: reshape then sum. */
    public Var sum() {
        return reshape(Math.toIntExact(value().size())).sum(0, false);
    }

    /** Mean of all elements (rank 0). Composite: sum then scale. */
    public Var mean() {
        return sum().scale(1.0 / value().size());
    }

    /** Mean along one axis. Composite: sum then scale. */
    public Var mean(int axis, boolean keepDim) {
        return sum(axis, keepDim).scale(1.0 / dim(axis));
    }

    /** Maximum along one axis; derivatives route to the first maximal element. */
    public Var max(int axis, boolean keepDim) {
        return Trace.bind(new ReductionPrimitives.Max(value().axis(axis), keepDim), this);
    }

    /** {@code y[r] = x[r, labels[r]]} of a matrix {@code [rows, cols]}. */
    public Var gather(int[] labels) {
        return Trace.bind(new ReductionPrimitives.Gather(labels.clone()), this);
    }

    /** The adjoint of {@link #gather}: a {@code [rows, cols]} matrix, zero except {@code y[r, labels[r]] = x[r]}. */
    public Var scatter(int[] labels, int cols) {
        return Trace.bind(new ReductionPrimitives.Scatter(labels.clone(), cols), this);
    }

    // ------------------------------------------------------------------ softmax family (last axis)

    public Var softmax() {
        return Trace.bind(new ReductionPrimitives.Softmax(), this);
    }

    public Var logSoftmax() {
        return Trace.bind(new ReductionPrimitives.LogSoftmax(), this);
    }

    /** Mean over rows of the cross-entropy of logits {@code [rows, classes]} against integer labels (rank 0). */
    public Var crossEntropy(int[] labels) {
        return Trace.bind(new ReductionPrimitives.SoftmaxCrossEntropy(labels.clone()), this);
    }

    // ------------------------------------------------------------------ convolution and pooling (NCHW)

    /**
     * 2-D convolution (cross-correlation, as PyTorch's {@code conv2d}) of images {@code [..., C, H, W]} with a
     * weight {@code [O, C, kh, kw]}, equal stride and zero padding on both axes; no bias (add one broadcast as
     * {@code [O, 1, 1]}). Result {@code [..., O, (H + 2 pad - kh) / stride + 1, ...]}.
     */
    public Var conv2d(Var weight, int stride, int pad) {
        return Trace.bind(new ConvPrimitives.Conv2d(stride, pad), this, weight);
    }

    /**
     * {@link #conv2d(Var, int, int)} plus a bias {@code [O]} per output channel, in one output buffer (a
     * convolution layer's forward).
     */
    public Var conv2d(Var weight, Var bias, int stride, int pad) {
        return Trace.bind(new ConvPrimitives.Conv2dBias(stride, pad), this, weight, bias);
    }

    /**
     * {@link #conv2d(Var, Var, int, int)} ({@code bias} null: {@link #conv2d(Var, int, int)}) then
     * {@link #maxPool2d maxPool2d(pool.k(), pool.stride(), pool.pad())} (then {@link #relu} when {@code pool.relu()})
     * as one primitive, each chunk of images pooled while the convolution's output for it is in cache, so that
     * output is never stored, and the ReLU carried by the pooling's routing (a convolution layer, its max pooling
     * and its activation; the same values and derivatives).
     */
    public Var conv2dMaxPool(Var weight, Var bias, int stride, int pad, PoolAfterConv pool) {
        var p = new PoolingPrimitives.Conv2dMaxPool(stride, pad, bias != null, pool);
        return bias == null ? Trace.bind(p, this, weight) : Trace.bind(p, this, weight, bias);
    }

    /**
     * Max pooling over {@code k x k} windows with the given stride and -infinity padding (padding never wins) of
     * images {@code [..., C, H, W]}; derivatives route to the first maximum of each window (as PyTorch). Padding
     * above {@code k / 2} (which PyTorch refuses) is allowed: a window wholly in it gives -infinity, and no
     * derivative.
     */
    public Var maxPool2d(int k, int stride, int pad) {
        return Trace.bind(new PoolingPrimitives.MaxPool2d(k, stride, pad), this);
    }

    /**
     * Average pooling over {@code k x k} windows with the given stride and zero padding of images
     * {@code [..., C, H, W]}; the divisor is always {@code k*k} (PyTorch's default {@code count_include_pad}).
     */
    public Var avgPool2d(int k, int stride, int pad) {
        return Trace.bind(new PoolingPrimitives.AvgPool2d(k, stride, pad), this);
    }

    // ------------------------------------------------------------------ the three kinds

    /** A constant: a raw tensor, not differentiated at any level. */
    public static final class Const extends Var {
        private final Tensor value;
        private final Object residuals;

        Const(Tensor value) {
            this(value, null);
        }

        /** The output of a primitive's forward computation, with the residuals it kept (or null). */
        Const(Tensor value, Object residuals) {
            this.value = value;
            this.residuals = residuals;
        }

        @Override
        Object residuals() {
            return residuals;
        }

        @Override
        Level level() {
            return null;
        }

        @Override
        public Tensor value() {
            return value;
        }

        @Override
        public String toString() {
            return "Const(" + value + ")";
        }
    }

    /** A forward-mode tracer: a primal (of a lower level) and its tangent at this level ({@code null} = zero). */
    static final class JvpTracer extends Var {
        final Level level;
        final Var primal;
        final Var tangent;

        JvpTracer(Level level, Var primal, Var tangent) {
            this.level = level;
            this.primal = primal;
            this.tangent = tangent;
        }

        @Override
        Level level() {
            return level;
        }

        @Override
        public Tensor value() {
            return primal.value();
        }

        @Override
        Object residuals() {
            return primal.residuals();
        }

        @Override
        public String toString() {
            return "JvpTracer(" + level + ", " + primal + ", tangent " + tangent + ")";
        }
    }

    /** A reverse-mode tracer: a primal (of a lower level) and the tape node that produced it at this level. */
    static final class RevTracer extends Var {
        final Level level;
        final Var primal;
        final Trace.Node node;

        RevTracer(Level level, Var primal, Trace.Node node) {
            this.level = level;
            this.primal = primal;
            this.node = node;
        }

        @Override
        Level level() {
            return level;
        }

        @Override
        public Tensor value() {
            return primal.value();
        }

        @Override
        Object residuals() {
            return primal.residuals();
        }

        @Override
        public String toString() {
            return "RevTracer(" + level + ", " + primal + ")";
        }
    }
}
