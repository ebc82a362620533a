package org.flatminima.kernels.ffm;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
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
     * {@code vector} (the vector backend's GEMM). See {@link GemmRoutes#chooseGemm}.
     */
    public static final String GEMM_PROPERTY = "flatminima.gemm";

    /**
     * System property choosing where products with few columns of C ({@link VectorBackend#fewColumnsGemm}) run:
     * {@code auto} (default: our C kernels for them on a CPU with AVX-512, else the vector backend's where vectors
     * are 512 bits wide, else OpenBLAS), {@code c}, {@code vector} or {@code blas}. See
     * {@link GemmRoutes#chooseFewColumns}.
     */
    public static final String FEW_COLUMNS_PROPERTY = "flatminima.gemm.fewcolumns";

    /**
     * System property choosing where small products ({@link GemmRoutes#smallShape}: {@code M N K <=}
     * {@link GemmRoutes#SMALL_KERNEL_MNK}, or a side of at most {@link GemmRoutes#SMALL_SIDE}) run: {@code auto}
     * (default: our C kernels where they run and the BLAS has no small-matrix kernels of its own), {@code c} or
     * {@code blas}. See {@link GemmRoutes#chooseSmall}.
     */
    public static final String SMALL_PROPERTY = "flatminima.gemm.small";

    /**
     * System property choosing where the products that are not small ones run (but A^T B^T): {@code auto}
     * (default: our packed C GEMM where it runs and OpenBLAS's core has no AVX-512 kernels), {@code c} or
     * {@code blas}. See {@link GemmRoutes#choosePacked}.
     */
    public static final String PACKED_PROPERTY = "flatminima.gemm.packed";

    private static final System.Logger LOG = System.getLogger("flatminima.kernels");
    /** The missing-library warning is logged once per process, however many instances are created. */
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /** Guards {@link #serialSections} and OpenBLAS's thread count. */
    private static final Object SERIAL_LOCK = new Object();
    /** {@link #runParts} calls running now, in the whole process (OpenBLAS's thread count is process-wide). */
    private static int serialSections;

    private final boolean gemmOnVector;
    /** Where products with few columns of C run: "c", "vector" or "blas" ({@link GemmRoutes#chooseFewColumns}). */
    private final String fewColumns;
    private final String fewColumnsNote;
    /** Which small products run on the C kernels: "c", "short" or "blas" ({@link GemmRoutes#chooseSmall}). */
    private final String small;
    private final String smallNote;
    /** Whether large products (but TT) run on the packed C GEMM ({@link GemmRoutes#choosePacked}). */
    private final boolean packedOnC;
    /** Whether the packed C GEMM runs its 512-bit build ({@link GemmRoutes#choosePacked} answered {@code c512}). */
    final boolean packedWide;
    private final String packedNote;
    /**
     * Whether large OpenBLAS products are split across this backend's threads by {@link #runParts} (OpenBLAS then
     * stays on one thread) instead of running on OpenBLAS's own threads ({@value #SPLIT_PROPERTY}, default true).
     */
    private final boolean splitGemm = !"false".equalsIgnoreCase(System.getProperty(SPLIT_PROPERTY, "true").trim());

    /** System property: {@code false} lets OpenBLAS's own threads run the large products. */
    public static final String SPLIT_PROPERTY = "flatminima.gemm.split";
    private final String gemmNote;
    private final String note;

    /**
     * For {@link #create()} and {@link CKernelBackend}: OpenBLAS and the Vector API module must be present.
     *
     * @param note what falls back and why (see {@link #fallbackNote()}), or null when nothing does
     * @param cFewColumns whether this backend runs products with few columns of C on the C kernels when
     *                    {@link GemmRoutes#chooseFewColumns} gives them those ({@link CKernelBackend} on a CPU with
     *                    AVX-512)
     * @param cSmall whether this backend runs small products on the C kernels when {@link GemmRoutes#chooseSmall}
     *               gives them those, and large ones (but TT) when {@link GemmRoutes#choosePacked} does
     *               ({@link CKernelBackend} on a CPU with AVX2 and FMA)
     */
    NativeBackend(String note, boolean cFewColumns, boolean cSmall) {
        this.note = note;
        String[] gemm = GemmRoutes.chooseGemm(System.getProperty(GEMM_PROPERTY, "auto"), OpenBlas.config(),
                VectorBackend.preferredVectorBits());
        this.gemmOnVector = gemm[0].equals("vector");
        this.gemmNote = gemm[1] + (OpenBlas.doublesOnBundled() ? "; in double the bundled OpenBLAS (a CPU not Intel's)"
                : "");
        String[] few = GemmRoutes.chooseFewColumns(System.getProperty(FEW_COLUMNS_PROPERTY, "auto"),
                VectorBackend.preferredVectorBits(), cFewColumns);
        this.fewColumns = few[0];
        this.fewColumnsNote = few[1];
        String[] smallChoice = GemmRoutes.chooseSmall(System.getProperty(SMALL_PROPERTY, "auto"), cSmall,
                GemmRoutes.blasSmallKernels(), CpuInfo.here());
        this.small = smallChoice[0];
        this.smallNote = smallChoice[1];
        String[] packed = GemmRoutes.choosePacked(System.getProperty(PACKED_PROPERTY, "auto"), cSmall,
                OpenBlas.isMkl(), OpenBlas.corename(), CpuInfo.here());
        this.packedOnC = packed[0].startsWith("c");
        this.packedWide = packed[0].equals("c512");
        this.packedNote = packed[1];
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

    /** Which GEMM runs and why, e.g. "vector backend (512-bit vectors; OpenBLAS's core ...)". */
    public String gemmNote() {
        return gemmNote;
    }

    @Override
    public List<String> details() {
        List<String> d = new ArrayList<>(List.of("BLAS: " + OpenBlas.describe(), "GEMM of large products: " + gemmNote,
                "GEMM with few columns of C: " + fewColumnsNote,
                "GEMM of small products (M N K <= " + (long) GemmRoutes.SMALL_KERNEL_MNK + ", or a side <= "
                        + GemmRoutes.SMALL_SIDE + ", " + GemmRoutes.SMALL_SIDE_FLOAT + " in float): " + smallNote,
                "GEMM of other products (but A^T B^T): " + packedNote));
        String advice = GemmRoutes.coreTypeAdvice(System.getenv("OPENBLAS_CORETYPE"), OpenBlas.corename(),
                CpuInfo.here().vectorBits());
        if (advice != null && !OpenBlas.isMkl()) {
            d.add(advice);
        }
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
     * The C library in use as "flavour (resource)", e.g.
     * {@code "x86-64-v3 (native/linux-x86_64/x86-64-v3/libflatminima.so)"}, or null when this instance does not use
     * it.
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
     * OpenBLAS, or the vector GEMM where {@link GemmRoutes#chooseGemm} and {@link GemmRoutes#vectorGemmShape} say it
     * is faster or where {@link GemmRoutes#chooseFewColumns} gave it the products with few columns of C (the C
     * kernels, when it gave them those: {@link #fewColumnsOnC}; small products on the C kernels where
     * {@link GemmRoutes#chooseSmall} gave them those, as {@link GemmRoutes#smallOnC} says: {@link #smallOnC}; other
     * products but TT on the packed C GEMM where {@link GemmRoutes#choosePacked} did: {@link #packedOnC}), or
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
        boolean cblasRefuses = cblasRefuses(transA, transB, m, n, k, lda, ldb, ldc);
        boolean few = !fewColumns.equals("blas") && GemmRoutes.fewColumnsShape(m, n, k);
        if (few && fewColumns.equals("c") && !cblasRefuses) {
            fewColumnsOnC(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (!cblasRefuses && smallFirst(t, transA, transB, m, n, k)) {
            smallOnC(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (onPacked(t, transA, transB, m, n, k, cblasRefuses)) {
            packedOnC(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (cblasRefuses || gemmOnVector && GemmRoutes.vectorGemmShape(t, transA, m, n, k) || few) {
            super.gemm(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (splitGemm && threads() > 1 && !Parallel.inside() && GemmRoutes.splitParts(m, n, k, threads()) > 1
                && Parallel.shareable(a, b, c)) {
            splitBlas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (splitGemm && GemmRoutes.columnBlocks(m, n, k)) {
            columnBlocksBlas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else {
            blas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /**
     * One product as two OpenBLAS calls on blocks of C's columns split at {@link GemmRoutes#splitPoint} (a multiple
     * of {@link GemmRoutes#SPLIT_ALIGN}), run by {@link #runParts} where the operands can be shared with its threads,
     * one after the other otherwise; either way each block is the same call, so the bits do not depend on the threads.
     */
    private void columnBlocksBlas(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                  MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c,
                                  int ldc) {
        long es = t.byteSize();
        IntConsumer block = p -> {
            int from = GemmRoutes.splitPoint(n, 2, p);
            int to = GemmRoutes.splitPoint(n, 2, p + 1);
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
     * A product with few columns of C where {@link GemmRoutes#chooseFewColumns} gave them to the C kernels; only
     * {@link CKernelBackend} is built with those, and overrides this. Here: the vector backend's kernels.
     */
    void fewColumnsOnC(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                       int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        super.gemm(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * A small product where {@link GemmRoutes#chooseSmall} gave those to the C kernels; only {@link CKernelBackend}
     * is built with those, and overrides this. Here: OpenBLAS.
     */
    void smallOnC(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                  int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        blas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** Whether cblas would refuse the call: {@code k == 0}, or leading dimensions below the minimum. */
    private static boolean cblasRefuses(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb,
                                        int ldc) {
        return k == 0 || lda < Math.max(1, transA ? m : k) || ldb < Math.max(1, transB ? k : n) || ldc < n;
    }

    /**
     * Whether {@link #gemm} runs this product on the packed C GEMM: {@link GemmRoutes#choosePacked} gave it those,
     * cblas would take the call, and neither the few-columns nor the small-product C kernels take it first.
     */
    private boolean onPacked(DType t, boolean transA, boolean transB, int m, int n, int k, boolean cblasRefuses) {
        return packedOnC && !cblasRefuses && !(fewColumns.equals("c") && GemmRoutes.fewColumnsShape(m, n, k))
                && !smallFirst(t, transA, transB, m, n, k)
                && GemmRoutes.packedShape(t, transA, transB, m, n, k, small.equals("c"), packedWide);
    }

    /**
     * Whether the small-product C kernels take this product ({@link GemmRoutes#smallOnC}) before the packed GEMM
     * is asked: not where the 512-bit build takes it first ({@link GemmRoutes#packedBeforeSmallC}).
     */
    private boolean smallFirst(DType t, boolean transA, boolean transB, int m, int n, int k) {
        return GemmRoutes.smallOnC(small, t, transA, transB, m, n, k)
                && !(packedOnC && GemmRoutes.packedBeforeSmallC(t, transA, m, n, k, packedWide));
    }

    /**
     * {@link Backend#gemmOntoRow}: where {@link #gemm} would run the product on the packed C GEMM, that GEMM reads
     * the row in its first store ({@link #packedOnCRow}); elsewhere the row is broadcast into C first.
     */
    @Override
    public void gemmOntoRow(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                            MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row, MemorySegment c,
                            int ldc) {
        if (packedOntoRow(t, transA, transB, m, n, k, lda, ldb, ldc)) {
            packedOnCRow(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, false, c, ldc);
        } else {
            super.gemmOntoRow(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, c, ldc);
        }
    }

    /**
     * {@link Backend#gemmOntoRowRelu}: where {@link #gemmOntoRow} runs on the packed C GEMM, that GEMM also writes
     * the ReLU in its last store; elsewhere {@link #gemmOntoRow} and then the ReLU over C.
     */
    @Override
    public void gemmOntoRowRelu(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row,
                                MemorySegment c, int ldc) {
        if (packedOntoRow(t, transA, transB, m, n, k, lda, ldb, ldc)) {
            packedOnCRow(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, true, c, ldc);
        } else {
            super.gemmOntoRowRelu(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, c, ldc);
        }
    }

    /** Whether a product onto a row runs on the packed C GEMM: C has an entry and {@link #gemm} would put it there. */
    private boolean packedOntoRow(DType t, boolean transA, boolean transB, int m, int n, int k, int lda, int ldb,
                                  int ldc) {
        return m > 0 && n > 0 && onPacked(t, transA, transB, m, n, k, cblasRefuses(transA, transB, m, n, k, lda, ldb,
                ldc));
    }

    /**
     * {@link #packedOnC} onto a row added to every row of C (C not read), with {@code relu} then C's ReLU; only
     * {@link CKernelBackend} is built with the packed GEMM, and overrides this. Here: the oracle's way, the row
     * broadcast into C, the product at beta 1 (and the ReLU over C).
     */
    void packedOnCRow(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                      int lda, MemorySegment b, int ldb, MemorySegment row, boolean relu, MemorySegment c, int ldc) {
        if (relu) {
            super.gemmOntoRowRelu(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, c, ldc);
        } else {
            super.gemmOntoRow(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, c, ldc);
        }
    }

    /**
     * A product but TT where {@link GemmRoutes#choosePacked} gave those to the packed C GEMM; only
     * {@link CKernelBackend} is built with it, and overrides this. Here: OpenBLAS.
     */
    void packedOnC(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                   int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        blas(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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
     * run by {@link #runParts}. The blocks start at multiples of {@link GemmRoutes#SPLIT_ALIGN} rows, so every entry
     * of C is computed as in one single-threaded call, to the bit (splitting C's columns instead does not keep that, so
     * products with few rows run as two blocks of columns at every thread count: {@link GemmRoutes#columnBlocks}).
     */
    private void splitBlas(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                           MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c,
                           int ldc) {
        long es = t.byteSize();
        int parts = GemmRoutes.splitParts(m, n, k, threads());
        runParts(parts, p -> {
            int from = GemmRoutes.splitPoint(m, parts, p);
            int to = GemmRoutes.splitPoint(m, parts, p + 1);
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
