package org.flatminima.kernels.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BackendUnavailableException;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.ScalarBackend;
import org.flatminima.kernels.Shapes;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;

/**
 * The {@code vector} backend: the scalar oracle with the kernels that the Java Vector API
 * ({@code jdk.incubator.vector}) speeds up overridden; no native code.
 *
 * <p>Layering: this class extends {@link ScalarBackend} and overrides only what it vectorises; every other
 * method (today {@link #gatherCols}, {@link #scatterCols}, and {@link #unary} for the transcendental ops, whose
 * loops would only call {@link Math} per element as the oracle does) is the oracle's, by inheritance. The
 * {@code native} backend extends this class in turn.
 *
 * <p>Each override picks the {@link Kernels} of its dtype ({@code FloatKernels} or {@code DoubleKernels},
 * generated from {@code src/main/templates}) and calls it. This class mentions no vector type, so it loads
 * without the module; the generated classes load on the first kernel call, after {@link #create()} has checked
 * that the module is present. GEMM uses up to {@link #threads()} threads when its operands are large enough and
 * its segments are accessible from other threads (global, automatic or shared arenas; a confined arena keeps
 * it on the calling thread), one thread inside a part of {@link #runParts}. The other kernels split large calls into independent parts ({@link Parts}: ranges
 * of elements, rows along the leading axis, images), each computed as the whole call would compute it, so
 * their results do not depend on the thread count.
 */
public class VectorBackend extends ScalarBackend {

    /** The module the backend needs. */
    public static final String MODULE = "jdk.incubator.vector";

    private volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());

    /** For {@link #create()} and the layer above, which must have called {@link #requireModule()} first. */
    protected VectorBackend() {
    }

    /**
     * A new vector backend (as many threads as processors).
     *
     * @throws BackendUnavailableException when the JVM runs without the Vector API module
     */
    public static Backend create() throws BackendUnavailableException {
        requireModule();
        return new VectorBackend();
    }

    /**
     * Throws, with the fix in the message, when the JVM runs without the Vector API module; this backend and
     * every layer above it need it.
     */
    protected static void requireModule() throws BackendUnavailableException {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            throw new BackendUnavailableException(
                    "the Java Vector API module is missing: run java with --add-modules jdk.incubator.vector");
        }
    }

    /** Width in bits of the preferred float vector of this CPU (e.g. 512 with AVX-512, 256 with AVX2). */
    public static int preferredVectorBits() {
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    /**
     * Whether {@link #gemm} runs an {@code m x n x k} product (m x n: C) on its kernels for few columns of C,
     * which read A once in place instead of packing it ({@code FloatSkinnyGemm}); any orientation, both dtypes.
     */
    public static boolean fewColumnsGemm(int m, int n, int k) {
        return FloatSkinnyGemm.applies(m, n, k);
    }

    /** The kernels of dtype {@code t}. */
    private static Kernels kernels(DType t) {
        return t == DType.F32 ? FloatKernels.INSTANCE : DoubleKernels.INSTANCE;
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void setThreads(int threads) {
        this.threads = Math.max(1, threads);
    }

    /** On {@link Parallel}'s pool: parts claimed by up to {@link #threads()} threads; see {@link Backend#runParts}. */
    @Override
    public void runParts(int parts, IntConsumer part) {
        Parallel.run(parts, threads, part);
    }

    @Override
    public void gemm(DType t, boolean transA, boolean transB, int m, int n, int k,
                     double alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                     double beta, MemorySegment c, int ldc) {
        kernels(t).gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                Parallel.inside() ? 1 : threads);
    }

    /** Diagonal blocks of {@link #syrk} at most this wide are computed whole, in a scratch block. */
    static final int SYRK_BLOCK = 64;

    /**
     * On this backend's {@link #gemm}, over the upper triangle only: the triangle of rows and columns
     * {@code [lo, hi)} is that of {@code [lo, mid)}, that of {@code [mid, hi)} and the block of rows {@code [lo, mid)}
     * and columns {@code [mid, hi)} between them, which lies above the diagonal and is one GEMM into C. A triangle
     * at most {@link #SYRK_BLOCK} wide is computed as a square into a scratch block, of which the upper triangle
     * goes to C: copied when beta is 0 (C is not read), else added to {@code beta * C} by {@code axpby}. Products
     * with {@code k == 0} are the oracle's loop (C's triangle scaled by beta).
     */
    @Override
    public void syrk(DType t, boolean trans, int n, int k, double alpha, MemorySegment a, int lda,
                     double beta, MemorySegment c, int ldc) {
        if (n == 0) {
            return;
        }
        if (k == 0) {
            super.syrk(t, trans, n, k, alpha, a, lda, beta, c, ldc);
            return;
        }
        int block = Math.min(n, SYRK_BLOCK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = arena.allocate((long) block * block * t.byteSize(), 64);
            syrkTriangle(t, trans, 0, n, k, alpha, a, lda, beta, c, ldc, scratch);
        }
    }

    private void syrkTriangle(DType t, boolean trans, int lo, int hi, int k, double alpha, MemorySegment a,
                              int lda, double beta, MemorySegment c, int ldc, MemorySegment scratch) {
        long es = t.byteSize();
        int size = hi - lo;
        if (size <= SYRK_BLOCK) {
            MemorySegment rows = rowsOf(t, trans, a, lda, lo);
            gemm(t, trans, !trans, size, size, k, alpha, rows, lda, rows, lda, 0, scratch, size);
            for (int r = 0; r < size; r++) {
                MemorySegment from = scratch.asSlice(es * ((long) r * size + r));
                MemorySegment to = c.asSlice(es * ((long) (lo + r) * ldc + lo + r));
                if (beta == 0) {
                    MemorySegment.copy(from, 0, to, 0, es * (size - r));
                } else {
                    kernels(t).axpby(size - r, 1, from, beta, to);
                }
            }
            return;
        }
        int mid = lo + size / 2;
        syrkTriangle(t, trans, lo, mid, k, alpha, a, lda, beta, c, ldc, scratch);
        gemm(t, trans, !trans, mid - lo, hi - mid, k, alpha, rowsOf(t, trans, a, lda, lo), lda,
                rowsOf(t, trans, a, lda, mid), lda, beta, c.asSlice(es * ((long) lo * ldc + mid)), ldc);
        syrkTriangle(t, trans, mid, hi, k, alpha, a, lda, beta, c, ldc, scratch);
    }

    /** A from row {@code i} of {@code op(A)} on: A's row i, or its column i when transposed. */
    private static MemorySegment rowsOf(DType t, boolean trans, MemorySegment a, int lda, int i) {
        return a.asSlice(t.byteSize() * (trans ? i : (long) i * lda));
    }

    @Override
    public void axpby(DType t, long n, double alpha, MemorySegment x, double beta, MemorySegment y) {
        long es = t.byteSize();
        Parts.ranges(threads, n, n, (lo, len) -> kernels(t).axpby(len, alpha, x.asSlice(lo * es), beta,
                y.asSlice(lo * es)), x, y);
    }

    @Override
    public void fill(DType t, long n, double value, MemorySegment y) {
        long es = t.byteSize();
        Parts.ranges(threads, n, n, (lo, len) -> kernels(t).fill(len, value, y.asSlice(lo * es)), y);
    }

    @Override
    public void copy(DType from, DType to, int[] shape, MemorySegment x, long[] xStrides, MemorySegment y) {
        int d = splitAxis(shape, xStrides, xStrides);
        if (d < 0) {
            kernels(from).copy(to, shape, x, xStrides, y);
            return;
        }
        long total = Shapes.size(shape);
        long inner = total / shape[d];
        Parts.ranges(threads, shape[d], total, (lo, cnt) -> kernels(from).copy(to, part(shape, d, cnt),
                x.asSlice(lo * xStrides[d] * from.byteSize()), xStrides, y.asSlice(lo * inner * to.byteSize())),
                x, y);
    }

    /**
     * The axis that an elementwise kernel over {@code shape} (contiguous output) is split along: the first
     * of size above 1 (every axis before it has size 1, so a part is one contiguous range of the output); -1
     * when there is none, the shape is empty, or a stride along it is negative.
     */
    private static int splitAxis(int[] shape, long[] aStrides, long[] bStrides) {
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) {
                return -1;
            }
            if (shape[d] > 1) {
                return aStrides[d] < 0 || bStrides[d] < 0 ? -1 : d;
            }
        }
        return -1;
    }

    /** {@code shape} with axis {@code d} of size {@code size}. */
    private static int[] part(int[] shape, int d, long size) {
        int[] s = shape.clone();
        s[d] = (int) size;
        return s;
    }

    @Override
    public void unary(UnaryOp op, DType t, long n, double param, MemorySegment x, MemorySegment y) {
        long es = t.byteSize();
        AtomicBoolean vectorised = new AtomicBoolean(true);
        // An op without a vector loop writes nothing in any part: then the layer below runs it whole.
        Parts.ranges(threads, n, n, (lo, len) -> {
            if (!kernels(t).unary(op, len, param, x.asSlice(lo * es), y.asSlice(lo * es))) {
                vectorised.set(false);
            }
        }, x, y);
        if (!vectorised.get()) {
            super.unary(op, t, n, param, x, y);
        }
    }

    @Override
    public void binary(BinaryOp op, DType t, int[] shape, MemorySegment a, long[] aStrides,
                       MemorySegment b, long[] bStrides, MemorySegment y) {
        int d = splitAxis(shape, aStrides, bStrides);
        if (d < 0) {
            kernels(t).binary(op, shape, a, aStrides, b, bStrides, y);
            return;
        }
        long es = t.byteSize();
        long total = Shapes.size(shape);
        long inner = total / shape[d];
        Parts.ranges(threads, shape[d], total, (lo, cnt) -> kernels(t).binary(op, part(shape, d, cnt),
                a.asSlice(lo * aStrides[d] * es), aStrides, b.asSlice(lo * bStrides[d] * es), bStrides,
                y.asSlice(lo * inner * es)), a, b, y);
    }

    @Override
    public void reduce(ReduceOp op, DType t, int outer, int len, int inner, MemorySegment x, MemorySegment y) {
        long es = t.byteSize();
        Parts.rows(threads, outer, (long) outer * len * inner, (o, cnt) -> kernels(t).reduce(op, cnt, len, inner,
                x.asSlice((long) o * len * inner * es), y.asSlice((long) o * inner * es)), x, y);
    }

    @Override
    public void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx) {
        long es = t.byteSize();
        Parts.rows(threads, outer, (long) outer * len * inner, (o, cnt) -> kernels(t).argmax(cnt, len, inner,
                x.asSlice((long) o * len * inner * es), idx.asSlice(4L * o * inner)), x, idx);
    }

    @Override
    public void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        long rb = (long) cols * t.byteSize();
        Parts.rows(threads, rows, (long) rows * cols * 8, (r, cnt) -> kernels(t).softmax(cnt, cols,
                x.asSlice(r * rb), y.asSlice(r * rb)), x, y);
    }

    @Override
    public void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        long rb = (long) cols * t.byteSize();
        Parts.rows(threads, rows, (long) rows * cols * 8, (r, cnt) -> kernels(t).logSoftmax(cnt, cols,
                x.asSlice(r * rb), y.asSlice(r * rb)), x, y);
    }

    @Override
    public void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                                    MemorySegment loss, MemorySegment probs) {
        long rb = (long) cols * t.byteSize();
        long es = t.byteSize();
        Parts.rows(threads, rows, (long) rows * cols * 8, (r, cnt) -> kernels(t).softmaxCrossEntropy(cnt, cols,
                z.asSlice(r * rb), labels.asSlice(4L * r), loss.asSlice(r * es), probs.asSlice(r * rb)),
                z, labels, loss, probs);
    }

    @Override
    public void crossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels, MemorySegment loss) {
        long rb = (long) cols * t.byteSize();
        long es = t.byteSize();
        Parts.rows(threads, rows, (long) rows * cols * 8, (r, cnt) -> kernels(t).crossEntropy(cnt, cols,
                z.asSlice(r * rb), labels.asSlice(4L * r), loss.asSlice(r * es)), z, labels, loss);
    }

    @Override
    public void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols) {
        long es = t.byteSize();
        long cb = (long) g.colRows() * g.colCols() * es;
        Parts.images(threads, g, (long) g.n() * g.colRows() * g.colCols(), (part, b) -> kernels(t).im2col(part,
                x.asSlice(b * g.imageSize() * es), cols.asSlice(b * cb)), x, cols);
    }

    @Override
    public void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x) {
        long es = t.byteSize();
        long cb = (long) g.colRows() * g.colCols() * es;
        Parts.images(threads, g, (long) g.n() * g.colRows() * g.colCols(), (part, b) -> kernels(t).col2im(part,
                cols.asSlice(b * cb), x.asSlice(b * g.imageSize() * es)), x, cols);
    }

    @Override
    public void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        Parts.images(threads, g, g.n() * g.imageSize(), (part, b) -> kernels(t).maxPool2d(part,
                x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es), argmax.asSlice(b * out * 4)),
                x, y, argmax);
    }

    @Override
    public void maxPool2dValues(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        Parts.images(threads, g, g.n() * g.imageSize(), (part, b) -> kernels(t).maxPool2d(part,
                x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es), null), x, y);
    }

    @Override
    public void maxPool2dRelu(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        Parts.images(threads, g, g.n() * g.imageSize(), (part, b) -> {
            MemorySegment ys = y.asSlice(b * out * es);
            MemorySegment as = argmax == null ? null : argmax.asSlice(b * out * 4);
            kernels(t).maxPool2d(part, x.asSlice(b * g.imageSize() * es), ys, as);
            ScalarBackend.reluAfterMaxPool(t, part.n() * out, ys, as);
        }, argmax == null ? new MemorySegment[] {x, y} : new MemorySegment[] {x, y, argmax});
    }

    @Override
    public void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        Parts.images(threads, g, g.n() * g.imageSize(), (part, b) -> kernels(t).maxPool2dBackward(part,
                gy.asSlice(b * out * es), argmax.asSlice(b * out * 4), gx.asSlice(b * g.imageSize() * es)),
                gy, argmax, gx);
    }

    @Override
    public void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        Parts.images(threads, g, g.n() * g.imageSize() * 2, (part, b) -> kernels(t).avgPool2d(part,
                x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es)), x, y);
    }

    @Override
    public void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        Parts.images(threads, g, g.n() * g.imageSize() * 2, (part, b) -> kernels(t).avgPool2dBackward(part,
                gy.asSlice(b * out * es), gx.asSlice(b * g.imageSize() * es)), gy, gx);
    }
}

