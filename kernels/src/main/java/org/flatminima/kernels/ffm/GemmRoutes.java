package org.flatminima.kernels.ffm;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.vector.VectorBackend;

/**
 * Where a product of the {@link NativeBackend} runs: the choices made once per backend from its system properties,
 * its BLAS and its CPU ({@link #chooseGemm}, {@link #chooseFewColumns}, {@link #chooseSmall}, {@link #choosePacked}),
 * and the rules on a product's shape applied to every call ({@link #smallShape}, {@link #packedShape},
 * {@link #vectorGemmShape}, {@link #fewColumnsShape}, and the split of large products across threads:
 * {@link #splitParts}, {@link #splitPoint}, {@link #columnBlocks}).
 * The measurements behind each rule are cited where it is defined (docs/kernels.md, "GEMM choice", and
 * docs/PERFORMANCE.md).
 */
final class GemmRoutes {

    private GemmRoutes() {
    }

    /** OpenBLAS core names (in {@code openblas_get_config()}) whose GEMM kernels use AVX-512. */
    static final List<String> AVX512_CORES = List.of("skylakex", "cooperlake", "sapphirerapids");

    /** Whether an OpenBLAS core name or config string names one of the {@link #AVX512_CORES}, in any case. */
    static boolean namesAvx512Core(String coreOrConfig) {
        String s = coreOrConfig.toLowerCase(Locale.ROOT);
        return AVX512_CORES.stream().anyMatch(s::contains);
    }

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
                return new String[] {"blas", "OpenBLAS (forced by -D" + NativeBackend.GEMM_PROPERTY + "=blas)"};
            case "vector":
                if (vectorBits == 0) {
                    return new String[] {"blas", "OpenBLAS (-D" + NativeBackend.GEMM_PROPERTY
                            + "=vector asked for, but the vector backend is unavailable)"};
                }
                return new String[] {"vector", "vector backend (forced by -D" + NativeBackend.GEMM_PROPERTY
                        + "=vector)"};
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("unknown -D" + NativeBackend.GEMM_PROPERTY + "=" + property
                        + ": use auto, blas or vector");
        }
        String cfg = blasConfig == null ? "" : blasConfig.toLowerCase(Locale.ROOT);
        boolean blasAvx512 = namesAvx512Core(cfg) || cfg.contains("math kernel library");
        if (vectorBits >= 512 && !blasAvx512) {
            return new String[] {"vector", "vector backend (512-bit vectors; OpenBLAS's core has no AVX-512 kernels: "
                    + (blasConfig == null ? "config unknown" : blasConfig.trim()) + ")"};
        }
        return new String[] {"blas", (cfg.contains("math kernel library") ? "Intel oneMKL" : "OpenBLAS")
                + (blasConfig == null ? "" : " (" + blasConfig.trim() + ")")};
    }

    /**
     * A line for {@code flatminima backends} when {@code OPENBLAS_CORETYPE} in the environment ({@code env}) holds
     * OpenBLAS to a core without AVX-512 kernels ({@code core}, {@code openblas_get_corename()}) on a CPU whose JVM
     * runs 512-bit vectors ({@code vectorBits}), else null. The large products then run on the vector GEMM
     * ({@link #chooseGemm}; on a Zen 5 on the packed GEMM's 512-bit build, {@link #choosePacked}), but the small ones
     * on kernels for AVX2: on an AMD EPYC with Zen 5 cores, whose
     * environment set {@code OPENBLAS_CORETYPE=Haswell}, W3's steps took 1.4-1.5 times their time on OpenBLAS's
     * AVX-512 kernels, a batch of 32's MLP steps 1.3 times, and W2's float steps 1.1 times at one thread
     * (docs/PERFORMANCE.md, "AMD Zen 5: OpenBLAS's own choice of kernels").
     */
    static String coreTypeAdvice(String env, String core, int vectorBits) {
        if (env == null || env.isBlank() || core == null || vectorBits < 512) {
            return null;
        }
        if (namesAvx512Core(core)) {
            return null;
        }
        return "OPENBLAS_CORETYPE=" + env.trim() + " in the environment holds OpenBLAS to its " + core.trim()
                + " kernels, without AVX-512, which this CPU has: unset it to let OpenBLAS pick its AVX-512 kernels"
                + " (docs/PERFORMANCE.md, \"AMD Zen 5: OpenBLAS's own choice of kernels\")";
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
        String forced = " (forced by -D" + NativeBackend.FEW_COLUMNS_PROPERTY + "=" + p + ")";
        return switch (p) {
            case "blas" -> new String[] {"blas", "OpenBLAS" + forced};
            case "vector" -> vectorBits == 0
                    ? new String[] {"blas", "OpenBLAS (-D" + NativeBackend.FEW_COLUMNS_PROPERTY
                            + "=vector asked for, but the vector backend is unavailable)"}
                    : new String[] {"vector", "vector backend" + forced};
            case "c" -> cKernels
                    ? new String[] {"c", "C kernels, AVX-512" + forced}
                    : new String[] {"blas", "OpenBLAS (-D" + NativeBackend.FEW_COLUMNS_PROPERTY
                            + "=c asked for, but the C kernels are not loaded or this CPU has no AVX-512)"};
            case "auto" -> cKernels
                    ? new String[] {"c", "C kernels (AVX-512)"}
                    : vectorBits >= 512
                    ? new String[] {"vector", "vector backend (512-bit vectors)"}
                    : new String[] {"blas", "OpenBLAS (" + vectorBits + "-bit vectors)"};
            default -> throw new IllegalArgumentException("unknown -D" + NativeBackend.FEW_COLUMNS_PROPERTY + "="
                    + property + ": use auto, c, vector or blas");
        };
    }

    /**
     * Where small products run, as {@code {"c", "short" or "blas", why}}: {@code auto} picks our C kernels
     * ({@code fm_small_gemm}) where they run ({@code cKernels}: the C library is loaded and the CPU has AVX2 and
     * FMA) unless the BLAS has small-matrix kernels ({@code blasSmallKernels}, {@link #blasSmallKernels()}:
     * OpenBLAS's AVX-512 cores, or oneMKL alone on an AVX-512 CPU), which are faster there with their wider
     * vectors. OpenBLAS's other cores pack both operands into
     * panels before every product, as much work as the arithmetic at these sizes; ours read them in place, at
     * 0.4-0.9 of OpenBLAS's time on Winograd's products and others (docs/PERFORMANCE.md, "Small products on
     * AVX2"). {@code short} where the BLAS has them but the CPU runs 512-bit vectors as two halves
     * ({@link CpuInfo#halvesWideVectors()}, AMD's Zen 4): the products of at most {@link #SMALL_KERNEL_MNK}
     * multiply-adds stay on those kernels (faster there on W3's convolutions) and the larger ones with a short side
     * go to ours (faster on a batch of 32's MLP steps; the measurements: docs/PERFORMANCE.md, "AMD Zen 4: the packed
     * GEMM before OpenBLAS's AVX-512 kernels"); {@link #smallOnC} applies the choice.
     *
     * @throws IllegalArgumentException for a value other than auto, c or blas
     */
    static String[] chooseSmall(String property, boolean cKernels, boolean blasSmallKernels, CpuInfo cpu) {
        return cOrBlas(NativeBackend.SMALL_PROPERTY, property, cKernels, "C kernels", () -> !blasSmallKernels
                ? new String[] {"c", "C kernels (AVX2; the BLAS has no small-matrix kernels for this core)"}
                : cpu.halvesWideVectors()
                ? new String[] {"short", "BLAS (its own small-matrix kernels) up to " + (long) SMALL_KERNEL_MNK
                        + ", C kernels (AVX2) for larger ones with a short side (this CPU runs 512-bit vectors as two"
                        + " halves)"}
                : new String[] {"blas", "BLAS (its own small-matrix kernels)"});
    }

    /**
     * Whether a product goes to the small-product C kernels under {@code choice}, the first element of
     * {@link #chooseSmall}'s answer: {@link #smallShape}s for {@code c}, those of more than
     * {@link #SMALL_KERNEL_MNK} multiply-adds among them (a short side) for {@code short}, none for {@code blas}.
     */
    static boolean smallOnC(String choice, DType t, boolean transA, boolean transB, int m, int n, int k) {
        return switch (choice) {
            case "c" -> smallShape(t, transA, transB, m, n, k);
            case "short" -> (double) m * n * k > SMALL_KERNEL_MNK && smallShape(t, transA, transB, m, n, k)
                    && !shortDepthTn(t, transA, transB, m, n, k);
            default -> false;
        };
    }

    /**
     * Where the products that are not small ones run (but A^T B^T), as {@code {"c", "c512" or "blas", why}}: first,
     * on a CPU whose 512-bit units are full width ({@link CpuInfo#fullWidthWideVectorsMeasured()}: AMD's Zen 5) and
     * with the BLAS OpenBLAS, our packed GEMM's 512-bit build ({@code c512}: {@code fm_packed_gemm512_f32} and
     * {@code _f64}), whatever OpenBLAS's core: there it ran W2's products at 0.93-0.99 of OpenBLAS's AVX-512
     * kernels' time in float and 0.79-0.84 in double, and folds a linear layer's bias and ReLU into its stores
     * (docs/PERFORMANCE.md, "AMD Zen 5: OpenBLAS's own choice of kernels"). Else {@code auto}
     * picks our packed GEMM ({@code fm_packed_gemm_f32} and {@code _f64}) where it runs ({@code cKernels}: the C
     * library is loaded and the CPU has AVX2 and FMA) and the BLAS is OpenBLAS ({@code mkl} false), either on a core
     * without AVX-512 kernels ({@code core}, {@code openblas_get_corename()}) on a CPU whose vectors are narrower than
     * 512 bits (with 512-bit vectors the vector GEMM would be the wider one), or on a CPU that runs 512-bit vectors as
     * two halves ({@link CpuInfo#halvesWideVectors()}: AMD's Zen 4), whatever the core. On an AMD EPYC (Zen 3) it
     * took 0.91-0.95 of the bundled OpenBLAS's time on TN products (a dense layer's weight gradient), 0.94 on NN and
     * 0.94-0.96 on NT ones at W2's shapes (docs/PERFORMANCE.md, "Our own packed GEMM for AVX2"); in double 0.91-1.00
     * on M4's, W2's and W1's products ("The packed GEMM in double"); on a Zen 4 it is faster than OpenBLAS's AVX-512
     * kernels on most of those shapes ("AMD Zen 4: the packed GEMM before OpenBLAS's AVX-512 kernels").
     *
     * @throws IllegalArgumentException for a value other than auto, c or blas
     */
    static String[] choosePacked(String property, boolean cKernels, boolean mkl, String core, CpuInfo cpu) {
        return cOrBlas(NativeBackend.PACKED_PROPERTY, property, cKernels, "C packed GEMM", () -> mkl
                ? new String[] {"blas", "BLAS (Intel oneMKL)"}
                : cpu.fullWidthWideVectorsMeasured()
                ? new String[] {"c512", "C packed GEMM (AVX-512; this CPU's 512-bit units are full width), and float"
                        + " products of up to 32 rows of C (a batch's dense layers)"}
                : cpu.halvesWideVectors()
                ? new String[] {"c", "C packed GEMM (AVX2; this CPU runs 512-bit vectors as two halves)"}
                : OpenBlas.smallMatrixCore(core) ? new String[] {"blas", "BLAS (its AVX-512 kernels)"}
                : cpu.vectorBits() >= 512 ? new String[] {"blas", "BLAS or the vector GEMM (512-bit vectors)"}
                : new String[] {"c", "C packed GEMM (AVX2; OpenBLAS's core has no AVX-512 kernels)"});
    }

    /**
     * A choice of {@code auto}, {@code c} or {@code blas} (system property {@code name}, value {@code property}, null
     * for auto) between C kernels that need AVX2 and FMA ({@code cKernels}: loaded, and the CPU has them; named
     * {@code cName}) and the BLAS: forced either way, or the BLAS without the kernels, else {@code auto}'s choice.
     *
     * @throws IllegalArgumentException for another value
     */
    private static String[] cOrBlas(String name, String property, boolean cKernels, String cName,
                                    Supplier<String[]> auto) {
        String p = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        return switch (p) {
            case "blas" -> new String[] {"blas", "BLAS (forced by -D" + name + "=blas)"};
            case "c" -> cKernels
                    ? new String[] {"c", cName + ", AVX2 (forced by -D" + name + "=c)"}
                    : new String[] {"blas", "BLAS (-D" + name
                            + "=c asked for, but the C kernels are not loaded or this CPU has no AVX2 and FMA)"};
            case "auto" -> cKernels ? auto.get() : new String[] {"blas", "BLAS (no C kernels for AVX2 here)"};
            default -> throw new IllegalArgumentException("unknown -D" + name + "=" + property
                    + ": use auto, c or blas");
        };
    }

    /**
     * Whether a product goes to the packed GEMM when {@link #choosePacked} gave it those: not A^T B^T, and where the
     * small products do not all run on the C kernels ({@code smallOnC} false: {@link #chooseSmall} said {@code blas}
     * or {@code short}) none of at most {@link #SMALL_KERNEL_MNK} multiply-adds and none of {@link #smallShape}'s but
     * the {@link #shortDepthTn} ones (the BLAS's small-matrix kernels take those, or the C kernels under
     * {@code short}; where all of them run on the C kernels, the backend has sent them there before asking).
     */
    static boolean packedShape(DType t, boolean transA, boolean transB, int m, int n, int k, boolean smallOnC) {
        return packedShape(t, transA, transB, m, n, k, smallOnC, false);
    }

    /**
     * {@link #packedShape(DType, boolean, boolean, int, int, int, boolean)} for the packed GEMM's 512-bit build
     * ({@code wide}), which takes the {@link #shortRowsWide} products too.
     */
    static boolean packedShape(DType t, boolean transA, boolean transB, int m, int n, int k, boolean smallOnC,
                               boolean wide) {
        return !(transA && transB) && (smallOnC || (double) m * n * k > SMALL_KERNEL_MNK
                && (!smallShape(t, transA, transB, m, n, k) || shortDepthTn(t, transA, transB, m, n, k)
                || wide && shortRowsWide(t, transA, m, n, k)));
    }

    /**
     * A float product of more than {@link #SMALL_KERNEL_MNK} multiply-adds whose only short side is C's rows (from
     * {@link #SHORT_ROWS_WIDE_MIN} to {@link #SMALL_SIDE_FLOAT}: a batch of up to 32 points through a dense layer,
     * {@code x W^T} or {@code g W}), A not transposed: on the packed GEMM's 512-bit build rather than the BLAS's
     * small-matrix kernels. On a Zen 5 the 512-bit build ran W2's {@code 32 x 512 x 784} {@code A B^T} in 0.72 of
     * OpenBLAS's time (operands hot), and whole steps at a batch of 32 in 0.59-0.88 of theirs (docs/PERFORMANCE.md,
     * "A batch of 32's dense layers on the 512-bit packed GEMM"); with one or two rows OpenBLAS's own path is 3-4
     * times faster.
     */
    static boolean shortRowsWide(DType t, boolean transA, int m, int n, int k) {
        return t == DType.F32 && !transA && m >= SHORT_ROWS_WIDE_MIN && m <= SMALL_SIDE_FLOAT
                && Math.min(n, k) > SMALL_SIDE_FLOAT && (double) m * n * k > SMALL_KERNEL_MNK;
    }

    /** Fewest rows of C for {@link #shortRowsWide}: measured from 4 on, A B^T and A B. */
    static final int SHORT_ROWS_WIDE_MIN = 4;

    /**
     * Whether a {@link #shortRowsWide} product on the 512-bit build's route ({@code wide}) goes to the packed GEMM
     * before the small-product C kernels would take it (where those take the small products: OpenBLAS's core without
     * small-matrix kernels, as {@code Haswell}): from {@link #SHORT_ROWS_OVER_SMALL_C_MIN} rows on, where on a Zen 5
     * the packed GEMM took 0.61-0.75 of those kernels' time at {@code 12-32 x 512 x 784} and {@code 32 x 512 x 512};
     * at 4 and 8 rows the small kernels were as fast or faster (docs/PERFORMANCE.md, "A batch of 32's dense layers on
     * the 512-bit packed GEMM").
     */
    static boolean packedBeforeSmallC(DType t, boolean transA, int m, int n, int k, boolean wide) {
        return wide && m >= SHORT_ROWS_OVER_SMALL_C_MIN && shortRowsWide(t, transA, m, n, k);
    }

    /** Fewest rows of C for {@link #packedBeforeSmallC}. */
    static final int SHORT_ROWS_OVER_SMALL_C_MIN = 12;

    /**
     * A float {@code A^T B} of more than {@link #SMALL_KERNEL_MNK} multiply-adds whose short side is the depth (at
     * most {@link #SMALL_SIDE_FLOAT}: a batch of up to 32 points' weight gradient, {@code g^T x}) and with at least
     * {@link #SHORT_DEPTH_TN_MIN_ROWS} rows of C. Where the small products with a short side run on the C kernels
     * only because the BLAS's are slower ({@link #smallOnC}'s {@code short}: AMD's Zen 4), these go to the packed
     * GEMM ({@link #packedShape}) instead: the small kernels read A^T in place, a column of g per row of C, and on a
     * Zen 4 took 1.05-1.29 times the packed GEMM's time at W2's and M4's shapes hot and 1.21-1.97 times with the
     * operands out of cache (docs/PERFORMANCE.md, "A batch of 32's weight gradients on the packed GEMM").
     */
    static boolean shortDepthTn(DType t, boolean transA, boolean transB, int m, int n, int k) {
        return t == DType.F32 && transA && !transB && k <= SMALL_SIDE_FLOAT && m >= SHORT_DEPTH_TN_MIN_ROWS
                && (double) m * n * k > SMALL_KERNEL_MNK;
    }

    /**
     * Fewest rows of C for {@link #shortDepthTn}: at 128 x 3136 x 32 (W3's dense layer at a batch of 32) the small
     * kernels were as fast hot (259 against 275 us) and cold (435 against 425).
     */
    static final int SHORT_DEPTH_TN_MIN_ROWS = 256;

    /**
     * Whether the BLAS runs the products {@link #smallShape} takes on kernels of its own that beat ours there, for
     * {@link #chooseSmall} and {@link #fewColumnsShape}: OpenBLAS's small-matrix kernels, where the OpenBLAS that
     * runs the small products ({@code smallCore}: the loaded one, or with oneMKL the bundled one) has them (its
     * AVX-512 cores), or oneMKL running every product ({@code mklAlone}) on a CPU with 512-bit vectors. Not oneMKL
     * beside an OpenBLAS core without them: on an AMD EPYC (Zen 3, AVX2) oneMKL 2025.3 took 3-7 times our kernels'
     * time on the products with ten columns of C (W1's 1000 x 10 x 784 forward, 1105 against 309 us in float) and
     * 1.2-1.4 times on a Winograd chunk's 64 x 98 x 32 (docs/PERFORMANCE.md, "oneMKL on a CPU without AVX-512: the
     * small products on our kernels"). A pure function.
     */
    static boolean blasSmallKernels(String smallCore, boolean mklAlone, int vectorBits) {
        return mklAlone ? vectorBits >= 512 : OpenBlas.smallMatrixCore(smallCore);
    }

    /** {@link #blasSmallKernels(String, boolean, int)} for the loaded BLAS and this CPU. */
    static boolean blasSmallKernels() {
        return blasSmallKernels(OpenBlas.smallProductsCore(), OpenBlas.mklAlone(),
                VectorBackend.preferredVectorBits());
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
                && ((double) m * n * k > SMALL_KERNEL_MNK || !blasSmallKernels());
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
}
