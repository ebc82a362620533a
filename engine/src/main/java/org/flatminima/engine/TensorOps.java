package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.Shapes;
import org.flatminima.kernels.UnaryOp;

/**
 * Raw (not differentiable) tensor arithmetic on the current {@link Engine#backend()}: broadcasting, matrix
 * products, reductions, softmax. Every result is a new contiguous tensor. The autodiff primitives call these
 * for their forward computations; convolution and pooling are in {@link ImageOps}, indexing (labels, one-hot rows,
 * embeddings of flat slices) in {@link IndexOps}.
 */
public final class TensorOps {
    private TensorOps() {
    }

    private static Backend be() {
        return Engine.backend();
    }

    static void sameDtype(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": dtypes differ (" + a.dtype().longName() + " and "
                    + b.dtype().longName() + "); convert one with Tensor.to(...)");
        }
    }

    /** The NumPy broadcast of two shapes, or an error naming both. */
    public static int[] broadcastShapes(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    // ------------------------------------------------------------------ elementwise

    /** {@code op(a, b)} with broadcasting. */
    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        sameDtype(op.name().toLowerCase(java.util.Locale.ROOT), a, b);
        int[] shape = broadcastShapes(a.shape(), b.shape());
        Tensor ea = a.expand(shape);
        Tensor eb = b.expand(shape);
        Tensor y = Tensor.uninitialised(a.dtype(), shape);
        be().binary(op, a.dtype(), shape, ea.segment(), ea.strides(), eb.segment(), eb.strides(), y.segment());
        return y;
    }

    /** {@code op(x; param)} elementwise. */
    public static Tensor unary(UnaryOp op, Tensor x, double param) {
        Tensor c = x.contiguous();
        Tensor y = Tensor.uninitialised(x.dtype(), x.shape());
        be().unary(op, x.dtype(), c.size(), param, c.segment(), y.segment());
        return y;
    }

    /** {@code op(x)} elementwise. */
    public static Tensor unary(UnaryOp op, Tensor x) {
        return unary(op, x, 0);
    }

    public static Tensor add(Tensor a, Tensor b) {
        return binary(BinaryOp.ADD, a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return binary(BinaryOp.SUB, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return binary(BinaryOp.MUL, a, b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        return binary(BinaryOp.DIV, a, b);
    }

    /** {@code b > 0 ? a : 0} elementwise, broadcasting ({@link BinaryOp#GATE}: ReLU's backward). */
    public static Tensor gate(Tensor a, Tensor b) {
        return binary(BinaryOp.GATE, a, b);
    }

    /**
     * Per channel (axis -3), the sum of a where {@code gate} is positive: {@code out[..., c] = sum over the other axes
     * of gate (images, rows, columns) of (gate > 0 ? a : 0)}, for gate {@code [n, C, H, W]} and a of its shape with
     * leading axes (directions) in front, out {@code [lead..., C]}; in {@link Backend#gatedChannelSum}'s order.
     */
    public static Tensor gatedChannelSum(Tensor a, Tensor gate) {
        sameDtype("gatedChannelSum", a, gate);
        int r = a.rank();
        if (gate.rank() != 4 || r < 4 || !Arrays.equals(Arrays.copyOfRange(a.shape(), r - 4, r), gate.shape())) {
            throw new IllegalArgumentException("gatedChannelSum: a " + Arrays.toString(a.shape())
                    + " is not the gate's shape " + Arrays.toString(gate.shape()) + " with leading axes");
        }
        int lead = a.rank() - 4;
        int[] outShape = Arrays.copyOf(a.shape(), lead + 1);
        outShape[lead] = gate.dim(1);
        Tensor out = Tensor.uninitialised(a.dtype(), outShape);
        Tensor ac = a.contiguous();
        Tensor gc = gate.contiguous();
        long copies = Shapes.size(Arrays.copyOf(a.shape(), lead));
        long each = gate.size() * a.dtype().byteSize();
        long plane = (long) gate.dim(2) * gate.dim(3);
        for (long k = 0; k < copies; k++) {
            be().gatedChannelSum(a.dtype(), gate.dim(0), gate.dim(1), plane, ac.segment().asSlice(k * each, each),
                    gc.segment(), out.segment().asSlice(k * gate.dim(1) * a.dtype().byteSize()));
        }
        return out;
    }

    /** {@code s * x}. */
    public static Tensor scale(Tensor x, double s) {
        return unary(UnaryOp.SCALE, x, s);
    }

    // ------------------------------------------------------------------ matrix products

    /**
     * Matrix product with NumPy's {@code matmul} rules for rank >= 2: the last two axes multiply, leading
     * (batch) axes broadcast. Rank-1 operands are not accepted (reshape them explicitly). When the right
     * operand is a single matrix, the left operand's batch axes are folded into one GEMM; when the left operand is
     * a single matrix and the right a batch of matrices with at most {@link Gemms#STACK_MAX_COLUMNS} columns, their
     * products are one GEMM too, and the result is a strided view of it ({@link Gemms#stacked}).
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, null, false);
    }

    /**
     * {@code a @ b + c}, {@code c} broadcast to the product's shape (as a bias {@code [n]} over the rows): a bias
     * {@code [n]} of a product that is one GEMM is the row that GEMM starts from ({@link Backend#gemmOntoRow}: read
     * in the first store of the packed GEMM, broadcast into the output first elsewhere); any other {@code c} is
     * copied into the output and every GEMM accumulates onto it (beta = 1). Either way the addition needs no pass
     * and no buffer of its own, and the bits are those of the product at beta 1 onto the broadcast {@code c}.
     */
    public static Tensor matmulAdd(Tensor a, Tensor b, Tensor c) {
        sameDtype("matmul_add", a, c);
        return matmul(a, b, c, false);
    }

    /**
     * {@code relu(a @ b + c)}: {@link #matmulAdd} and then {@code x > 0 ? x : +0} on every element
     * ({@link UnaryOp#RELU}), the same bits; for a bias {@code [n]} of a product that is one GEMM, the backend's
     * {@link Backend#gemmOntoRowRelu} (the packed GEMM writes the ReLU in its last store: no pass and no buffer of
     * its own), otherwise the ReLU in place over the output.
     */
    public static Tensor matmulAddRelu(Tensor a, Tensor b, Tensor c) {
        sameDtype("matmul_add_relu", a, c);
        return matmul(a, b, c, true);
    }

    /**
     * {@code a[0] @ b[0] + ... + a[n-1] @ b[n-1] (+ c)}, every product of the same shape ({@code c}, when not null,
     * broadcast to it), in one output buffer: the first product is written (onto {@code c}, as
     * {@link #matmulAdd}) and each further one accumulated onto it by its GEMMs (beta = 1), without a buffer or a
     * pass of its own. A bilinear map's tangent ({@code da b + a db}) or a layer's ({@code dx W^T + x dW^T + db}).
     */
    public static Tensor matmulSum(Tensor[] a, Tensor[] b, Tensor c) {
        if (a.length == 0 || a.length != b.length) {
            throw new IllegalArgumentException("matmul_sum needs as many left as right operands, at least one, got "
                    + a.length + " and " + b.length);
        }
        if (c != null) {
            sameDtype("matmul_sum", a[0], c);
        }
        Tensor y = matmul(a[0], b[0], c, false);
        if (a.length == 1) {
            return y;
        }
        if (!y.isContiguous()) {
            y = y.contiguous();
        }
        for (int i = 1; i < a.length; i++) {
            sameDtype("matmul_sum", a[0], a[i]);
            int[] shape = productShape(a[i], b[i]);
            if (!Arrays.equals(shape, y.shape())) {
                throw new IllegalArgumentException("matmul_sum: product " + i + " has shape " + Arrays.toString(shape)
                        + ", the first " + Arrays.toString(y.shape()));
            }
            Gemms.product(a[i], b[i], y, 1.0);
        }
        return y;
    }

    /**
     * The value and tangent of {@code a @ b + c} where only b and c move, in one GEMM: {@code {a @ b + c, a @ db +
     * dc}} for matrices {@code a [m, k]} and {@code b [k, n]} with at most {@link #WITH_TANGENT_MAX_COLUMNS} columns,
     * b's tangent {@code db} of shape {@code [k, n]} or {@code [count, k, n]} (one axis of directions), {@code c}
     * null or {@code [n]} (added to every row) and its tangent {@code dc} null or of shape {@code [n]} or {@code
     * [count, n]}, and at least {@link #WITH_TANGENT_MIN_STACK} columns of tangents ({@code count n}) or at most
     * {@link #WITH_TANGENT_SMALL_MNK} multiply-adds in all; null otherwise (the caller then computes the two apart).
     * The tangent has shape {@code [m, n]} or {@code [count, m, n]}; both are views of one output. Where a is the
     * larger operand (a layer's input or its transpose) it is read once instead of twice (docs/PERFORMANCE.md, "A
     * product's value and tangent in one GEMM").
     */
    public static Tensor[] matmulWithTangent(Tensor a, Tensor b, Tensor c, Tensor db, Tensor dc) {
        if (a.rank() != 2 || b.rank() != 2 || b.dim(0) != a.dim(1) || b.dim(1) > WITH_TANGENT_MAX_COLUMNS
                || db.rank() < 2 || db.rank() > 3 || a.size() == 0 || b.size() == 0) {
            return null;
        }
        boolean oneAxis = db.rank() == 3;
        int[] lead = oneAxis ? new int[] {db.dim(0)} : new int[0];
        int count = oneAxis ? lead[0] : 1;
        int n = b.dim(1);
        boolean shapes = Arrays.equals(db.shape(), concat(lead, b.shape()))
                && (c == null || Arrays.equals(c.shape(), new int[] {n}))
                && (dc == null || Arrays.equals(dc.shape(), concat(lead, n)));
        boolean pays = (long) count * n >= WITH_TANGENT_MIN_STACK
                || (double) a.size() * n * (count + 1) <= WITH_TANGENT_SMALL_MNK;
        if (!shapes || !pays) {
            return null;
        }
        for (Tensor x : new Tensor[] {b, c, db, dc}) {
            if (x != null) {
                sameDtype("matmul_with_tangent", a, x);
            }
        }
        return Gemms.withTangents(a, b, c, db, dc, oneAxis);
    }

    /** Columns of b up to which {@link #matmulWithTangent} computes a product and its tangent as one GEMM. */
    public static final int WITH_TANGENT_MAX_COLUMNS = 64;

    /**
     * Fewest columns in the stack of b's tangents ({@code count n}) for {@link #matmulWithTangent}: below, the two
     * products apart run on the kernels for few columns, faster than one product of {@code 2n} columns on the
     * others (W1's single HVP, ten columns: 1.45-1.63 times the time as one GEMM of twenty; docs/PERFORMANCE.md, "A
     * product's value and tangent in one GEMM").
     */
    public static final int WITH_TANGENT_MIN_STACK = 64;

    /**
     * Multiply-adds up to which {@link #matmulWithTangent} makes one GEMM of a product and its tangent whatever their
     * columns: a small batch's, where each call's fixed cost is much of its time (W1's HVP at a batch of 32: 0.67 of
     * the two products' time; docs/PERFORMANCE.md, "A product's value and tangent in one GEMM").
     */
    public static final double WITH_TANGENT_SMALL_MNK = 1e6;

    /**
     * {@code y = a @ b} ({@code accumulate} false) or {@code y += a @ b}, into a given contiguous {@code y} of the
     * product's shape: the products {@link #matmul} makes, so the same bits, written where the caller wants them (a
     * weight's cotangent straight into its range of a flat gradient, {@code FlatCotangents}).
     */
    public static void matmulInto(Tensor a, Tensor b, Tensor y, boolean accumulate) {
        int[] shape = productShape(a, b);
        sameDtype("matmul_into", a, y);
        if (!Arrays.equals(shape, y.shape()) || !y.isContiguous()) {
            throw new IllegalArgumentException("matmul_into: the output must be contiguous and of the product's shape "
                    + Arrays.toString(shape) + ", got " + Arrays.toString(y.shape())
                    + (y.isContiguous() ? "" : " (not contiguous)"));
        }
        int[] batch = Arrays.copyOf(shape, shape.length - 2);
        long count = Shapes.size(batch);
        int m = a.dim(-2);
        int k = a.dim(-1);
        int n = b.dim(-1);
        if (!accumulate && Gemms.stacks(a, b, count)) {
            assign(y.reshape((int) count, m, n), Gemms.stacked(a, b.expand(concat(batch, k, n)), (int) count, m, n));
        } else if (!accumulate && k == 0) {
            y.segment().asSlice(0, y.size() * y.dtype().byteSize()).fill((byte) 0);
        } else {
            Gemms.product(a, b, y, accumulate ? 1.0 : 0.0);
        }
    }

    /** The shape of {@code a @ b} (batch axes broadcast), with the checks every product makes. */
    private static int[] productShape(Tensor a, Tensor b) {
        sameDtype("matmul", a, b);
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul needs operands of rank >= 2, got shapes "
                    + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
        }
        if (b.dim(-2) != a.dim(-1)) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Arrays.toString(a.shape())
                    + " @ " + Arrays.toString(b.shape()));
        }
        int[] batch = broadcastShapes(Arrays.copyOf(a.shape(), a.rank() - 2), Arrays.copyOf(b.shape(), b.rank() - 2));
        return concat(batch, a.dim(-2), b.dim(-1));
    }

    /** {@code a @ b (+ c)}, and with {@code relu} its ReLU (in the product's last store, or in place after it). */
    private static Tensor matmul(Tensor a, Tensor b, Tensor c, boolean relu) {
        int[] outShape = productShape(a, b);
        int[] batch = Arrays.copyOf(outShape, outShape.length - 2);
        int m = a.dim(-2);
        int k = a.dim(-1);
        int n = b.dim(-1);
        if (c != null && !Arrays.equals(broadcastShapes(c.shape(), outShape), outShape)) {
            throw new IllegalArgumentException("matmul_add: the addend's shape " + Arrays.toString(c.shape())
                    + " does not broadcast to the product's " + Arrays.toString(outShape));
        }
        long count = Shapes.size(batch);
        if (Gemms.stacks(a, b, count)) {
            Tensor product = Gemms.stacked(a, b.expand(concat(batch, k, n)), (int) count, m, n);
            if (c == null && batch.length == 1) {
                return relu ? unary(UnaryOp.RELU, product) : product;
            }
            Tensor y = Tensor.uninitialised(a.dtype(), outShape);
            Tensor y3 = y.reshape((int) count, m, n);
            if (c == null) {
                assign(y3, product);
            } else if (batch.length == 1) {
                assignBinary(y, BinaryOp.ADD, c, product);
            } else {
                assign(y, c.expand(outShape));
                assignBinary(y3, BinaryOp.ADD, y3, product);
            }
            return relu ? reluInPlace(y) : y;
        }
        // every product below runs with beta = 0 and writes its whole output (with k = 0 nothing is written),
        // or with beta = 1 onto c
        Tensor y = k == 0 && c == null ? Tensor.zeros(a.dtype(), outShape) : Tensor.uninitialised(a.dtype(), outShape);
        if (c != null && Gemms.productOntoRow(a, b, c, y, relu)) {
            return y;
        }
        double beta = 0.0;
        if (c != null) {
            assign(y, c.expand(outShape));
            beta = 1.0;
        }
        Gemms.product(a, b, y, beta);
        return relu ? reluInPlace(y) : y;
    }

    /** {@code y} (contiguous, fresh) with each element replaced by its ReLU, in place. */
    private static Tensor reluInPlace(Tensor y) {
        if (y.size() > 0) {
            be().unary(UnaryOp.RELU, y.dtype(), y.size(), 0, y.segment(), y.segment());
        }
        return y;
    }

    static int[] concat(int[] lead, int... tail) {
        int[] s = Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, s, lead.length, tail.length);
        return s;
    }

    /**
     * {@code c = alpha * a @ b + beta * c} for rank-2 views; a row-major or transposed (column-major) view is
     * passed to GEMM without a copy, anything else is made contiguous first. {@code c} must be row-major.
     */
    public static void gemm2d(DType t, Tensor a, Tensor b, Tensor c, double alpha, double beta) {
        Gemms.gemm2d(be(), t, a, b, c, alpha, beta);
    }

    // ------------------------------------------------------------------ reductions

    /** Reduces one axis ({@code keepDim} keeps it with size 1). */
    public static Tensor reduce(ReduceOp op, Tensor x, int axis, boolean keepDim) {
        int a = x.axis(axis);
        int[] s = x.shape();
        int outer = (int) Shapes.size(Arrays.copyOfRange(s, 0, a));
        int inner = (int) Shapes.size(Arrays.copyOfRange(s, a + 1, s.length));
        Tensor c = x.contiguous();
        int[] out = s.clone();
        out[a] = 1;
        Tensor y = Tensor.uninitialised(x.dtype(), out);
        be().reduce(op, x.dtype(), outer, s[a], inner, c.segment(), y.segment());
        return keepDim ? y : y.squeeze(a);
    }

    /** Sum over one axis. */
    public static Tensor sum(Tensor x, int axis, boolean keepDim) {
        return reduce(ReduceOp.SUM, x, axis, keepDim);
    }

    /** Sum of all elements, as a rank-0 tensor. */
    public static Tensor sumAll(Tensor x) {
        Tensor flat = x.contiguous().reshape(1, -1);
        return sum(flat, 1, false).reshape();
    }

    /**
     * Sums a broadcast result back to {@code shape} (the adjoint of broadcasting): leading axes are summed
     * away, and axes where {@code shape} has 1 are summed keeping the dimension.
     */
    public static Tensor sumTo(Tensor x, int[] shape) {
        int[] xs = x.shape();
        if (Arrays.equals(xs, shape)) {
            return x;
        }
        int lead = xs.length - shape.length;
        if (lead < 0) {
            throw new IllegalArgumentException("cannot sum " + Arrays.toString(xs) + " to larger shape "
                    + Arrays.toString(shape));
        }
        Tensor y = x;
        for (int i = 0; i < lead; i++) {
            y = sum(y, 0, false);
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1 && y.dim(i) != 1) {
                y = sum(y, i, true);
            } else if (shape[i] != y.dim(i)) {
                throw new IllegalArgumentException("cannot sum " + Arrays.toString(xs) + " to "
                        + Arrays.toString(shape));
            }
        }
        return y;
    }

    /** Index of the largest element along an axis (first on ties), as an int array in row-major order. */
    public static int[] argmax(Tensor x, int axis) {
        int a = x.axis(axis);
        int[] s = x.shape();
        int outer = (int) Shapes.size(Arrays.copyOfRange(s, 0, a));
        int inner = (int) Shapes.size(Arrays.copyOfRange(s, a + 1, s.length));
        Tensor c = x.contiguous();
        MemorySegment idx = java.lang.foreign.Arena.ofAuto().allocate((long) Math.max(1, outer * inner) * 4, 4);
        be().argmax(x.dtype(), outer, s[a], inner, c.segment(), idx);
        return idx.asSlice(0, (long) outer * inner * 4).toArray(ValueLayout.JAVA_INT);
    }

    // ------------------------------------------------------------------ softmax family (last axis)

    private static int rowsOf(Tensor x) {
        return Math.toIntExact(x.size() / x.dim(-1));
    }

    /** Softmax over the last axis. */
    public static Tensor softmax(Tensor x) {
        Tensor c = x.contiguous();
        Tensor y = Tensor.uninitialised(x.dtype(), x.shape());
        be().softmax(x.dtype(), rowsOf(x), x.dim(-1), c.segment(), y.segment());
        return y;
    }

    /** Log-softmax over the last axis. */
    public static Tensor logSoftmax(Tensor x) {
        Tensor c = x.contiguous();
        Tensor y = Tensor.uninitialised(x.dtype(), x.shape());
        be().logSoftmax(x.dtype(), rowsOf(x), x.dim(-1), c.segment(), y.segment());
        return y;
    }

    /** Labels as an int32 segment (GC-managed). */
    public static MemorySegment labelSegment(int[] labels) {
        MemorySegment s = java.lang.foreign.Arena.ofAuto().allocate((long) Math.max(1, labels.length) * 4, 4);
        MemorySegment.copy(labels, 0, s, ValueLayout.JAVA_INT, 0, labels.length);
        return s;
    }

    /**
     * Per-row cross-entropy of logits {@code z [rows, classes]} against integer labels; returns
     * {@code {loss [rows], probs [rows, classes]}}.
     */
    public static Tensor[] softmaxCrossEntropy(Tensor z, int[] labels) {
        Tensor c = crossEntropyLogits(z, labels);
        Tensor loss = Tensor.uninitialised(z.dtype(), z.dim(0));
        Tensor probs = Tensor.uninitialised(z.dtype(), z.shape());
        be().softmaxCrossEntropy(z.dtype(), z.dim(0), z.dim(1), c.segment(), labelSegment(labels), loss.segment(),
                probs.segment());
        return new Tensor[] {loss, probs};
    }

    /** The per-row losses of {@link #softmaxCrossEntropy} alone (the same bits), without the probabilities. */
    public static Tensor crossEntropy(Tensor z, int[] labels) {
        Tensor c = crossEntropyLogits(z, labels);
        Tensor loss = Tensor.uninitialised(z.dtype(), z.dim(0));
        be().crossEntropy(z.dtype(), z.dim(0), z.dim(1), c.segment(), labelSegment(labels), loss.segment());
        return loss;
    }

    /** z contiguous, after checking it is {@code [rows, classes]} with one label per row. */
    private static Tensor crossEntropyLogits(Tensor z, int[] labels) {
        if (z.rank() != 2 || z.dim(0) != labels.length) {
            throw new IllegalArgumentException("cross-entropy needs logits [rows, classes] and one label per row; got "
                    + Arrays.toString(z.shape()) + " and " + labels.length + " labels");
        }
        return z.contiguous();
    }

    // ------------------------------------------------------------------ in place (state buffers only)

    /**
     * Overwrites the elements of {@code dst} with {@code op(a, b)} ({@code a} and {@code b} broadcast to the shape
     * of {@code dst}; one dtype), in place: {@link #binary} without its temporary and the copy of {@link #assign}.
     * For long-lived state only, as {@link #assign}. {@code dst} must be contiguous; {@code a} may be {@code dst}
     * itself ({@code dst = op(dst, b)}); otherwise neither operand may overlap {@code dst} in memory.
     */
    public static void assignBinary(Tensor dst, BinaryOp op, Tensor a, Tensor b) {
        String name = "assignBinary " + op.name().toLowerCase(java.util.Locale.ROOT);
        sameDtype(name, a, b);
        sameDtype(name, dst, a);
        if (!Arrays.equals(broadcastShapes(a.shape(), b.shape()), dst.shape())) {
            throw new IllegalArgumentException(name + ": shapes " + Arrays.toString(a.shape()) + " and "
                    + Arrays.toString(b.shape()) + " do not broadcast to the destination's "
                    + Arrays.toString(dst.shape()));
        }
        if (!dst.isContiguous()) {
            throw new IllegalArgumentException(name + ": the destination must be contiguous");
        }
        boolean inPlace = a.sameShape(dst) && a.isContiguous()
                && a.segment().address() == dst.segment().address();
        if ((!inPlace && overlaps(dst.segment(), a.segment())) || overlaps(dst.segment(), b.segment())) {
            throw new IllegalArgumentException(name + ": the destination overlaps an operand (only the first "
                    + "operand may be the destination itself)");
        }
        int[] shape = dst.shape();
        Tensor ea = a.expand(shape);
        Tensor eb = b.expand(shape);
        be().binary(op, a.dtype(), shape, ea.segment(), ea.strides(), eb.segment(), eb.strides(), dst.segment());
    }

    /**
     * {@code y = alpha x + beta y} in place, in one pass (BLAS's axpby; in double, rounded once): an optimiser's
     * update of long-lived state, as {@link #assignBinary}. y contiguous, x of y's shape and dtype, not overlapping.
     */
    public static void axpby(double alpha, Tensor x, double beta, Tensor y) {
        sameDtype("axpby", x, y);
        if (!x.sameShape(y) || !y.isContiguous() || overlaps(y.segment(), x.segment())) {
            throw new IllegalArgumentException("axpby: y must be contiguous and x of its shape, apart from it (got "
                    + Arrays.toString(x.shape()) + " and " + Arrays.toString(y.shape()) + ")");
        }
        Tensor cx = x.contiguous();
        be().axpby(y.dtype(), y.size(), alpha, cx.segment(), beta, y.segment());
    }

    private static boolean overlaps(MemorySegment x, MemorySegment y) {
        return x.asOverlappingSlice(y).isPresent();
    }

    /**
     * Overwrites the elements of {@code dst} with those of {@code src} (same shape; dtype converted), in place.
     * A mutating raw op, as {@link #assignBinary}, {@link #axpby} and {@link #matmulInto}: for long-lived state
     * (optimiser buffers) updated from values computed in a short-lived {@link Scope}, and for buffers filled
     * piece by piece. {@code dst} must be contiguous and must not share storage with {@code src}.
     */
    public static void assign(Tensor dst, Tensor src) {
        if (!dst.sameShape(src)) {
            throw new IllegalArgumentException("assign: shapes differ (" + Arrays.toString(dst.shape()) + " and "
                    + Arrays.toString(src.shape()) + ")");
        }
        if (!dst.isContiguous()) {
            throw new IllegalArgumentException("assign: the destination must be contiguous");
        }
        be().copy(src.dtype(), dst.dtype(), src.shape(), src.segment(), src.strides(), dst.segment());
    }
}
