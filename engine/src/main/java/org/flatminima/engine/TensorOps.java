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
import org.flatminima.kernels.Window2d;

/**
 * Raw (not differentiable) tensor arithmetic on the current {@link Engine#backend()}: broadcasting, matrix
 * products, reductions, softmax. Every result is a new contiguous tensor. The autodiff primitives call these
 * for their forward computations.
 */
public final class TensorOps {
    private TensorOps() {
    }

    private static Backend be() {
        return Engine.backend();
    }

    private static void sameDtype(String op, Tensor a, Tensor b) {
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

    /** {@code s * x}. */
    public static Tensor scale(Tensor x, double s) {
        return unary(UnaryOp.SCALE, x, s);
    }

    // ------------------------------------------------------------------ matrix products

    /**
     * Matrix product with NumPy's {@code matmul} rules for rank >= 2: the last two axes multiply, leading
     * (batch) axes broadcast. Rank-1 operands are not accepted (reshape them explicitly). When the right
     * operand is a single matrix, the left operand's batch axes are folded into one GEMM.
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        sameDtype("matmul", a, b);
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul needs operands of rank >= 2, got shapes "
                    + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
        }
        int m = a.dim(-2);
        int k = a.dim(-1);
        int n = b.dim(-1);
        if (b.dim(-2) != k) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Arrays.toString(a.shape())
                    + " @ " + Arrays.toString(b.shape()));
        }
        int[] aBatch = Arrays.copyOf(a.shape(), a.rank() - 2);
        int[] bBatch = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = broadcastShapes(aBatch, bBatch);
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor y = Tensor.zeros(a.dtype(), outShape);
        DType t = a.dtype();
        if (bBatch.length == 0 || Shapes.size(bBatch) == 1 && batch.length == aBatch.length) {
            // fold a's batch axes into the rows of one GEMM
            Tensor a2 = a.rank() == 2 ? a : a.contiguous().reshape(-1, k);
            Tensor b2 = b.rank() == 2 ? b : b.reshape(b.dim(-2), n);
            gemm2d(t, a2, b2, y.reshape(-1, n), 1.0, 0.0);
            return y;
        }
        long count = Shapes.size(batch);
        Tensor ea = a.expand(concat(batch, m, k));
        Tensor eb = b.expand(concat(batch, k, n));
        Tensor y3 = y.reshape((int) count, m, n);
        int[] idx = new int[batch.length];
        for (int i = 0; i < count; i++) {
            Tensor ai = ea;
            Tensor bi = eb;
            for (int d = 0; d < batch.length; d++) {
                ai = ai.select(0, idx[d]);
                bi = bi.select(0, idx[d]);
            }
            gemm2d(t, ai, bi, y3.select(0, i), 1.0, 0.0);
            Shapes.increment(idx, batch);
        }
        return y;
    }

    private static int[] concat(int[] lead, int... tail) {
        int[] s = Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, s, lead.length, tail.length);
        return s;
    }

    /**
     * {@code c = alpha * a @ b + beta * c} for rank-2 views; a row-major or transposed (column-major) view is
     * passed to GEMM without a copy, anything else is made contiguous first. {@code c} must be row-major.
     */
    public static void gemm2d(DType t, Tensor a, Tensor b, Tensor c, double alpha, double beta) {
        long[] cs = c.strides();
        if (c.dim(1) > 1 && cs[1] != 1) {
            throw new IllegalArgumentException("gemm2d: the output must be row-major");
        }
        Operand oa = operand(a);
        Operand ob = operand(b);
        int ldc = (int) Math.max(c.dim(1), c.dim(0) > 1 ? cs[0] : 1);
        be().gemm(t, oa.trans, ob.trans, a.dim(0), b.dim(1), a.dim(1), alpha, oa.seg, oa.ld,
                ob.seg, ob.ld, beta, c.segment(), ldc);
    }

    private record Operand(MemorySegment seg, boolean trans, int ld) {
    }

    private static Operand operand(Tensor x) {
        long[] s = x.strides();
        int rows = x.dim(0);
        int cols = x.dim(1);
        if ((cols == 1 || s[1] == 1) && (rows == 1 || s[0] >= cols)) {
            return new Operand(x.segment(), false, (int) Math.max(cols, rows == 1 ? cols : s[0]));
        }
        if ((rows == 1 || s[0] == 1) && (cols == 1 || s[1] >= rows)) {
            return new Operand(x.segment(), true, (int) Math.max(rows, cols == 1 ? rows : s[1]));
        }
        Tensor c = x.contiguous();
        return new Operand(c.segment(), false, cols);
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

    // ------------------------------------------------------------------ indexing

    private static void checkLabels(String op, int rows, int cols, int[] labels) {
        if (labels.length != rows) {
            throw new IllegalArgumentException(op + ": " + labels.length + " labels for " + rows + " rows");
        }
        for (int r = 0; r < rows; r++) {
            if (labels[r] < 0 || labels[r] >= cols) {
                throw new IllegalArgumentException(op + ": label " + labels[r] + " at row " + r + " is not in [0, "
                        + cols + ")");
            }
        }
    }

    /** {@code y[r] = x[r, labels[r]]} for a matrix {@code x [rows, cols]}: one column per row. */
    public static Tensor gatherCols(Tensor x, int[] labels) {
        if (x.rank() != 2) {
            throw new IllegalArgumentException("gatherCols needs a matrix, got shape " + Arrays.toString(x.shape()));
        }
        checkLabels("gatherCols", x.dim(0), x.dim(1), labels);
        Tensor c = x.contiguous();
        Tensor y = Tensor.zeros(x.dtype(), x.dim(0));
        be().gatherCols(x.dtype(), x.dim(0), x.dim(1), c.segment(), labelSegment(labels), y.segment());
        return y;
    }

    /** The adjoint of {@link #gatherCols}: a {@code [rows, cols]} matrix, zero except {@code y[r, labels[r]] = g[r]}. */
    public static Tensor scatterCols(Tensor g, int[] labels, int cols) {
        if (g.rank() != 1) {
            throw new IllegalArgumentException("scatterCols needs a vector, got shape " + Arrays.toString(g.shape()));
        }
        checkLabels("scatterCols", g.dim(0), cols, labels);
        Tensor c = g.contiguous();
        Tensor y = Tensor.zeros(g.dtype(), g.dim(0), cols);
        be().scatterCols(g.dtype(), g.dim(0), cols, c.segment(), labelSegment(labels), y.segment());
        return y;
    }

    /** One-hot rows {@code [labels.length, cols]}: 1 at {@code [r, labels[r]]}, 0 elsewhere. */
    public static Tensor oneHot(int[] labels, int cols, DType dtype) {
        return scatterCols(Tensor.full(dtype, 1.0, labels.length), labels, cols);
    }

    /**
     * A tensor shaped like {@code x} with 1 at the first maximum along {@code axis} and 0 elsewhere: the argmax
     * kernel, then ones scattered into rows {@code [outer * inner, len]} (the axis last), moved back in place.
     */
    public static Tensor argmaxMask(Tensor x, int axis) {
        int a = x.axis(axis);
        int[] s = x.shape();
        int outer = (int) Shapes.size(Arrays.copyOfRange(s, 0, a));
        int inner = (int) Shapes.size(Arrays.copyOfRange(s, a + 1, s.length));
        int rows = outer * inner;
        Tensor c = x.contiguous();
        MemorySegment idx = Scope.allocateUninitialised((long) Math.max(1, rows) * 4, c);
        be().argmax(x.dtype(), outer, s[a], inner, c.segment(), idx);
        Tensor ones = Tensor.full(x.dtype(), 1.0, rows);
        Tensor mask = Tensor.zeros(x.dtype(), rows, s[a]);
        be().scatterCols(x.dtype(), rows, s[a], ones.segment(), idx, mask.segment());
        return inner == 1 ? mask.reshape(s) : mask.reshape(outer, inner, s[a]).permute(0, 2, 1).contiguous().reshape(s);
    }

    /**
     * A zero vector of {@code length} holding the elements of {@code x} (row-major) at {@code offset ..}: the
     * adjoint of taking a flat slice.
     */
    public static Tensor embed(Tensor x, int offset, int length) {
        long n = x.size();
        if (offset < 0 || offset + n > length) {
            throw new IndexOutOfBoundsException("embed: " + n + " elements at offset " + offset
                    + " do not fit in a vector of length " + length);
        }
        Tensor y = Tensor.zeros(x.dtype(), length);
        Tensor dst = y.slice(0, offset, Math.toIntExact(offset + n));
        be().copy(x.dtype(), x.dtype(), x.shape(), x.segment(), x.strides(), dst.segment());
        return y;
    }

    /**
     * Copies {@code src [rows, n]} into columns {@code [offset, offset + n)} of the contiguous {@code dst
     * [rows, length]}, in place: for assembling a freshly made output only.
     */
    public static void copyRowsInto(Tensor src, Tensor dst, int offset) {
        int rows = src.dim(0);
        int n = src.dim(1);
        if (dst.rank() != 2 || dst.dim(0) != rows || offset < 0 || offset + n > dst.dim(1) || !dst.isContiguous()) {
            throw new IllegalArgumentException("copyRowsInto: " + Arrays.toString(src.shape()) + " at column " + offset
                    + " does not fit " + Arrays.toString(dst.shape()));
        }
        for (int r = 0; r < rows; r++) {
            Tensor s = src.select(0, r);
            Tensor d = dst.select(0, r).slice(0, offset, offset + n);
            be().copy(src.dtype(), dst.dtype(), s.shape(), s.segment(), s.strides(), d.segment());
        }
    }

    /**
     * Row-wise {@link #embed}: {@code x [rows, n]} into a zero {@code [rows, length]} at column {@code offset}
     * (the adjoint of slicing columns {@code [offset, offset + n)}).
     */
    public static Tensor embedRows(Tensor x, int offset, int length) {
        if (x.rank() != 2) {
            throw new IllegalArgumentException("embedRows takes [rows, n], got " + Arrays.toString(x.shape()));
        }
        int rows = x.dim(0);
        int n = x.dim(1);
        if (offset < 0 || offset + n > length) {
            throw new IndexOutOfBoundsException("embedRows: " + n + " columns at offset " + offset
                    + " do not fit in " + length);
        }
        Tensor y = Tensor.zeros(x.dtype(), rows, length);
        for (int r = 0; r < rows; r++) {
            Tensor src = x.select(0, r);
            Tensor dst = y.select(0, r).slice(0, offset, offset + n);
            be().copy(x.dtype(), x.dtype(), src.shape(), src.segment(), src.strides(), dst.segment());
        }
        return y;
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
        if (z.rank() != 2 || z.dim(0) != labels.length) {
            throw new IllegalArgumentException("cross-entropy needs logits [rows, classes] and one label per row; got "
                    + Arrays.toString(z.shape()) + " and " + labels.length + " labels");
        }
        Tensor c = z.contiguous();
        Tensor loss = Tensor.uninitialised(z.dtype(), z.dim(0));
        Tensor probs = Tensor.uninitialised(z.dtype(), z.shape());
        be().softmaxCrossEntropy(z.dtype(), z.dim(0), z.dim(1), c.segment(), labelSegment(labels), loss.segment(),
                probs.segment());
        return new Tensor[] {loss, probs};
    }

    // ------------------------------------------------------------------ in place (state buffers only)

    /**
     * Overwrites the elements of {@code dst} with those of {@code src} (same shape; dtype converted), in place.
     * The one mutating raw op: it exists so that long-lived state (optimiser buffers) can be updated from
     * values computed in a short-lived {@link Scope}. {@code dst} must be contiguous and must not share
     * storage with {@code src}.
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

    // ------------------------------------------------------------------ convolution and pooling (NCHW)

    /** Elements of im2col columns materialised at once: the batch is processed in chunks of images under this. */
    private static final long COLS_CHUNK_ELEMENTS = 1L << 22;

    /**
     * The batch size of an image tensor {@code [..., c, h, w]}: every axis before the last three folded into
     * one (so a leading direction axis of tangents is just more images).
     */
    private static int foldedBatch(String op, Tensor x) {
        if (x.rank() < 4) {
            throw new IllegalArgumentException(op + " needs images [N, C, H, W] (extra leading axes allowed), got shape "
                    + Arrays.toString(x.shape()));
        }
        return Math.toIntExact(x.size() / ((long) x.dim(-3) * x.dim(-2) * x.dim(-1)));
    }

    /** {@code lead ++ tail}, where lead is {@code s} without its last {@code drop} axes. */
    private static int[] replaceTail(int[] s, int drop, int... tail) {
        return concat(Arrays.copyOf(s, s.length - drop), tail);
    }

    private static void checkWeight(String op, Tensor w, int channels) {
        if (w.rank() != 4 || w.dim(1) != channels) {
            throw new IllegalArgumentException(op + ": weight must be [out, " + channels + ", kh, kw], got shape "
                    + Arrays.toString(w.shape()));
        }
    }

    private static int chunkOf(Window2d one) {
        long per = Math.max(1, (long) one.colRows() * one.colCols());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, COLS_CHUNK_ELEMENTS / per));
    }

    private static Window2d window(int n, Tensor x, int kh, int kw, int stride, int pad) {
        return new Window2d(n, x.dim(-3), x.dim(-2), x.dim(-1), kh, kw, stride, stride, pad, pad);
    }

    /**
     * 2-D cross-correlation (deep learning's "convolution"), no bias: {@code y[b, o, oy, ox] = sum_{c,i,j}
     * w[o, c, i, j] x[b, c, oy*s - p + i, ox*s - p + j]} with zero padding {@code p} and stride {@code s} on both
     * axes. x is {@code [..., C, H, W]} (leading axes are images), w is {@code [O, C, kh, kw]}, y is
     * {@code [..., O, outH, outW]} with {@code outH = (H + 2p - kh) / s + 1}. Computed as im2col plus one GEMM
     * per image.
     */
    public static Tensor conv2d(Tensor x, Tensor w, int stride, int pad) {
        sameDtype("conv2d", x, w);
        int n = foldedBatch("conv2d", x);
        checkWeight("conv2d", w, x.dim(-3));
        Tensor xc = x.contiguous();
        Window2d g = window(n, x, w.dim(2), w.dim(3), stride, pad);
        int o = w.dim(0);
        int rows = g.colRows();
        int l = g.colCols();
        Tensor w2 = w.contiguous().reshape(o, rows);
        Tensor y = Tensor.uninitialised(x.dtype(), replaceTail(x.shape(), 3, o, g.outH(), g.outW()));
        Tensor y3 = y.reshape(n, o, l);
        int chunk = chunkOf(window(1, x, w.dim(2), w.dim(3), stride, pad));
        Tensor cols = Tensor.uninitialised(x.dtype(), Math.min(chunk, Math.max(n, 1)), rows, l);
        long bytes = g.imageSize() * x.dtype().byteSize();
        for (int b0 = 0; b0 < n; b0 += chunk) {
            int m = Math.min(chunk, n - b0);
            be().im2col(x.dtype(), window(m, x, w.dim(2), w.dim(3), stride, pad),
                    xc.segment().asSlice(b0 * bytes), cols.segment());
            for (int b = 0; b < m; b++) {
                gemm2d(x.dtype(), w2, cols.select(0, b), y3.select(0, b0 + b), 1.0, 0.0);
            }
        }
        return y;
    }

    /**
     * The transpose of {@link #conv2d} in its input: {@code gx = col2im(w^T g)} per image, i.e. the gradient of
     * {@code <conv2d(x, w), g>} with respect to x. g is {@code [..., O, outH, outW]}, w {@code [O, C, kh, kw]},
     * the result {@code [..., C, h, width]} ({@code h, width} are needed because strides make them ambiguous).
     */
    public static Tensor conv2dInputGrad(Tensor g, Tensor w, int h, int width, int stride, int pad) {
        sameDtype("conv2dInputGrad", g, w);
        int n = foldedBatch("conv2dInputGrad", g);
        if (w.rank() != 4 || g.dim(-3) != w.dim(0)) {
            throw new IllegalArgumentException("conv2dInputGrad: g " + Arrays.toString(g.shape())
                    + " and weight " + Arrays.toString(w.shape()) + " disagree on the output channels");
        }
        int c = w.dim(1);
        Window2d geo = new Window2d(n, c, h, width, w.dim(2), w.dim(3), stride, stride, pad, pad);
        if (geo.outH() != g.dim(-2) || geo.outW() != g.dim(-1)) {
            throw new IllegalArgumentException("conv2dInputGrad: g has spatial size " + g.dim(-2) + "x" + g.dim(-1)
                    + " but a " + h + "x" + width + " input gives " + geo.outH() + "x" + geo.outW());
        }
        int o = w.dim(0);
        int rows = geo.colRows();
        int l = geo.colCols();
        // w^T made contiguous once (rows x o, small) so that every image's GEMM has an untransposed A: the
        // vector GEMM packs a transposed A slower, and this product runs once per image.
        Tensor wt = w.contiguous().reshape(o, rows).transpose(0, 1).contiguous();
        Tensor g3 = g.contiguous().reshape(n, o, l);
        Tensor x = Tensor.uninitialised(g.dtype(), replaceTail(g.shape(), 3, c, h, width));
        Window2d one = new Window2d(1, c, h, width, w.dim(2), w.dim(3), stride, stride, pad, pad);
        int chunk = chunkOf(one);
        Tensor cols = Tensor.uninitialised(g.dtype(), Math.min(chunk, Math.max(n, 1)), rows, l);
        long bytes = geo.imageSize() * g.dtype().byteSize();
        for (int b0 = 0; b0 < n; b0 += chunk) {
            int m = Math.min(chunk, n - b0);
            for (int b = 0; b < m; b++) {
                gemm2d(g.dtype(), wt, g3.select(0, b0 + b), cols.select(0, b), 1.0, 0.0);
            }
            be().col2im(g.dtype(), new Window2d(m, c, h, width, w.dim(2), w.dim(3), stride, stride, pad, pad),
                    cols.segment(), x.segment().asSlice(b0 * bytes));
        }
        return x;
    }

    /**
     * The transpose of {@link #conv2d} in its weight: {@code gw = sum_b g_b cols_b^T}, reshaped to
     * {@code [O, C, kh, kw]}, i.e. the gradient of {@code <conv2d(x, w), g>} with respect to w: the correlation
     * of g with x. x is {@code [..., C, H, W]} and g {@code [..., O, outH, outW]} with the same leading axes;
     * every image is summed over.
     */
    public static Tensor conv2dWeightGrad(Tensor x, Tensor g, int kh, int kw, int stride, int pad) {
        sameDtype("conv2dWeightGrad", x, g);
        int n = foldedBatch("conv2dWeightGrad", x);
        Window2d geo = window(n, x, kh, kw, stride, pad);
        if (foldedBatch("conv2dWeightGrad", g) != n || geo.outH() != g.dim(-2) || geo.outW() != g.dim(-1)) {
            throw new IllegalArgumentException("conv2dWeightGrad: x " + Arrays.toString(x.shape()) + " and g "
                    + Arrays.toString(g.shape()) + " do not match a " + kh + "x" + kw + " window with stride "
                    + stride + " and padding " + pad);
        }
        int o = g.dim(-3);
        int rows = geo.colRows();
        int l = geo.colCols();
        Tensor xc = x.contiguous();
        Tensor g3 = g.contiguous().reshape(n, o, l);
        Tensor gw = Tensor.zeros(x.dtype(), o, x.dim(-3), kh, kw);
        Tensor gw2 = gw.reshape(o, rows);
        int chunk = chunkOf(window(1, x, kh, kw, stride, pad));
        Tensor cols = Tensor.uninitialised(x.dtype(), Math.min(chunk, Math.max(n, 1)), rows, l);
        long bytes = geo.imageSize() * x.dtype().byteSize();
        for (int b0 = 0; b0 < n; b0 += chunk) {
            int m = Math.min(chunk, n - b0);
            be().im2col(x.dtype(), window(m, x, kh, kw, stride, pad), xc.segment().asSlice(b0 * bytes),
                    cols.segment());
            for (int b = 0; b < m; b++) {
                gemm2d(x.dtype(), g3.select(0, b0 + b), cols.select(0, b).transpose(0, 1), gw2, 1.0, 1.0);
            }
        }
        return gw;
    }

    /**
     * Where each output of a max pooling took its value from: the window geometry (leading axes folded into
     * {@code n}), the input shape, and per output element the index {@code iy*w + ix} of its first maximum
     * within its plane (int32; in the current scope, else GC-managed). A constant of the derivative rules of max pooling.
     */
    public record PoolRouting(Window2d window, int[] inShape, MemorySegment argmax) {
        /** The pooled shape: the input shape with the last two axes replaced by {@code outH, outW}. */
        public int[] outShape() {
            return replaceTail(inShape, 2, window.outH(), window.outW());
        }
    }

    private static Window2d poolWindow(String op, Tensor x, int k, int stride, int pad) {
        int n = foldedBatch(op, x);
        if (2 * pad > k) {
            throw new IllegalArgumentException(op + ": padding " + pad + " must be at most half the kernel size " + k);
        }
        return Window2d.square(n, x.dim(-3), x.dim(-2), x.dim(-1), k, stride, pad);
    }

    /** A max pooling's output and its routing. */
    public record MaxPooled(Tensor y, PoolRouting routing) {
    }

    /**
     * Max pooling with a square {@code k x k} window, stride and padding (which counts as -infinity) of x
     * {@code [..., C, H, W]}, with the routing the kernel computes along the way (the residual of max pooling's
     * derivative rules).
     */
    public static MaxPooled maxPool2dRouted(Tensor x, int k, int stride, int pad) {
        Window2d g = poolWindow("maxPool2d", x, k, stride, pad);
        Tensor xc = x.contiguous();
        Tensor y = Tensor.uninitialised(x.dtype(), replaceTail(x.shape(), 2, g.outH(), g.outW()));
        // Scoped (pooled) when a scope is open: the routing is read by the backward pass of the same scope.
        MemorySegment idx = Scope.allocateUninitialised(Math.max(1, y.size()) * 4, y);
        be().maxPool2d(x.dtype(), g, xc.segment(), y.segment(), idx);
        return new MaxPooled(y, new PoolRouting(g, x.shape(), idx));
    }

    /** Max pooling ({@code k x k} window, stride, -infinity padding) of x {@code [..., C, H, W]}. */
    public static Tensor maxPool2d(Tensor x, int k, int stride, int pad) {
        return maxPool2dRouted(x, k, stride, pad).y();
    }

    /** The routing (first argmax per window, as PyTorch) of max pooling x: see {@link PoolRouting}. */
    public static PoolRouting maxPool2dRouting(Tensor x, int k, int stride, int pad) {
        return maxPool2dRouted(x, k, stride, pad).routing();
    }

    /**
     * How many copies of {@code shape} t stacks on leading axes (t's shape is {@code lead ++ shape}; the lead is
     * the direction axis of batched tangents), or an error naming both shapes.
     */
    private static int routedCopies(String op, Tensor t, int[] shape) {
        int[] ts = t.shape();
        int lead = ts.length - shape.length;
        if (lead < 0 || !Arrays.equals(Arrays.copyOfRange(ts, lead, ts.length), shape)) {
            throw new IllegalArgumentException(op + ": expected shape " + Arrays.toString(shape)
                    + " (optionally with leading axes), got " + Arrays.toString(ts));
        }
        return Math.toIntExact(Shapes.size(Arrays.copyOf(ts, lead)));
    }

    private static int[] withLead(Tensor t, int[] tailOf, int[] tail) {
        int lead = t.rank() - tailOf.length;
        int[] s = Arrays.copyOf(t.shape(), lead + tail.length);
        System.arraycopy(tail, 0, s, lead, tail.length);
        return s;
    }

    /**
     * {@code y[p, o] = x[p, argmax[p, o]]} per plane p: the values of x that a max pooling with this routing
     * selects (linear in x). For x the pooled input itself this is the max pooling. Leading axes in front of the
     * routed shape (several tangents) reuse the same routing.
     */
    public static Tensor maxPool2dGather(Tensor x, PoolRouting r) {
        int copies = routedCopies("maxPool2dGather", x, r.inShape());
        Tensor xc = x.contiguous();
        Tensor y = Tensor.zeros(x.dtype(), withLead(x, r.inShape(), r.outShape()));
        DType t = x.dtype();
        Window2d g = r.window();
        long planes = (long) g.n() * g.c();
        long plane = (long) g.h() * g.w();
        int l = g.colCols();
        MemorySegment xs = xc.segment();
        MemorySegment ys = y.segment();
        MemorySegment idx = r.argmax();
        for (int c = 0; c < copies; c++) {
            long xBase = c * planes * plane;
            long yBase = c * planes * l;
            for (long p = 0; p < planes; p++) {
                for (int o = 0; o < l; o++) {
                    long yi = p * l + o;
                    t.set(ys, yBase + yi, t.get(xs, xBase + p * plane + idx.getAtIndex(ValueLayout.JAVA_INT, yi)));
                }
            }
        }
        return y;
    }

    /** The adjoint of {@link #maxPool2dGather}: {@code gx = 0}, then each gy is added at its argmax. */
    public static Tensor maxPool2dScatter(Tensor gy, PoolRouting r) {
        int copies = routedCopies("maxPool2dScatter", gy, r.outShape());
        Tensor gc = gy.contiguous();
        Tensor gx = Tensor.uninitialised(gy.dtype(), withLead(gy, r.outShape(), r.inShape()));
        long inBytes = Shapes.size(r.inShape()) * gy.dtype().byteSize();
        long outBytes = Shapes.size(r.outShape()) * gy.dtype().byteSize();
        for (int c = 0; c < copies; c++) {
            be().maxPool2dBackward(gy.dtype(), r.window(), gc.segment().asSlice(c * outBytes),
                    r.argmax(), gx.segment().asSlice(c * inBytes));
        }
        return gx;
    }

    /**
     * Average pooling ({@code k x k} window, stride, zero padding, divisor always {@code k*k} as PyTorch's
     * default) of x {@code [..., C, H, W]}.
     */
    public static Tensor avgPool2d(Tensor x, int k, int stride, int pad) {
        Window2d g = poolWindow("avgPool2d", x, k, stride, pad);
        Tensor xc = x.contiguous();
        Tensor y = Tensor.uninitialised(x.dtype(), replaceTail(x.shape(), 2, g.outH(), g.outW()));
        be().avgPool2d(x.dtype(), g, xc.segment(), y.segment());
        return y;
    }

    /**
     * The adjoint of {@link #avgPool2d} for an input of spatial size {@code h x width}: gy
     * {@code [..., C, outH, outW]} to gx {@code [..., C, h, width]}.
     */
    public static Tensor avgPool2dBackward(Tensor gy, int h, int width, int k, int stride, int pad) {
        int n = foldedBatch("avgPool2dBackward", gy);
        Window2d g = Window2d.square(n, gy.dim(-3), h, width, k, stride, pad);
        if (g.outH() != gy.dim(-2) || g.outW() != gy.dim(-1)) {
            throw new IllegalArgumentException("avgPool2dBackward: gy has spatial size " + gy.dim(-2) + "x"
                    + gy.dim(-1) + " but a " + h + "x" + width + " input gives " + g.outH() + "x" + g.outW());
        }
        Tensor gc = gy.contiguous();
        Tensor gx = Tensor.uninitialised(gy.dtype(), replaceTail(gy.shape(), 2, h, width));
        be().avgPool2dBackward(gy.dtype(), g, gc.segment(), gx.segment());
        return gx;
    }
}
