package org.flatminima.kernels.ffm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flatminima.kernels.DType;

/**
 * OpenBLAS (or Intel oneMKL) through FFM: {@code cblas_sgemm} / {@code cblas_dgemm} (32-bit integer interface, every
 * int argument is {@code JAVA_INT}) and, when exported, {@code cblas_ssyrk} / {@code cblas_dsyrk} and the library's
 * thread, config and core-name functions (OpenBLAS's {@code openblas_*}, or oneMKL's {@code MKL_Set_Num_Threads},
 * {@code MKL_Get_Max_Threads} and {@code MKL_Get_Version_String}, recognised by the last).
 *
 * <p>Loaded once per process from the source {@link BlasSource#configured()} names: by default the bundled
 * library ({@link BundledOpenBlas}, extracted from the class path and opened by path); with {@code system}, the
 * dynamic linker's {@code libopenblas.so.0}, then {@code libblas.so.3} (which also exports {@code cblas_*} when it
 * is OpenBLAS); with {@code mkl}, oneMKL's {@code libmkl_rt} ({@link BundledMkl}) and the bundled OpenBLAS for the
 * small products ({@link #SMALL}), and on a CPU not Intel's for the products in double; or a given file. When the
 * bundled library is missing for this platform (or cannot be extracted) the system one is tried, with one log line.
 * When nothing loads, {@link #unavailableReason()} says why and how to fix it.
 */
public final class OpenBlas {

    /** The libraries tried, in order, for the system OpenBLAS. */
    public static final List<String> LIBRARIES = List.of("libopenblas.so.0", "libblas.so.3");

    static final int ROW_MAJOR = 101;
    static final int NO_TRANS = 111;
    static final int TRANS = 112;
    static final int UPPER = 121;

    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final System.Logger LOG = System.getLogger("flatminima.kernels");

    /**
     * A loaded library and its handles.
     *
     * @param kind where it came from (after any fallback)
     * @param library its name as opened: a file path, or a name the dynamic linker resolved
     * @param file the file that was mapped, or null if unknown
     */
    private record Bound(BlasSource.Kind kind, String library, Path file, MethodHandle sgemm, MethodHandle dgemm,
                         MethodHandle ssyrk, MethodHandle dsyrk, MethodHandle setThreads, MethodHandle getThreads,
                         String config, boolean mkl, MethodHandle getCorename, SymbolLookup lookup) {
    }

    /** Thrown while loading: the message is the one-line reason with its fix. */
    private static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    private static final Bound BOUND;
    private static final String UNAVAILABLE;

    /**
     * Products of at most this many multiply-adds ({@code M N K}) run on {@link #SMALL} when there is one: the
     * limit of OpenBLAS's small-matrix kernels on AVX-512 cores ({@link GemmRoutes#SMALL_KERNEL_MNK}).
     */
    static final double SMALL_MNK = GemmRoutes.SMALL_KERNEL_MNK;

    /**
     * With oneMKL ({@code mkl}), the bundled OpenBLAS as well, for the products of at most {@link #SMALL_MNK}
     * multiply-adds: there its small-matrix kernels are as fast as oneMKL or faster, and a call costs a few
     * microseconds less (a Winograd chunk's 64 x 98 x 32 products: 2.3 against 2.6-2.9 us; 784 x 10 x 32: 4.4
     * against 9.5; from 128^3 on oneMKL is 10-40% faster: docs/PERFORMANCE.md, "Intel oneMKL as the BLAS"). The
     * choice depends on the product's shape alone, and a split part is always larger than the limit
     * ({@link GemmRoutes#splitParts}), so a product's bits do not depend on the thread count. Null otherwise, or
     * when the bundled OpenBLAS does not load (then oneMKL runs everything).
     */
    private static final Bound SMALL;

    /**
     * With oneMKL, whether {@link #SMALL} runs the products in double too: on a CPU that is not Intel's, where
     * oneMKL takes its AVX2 code path. On an AMD EPYC (Zen 3) its dgemm took 1.08-1.18 of the bundled OpenBLAS's
     * time at the networks' shapes, and its sgemm 0.83-0.98 (docs/PERFORMANCE.md, "oneMKL on a CPU without
     * AVX-512"), so floats go to oneMKL and doubles stay on OpenBLAS. The choice depends on the dtype alone, so a
     * product's bits still do not depend on its shape or the thread count.
     */
    private static final boolean DOUBLES_ON_SMALL;

    static {
        Bound bound = null;
        Bound small = null;
        String unavailable = null;
        try {
            bound = load(BlasSource.configured());
        } catch (IllegalArgumentException | Unavailable e) {
            unavailable = e.getMessage();
        }
        if (bound != null && bound.kind() == BlasSource.Kind.MKL) {
            try {
                small = loadBundledOnly();
            } catch (Unavailable e) {
                LOG.log(System.Logger.Level.WARNING, "flatminima: " + e.getMessage()
                        + ": oneMKL runs the small products too");
            }
        }
        BOUND = bound;
        SMALL = small;
        DOUBLES_ON_SMALL = small != null && !intelCpu(CpuInfo.here().vendor());
        UNAVAILABLE = unavailable;
    }

    private static Bound load(BlasSource source) throws Unavailable {
        return switch (source.kind()) {
            case BUNDLED -> loadBundled();
            case SYSTEM -> loadSystem("");
            case MKL -> loadMkl(source);
            case PATH -> loadPath(source);
        };
    }

    /** oneMKL from its jar ({@link BundledMkl}); no fallback: whoever asks for it wants it or the reason. */
    private static Bound loadMkl(BlasSource source) throws Unavailable {
        Path file;
        try {
            file = BundledMkl.extract(source.setting());
        } catch (BundledMkl.MissingException e) {
            throw new Unavailable(e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new Unavailable(source.setting() + ": cannot extract Intel oneMKL (" + e + ")");
        }
        try {
            return bind(BlasSource.Kind.MKL, file.toString(), SymbolLookup.libraryLookup(file, Arena.global()));
        } catch (IllegalArgumentException e) {
            throw new Unavailable(source.setting() + ": cannot load " + file + " (" + e.getMessage() + ")");
        } catch (Downcalls.MissingSymbolException e) {
            throw new Unavailable(source.setting() + ": " + e.getMessage());
        }
    }

    private static Bound loadBundled() throws Unavailable {
        try {
            return loadBundledOnly();
        } catch (Unavailable e) {
            LOG.log(System.Logger.Level.WARNING, "flatminima: " + e.getMessage() + ": trying the system OpenBLAS");
            return loadSystem(e.getMessage() + "; ");
        }
    }

    /** The bundled OpenBLAS, or the reason it cannot be loaded. */
    private static Bound loadBundledOnly() throws Unavailable {
        String missing = BundledOpenBlas.missing(OpenBlas.class.getClassLoader(), BundledOpenBlas.platform());
        if (missing != null) {
            throw new Unavailable(missing);
        }
        Path file;
        try {
            file = BundledOpenBlas.extract();
        } catch (IOException | RuntimeException e) {
            throw new Unavailable("cannot extract the bundled OpenBLAS (" + e + ")");
        }
        try {
            return bind(BlasSource.Kind.BUNDLED, file.toString(), SymbolLookup.libraryLookup(file, Arena.global()));
        } catch (IllegalArgumentException e) {
            throw new Unavailable("cannot load the bundled OpenBLAS " + file + " (" + e.getMessage() + ")");
        } catch (Downcalls.MissingSymbolException e) {
            throw new Unavailable("the bundled OpenBLAS is broken: " + e.getMessage());
        }
    }

    private static Bound loadSystem(String before) throws Unavailable {
        List<String> problems = new ArrayList<>();
        for (String name : LIBRARIES) {
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException e) {
                problems.add(name + ": not found");
                continue;
            }
            try {
                return bind(BlasSource.Kind.SYSTEM, name, lookup);
            } catch (Downcalls.MissingSymbolException e) {
                problems.add(e.getMessage());
            }
        }
        String reason = before + "system OpenBLAS not found (tried " + String.join(", ", LIBRARIES)
                + "): install it (apt-get install libopenblas0-pthread)"
                + (before.isEmpty() ? " or use the bundled one (-D" + BlasSource.PROPERTY + "=bundled)" : "");
        if (problems.stream().anyMatch(p -> p.startsWith("symbol"))) {
            reason += " [" + String.join("; ", problems) + "]";
        }
        throw new Unavailable(reason);
    }

    private static Bound loadPath(BlasSource source) throws Unavailable {
        Path file = source.path();
        String fix = ": give the path of a BLAS library (OpenBLAS, or oneMKL's libmkl_rt), or use bundled, system or mkl";
        if (!Files.isRegularFile(file)) {
            throw new Unavailable(source.setting() + ": no such file" + fix);
        }
        try {
            return bind(BlasSource.Kind.PATH, file.toString(), SymbolLookup.libraryLookup(file, Arena.global()));
        } catch (IllegalArgumentException e) {
            throw new Unavailable(source.setting() + ": cannot load it (" + e.getMessage() + ")" + fix);
        } catch (Downcalls.MissingSymbolException e) {
            throw new Unavailable(source.setting() + ": " + e.getMessage() + fix);
        }
    }

    /**
     * Links the handles; throws {@link Downcalls.MissingSymbolException} when a GEMM symbol is missing. The
     * {@code syrk} handles are optional (null when missing: {@link #hasSyrk()}).
     */
    private static Bound bind(BlasSource.Kind kind, String name, SymbolLookup lookup) {
        FunctionDescriptor gemm32 = FunctionDescriptor.ofVoid(I, I, I, I, I, I,
                ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, I, ValueLayout.ADDRESS, I,
                ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, I);
        FunctionDescriptor gemm64 = FunctionDescriptor.ofVoid(I, I, I, I, I, I,
                ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, I, ValueLayout.ADDRESS, I,
                ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, I);
        MethodHandle sgemm = Downcalls.critical(lookup, name, "cblas_sgemm", gemm32);
        MethodHandle dgemm = Downcalls.critical(lookup, name, "cblas_dgemm", gemm64);
        FunctionDescriptor syrk32 = FunctionDescriptor.ofVoid(I, I, I, I, I,
                ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, I, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, I);
        FunctionDescriptor syrk64 = FunctionDescriptor.ofVoid(I, I, I, I, I,
                ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, I, ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, I);
        Path file = lookup.find("cblas_sgemm").map(s -> mappedFile(s.address())).orElse(null);
        MethodHandle cbwr = Downcalls.optional(lookup, "MKL_CBWR_Set", FunctionDescriptor.of(I, I));
        if (cbwr != null) {
            strictReproducibility(cbwr);
        }
        MethodHandle mklVersion = Downcalls.optional(lookup, "MKL_Get_Version_String",
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, I));
        boolean mkl = mklVersion != null;
        String config = mkl ? mklVersion(mklVersion)
                : string(Downcalls.optional(lookup, "openblas_get_config", FunctionDescriptor.of(ValueLayout.ADDRESS)),
                        "openblas_get_config");
        return new Bound(kind, name, file, sgemm, dgemm,
                Downcalls.criticalOptional(lookup, "cblas_ssyrk", syrk32),
                Downcalls.criticalOptional(lookup, "cblas_dsyrk", syrk64),
                Downcalls.optional(lookup, mkl ? "MKL_Set_Num_Threads" : "openblas_set_num_threads",
                        FunctionDescriptor.ofVoid(I)),
                Downcalls.optional(lookup, mkl ? "MKL_Get_Max_Threads" : "openblas_get_num_threads",
                        FunctionDescriptor.of(I)),
                config, mkl,
                Downcalls.optional(lookup, "openblas_get_corename", FunctionDescriptor.of(ValueLayout.ADDRESS)),
                lookup);
    }

    /** oneMKL's {@code MKL_CBWR_AUTO | MKL_CBWR_STRICT} (mkl_types.h). */
    static final int MKL_CBWR_AUTO_STRICT = 2 | 0x10000;

    /**
     * Puts oneMKL in strict conditional numerical reproducibility ({@code MKL_CBWR_Set(MKL_CBWR_AUTO |
     * MKL_CBWR_STRICT)}, before any other call into it, as its manual asks), unless the environment's
     * {@code MKL_CBWR} already chose a mode. Without it oneMKL sums a product's entries in an order that depends
     * on the product's number of rows, so a product split across our threads would not give the bits of one call
     * (the kernels module's {@code GemmSplitTest}, run on oneMKL by the mkl module); with it, it does, at a cost
     * within the noise of W2's products (docs/kernels.md, "Intel oneMKL").
     */
    private static void strictReproducibility(MethodHandle cbwrSet) {
        String env = System.getenv("MKL_CBWR");
        if (env != null && !env.isBlank()) {
            return;
        }
        int status;
        try {
            status = (int) cbwrSet.invokeExact(MKL_CBWR_AUTO_STRICT);
        } catch (Throwable t) {
            throw Downcalls.failure("MKL_CBWR_Set", t);
        }
        if (status != 0) {
            LOG.log(System.Logger.Level.WARNING, "flatminima: MKL_CBWR_Set(AUTO | STRICT) returned " + status
                    + ": products split across threads may not give the bits of one call");
        }
    }

    /** {@code MKL_Get_Version_String(buf, len)}, e.g. "Intel(R) oneAPI Math Kernel Library Version 2025.3-Product ...". */
    private static String mklVersion(MethodHandle h) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            h.invokeExact(buf, 256);
            return buf.getString(0).trim();
        } catch (Throwable t) {
            throw Downcalls.failure("MKL_Get_Version_String", t);
        }
    }

    /** The file mapped at {@code address}, from /proc/self/maps (Linux), or null. */
    static Path mappedFile(long address) {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.map(l -> l.split("\\s+", 6))
                    .filter(f -> f.length == 6 && f[5].startsWith("/"))
                    .filter(f -> {
                        String[] range = f[0].split("-");
                        return Long.compareUnsigned(Long.parseUnsignedLong(range[0], 16), address) <= 0
                                && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0;
                    })
                    .map(f -> Path.of(f[5]))
                    .findFirst().orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private OpenBlas() {
    }

    /** Why OpenBLAS cannot be used (with the fix), or null when it can. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /**
     * The library that was loaded, as opened: the path of the bundled or given file, or the name the dynamic
     * linker resolved ("libopenblas.so.0" or "libblas.so.3"); null when none was.
     */
    public static String library() {
        return BOUND == null ? null : BOUND.library();
    }

    /** Where the loaded library came from (after any fallback from bundled to system), or null. */
    public static BlasSource.Kind source() {
        return BOUND == null ? null : BOUND.kind();
    }

    /** The file the loaded library was mapped from (symbolic links resolved), or null when unknown. */
    public static Path file() {
        return BOUND == null ? null : BOUND.file();
    }

    /** The version in {@link #config()}, e.g. "0.3.31", or null. */
    public static String version() {
        return version(config());
    }

    /**
     * The version in an {@code openblas_get_config()} string ("OpenBLAS 0.3.31 ...") or oneMKL's version string
     * ("... Math Kernel Library Version 2025.3-Product Build ..."), or null. A pure function.
     */
    static String version(String config) {
        if (config == null) {
            return null;
        }
        Matcher m = Pattern.compile("(?:OpenBLAS|Math Kernel Library Version)\\s+(\\d[\\w.]*)").matcher(config);
        return m.find() ? m.group(1) : null;
    }

    /** Whether the loaded library is Intel oneMKL (it exports {@code MKL_Get_Version_String}). */
    public static boolean isMkl() {
        return BOUND != null && BOUND.mkl();
    }

    /**
     * {@code openblas_get_corename()}: the CPU core whose kernels OpenBLAS runs, e.g. "Cooperlake", "Haswell" (a
     * DYNAMIC_ARCH build picks it at load time, unless {@code OPENBLAS_CORETYPE} pins one); null when not exported.
     */
    public static String corename() {
        return string(BOUND == null ? null : BOUND.getCorename(), "openblas_get_corename");
    }

    /** Cores whose OpenBLAS kernels include the AVX-512 small-matrix GEMM (OpenBLAS 0.3.16 and later). */
    private static final java.util.Set<String> SMALL_MATRIX_CORES = java.util.Set.of("skylakex", "cooperlake",
            "sapphirerapids");

    /**
     * Whether the loaded OpenBLAS runs small products (M N K at most 100^3) on its AVX-512 small-matrix kernels
     * (SkylakeX, Cooperlake, SapphireRapids cores), which sum in another order than the blocked kernels that
     * larger products take: then one row of a product can round differently depending on how many rows the
     * product has, and "passes of 16 points give the bits of one pass" holds to rounding only. True as well when
     * oneMKL runs the large products and OpenBLAS the small ones ({@link #SMALL}).
     */
    public static boolean hasSmallMatrixKernels() {
        if (SMALL != null) {
            return true; // small products on OpenBLAS, large ones on oneMKL: another order of summation either way
        }
        return smallMatrixCore(corename());
    }

    /** Whether OpenBLAS's core of this name (as {@link #corename()} gives it) has the small-matrix kernels. */
    static boolean smallMatrixCore(String core) {
        return core != null && SMALL_MATRIX_CORES.contains(core.trim().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * The core of the OpenBLAS that runs the products of at most 100^3 multiply-adds: with oneMKL the bundled
     * library's ({@link #SMALL}), else the loaded library's; null when oneMKL runs every product (the bundled
     * OpenBLAS did not load, or a path named {@code libmkl_rt}) or the library does not name its core.
     */
    static String smallProductsCore() {
        if (SMALL != null) {
            return string(SMALL.getCorename(), "openblas_get_corename");
        }
        return isMkl() ? null : corename();
    }

    /** Whether the bundled OpenBLAS runs the products in double beside oneMKL ({@link #DOUBLES_ON_SMALL}). */
    static boolean doublesOnBundled() {
        return DOUBLES_ON_SMALL;
    }

    /** Whether oneMKL runs every product, the small ones too (no {@link #SMALL}). */
    static boolean mklAlone() {
        return isMkl() && SMALL == null;
    }

    /**
     * One line on the loaded library for {@code flatminima backends}, e.g. "OpenBLAS 0.3.31, corename Cooperlake,
     * bundled: /root/.cache/flatminima/.../libopenblas.so.0", or the reason it is unavailable.
     */
    public static String describe() {
        if (BOUND == null) {
            return "unavailable: " + UNAVAILABLE;
        }
        String v = version();
        String core = corename();
        Path f = file();
        return (BOUND.mkl() ? "Intel oneMKL " : "OpenBLAS ") + (v == null ? "(version unknown)" : v)
                + (core == null ? "" : ", corename " + core)
                + ", " + BOUND.kind().label() + ": " + (f == null ? BOUND.library() : f.toString())
                + (SMALL == null ? "" : "; products of at most 100^3 multiply-adds"
                        + (DOUBLES_ON_SMALL ? " and all in double (a CPU not Intel's)" : "") + ": OpenBLAS "
                        + version(SMALL.config()) + ", bundled: " + SMALL.library());
    }

    /**
     * {@code openblas_get_config()}: version, build options and the core the kernels were chosen for
     * (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"); oneMKL's version string; null
     * when neither is exported. Read once, when the library is bound.
     */
    public static String config() {
        return BOUND == null ? null : BOUND.config();
    }

    /** Calls a {@code const char *f(void)}; null when the handle or the result is null. */
    private static String string(MethodHandle h, String symbol) {
        if (h == null) {
            return null;
        }
        try {
            MemorySegment s = (MemorySegment) h.invokeExact();
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw Downcalls.failure(symbol, t);
        }
    }

    /**
     * Sets the library's (process-wide) thread count ({@code openblas_set_num_threads} or oneMKL's
     * {@code MKL_Set_Num_Threads}; with oneMKL, the small products' OpenBLAS's as well); a no-op when the library
     * does not export it.
     */
    public static void setThreads(int n) {
        setThreads(BOUND, n);
        setThreads(SMALL, n);
    }

    private static void setThreads(Bound b, int n) {
        if (b == null || b.setThreads() == null) {
            return;
        }
        try {
            b.setThreads().invokeExact(Math.max(1, n));
        } catch (Throwable t) {
            throw Downcalls.failure(b.mkl() ? "MKL_Set_Num_Threads" : "openblas_set_num_threads", t);
        }
    }

    /** The library's current thread count, or -1 when it does not export one. */
    public static int threads() {
        if (BOUND == null || BOUND.getThreads() == null) {
            return -1;
        }
        try {
            return (int) BOUND.getThreads().invokeExact();
        } catch (Throwable t) {
            throw Downcalls.failure(isMkl() ? "MKL_Get_Max_Threads" : "openblas_get_num_threads", t);
        }
    }

    /**
     * The library that runs an {@code m x n x k} product in {@code t}: {@link #SMALL} when there is one for a small
     * product, and for every product in double where {@link #DOUBLES_ON_SMALL}.
     */
    private static Bound forProduct(DType t, int m, int n, int k) {
        boolean small = SMALL != null && ((double) m * n * k <= SMALL_MNK || t == DType.F64 && DOUBLES_ON_SMALL);
        return small ? SMALL : BOUND;
    }

    /** The library file that runs an {@code m x n x k} product in {@code t} (as {@link #library()} names it). */
    static String libraryFor(DType t, int m, int n, int k) {
        return BOUND == null ? null : forProduct(t, m, n, k).library();
    }

    /** Whether oneMKL takes this CPU for Intel's: "GenuineIntel", or unknown (null). A pure function. */
    static boolean intelCpu(String vendor) {
        return vendor == null || vendor.equals("GenuineIntel");
    }

    /** {@code cblas_sgemm(CblasRowMajor, ...)}; arguments as {@link org.flatminima.kernels.Backend#gemm}. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, int lda, MemorySegment b, int ldb, float beta,
                             MemorySegment c, int ldc) {
        int ta = transA ? TRANS : NO_TRANS;
        int tb = transB ? TRANS : NO_TRANS;
        try {
            forProduct(DType.F32, m, n, k).sgemm()
                    .invokeExact(ROW_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw Downcalls.failure("cblas_sgemm", t);
        }
    }

    /** {@code cblas_dgemm(CblasRowMajor, ...)}; arguments as {@link org.flatminima.kernels.Backend#gemm}. */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                             MemorySegment a, int lda, MemorySegment b, int ldb, double beta,
                             MemorySegment c, int ldc) {
        int ta = transA ? TRANS : NO_TRANS;
        int tb = transB ? TRANS : NO_TRANS;
        try {
            forProduct(DType.F64, m, n, k).dgemm()
                    .invokeExact(ROW_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw Downcalls.failure("cblas_dgemm", t);
        }
    }

    /** Whether the loaded library exports both {@code cblas_ssyrk} and {@code cblas_dsyrk}. */
    public static boolean hasSyrk() {
        return BOUND != null && BOUND.ssyrk() != null && BOUND.dsyrk() != null;
    }

    /**
     * {@code cblas_ssyrk(CblasRowMajor, CblasUpper, ...)}; arguments as {@link org.flatminima.kernels.Backend#syrk};
     * {@link #hasSyrk()} must be true.
     */
    public static void ssyrk(boolean trans, int n, int k, float alpha, MemorySegment a, int lda, float beta,
                             MemorySegment c, int ldc) {
        try {
            BOUND.ssyrk().invokeExact(ROW_MAJOR, UPPER, trans ? TRANS : NO_TRANS, n, k, alpha, a, lda, beta, c, ldc);
        } catch (Throwable t) {
            throw Downcalls.failure("cblas_ssyrk", t);
        }
    }

    /**
     * {@code cblas_dsyrk(CblasRowMajor, CblasUpper, ...)}; arguments as {@link org.flatminima.kernels.Backend#syrk};
     * {@link #hasSyrk()} must be true.
     */
    public static void dsyrk(boolean trans, int n, int k, double alpha, MemorySegment a, int lda, double beta,
                             MemorySegment c, int ldc) {
        try {
            BOUND.dsyrk().invokeExact(ROW_MAJOR, UPPER, trans ? TRANS : NO_TRANS, n, k, alpha, a, lda, beta, c, ldc);
        } catch (Throwable t) {
            throw Downcalls.failure("cblas_dsyrk", t);
        }
    }

    /**
     * A plain (not critical) downcall handle for another symbol of the loaded library, such as a LAPACK routine
     * ({@link Lapack}), or null when the library did not load or does not export it.
     */
    static MethodHandle optional(String symbol, FunctionDescriptor fd) {
        return BOUND == null ? null : Downcalls.optional(BOUND.lookup(), symbol, fd);
    }

    /** Whether OpenBLAS loaded; used by tests. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

}
