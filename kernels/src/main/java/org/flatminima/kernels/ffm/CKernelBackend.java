package org.flatminima.kernels.ffm;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;
import org.flatminima.kernels.vector.Parallel;
import org.flatminima.kernels.vector.Parts;

/**
 * The top layer of the {@code native} backend, built by {@link NativeBackend#create()} only when our C library
 * ({@code libflatminima.so}) loaded: {@link NativeBackend} (OpenBLAS GEMM over the vector backend) with the
 * kernels that {@link CKernels} covers overridden. What it does not override runs the layer below: today
 * {@link #copy}, {@link #gatherCols}, {@link #scatterCols}, a {@link #unary} op without a C code
 * ({@link CKernels#code(UnaryOp)}), and a {@link #binary} whose strides do not collapse to rank 3 or less.
 *
 * <p>Each C call is single-threaded; a kernel over enough elements is split into parts (by rows, columns,
 * images or elements, {@link Parts}) run by {@link Parallel} on up to {@link #threads()} threads, unless a
 * segment is confined to its thread or the call is itself inside a part. Every output is computed by one call in the order of the unsplit kernel, so results
 * do not depend on the thread count.
 */
final class CKernelBackend extends NativeBackend {

    CKernelBackend() {
        super(null, CKernels.avx512Kernels(), CKernels.avx2Kernels());
    }

    @Override
    public boolean usesCKernels() {
        return true;
    }

    @Override
    public String kernelLibrary() {
        NativeLibrary.Loaded l = CKernels.library();
        return l.flavour() + " (" + l.resource() + ")";
    }

    // ------------------------------------------------------------------ products with few columns of C

    /** Products of fewer multiply-adds run as one call (as the vector kernels do). */
    static final long FEW_COLUMNS_PARALLEL_MIN_WORK = 1L << 18;

    /**
     * {@code fm_fewcol_gemm}, split into bands of C's rows among the threads: bands of whole blocks of the
     * kernels (4 rows of C, or 64 columns of a transposed A), so that no band runs a narrower remainder loop
     * than the unsplit call. Every entry of C is computed the same whatever band holds it, so the bits do not
     * depend on the thread count.
     */
    @Override
    void fewColumnsOnC(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                       int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        inBands(Product.plain(CKernels::fewColumnsGemm), transA ? 64 : 4, false, t, transA, transB, m, n, k, alpha,
                a, lda, b, ldb, beta, null, c, ldc);
    }

    /**
     * {@code fm_small_gemm}, split into bands of 8 of C's rows among the threads (not for TT, computed as
     * {@code C^T}): every entry of C is computed the same whatever its band, so the bits do not depend on the thread
     * count.
     */
    @Override
    void smallOnC(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                  int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        inBands(Product.plain(CKernels::smallGemm), transA && transB ? Math.max(1, m) : 8, false, t, transA, transB,
                m, n, k, alpha, a, lda, b, ldb, beta, null, c, ldc);
    }

    /**
     * {@code fm_packed_gemm_f32} or {@code _f64} (or their 512-bit build, {@link #packedWide}), split among the threads
     * into bands of whole tiles of C's rows (6) or, when C has more columns than rows, of whole panels of its columns
     * (16 floats, 8 doubles; twice that with 512-bit vectors): each band packs
     * all of the operand the bands share (op(B) for bands of rows, op(A) for bands of columns), so the split is the
     * one that shares the smaller.
     * Every entry of C is computed the same whatever its band, so the bits do not depend on the thread count.
     */
    @Override
    void packedOnC(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                   int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        packedInBands(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, null, false, c, ldc);
    }

    /**
     * {@link #packedOnC}'s bands onto a row added to every row of C, and with {@code relu} the ReLU of that
     * ({@code fm_packed_gemm_row_f32} or _f64).
     */
    @Override
    void packedOnCRow(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                      int lda, MemorySegment b, int ldb, MemorySegment row, boolean relu, MemorySegment c, int ldc) {
        packedInBands(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, 1.0, row, relu, c, ldc);
    }

    private void packedInBands(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                               MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment row,
                               boolean relu, MemorySegment c, int ldc) {
        boolean columns = n > m;
        inBands((t2, ta, tb, m2, n2, k2, al, a2, lda2, b2, ldb2, be2, r2, c2, ldc2) -> {
            if (r2 == null && packedWide) {
                PackedGemms.packedGemm512(t2, ta, tb, m2, n2, k2, al, a2, lda2, b2, ldb2, be2, c2, ldc2);
            } else if (r2 == null) {
                PackedGemms.packedGemm(t2, ta, tb, m2, n2, k2, al, a2, lda2, b2, ldb2, be2, c2, ldc2);
            } else if (packedWide) {
                PackedGemms.packedGemmRow512(t2, ta, tb, m2, n2, k2, al, a2, lda2, b2, ldb2, r2, relu, c2, ldc2);
            } else {
                PackedGemms.packedGemmRow(t2, ta, tb, m2, n2, k2, al, a2, lda2, b2, ldb2, r2, relu, c2, ldc2);
            }
        }, columns ? PackedGemms.packedPanelColumns(t, packedWide) : PackedGemms.PACKED_TILE_ROWS, columns, t, transA,
                transB, m,
                n, k, alpha, a, lda, b, ldb, beta, row, c, ldc);
    }

    /**
     * A C product's signature: {@code C = alpha op(A) op(B) + beta C}, row-major, or where {@code row} is not null
     * onto that row added to every row of C (beta 1, C not read).
     */
    @FunctionalInterface
    private interface Product {
        void run(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                 int lda, MemorySegment b, int ldb, double beta, MemorySegment row, MemorySegment c, int ldc);

        /** A kernel without the row form (called with a null row only). */
        static Product plain(Plain p) {
            return (t, ta, tb, m, n, k, al, a, lda, b, ldb, beta, row, c, ldc) -> p.run(t, ta, tb, m, n, k, al, a, lda,
                    b, ldb, beta, c, ldc);
        }
    }

    /** {@code C = alpha op(A) op(B) + beta C}, row-major. */
    @FunctionalInterface
    private interface Plain {
        void run(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                 int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc);
    }

    /**
     * {@code kernel} on bands of C's rows (or, {@code columns}, of its columns) of whole {@code unit}s, one band a
     * thread, when the product has at least {@link #FEW_COLUMNS_PARALLEL_MIN_WORK} multiply-adds; one call
     * otherwise.
     */
    private void inBands(Product kernel, int unit, boolean columns, DType t, boolean transA, boolean transB, int m,
                         int n, int k, double alpha, MemorySegment a, int lda, MemorySegment b, int ldb, double beta,
                         MemorySegment row, MemorySegment c, int ldc) {
        int extent = columns ? n : m;
        int tasks = (long) m * n * k < FEW_COLUMNS_PARALLEL_MIN_WORK ? 1
                : Math.min(row == null ? Parts.tasks(threads(), (long) m * n * k, a, b, c)
                        : Parts.tasks(threads(), (long) m * n * k, a, b, c, row), Math.max(1, extent / unit));
        if (tasks == 1) {
            kernel.run(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, row, c, ldc);
            return;
        }
        long es = t.byteSize();
        int size = (extent / tasks + unit - 1) / unit * unit;
        Parallel.run(tasks, p -> {
            int i0 = Math.min(extent, p * size);
            int i1 = p == tasks - 1 ? extent : Math.min(extent, i0 + size);
            if (i0 >= i1) {
                return;
            }
            if (columns) {
                kernel.run(t, transA, transB, m, i1 - i0, k, alpha, a, lda,
                        b.asSlice(es * (transB ? (long) i0 * ldb : i0)), ldb, beta,
                        row == null ? null : row.asSlice(es * i0), c.asSlice(es * i0), ldc);
            } else {
                kernel.run(t, transA, transB, i1 - i0, n, k, alpha, a.asSlice(es * (transA ? i0 : (long) i0 * lda)),
                        lda, b, ldb, beta, row, c.asSlice(es * i0 * (long) ldc), ldc);
            }
        });
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void fill(DType t, long n, double value, MemorySegment y) {
        long es = t.byteSize();
        Parts.ranges(threads(), n, n, (lo, len) -> CKernels.fill(t, len, value, y.asSlice(lo * es)), y);
    }

    @Override
    public void axpby(DType t, long n, double alpha, MemorySegment x, double beta, MemorySegment y) {
        long es = t.byteSize();
        Parts.ranges(threads(), n, n, (lo, len) -> CKernels.axpby(t, len, alpha, x.asSlice(lo * es), beta,
                y.asSlice(lo * es)), x, y);
    }

    @Override
    public void unary(UnaryOp op, DType t, long n, double param, MemorySegment x, MemorySegment y) {
        int code = CKernels.code(op);
        if (code < 0) {
            super.unary(op, t, n, param, x, y);
            return;
        }
        int tasks = tasks(n, x, y);
        if (tasks == 1) {
            CKernels.unary(t, code, n, param, x, y);
            return;
        }
        long es = t.byteSize();
        Parallel.run(tasks, i -> {
            long lo = split(n, tasks, i);
            long len = split(n, tasks, i + 1) - lo;
            CKernels.unary(t, code, len, param, x.asSlice(lo * es), y.asSlice(lo * es));
        });
    }

    @Override
    public void binary(BinaryOp op, DType t, int[] shape, MemorySegment a, long[] aStrides,
                       MemorySegment b, long[] bStrides, MemorySegment y) {
        long[] g = collapse(shape, aStrides, bStrides);
        if (g == null) {
            super.binary(op, t, shape, a, aStrides, b, bStrides, y);
            return;
        }
        if (g[0] * g[1] * g[2] == 0) {
            return;
        }
        int tasks = tasks(g[0] * g[1] * g[2], a, b, y);
        if (tasks == 1) {
            CKernels.binary(t, op, g[0], g[1], g[2], a, g[3], g[4], g[5], b, g[6], g[7], g[8], y);
            return;
        }
        // Split the outermost dimension with at least one slab per task: {size, a stride, b stride, y stride}.
        long es = t.byteSize();
        int d = g[0] >= tasks ? 0 : g[1] >= tasks ? 1 : 2;
        long ys = d == 0 ? g[1] * g[2] : d == 1 ? g[2] : 1;
        long size = g[d];
        long outer = d == 0 ? 1 : d == 1 ? g[0] : g[0] * g[1];
        if (outer > 1) { // splitting an inner dimension: only when the outer ones are trivial
            CKernels.binary(t, op, g[0], g[1], g[2], a, g[3], g[4], g[5], b, g[6], g[7], g[8], y);
            return;
        }
        Parallel.run(tasks, i -> {
            long lo = split(size, tasks, i);
            long len = split(size, tasks, i + 1) - lo;
            long[] sz = {g[0], g[1], g[2]};
            sz[d] = len;
            CKernels.binary(t, op, sz[0], sz[1], sz[2], a.asSlice(lo * g[3 + d] * es), g[3], g[4], g[5],
                    b.asSlice(lo * g[6 + d] * es), g[6], g[7], g[8], y.asSlice(lo * ys * es));
        });
    }

    /** How many parts a kernel over {@code work} elements runs as ({@link Parts#tasks}). */
    private int tasks(long work, MemorySegment... segments) {
        return Parts.tasks(threads(), work, segments);
    }

    private static long split(long n, int parts, int i) {
        return Parts.start(n, parts, i);
    }

    private void perImages(Window2d g, long work, Parts.ImageKernel body, MemorySegment... segments) {
        Parts.images(threads(), g, work, body, segments);
    }

    private void perRows(int rows, long work, Parts.RowKernel body, MemorySegment... segments) {
        Parts.rows(threads(), rows, work, body, segments);
    }

    /**
     * Collapses a broadcast iteration to at most three dimensions: drops size-1 dimensions, then merges a
     * dimension into the next inner one when both operands' strides allow it (outer stride = inner stride *
     * inner size, which includes broadcast 0 = 0). Returns {@code {n0, n1, n2, a0, a1, a2, b0, b1, b2}} (padded
     * with leading size-1 dimensions), or null when more than three dimensions remain. A shape with a zero
     * size returns sizes whose product is 0.
     */
    static long[] collapse(int[] shape, long[] as, long[] bs) {
        List<long[]> dims = new ArrayList<>(); // inner to outer: {size, aStride, bStride}
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 0) {
                return new long[] {0, 1, 1, 0, 0, 0, 0, 0, 0};
            }
            if (shape[d] == 1) {
                continue;
            }
            if (!dims.isEmpty()) {
                long[] in = dims.get(dims.size() - 1);
                if (as[d] == in[1] * in[0] && bs[d] == in[2] * in[0]) {
                    in[0] *= shape[d];
                    continue;
                }
            }
            dims.add(new long[] {shape[d], as[d], bs[d]});
        }
        if (dims.size() > 3) {
            return null;
        }
        long[] g = {1, 1, 1, 0, 0, 0, 0, 0, 0};
        for (int i = 0; i < dims.size(); i++) {
            long[] dim = dims.get(i);
            int slot = 2 - i;
            g[slot] = dim[0];
            g[3 + slot] = dim[1];
            g[6 + slot] = dim[2];
        }
        return g;
    }

    // ------------------------------------------------------------------ reductions

    /**
     * Split by rows ({@code outer}) when there are enough of them, else by columns ({@code inner}, each part
     * one {@code fm_reduce_cols} call per row): either way every output is reduced over {@code len} in the
     * order of the single call. Reducing the leading axis of a tensor ({@code outer = 1}, as a bias gradient
     * summed over the batch) is the case that needs the columns.
     */
    @Override
    public void reduce(ReduceOp op, DType t, int outer, int len, int inner, MemorySegment x, MemorySegment y) {
        long es = t.byteSize();
        long work = (long) outer * len * inner;
        int tasks = tasks(work, x, y);
        if (outer >= tasks || inner < tasks || len == 0) {
            perRows(outer, work, (o, cnt) -> CKernels.reduce(t, op, cnt, len, inner,
                    x.asSlice((long) o * len * inner * es), y.asSlice((long) o * inner * es)), x, y);
            return;
        }
        Parts.ranges(threads(), inner, work, (lo, cnt) -> {
            for (long o = 0; o < outer; o++) {
                CKernels.reduceCols(t, op, len, (int) cnt, inner, x.asSlice((o * len * inner + lo) * es),
                        y.asSlice((o * inner + lo) * es));
            }
        }, x, y);
    }

    @Override
    public void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx) {
        long es = t.byteSize();
        perRows(outer, (long) outer * len * inner, (o, cnt) -> CKernels.argmax(t, cnt, len, inner,
                x.asSlice((long) o * len * inner * es), idx.asSlice(4L * o * inner)), x, idx);
    }

    // ------------------------------------------------------------------ softmax and cross-entropy

    @Override
    public void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        long rb = (long) cols * t.byteSize();
        perRows(rows, (long) rows * cols * 8, (r, cnt) -> CKernels.softmax(t, cnt, cols, x.asSlice(r * rb),
                y.asSlice(r * rb)), x, y);
    }

    @Override
    public void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        long rb = (long) cols * t.byteSize();
        perRows(rows, (long) rows * cols * 8, (r, cnt) -> CKernels.logSoftmax(t, cnt, cols, x.asSlice(r * rb),
                y.asSlice(r * rb)), x, y);
    }

    @Override
    public void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                                    MemorySegment loss, MemorySegment probs) {
        long rb = (long) cols * t.byteSize();
        long es = t.byteSize();
        perRows(rows, (long) rows * cols * 8, (r, cnt) -> CKernels.softmaxCrossEntropy(t, cnt, cols,
                z.asSlice(r * rb), labels.asSlice(4L * r), loss.asSlice(r * es), probs.asSlice(r * rb)),
                z, labels, loss, probs);
    }

    @Override
    public void crossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels, MemorySegment loss) {
        long rb = (long) cols * t.byteSize();
        long es = t.byteSize();
        perRows(rows, (long) rows * cols * 8, (r, cnt) -> CKernels.softmaxCrossEntropy(t, cnt, cols,
                z.asSlice(r * rb), labels.asSlice(4L * r), loss.asSlice(r * es), MemorySegment.NULL), z, labels, loss);
    }

    // ------------------------------------------------------------------ convolution and pooling

    @Override
    public void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols) {
        long es = t.byteSize();
        long cb = (long) g.colRows() * g.colCols() * es;
        perImages(g, (long) g.n() * g.colRows() * g.colCols(), (part, b) -> CKernels.im2col(t, part,
                x.asSlice(b * g.imageSize() * es), cols.asSlice(b * cb)), x, cols);
    }

    @Override
    public void winogradInput(DType t, Window2d g, MemorySegment x, MemorySegment v) {
        CKernels.winogradInput(t, g, x, v);
    }

    @Override
    public void winogradOutput(DType t, Window2d g, int cout, MemorySegment mm, MemorySegment bias,
                               MemorySegment y) {
        CKernels.winogradOutput(t, g, cout, mm, bias, y);
    }

    @Override
    public void winogradGradient(DType t, Window2d g, int cout, MemorySegment gy, MemorySegment gt) {
        CKernels.winogradGradient(t, g, cout, gy, gt);
    }

    /**
     * The C library's direct 3x3 convolutions ({@code native/src/fm_direct.inc}, {@code fm_direct_avx2.inc}: the
     * same bits) run for floats on a CPU with AVX-512 or AVX2 and FMA, stride 1, fewer than {@link #DIRECT_MAX_CHANNELS} input channels (the engine takes the Winograd form
     * from 8 on), outputs at most 32 wide and padding at most 2.
     */
    @Override
    public boolean hasConv3x3Direct(DType t, Window2d g) {
        return t == DType.F32 && (CKernels.avx512Kernels() || CKernels.avx2Kernels()) && g.kh() == 3 && g.kw() == 3 && g.strideH() == 1
                && g.strideW() == 1 && g.c() < DIRECT_MAX_CHANNELS && g.outW() <= 32 && g.outW() >= 1
                && g.outH() >= 1 && g.padH() <= 2 && g.padW() <= 2;
    }

    /** Input channels from which a 3x3 convolution is not direct ({@link #hasConv3x3Direct}). */
    static final int DIRECT_MAX_CHANNELS = 8;

    @Override
    public void conv3x3Direct(DType t, Window2d g, int cout, MemorySegment x, MemorySegment w, MemorySegment bias,
                              MemorySegment y) {
        if (!hasConv3x3Direct(t, g)) {
            super.conv3x3Direct(t, g, cout, x, w, bias, y);
            return;
        }
        long es = t.byteSize();
        long out = (long) cout * g.outH() * g.outW();
        perImages(g, 9L * g.c() * g.n() * out, (part, b) -> {
            MemorySegment xb = x.asSlice(b * g.imageSize() * es);
            if (!CKernels.conv3x3(t, part, cout, xb, w, bias, y.asSlice(b * out * es))) {
                throw new IllegalStateException("fm_conv3x3 declined a window it takes: " + part);
            }
        }, bias == null ? new MemorySegment[] {x, w, y} : new MemorySegment[] {x, w, bias, y});
    }

    @Override
    public void conv3x3DirectWeightGrad(DType t, Window2d g, int cout, MemorySegment x, MemorySegment gy,
                                        MemorySegment gw) {
        if (!hasConv3x3Direct(t, g)) {
            super.conv3x3DirectWeightGrad(t, g, cout, x, gy, gw);
        } else if (!CKernels.conv3x3WeightGrad(t, g, cout, x, gy, gw)) {
            throw new IllegalStateException("fm_conv3x3_wgrad declined a window it takes: " + g);
        }
    }

    @Override
    public void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x) {
        long es = t.byteSize();
        long cb = (long) g.colRows() * g.colCols() * es;
        perImages(g, (long) g.n() * g.colRows() * g.colCols(), (part, b) -> CKernels.col2im(t, part,
                cols.asSlice(b * cb), x.asSlice(b * g.imageSize() * es)), x, cols);
    }

    @Override
    public void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        perImages(g, g.n() * g.imageSize(), (part, b) -> CKernels.maxPool2d(t, part,
                x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es), argmax.asSlice(b * out * 4)),
                x, y, argmax);
    }

    @Override
    public void maxPool2dValues(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        perImages(g, g.n() * g.imageSize(), (part, b) -> CKernels.maxPool2d(t, part,
                x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es), MemorySegment.NULL), x, y);
    }

    @Override
    public void maxPool2dRelu(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        if (argmax == null) {
            perImages(g, g.n() * g.imageSize(), (part, b) -> CKernels.maxPool2dRelu(t, part,
                    x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es), MemorySegment.NULL), x, y);
        } else {
            perImages(g, g.n() * g.imageSize(), (part, b) -> CKernels.maxPool2dRelu(t, part,
                    x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es), argmax.asSlice(b * out * 4)),
                    x, y, argmax);
        }
    }

    @Override
    public void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        perImages(g, g.n() * g.imageSize(), (part, b) -> CKernels.maxPool2dBackward(t, part,
                gy.asSlice(b * out * es), argmax.asSlice(b * out * 4), gx.asSlice(b * g.imageSize() * es)),
                gy, argmax, gx);
    }

    @Override
    public void gatedChannelSum(DType t, int n, int c, long plane, MemorySegment a, MemorySegment gate,
            MemorySegment out) {
        long es = t.byteSize();
        perRows(c, (long) n * c * plane * 2, (c0, cnt) -> CKernels.gatedChannelSum(t, n, cnt, (long) c * plane, plane,
                a.asSlice(c0 * plane * es), gate.asSlice(c0 * plane * es), out.asSlice(c0 * es)), a, gate, out);
    }

    @Override
    public void maxPool2dGather(DType t, Window2d g, MemorySegment x, MemorySegment argmax, MemorySegment y) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        perImages(g, g.n() * out, (part, b) -> CKernels.maxPool2dGather(t, part,
                x.asSlice(b * g.imageSize() * es), argmax.asSlice(b * out * 4), y.asSlice(b * out * es)),
                x, argmax, y);
    }

    @Override
    public void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        perImages(g, g.n() * g.imageSize() * 2, (part, b) -> CKernels.avgPool2d(t, part,
                x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es)), x, y);
    }

    @Override
    public void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        long es = t.byteSize();
        long out = (long) g.c() * g.outH() * g.outW();
        perImages(g, g.n() * g.imageSize() * 2, (part, b) -> CKernels.avgPool2dBackward(t, part,
                gy.asSlice(b * out * es), gx.asSlice(b * g.imageSize() * es)), gy, gx);
    }
}
