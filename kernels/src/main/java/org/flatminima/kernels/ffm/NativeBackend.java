package org.flatminima.kernels.ffm;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BackendUnavailableException;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.ScalarBackend;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;
import org.flatminima.kernels.vector.Parallel;

/**
 * The {@code native} backend: GEMM on the system OpenBLAS ({@code cblas_sgemm}/{@code cblas_dgemm}) and
 * elementwise, reduction, softmax, cross-entropy, im2col/col2im and pooling kernels in our own C library
 * ({@code libflatminima.so}), all through FFM downcalls.
 *
 * <p>Ops without a C kernel run on a fallback backend held by composition: {@code vector} when it is
 * available, else {@code scalar}. These are {@link #copy}, {@link #gatherCols}, {@link #scatterCols}, a
 * {@link #binary} whose strides do not collapse to rank 3 or less, and a {@link #gemm} with {@code k == 0};
 * when the C library is missing every non-GEMM op falls back ({@link #fallbackNote()} says why).
 * The system property {@value #KERNELS_PROPERTY}{@code =false} makes {@link #create()} skip the C library.
 *
 * <p>Threads: {@link #setThreads} sets OpenBLAS's process-wide thread count and is forwarded to the fallback;
 * the C kernels are single-threaded.
 */
public final class NativeBackend implements Backend, Backends.PartialBackend {

    /** System property: {@code false} skips loading the C kernels (GEMM stays on OpenBLAS). */
    public static final String KERNELS_PROPERTY = "flatminima.native.kernels";

    private static final System.Logger LOG = System.getLogger("flatminima.kernels");
    /** The missing-library warning is logged once per process, however many instances are created. */
    private static final java.util.concurrent.atomic.AtomicBoolean WARNED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * System property choosing the GEMM of the native backend: {@code auto} (default), {@code blas} (OpenBLAS) or
     * {@code vector} (the vector backend's GEMM). See {@link #chooseGemm}.
     */
    public static final String GEMM_PROPERTY = "flatminima.gemm";

    /** OpenBLAS core names (in {@code openblas_get_config()}) whose GEMM kernels use AVX-512. */
    static final java.util.List<String> AVX512_CORES = java.util.List.of("skylakex", "cooperlake", "sapphirerapids");

    private final Backend fallback;
    private final boolean gemmOnVector;
    private final String gemmNote;
    private final boolean useC;
    private final String note;
    private int threads;

    private NativeBackend(boolean loadKernels) {
        Backends.Status vector = Backends.probe("vector");
        this.fallback = vector.available() ? vector.backend() : new ScalarBackend();
        String reason;
        if (!loadKernels) {
            reason = "disabled by -D" + KERNELS_PROPERTY + "=false";
        } else {
            reason = CKernels.unavailableReason();
        }
        this.useC = reason == null;
        String[] gemm = chooseGemm(System.getProperty(GEMM_PROPERTY, "auto"), OpenBlas.config(),
                fallback.name().equals("vector") ? org.flatminima.kernels.vector.VectorBackend.preferredVectorBits()
                        : 0);
        this.gemmOnVector = gemm[0].equals("vector");
        this.gemmNote = gemm[1];
        this.note = useC ? null
                : "C kernels not loaded (" + reason + ")" + (loadKernels ? ": rebuild with gcc installed" : "")
                        + "; elementwise/softmax/conv kernels run on " + fallback.name();
        int t = OpenBlas.threads();
        this.threads = t > 0 ? t : Math.max(1, Runtime.getRuntime().availableProcessors());
        if (gemmOnVector) {
            OpenBlas.setThreads(1); // see setThreads
        }
        if (note != null && loadKernels && WARNED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "flatminima: native backend: " + note);
        }
    }

    /**
     * Creates the backend. Throws when OpenBLAS is missing; a missing C library only makes some kernels fall
     * back (see {@link #fallbackNote()}).
     */
    public static Backend create() throws BackendUnavailableException {
        String blas = OpenBlas.unavailableReason();
        if (blas != null) {
            throw new BackendUnavailableException(blas);
        }
        boolean kernels = !"false".equalsIgnoreCase(System.getProperty(KERNELS_PROPERTY, "true").trim());
        return new NativeBackend(kernels);
    }

    /**
     * Which GEMM the native backend runs: {@code {"vector" | "blas", reason}}. {@code property} is
     * {@code auto}, {@code blas} or {@code vector} (anything else is an {@link IllegalArgumentException});
     * {@code vectorBits} is the vector backend's preferred width, 0 when it is unavailable.
     *
     * <p>{@code auto} takes the GEMM whose inner kernel uses the wider vectors: the vector backend's when it runs
     * 512-bit vectors and OpenBLAS's core (named in {@code blasConfig}, its {@code openblas_get_config()}) has no
     * AVX-512 kernels, as when {@code OPENBLAS_CORETYPE} pins an older core on an AVX-512 CPU; OpenBLAS's
     * otherwise. Measured on such a machine (docs/PERFORMANCE.md): f32 175-207 GFLOP/s against OpenBLAS's
     * Haswell kernels' 119, f64 89-100 against 55-59; with OpenBLAS's own AVX-512 kernels OpenBLAS is faster.
     */
    static String[] chooseGemm(String property, String blasConfig, int vectorBits) {
        String p = property == null ? "auto" : property.trim().toLowerCase(java.util.Locale.ROOT);
        switch (p) {
            case "blas":
                return new String[] {"blas", "OpenBLAS (forced by -D" + GEMM_PROPERTY + "=blas)"};
            case "vector":
                if (vectorBits == 0) {
                    return new String[] {"blas", "OpenBLAS (-D" + GEMM_PROPERTY
                            + "=vector asked for, but the vector backend is unavailable)"};
                }
                return new String[] {"vector", "vector backend (forced by -D" + GEMM_PROPERTY + "=vector)"};
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("unknown -D" + GEMM_PROPERTY + "=" + property
                        + ": use auto, blas or vector");
        }
        String cfg = blasConfig == null ? "" : blasConfig.toLowerCase(java.util.Locale.ROOT);
        boolean blasAvx512 = AVX512_CORES.stream().anyMatch(cfg::contains);
        if (vectorBits >= 512 && !blasAvx512) {
            return new String[] {"vector", "vector backend (512-bit vectors; OpenBLAS's core has no AVX-512 kernels: "
                    + (blasConfig == null ? "config unknown" : blasConfig.trim()) + ")"};
        }
        return new String[] {"blas", "OpenBLAS" + (blasConfig == null ? "" : " (" + blasConfig.trim() + ")")};
    }

    /**
     * Whether the vector GEMM is the faster one for this shape when {@code auto} picked it. Measured on the
     * development machine, 1 thread, f32 (vector / OpenBLAS-Haswell throughput): 1.26 at 64x196x288, 1.35 at
     * 64x288x196 with B transposed, 1.71 at 1000x512x784; but 0.48-0.91 at k = 9, 0.25 at n = 10, and
     * 0.72-0.86 with A transposed below a few hundred (its packing of a transposed A is slower).
     */
    static boolean vectorGemmShape(DType t, boolean transA, int m, int n, int k) {
        int min = Math.min(m, Math.min(n, k));
        return t == DType.F32 ? min >= (transA ? 256 : 64) : min >= 32 && (!transA || min >= 128);
    }

    /** Which GEMM runs and why, e.g. "vector backend (512-bit vectors; OpenBLAS's core ...)". */
    public String gemmNote() {
        return gemmNote;
    }

    @Override
    public String fallbackNote() {
        return note;
    }

    /** Whether this instance runs our C kernels. */
    public boolean usesCKernels() {
        return useC;
    }

    /**
     * The C library in use as "flavour (resource)", e.g. {@code "x86-64-v3 (native/linux-x86_64/x86-64-v3/libflatminima.so)"},
     * or null when this instance does not use it.
     */
    public String kernelLibrary() {
        if (!useC) {
            return null;
        }
        NativeLibrary.Loaded l = CKernels.library();
        return l.flavour() + " (" + l.resource() + ")";
    }

    /** The BLAS library name and, when exported, its {@code openblas_get_config()} string. */
    public String blasLibrary() {
        String cfg = OpenBlas.config();
        return OpenBlas.library() + (cfg == null ? "" : " (" + cfg + ")");
    }

    /** The backend that runs the ops without a native kernel ("vector" or "scalar"). */
    public Backend fallback() {
        return fallback;
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void setThreads(int threads) {
        int n = Math.max(1, threads);
        // When the large products run on the vector GEMM, OpenBLAS only does skinny ones: its idle workers would
        // spin-wait after each call and take a core from our own parallel kernels (measured, 2 threads: W2
        // gradient 21.2 ms with OpenBLAS on 2 threads, 15.2 ms with OpenBLAS on 1).
        OpenBlas.setThreads(gemmOnVector ? 1 : n);
        fallback.setThreads(n);
        this.threads = n;
    }

    @Override
    public String toString() {
        return "native[blas=" + OpenBlas.library() + ", gemm=" + (gemmOnVector ? "vector" : "blas") + ", kernels="
                + (useC ? CKernels.library().flavour() : "fallback " + fallback.name()) + "]";
    }

    // ------------------------------------------------------------------ BLAS

    @Override
    public void gemm(DType t, boolean transA, boolean transB, int m, int n, int k,
                     double alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                     double beta, MemorySegment c, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        // k == 0 (C = beta*C) or leading dimensions cblas would reject (it prints and does nothing).
        if (k == 0 || lda < Math.max(1, transA ? m : k) || ldb < Math.max(1, transB ? k : n) || ldc < n) {
            fallback.gemm(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        if (gemmOnVector && vectorGemmShape(t, transA, m, n, k)) {
            fallback.gemm(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (t == DType.F32) {
            OpenBlas.sgemm(transA, transB, m, n, k, (float) alpha, a, lda, b, ldb, (float) beta, c, ldc);
        } else {
            OpenBlas.dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void fill(DType t, long n, double value, MemorySegment y) {
        if (useC) {
            CKernels.fill(t, n, value, y);
        } else {
            fallback.fill(t, n, value, y);
        }
    }

    @Override
    public void copy(DType from, DType to, int[] shape, MemorySegment x, long[] xStrides, MemorySegment y) {
        fallback.copy(from, to, shape, x, xStrides, y);
    }

    @Override
    public void unary(UnaryOp op, DType t, long n, double param, MemorySegment x, MemorySegment y) {
        if (useC) {
            int tasks = tasks(n, x, y);
            if (tasks == 1) {
                CKernels.unary(t, op, n, param, x, y);
                return;
            }
            long es = t.byteSize();
            Parallel.run(tasks, i -> {
                long lo = split(n, tasks, i);
                long len = split(n, tasks, i + 1) - lo;
                CKernels.unary(t, op, len, param, x.asSlice(lo * es), y.asSlice(lo * es));
            });
        } else {
            fallback.unary(op, t, n, param, x, y);
        }
    }

    @Override
    public void binary(BinaryOp op, DType t, int[] shape, MemorySegment a, long[] aStrides,
                       MemorySegment b, long[] bStrides, MemorySegment y) {
        long[] g = useC ? collapse(shape, aStrides, bStrides) : null;
        if (g == null) {
            fallback.binary(op, t, shape, a, aStrides, b, bStrides, y);
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

    /**
     * Work (elements) per task below which splitting does not pay for the hand-off; {@code
     * -Dflatminima.parallelGrain} changes it (the test build sets it tiny so that every split path runs).
     */
    static final long PARALLEL_GRAIN = Math.max(1, Long.getLong("flatminima.parallelGrain", 1L << 15));

    /**
     * How many tasks a kernel over {@code work} elements runs as: 1 with one thread, small work, or a segment
     * that other threads cannot access (a confined arena); else up to {@link #threads()}.
     */
    private int tasks(long work, MemorySegment... segments) {
        if (threads <= 1 || work < 2 * PARALLEL_GRAIN || !Parallel.shareable(segments)) {
            return 1;
        }
        return (int) Math.min(threads, work / PARALLEL_GRAIN);
    }

    /** The start of part {@code i} of {@code n} items split into {@code parts} near-equal parts. */
    private static long split(long n, int parts, int i) {
        return n * i / parts;
    }

    /** {@code g} with its batch size replaced. */
    private static Window2d batch(Window2d g, int n) {
        return new Window2d(n, g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW());
    }

    /**
     * Runs a per-image kernel over the images of {@code g} in parallel parts: {@code body} gets the part's
     * window and its first image. {@code work} is the kernel's element count, for the split decision.
     */
    private void perImages(Window2d g, long work, ImageKernel body, MemorySegment... segments) {
        int tasks = g.n() < 2 ? 1 : Math.min(tasks(work, segments), g.n());
        if (tasks == 1) {
            body.run(g, 0);
            return;
        }
        Parallel.run(tasks, i -> {
            int lo = (int) split(g.n(), tasks, i);
            int hi = (int) split(g.n(), tasks, i + 1);
            body.run(batch(g, hi - lo), lo);
        });
    }

    /** A kernel on the images {@code [first, first + part.n())}. */
    @FunctionalInterface
    private interface ImageKernel {
        void run(Window2d part, int first);
    }

    /** Runs a per-row kernel over {@code rows} rows in parallel parts; {@code body} gets {first row, rows}. */
    private void perRows(int rows, long work, RowKernel body, MemorySegment... segments) {
        int tasks = rows < 2 ? 1 : Math.min(tasks(work, segments), rows);
        if (tasks == 1) {
            body.run(0, rows);
            return;
        }
        Parallel.run(tasks, i -> {
            int lo = (int) split(rows, tasks, i);
            body.run(lo, (int) split(rows, tasks, i + 1) - lo);
        });
    }

    /** A kernel on rows {@code [first, first + count)}. */
    @FunctionalInterface
    private interface RowKernel {
        void run(int first, int count);
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

    @Override
    public void reduce(ReduceOp op, DType t, int outer, int len, int inner, MemorySegment x, MemorySegment y) {
        if (useC) {
            long es = t.byteSize();
            perRows(outer, (long) outer * len * inner, (o, cnt) -> CKernels.reduce(t, op, cnt, len, inner,
                    x.asSlice((long) o * len * inner * es), y.asSlice((long) o * inner * es)), x, y);
        } else {
            fallback.reduce(op, t, outer, len, inner, x, y);
        }
    }

    @Override
    public void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx) {
        if (useC) {
            CKernels.argmax(t, outer, len, inner, x, idx);
        } else {
            fallback.argmax(t, outer, len, inner, x, idx);
        }
    }

    @Override
    public void gatherCols(DType t, int rows, int cols, MemorySegment x, MemorySegment idx, MemorySegment y) {
        fallback.gatherCols(t, rows, cols, x, idx, y);
    }

    @Override
    public void scatterCols(DType t, int rows, int cols, MemorySegment g, MemorySegment idx, MemorySegment y) {
        fallback.scatterCols(t, rows, cols, g, idx, y);
    }

    // ------------------------------------------------------------------ softmax and cross-entropy

    @Override
    public void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        if (useC) {
            long rb = (long) cols * t.byteSize();
            perRows(rows, (long) rows * cols * 8, (r, cnt) -> CKernels.softmax(t, cnt, cols, x.asSlice(r * rb),
                    y.asSlice(r * rb)), x, y);
        } else {
            fallback.softmax(t, rows, cols, x, y);
        }
    }

    @Override
    public void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        if (useC) {
            long rb = (long) cols * t.byteSize();
            perRows(rows, (long) rows * cols * 8, (r, cnt) -> CKernels.logSoftmax(t, cnt, cols, x.asSlice(r * rb),
                    y.asSlice(r * rb)), x, y);
        } else {
            fallback.logSoftmax(t, rows, cols, x, y);
        }
    }

    @Override
    public void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                                    MemorySegment loss, MemorySegment probs) {
        if (useC) {
            long rb = (long) cols * t.byteSize();
            long es = t.byteSize();
            perRows(rows, (long) rows * cols * 8, (r, cnt) -> CKernels.softmaxCrossEntropy(t, cnt, cols,
                    z.asSlice(r * rb), labels.asSlice(4L * r), loss.asSlice(r * es), probs.asSlice(r * rb)),
                    z, labels, loss, probs);
        } else {
            fallback.softmaxCrossEntropy(t, rows, cols, z, labels, loss, probs);
        }
    }

    @Override
    public void softmaxCrossEntropyBackward(DType t, int rows, int cols, MemorySegment probs, MemorySegment labels,
                                            MemorySegment gLoss, MemorySegment dz) {
        if (useC) {
            long rb = (long) cols * t.byteSize();
            long es = t.byteSize();
            perRows(rows, (long) rows * cols, (r, cnt) -> CKernels.softmaxCrossEntropyBackward(t, cnt, cols,
                    probs.asSlice(r * rb), labels.asSlice(4L * r), gLoss.asSlice(r * es), dz.asSlice(r * rb)),
                    probs, labels, gLoss, dz);
        } else {
            fallback.softmaxCrossEntropyBackward(t, rows, cols, probs, labels, gLoss, dz);
        }
    }

    // ------------------------------------------------------------------ convolution and pooling

    @Override
    public void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols) {
        if (useC) {
            long es = t.byteSize();
            long cb = (long) g.colRows() * g.colCols() * es;
            perImages(g, (long) g.n() * g.colRows() * g.colCols(), (part, b) -> CKernels.im2col(t, part,
                    x.asSlice(b * g.imageSize() * es), cols.asSlice(b * cb)), x, cols);
        } else {
            fallback.im2col(t, g, x, cols);
        }
    }

    @Override
    public void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x) {
        if (useC) {
            long es = t.byteSize();
            long cb = (long) g.colRows() * g.colCols() * es;
            perImages(g, (long) g.n() * g.colRows() * g.colCols(), (part, b) -> CKernels.col2im(t, part,
                    cols.asSlice(b * cb), x.asSlice(b * g.imageSize() * es)), x, cols);
        } else {
            fallback.col2im(t, g, cols, x);
        }
    }

    @Override
    public void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        if (useC) {
            long es = t.byteSize();
            long out = (long) g.c() * g.outH() * g.outW();
            perImages(g, g.n() * g.imageSize(), (part, b) -> CKernels.maxPool2d(t, part,
                    x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es), argmax.asSlice(b * out * 4)),
                    x, y, argmax);
        } else {
            fallback.maxPool2d(t, g, x, y, argmax);
        }
    }

    @Override
    public void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx) {
        if (useC) {
            long es = t.byteSize();
            long out = (long) g.c() * g.outH() * g.outW();
            perImages(g, g.n() * g.imageSize(), (part, b) -> CKernels.maxPool2dBackward(t, part,
                    gy.asSlice(b * out * es), argmax.asSlice(b * out * 4), gx.asSlice(b * g.imageSize() * es)),
                    gy, argmax, gx);
        } else {
            fallback.maxPool2dBackward(t, g, gy, argmax, gx);
        }
    }

    @Override
    public void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        if (useC) {
            long es = t.byteSize();
            long out = (long) g.c() * g.outH() * g.outW();
            perImages(g, g.n() * g.imageSize() * 2, (part, b) -> CKernels.avgPool2d(t, part,
                    x.asSlice(b * g.imageSize() * es), y.asSlice(b * out * es)), x, y);
        } else {
            fallback.avgPool2d(t, g, x, y);
        }
    }

    @Override
    public void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        if (useC) {
            long es = t.byteSize();
            long out = (long) g.c() * g.outH() * g.outW();
            perImages(g, g.n() * g.imageSize() * 2, (part, b) -> CKernels.avgPool2dBackward(t, part,
                    gy.asSlice(b * out * es), gx.asSlice(b * g.imageSize() * es)), gy, gx);
        } else {
            fallback.avgPool2dBackward(t, g, gy, gx);
        }
    }

    /** No C kernel: the fallback's. */
    @Override
    public void maxPool2dGather(DType t, Window2d g, MemorySegment x, MemorySegment argmax, MemorySegment y) {
        fallback.maxPool2dGather(t, g, x, argmax, y);
    }
}
