package org.flatminima.kernels.ffm;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BackendUnavailableException;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.vector.Parallel;
import org.flatminima.kernels.vector.VectorBackend;

/**
 * The {@code native} backend: the {@code vector} backend with GEMM on OpenBLAS ({@code cblas_sgemm} /
 * {@code cblas_dgemm} through FFM; bundled or the system's, see {@link OpenBlas}), the symmetric rank-k update
 * on its {@code cblas_?syrk}, the symmetric eigensolver on the same library's LAPACK and, when our C library
 * ({@code libflatminima.so}) loads, its elementwise, reduction, softmax, cross-entropy, im2col/col2im and pooling
 * kernels.
 *
 * <p>Layering, by inheritance and no flags: this class extends {@link VectorBackend} and overrides GEMM,
 * {@code syrk} and the symmetric eigensolver (LAPACK's {@code ?syevd}, {@link Lapack}) only;
 * {@link CKernelBackend} extends this class and overrides what the C kernels cover. {@link #create()} builds a
 * {@code CKernelBackend} when the C library loaded and a plain {@code NativeBackend} otherwise (then
 * {@link #fallbackNote()} says why), so a kernel without native code runs the vector backend's, and one without
 * a vector version the scalar oracle's. The system property {@value #KERNELS_PROPERTY}{@code =false} makes
 * {@link #create()} skip the C library. Like the vector backend, this one needs the Vector API module.
 *
 * <p>Threads: {@link #setThreads} sets the count the GEMM split, the vector GEMM and the C kernels' parallel split
 * use; OpenBLAS stays on one thread and a large product is split into blocks of rows across our threads
 * ({@link #SPLIT_PROPERTY}{@code =false}: OpenBLAS's own threads run it, its process-wide count set by
 * {@link #setThreads}, 1 when the large products run on the vector GEMM). Each C kernel call is single-threaded.
 * The initial count is OpenBLAS's. {@link #runParts} keeps OpenBLAS on one thread while its parts run.
 */
public class NativeBackend extends VectorBackend implements Backends.PartialBackend {

    /** System property: {@code false} skips loading the C kernels (GEMM stays on OpenBLAS). */
    public static final String KERNELS_PROPERTY = "flatminima.native.kernels";

    /**
     * System property choosing the GEMM of the native backend: {@code auto} (default), {@code blas} (OpenBLAS) or
     * {@code vector} (the vector backend's GEMM). See {@link #chooseGemm}.
     */
    public static final String GEMM_PROPERTY = "flatminima.gemm";

    /**
     * System property choosing where products with few columns of C ({@link VectorBackend#fewColumnsGemm}) run:
     * {@code auto} (default: our C kernels for them on a CPU with AVX-512, else the vector backend's where vectors
     * are 512 bits wide, else OpenBLAS), {@code c}, {@code vector} or {@code blas}. See {@link #chooseFewColumns}.
     */
    public static final String FEW_COLUMNS_PROPERTY = "flatminima.gemm.fewcolumns";

    /**
     * System property choosing where small products ({@link #smallShape}: {@code M N K <=} {@link #SMALL_KERNEL_MNK},
     * or a side of at most {@link #SMALL_SIDE}) run: {@code auto} (default: our C kernels where they run and the BLAS
     * has no small-matrix kernels of its own), {@code c} or {@code blas}. See {@link #chooseSmall}.
     */
    public static final String SMALL_PROPERTY = "flatminima.gemm.small";

    /** OpenBLAS core names (in {@code openblas_get_config()}) whose GEMM kernels use AVX-512. */
    static final List<String> AVX512_CORES = List.of("skylakex", "cooperlake", "sapphirerapids");

    private static final System.Logger LOG = System.getLogger("flatminima.kernels");
    /** The missing-library warning is logged once per process, however many instances are created. */
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /** Guards {@link #serialSections} and OpenBLAS's thread count. */
    private static final Object SERIAL_LOCK = new Object();
    /** {@link #runParts} calls running now, in the whole process (OpenBLAS's thread count is process-wide). */
    private static int serialSections;

    private final boolean gemmOnVector;
    /** Where products with few columns of C run: "c", "vector" or "blas" ({@link #chooseFewColumns}). */
    private final String fewColumns;
    private final String fewColumnsNote;
    /** Whether small products run on the C kernels ({@link #chooseSmall}). */
    private final boolean smallOnC;
    private final String smallNote;
    /**
     * Whether large OpenBLAS products are split across this backend's threads by {@link #runParts} (OpenBLAS then
     * stays on one thread) instead of running on OpenBLAS's own threads ({@value #SPLIT_PROPERTY}, default true).
     */
    private final boolean splitGemm = !"false".equalsIgnoreCase(System.getProperty(SPLIT_PROPERTY, "true").trim());

    /** System property: {@code false} lets OpenBLAS's own threads run the large products. */
    public static final String SPLIT_PROPERTY = "flatminima.gemm.split";
    /** Products of fewer FLOPs stay one call (a split's hand-off costs more than it saves). */
    static final double SPLIT_MIN_FLOPS = 4e6;
    /**
     * Each part has at least this many rows of C: one {@link #SPLIT_ALIGN}, so that a product of 96 to 191 rows (a
     * batch of 100, ten directions' stacked products) splits in two too (96 until 2026-12-05: docs/PERFORMANCE.md,
     * "Directions' products stacked").
     */
    static final int SPLIT_MIN_SIDE = 48;
    /** Parts start at multiples of this many rows: a multiple of OpenBLAS's register blocks. */
    static final int SPLIT_ALIGN = 48;
    private final String gemmNote;
    private final String note;

    /**
     * For {@link #create()} and {@link CKernelBackend}: OpenBLAS and the Vector API module must be present.
     *
     * @param note what falls back and why (see {@link #fallbackNote()}), or null when nothing does
     * @param cFewColumns whether this backend runs products with few columns of C on the C kernels when
     *                    {@link #chooseFewColumns} gives them those ({@link CKernelBackend} on a CPU with AVX-512)
     * @param cSmall whether this backend runs small products on the C kernels when {@link #chooseSmall} gives
     *               them those ({@link CKernelBackend} on a CPU with AVX2 and FMA)
     */
    NativeBackend(String note, boolean cFewColumns, boolean cSmall) {
        this.note = note;
        String[] gemm = chooseGemm(System.getProperty(GEMM_PROPERTY, "auto"), OpenBlas.config(),
                VectorBackend.preferredVectorBits());
        this.gemmOnVector = gemm[0].equals("vector");
        this.gemmNote = gemm[1];
        String[] few = chooseFewColumns(System.getProperty(FEW_COLUMNS_PROPERTY, "auto"),
                VectorBackend.preferredVectorBits(), cFewColumns);
        this.fewColumns = few[0];
        this.fewColumnsNote = few[1];
        String[] small = chooseSmall(System.getProperty(SMALL_PROPERTY, "auto"), cSmall,
                OpenBlas.hasSmallMatrixKernels());
        this.smallOnC = small[0].equals("c");
        this.smallNote = small[1];
        int t = OpenBlas.threads();
        super.setThreads(t > 0 ? t : Math.max(1, Runtime.getRuntime().availableProcessors()));
        if (gemmOnVector || splitGemm) {
            OpenBlas.setThreads(1); // see setThreads
        }
    }

    /**
     * Creates the backend: a {@link CKernelBackend} when our C library loads, else a {@code NativeBackend} whose
     * non-GEMM kernels are the vector backend's (logged once, and said by {@link #fallbackNote()}).
     *
     * @throws BackendUnavailableException when OpenBLAS or the Vector API module is missing
     */
    public static Backend create() throws BackendUnavailableException {
        String blas = OpenBlas.unavailableReason();
        if (blas != null) {
            throw new BackendUnavailableException(blas);
        }
        requireModule();
        if ("false".equalsIgnoreCase(System.getProperty(KERNELS_PROPERTY, "true").trim())) {
            return new NativeBackend(withoutC("disabled by -D" + KERNELS_PROPERTY + "=false", ""), false, false);
        }
        String reason = CKernels.unavailableReason();
        if (reason == null) {
            return new CKernelBackend();
        }
        String note = withoutC(reason, ": rebuild with gcc installed");
        if (WARNED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "flatminima: native backend: " + note);
        }
        return new NativeBackend(note, false, false);
    }

    /** The note of a backend without C kernels: why, and the fix when there is one ("" otherwise). */
    private static String withoutC(String why, String fix) {
        return "C kernels not loaded (" + why + ")" + fix + "; elementwise/softmax/conv kernels run on vector";
    }

    /**
     * Which GEMM the native backend runs: {@code {"vector" | "blas", reason}}. {@code property} is
     * {@code auto}, {@code blas} or {@code vector} (anything else is an {@link IllegalArgumentException});
     * {@code vectorBits} is the vector backend's preferred width, 0 when it is unavailable.
     *
     * <p>{@code auto} takes the GEMM whose inner kernel uses the wider vectors: the vector backend's when it runs
     * 512-bit vectors and OpenBLAS's core (named in {@code blasConfig}, its {@code openblas_get_config()}) has no
     * AVX-512 kernels, as when {@code OPENBLAS_CORETYPE} pins an older core on an AVX-512 CPU; the BLAS library's
     * otherwise, and always Intel oneMKL's (its version string in {@code blasConfig}: it picks the kernels of the
     * CPU it runs on itself) (the measurements behind this rule: docs/kernels.md, "GEMM choice").
     */
    static String[] chooseGemm(String property, String blasConfig, int vectorBits) {
        String p = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
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
        String cfg = blasConfig == null ? "" : blasConfig.toLowerCase(Locale.ROOT);
        boolean blasAvx512 = AVX512_CORES.stream().anyMatch(cfg::contains) || cfg.contains("math kernel library");
        if (vectorBits >= 512 && !blasAvx512) {
            return new String[] {"vector", "vector backend (512-bit vectors; OpenBLAS's core has no AVX-512 kernels: "
                    + (blasConfig == null ? "config unknown" : blasConfig.trim()) + ")"};
        }
        return new String[] {"blas", (cfg.contains("math kernel library") ? "Intel oneMKL" : "OpenBLAS")
                + (blasConfig == null ? "" : " (" + blasConfig.trim() + ")")};
    }

    /**
     * Where products with few columns of C run, as {@code {"c", "vector" or "blas", why}}: {@code auto} picks our
     * C kernels for them where they run ({@code cKernels}: the C library is loaded and the CPU has AVX-512), else
     * the vector backend's with 512-bit vectors, else OpenBLAS (the kernels' 20 accumulators would spill from
     * AVX2's 16 registers). Both kernels read A once in place, where OpenBLAS packs it, and packing is most of
     * such a product; with 512-bit vectors the two give the same bits, the C ones faster (docs/PERFORMANCE.md,
     * "Products with few columns of C on the vector kernels" and "Products with few columns of C in C").
     *
     * @throws IllegalArgumentException for a value other than auto, c, vector or blas
     */
    static String[] chooseFewColumns(String property, int vectorBits, boolean cKernels) {
        String p = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        String forced = " (forced by -D" + FEW_COLUMNS_PROPERTY + "=" + p + ")";
        return switch (p) {
            case "blas" -> new String[] {"blas", "OpenBLAS" + forced};
            case "vector" -> vectorBits == 0
                    ? new String[] {"blas", "OpenBLAS (-D" + FEW_COLUMNS_PROPERTY
                            + "=vector asked for, but the vector backend is unavailable)"}
                    : new String[] {"vector", "vector backend" + forced};
            case "c" -> cKernels
                    ? new String[] {"c", "C kernels, AVX-512" + forced}
                    : new String[] {"blas", "OpenBLAS (-D" + FEW_COLUMNS_PROPERTY
                            + "=c asked for, but the C kernels are not loaded or this CPU has no AVX-512)"};
            case "auto" -> cKernels
                    ? new String[] {"c", "C kernels (AVX-512)"}
                    : vectorBits >= 512
                    ? new String[] {"vector", "vector backend (512-bit vectors)"}
                    : new String[] {"blas", "OpenBLAS (" + vectorBits + "-bit vectors)"};
            default -> throw new IllegalArgumentException("unknown -D" + FEW_COLUMNS_PROPERTY + "=" + property
                    + ": use auto, c, vector or blas");
        };
    }

    /**
     * Where small products run, as {@code {"c" or "blas", why}}: {@code auto} picks our C kernels
     * ({@code fm_small_gemm}) where they run ({@code cKernels}: the C library is loaded and the CPU has AVX2 and
     * FMA) unless the BLAS has small-matrix kernels ({@code blasSmallKernels}: OpenBLAS's AVX-512 cores, or
     * oneMKL), which are faster there with their wider vectors. OpenBLAS's other cores pack both operands into
     * panels before every product, as much work as the arithmetic at these sizes; ours read them in place, at
     * 0.4-0.9 of OpenBLAS's time on Winograd's products and others (docs/PERFORMANCE.md, "Small products on
     * AVX2").
     *
     * @throws IllegalArgumentException for a value other than auto, c or blas
     */
    static String[] chooseSmall(String property, boolean cKernels, boolean blasSmallKernels) {
        String p = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        return switch (p) {
            case "blas" -> new String[] {"blas", "BLAS (forced by -D" + SMALL_PROPERTY + "=blas)"};
            case "c" -> cKernels ? new String[] {"c", "C kernels, AVX2 (forced by -D" + SMALL_PROPERTY + "=c)"}
                    : new String[] {"blas", "BLAS (-D" + SMALL_PROPERTY
                            + "=c asked for, but the C kernels are not loaded or this CPU has no AVX2 and FMA)"};
            case "auto" -> !cKernels ? new String[] {"blas", "BLAS (no C kernels for AVX2 here)"}
                    : blasSmallKernels ? new String[] {"blas", "BLAS (its own small-matrix kernels)"}
                    : new String[] {"c", "C kernels (AVX2; the BLAS has no small-matrix kernels for this core)"};
            default -> throw new IllegalArgumentException("unknown -D" + SMALL_PROPERTY + "=" + property
                    + ": use auto, c or blas");
        };
    }

    /**
     * Whether a product goes to the small-product C kernels when {@link #chooseSmall} gave them those: {@code M N K
     * <=} {@link #SMALL_KERNEL_MNK}, and for {@code A B^T} (dot products of rows, whose lanes are added per entry)
     * a depth of at least {@link #SMALL_NT_MIN_DEPTH}, below which OpenBLAS is faster. Larger products too where a
     * dimension is at most {@link #SMALL_SIDE} and OpenBLAS's packing is most of the work: {@code A B^T} with few
     * columns of C (an output layer's forward, {@code 1000 x 10 x 784}: 0.61 of OpenBLAS's time), and NN or TN
     * products ({@code 1000 x 784 x 10}, an output layer's input gradient: 0.51; {@code 784 x 10 x 1000}: 0.60);
     * not TT (docs/PERFORMANCE.md, "Small products on AVX2"). In float, any product but TT with a side of at most
     * {@link #SMALL_SIDE_FLOAT} (a batch of 32's: 0.55-0.90 of the time of OpenBLAS's sgemm without AVX-512; "W1's
     * ten columns in 5 x 2 tiles; a batch of 32's float products on the C kernels").
     */
    static boolean smallShape(DType t, boolean transA, boolean transB, int m, int n, int k) {
        boolean nt = !transA && transB;
        if (nt && k < SMALL_NT_MIN_DEPTH) {
            return false;
        }
        int side = t == DType.F32 && !(transA && transB) ? SMALL_SIDE_FLOAT : 0;
        return (double) m * n * k <= SMALL_KERNEL_MNK || Math.min(m, Math.min(n, k)) <= side
                || (nt ? n <= SMALL_SIDE : !transB && Math.min(m, Math.min(n, k)) <= SMALL_SIDE);
    }

    /** A side at most this long (in float but TT, {@link #SMALL_SIDE_FLOAT}) makes any product a small one. */
    static final int SMALL_SIDE = 16;
    static final int SMALL_SIDE_FLOAT = 32;

    /**
     * Least depth of an {@code A B^T} product on the small-product kernels: at 32 x 9 x 196 they take 0.6 of
     * OpenBLAS's time, at 32 x 9 x 784 (a one-channel convolution's weight gradient) 0.24-0.33, at 100 x 100 x 100
     * 1.0-1.9 (docs/PERFORMANCE.md, "Small products on AVX2").
     */
    static final int SMALL_NT_MIN_DEPTH = 128;

    /**
     * Whether the vector GEMM is the faster one for this shape when {@code auto} picked it: not for skinny
     * products, nor for a small transposed A, whose packing is slower (measured shape by shape:
     * docs/kernels.md, "GEMM choice").
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
    public List<String> details() {
        List<String> d = new ArrayList<>(List.of("BLAS: " + OpenBlas.describe(), "GEMM of large products: " + gemmNote,
                "GEMM with few columns of C: " + fewColumnsNote,
                "GEMM of small products (M N K <= " + (long) SMALL_KERNEL_MNK + ", or a side <= " + SMALL_SIDE + ", "
                        + SMALL_SIDE_FLOAT + " in float): "
                        + smallNote));
        if (usesCKernels()) {
            d.add("C kernels: " + kernelLibrary());
        }
        if (!OpenBlas.hasSyrk()) {
            d.add("syrk: vector backend's (cblas_ssyrk or cblas_dsyrk not found in " + OpenBlas.library() + ")");
        }
        d.add(Lapack.describe());
        return d;
    }

    @Override
    public String fallbackNote() {
        return note;
    }

    /** Whether this instance runs our C kernels ({@link CKernelBackend} says yes). */
    public boolean usesCKernels() {
        return false;
    }

    /**
     * The C library in use as "flavour (resource)", e.g. {@code "x86-64-v3 (native/linux-x86_64/x86-64-v3/libflatminima.so)"},
     * or null when this instance does not use it.
     */
    public String kernelLibrary() {
        return null;
    }

    /** The BLAS library name and, when exported, its {@code openblas_get_config()} string. */
    public String blasLibrary() {
        String cfg = OpenBlas.config();
        return OpenBlas.library() + (cfg == null ? "" : " (" + cfg + ")");
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public void setThreads(int threads) {
        int n = Math.max(1, threads);
        synchronized (SERIAL_LOCK) {
            // With the GEMM split, or when the large products run on the vector GEMM, OpenBLAS stays on one thread:
            // its idle workers would spin-wait after each call and take a core from our own parallel kernels
            // (docs/PERFORMANCE.md). Inside runParts it stays at 1 until the last section ends (which sets it).
            if (serialSections == 0) {
                OpenBlas.setThreads(gemmOnVector || splitGemm ? 1 : n);
            }
            super.setThreads(n);
        }
    }

    /**
     * As the vector backend's, with OpenBLAS on one thread while the parts run (its thread count is
     * process-wide: every GEMM of every part then runs on the thread of its part; the count this backend set
     * is restored when the last concurrent {@code runParts} of the process ends).
     */
    @Override
    public void runParts(int parts, IntConsumer part) {
        if (parts <= 1 || threads() <= 1 || Parallel.inside()) {
            super.runParts(parts, part);
            return;
        }
        synchronized (SERIAL_LOCK) {
            if (serialSections++ == 0) {
                OpenBlas.setThreads(1);
            }
        }
        try {
            super.runParts(parts, part);
        } finally {
            synchronized (SERIAL_LOCK) {
                if (--serialSections == 0) {
                    OpenBlas.setThreads(gemmOnVector || splitGemm ? 1 : threads());
                }
            }
        }
    }

    @Override
    public String toString() {
        return "native[blas=" + OpenBlas.library() + ", gemm=" + (gemmOnVector ? "vector" : "blas") + ", kernels="
                + (usesCKernels() ? CKernels.library().flavour() : "vector") + "]";
    }

    /**
     * OpenBLAS, or the vector GEMM where {@link #chooseGemm} and {@link #vectorGemmShape} say it is faster or
     * where {@link #chooseFewColumns} gave it the products with few columns of C (the C kernels, when it gave
     * them those: {@link #fewColumnsOnC}), or
     * where cblas would refuse the call ({@code k == 0}, leading dimensions below the minimum: cblas prints and
     * does nothing).
     */
    @Override
    public void gemm(DType t, boolean transA, boolean transB, int m, int n, int k,
                     double alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                     double beta, MemorySegment c, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        boolean cblasRefuses = k == 0 || lda < Math.max(1, transA ? m : k) || ldb < Math.max(1, transB ? k : n)
                || ldc < n;
        boolean few = !fewColumns.equals("blas") && fewColumnsShape(m, n, k);
        if (few && fewColumns.equals("c") && !cblasRefuses) {
            fewColumnsOnC(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (smallOnC && !cblasRefuses && smallShape(t, transA, transB, m, n, k)) {
            smallOnC(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (cblasRefuses || gemmOnVector && vectorGemmShape(t, transA, m, n, k) || few) {
            super.gemm(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (splitGemm && threads() > 1 && !Parallel.inside() && splitParts(m, n, k, threads()) > 1
                && Parallel.shareable(a, b, c)) {
            splitBlas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (splitGemm && columnBlocks(m, n, k)) {
            columnBlocksBlas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else {
            blas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /**
     * Whether a product too short to split by rows ({@link #splitParts}: fewer than {@code 2} {@link #SPLIT_MIN_SIDE})
     * but large and wide (at least {@link #SPLIT_MIN_FLOPS}, {@link #COLUMN_BLOCKS_MIN_COLUMNS} columns) runs as two
     * blocks of C's columns, at every thread count: a batch of 32's products ({@code 32 x 512 x 784}). Splitting the
     * columns of one call only at two threads would change the bits with the thread count (OpenBLAS rounds a
     * block's entries differently when the block is multiplied alone); two blocks always, in parallel where there
     * are threads, keep them, for about 2% of one call's time at one thread (docs/PERFORMANCE.md, "Products of few
     * rows in two blocks of columns").
     */
    static boolean columnBlocks(int m, int n, int k) {
        return m < 2 * SPLIT_MIN_SIDE && n >= COLUMN_BLOCKS_MIN_COLUMNS && 2.0 * m * n * k >= SPLIT_MIN_FLOPS;
    }

    /** Fewest columns of C for {@link #columnBlocks}: blocks of at least 128 columns. */
    static final int COLUMN_BLOCKS_MIN_COLUMNS = 256;

    /**
     * One product as two OpenBLAS calls on blocks of C's columns split at {@link #splitPoint} (a multiple of
     * {@link #SPLIT_ALIGN}), run by {@link #runParts} where the operands can be shared with its threads, one after
     * the other otherwise; either way each block is the same call, so the bits do not depend on the threads.
     */
    private void columnBlocksBlas(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                  MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c,
                                  int ldc) {
        long es = t.byteSize();
        IntConsumer block = p -> {
            int from = splitPoint(n, 2, p);
            int to = splitPoint(n, 2, p + 1);
            // columns of op(B): B's columns, or B's rows when transposed
            MemorySegment bp = b.asSlice(es * (transB ? (long) from * ldb : from));
            blas(t, transA, transB, m, to - from, k, alpha, a, lda, bp, ldb, beta, c.asSlice(es * from), ldc);
        };
        if (threads() > 1 && !Parallel.inside() && Parallel.shareable(a, b, c)) {
            runParts(2, block);
        } else {
            block.accept(0);
            block.accept(1);
        }
    }

    /**
     * A product with few columns of C where {@link #chooseFewColumns} gave them to the C kernels; only
     * {@link CKernelBackend} is built with those, and overrides this. Here: the vector backend's kernels.
     */
    void fewColumnsOnC(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                       int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        super.gemm(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * A small product where {@link #chooseSmall} gave those to the C kernels; only {@link CKernelBackend} is built
     * with those, and overrides this. Here: OpenBLAS.
     */
    void smallOnC(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                  int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        blas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * Into how many blocks of rows an {@code m x n x k} product is split at {@code threads} threads (1: not
     * split): none under {@link #SPLIT_MIN_FLOPS} or with fewer than {@link #SPLIT_MIN_SIDE} rows per part, and
     * none where a part would be small enough for OpenBLAS's small-matrix kernels while the whole product is not
     * ({@link #SMALL_KERNEL_MNK}): those sum in another order, so the split would change the bits.
     */
    static int splitParts(int m, int n, int k, int threads) {
        if (2.0 * m * n * k < SPLIT_MIN_FLOPS || m < 2 * SPLIT_MIN_SIDE) {
            return 1;
        }
        int parts = Math.min(threads, m / SPLIT_MIN_SIDE);
        int smallest = m;
        for (int p = 0; p < parts; p++) {
            smallest = Math.min(smallest, splitPoint(m, parts, p + 1) - splitPoint(m, parts, p));
        }
        return (double) smallest * n * k > SMALL_KERNEL_MNK ? parts : 1;
    }

    /**
     * Whether a product with few columns of C goes to the vector kernels when {@link #chooseFewColumns} gave them
     * those: the shapes they take ({@link VectorBackend#fewColumnsGemm}) but those that OpenBLAS's small-matrix
     * kernels run ({@code M N K <= 100^3} on cores that have them), which are faster there (e.g. 100 x 10 x 784:
     * 0.011-0.014 ms against 0.023-0.029; docs/PERFORMANCE.md, "Products with few columns of C on the vector
     * kernels").
     */
    static boolean fewColumnsShape(int m, int n, int k) {
        return VectorBackend.fewColumnsGemm(m, n, k)
                && ((double) m * n * k > SMALL_KERNEL_MNK || !OpenBlas.hasSmallMatrixKernels());
    }

    /**
     * OpenBLAS's AVX-512 (SkylakeX and later) cores run a product with {@code M N K <= 100^3} on their small-matrix
     * kernels (OpenBLAS's {@code sgemm_small_kernel_permit_skylakex.c} and its dgemm twin, since 0.3.16), whose
     * order of summation differs from the blocked kernels'. A split part must stay above it for the split to
     * keep the bits of one call (found when {@code GemmSplitTest} failed on an Intel Xeon with AVX-512). On other
     * cores the same bound sends a product to our small-product C kernels ({@link #chooseSmall}), which sum in
     * their own order too.
     */
    static final double SMALL_KERNEL_MNK = 1e6;

    /**
     * Where part {@code p} of {@code parts} over {@code extent} rows starts: at a multiple of
     * {@link #SPLIT_ALIGN}, so that OpenBLAS's kernels block each part's rows as they block the whole product's.
     */
    static int splitPoint(int extent, int parts, int p) {
        if (p >= parts) {
            return extent;
        }
        long even = (long) extent * p / parts;
        return (int) (even / SPLIT_ALIGN * SPLIT_ALIGN);
    }

    private static void blas(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                             MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c,
                             int ldc) {
        if (t == DType.F32) {
            OpenBlas.sgemm(transA, transB, m, n, k, (float) alpha, a, lda, b, ldb, (float) beta, c, ldc);
        } else {
            OpenBlas.dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /**
     * One OpenBLAS product split into {@link #threads()} blocks of C's rows, each an OpenBLAS call on one thread,
     * run by {@link #runParts}. The blocks start at multiples of {@link #SPLIT_ALIGN} rows, so every entry of C is
     * computed as in one single-threaded call, to the bit (splitting C's columns instead does not keep that, so
     * products with few rows run as two blocks of columns at every thread count: {@link #columnBlocks}).
     */
    private void splitBlas(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                           MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c,
                           int ldc) {
        long es = t.byteSize();
        int parts = splitParts(m, n, k, threads());
        runParts(parts, p -> {
            int from = splitPoint(m, parts, p);
            int to = splitPoint(m, parts, p + 1);
            // rows of op(A): A's rows, or A's columns when transposed
            MemorySegment ap = a.asSlice(es * (transA ? from : (long) from * lda));
            blas(t, transA, transB, to - from, n, k, alpha, ap, lda, b, ldb, beta, c.asSlice(es * from * (long) ldc),
                    ldc);
        });
    }

    /**
     * OpenBLAS's {@code cblas_?syrk}, one call (on OpenBLAS's threads, which are 1 unless
     * {@value #SPLIT_PROPERTY}{@code =false}, and 1 inside {@link #runParts}); the vector backend's where cblas
     * would refuse the call ({@code k == 0}, a leading dimension below its minimum) or the library lacks the
     * symbols.
     */
    @Override
    public void syrk(DType t, boolean trans, int n, int k, double alpha, MemorySegment a, int lda,
                     double beta, MemorySegment c, int ldc) {
        if (n == 0) {
            return;
        }
        boolean cblasRefuses = k == 0 || lda < Math.max(1, trans ? n : k) || ldc < n;
        if (cblasRefuses || !OpenBlas.hasSyrk()) {
            super.syrk(t, trans, n, k, alpha, a, lda, beta, c, ldc);
        } else if (t == DType.F32) {
            OpenBlas.ssyrk(trans, n, k, (float) alpha, a, lda, (float) beta, c, ldc);
        } else {
            OpenBlas.dsyrk(trans, n, k, alpha, a, lda, beta, c, ldc);
        }
    }

    /** LAPACK's {@code ?syevd} ({@link Lapack}); the inherited Java solver when the library lacks the symbol. */
    @Override
    public void symmetricEigen(DType t, int n, MemorySegment a, MemorySegment w, boolean vectors) {
        if (n == 0) {
            return;
        }
        if (Lapack.has(t)) {
            Lapack.syevd(t, n, a, w, vectors);
        } else {
            super.symmetricEigen(t, n, a, w, vectors);
        }
    }
}
