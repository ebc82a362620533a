package org.flatminima.kernels.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The system OpenBLAS through FFM: {@code cblas_sgemm} / {@code cblas_dgemm} (32-bit integer interface,
 * every int argument is {@code JAVA_INT}) and, when exported, OpenBLAS's thread and config functions.
 * Looked up once per process: {@code libopenblas.so.0}, then {@code libblas.so.3} (which also exports
 * {@code cblas_*} when it is OpenBLAS).
 */
public final class OpenBlas {

    /** The libraries tried, in order. */
    public static final List<String> LIBRARIES = List.of("libopenblas.so.0", "libblas.so.3");

    static final int ROW_MAJOR = 101;
    static final int NO_TRANS = 111;
    static final int TRANS = 112;

    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    private static final String LIBRARY;
    private static final String UNAVAILABLE;
    private static final MethodHandle SGEMM;
    private static final MethodHandle DGEMM;
    private static final MethodHandle SET_THREADS;
    private static final MethodHandle GET_THREADS;
    private static final MethodHandle GET_CONFIG;

    static {
        String library = null;
        String unavailable = null;
        MethodHandle sgemm = null;
        MethodHandle dgemm = null;
        MethodHandle setThreads = null;
        MethodHandle getThreads = null;
        MethodHandle getConfig = null;
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
                FunctionDescriptor gemm32 = FunctionDescriptor.ofVoid(I, I, I, I, I, I,
                        ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, I, ValueLayout.ADDRESS, I,
                        ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, I);
                FunctionDescriptor gemm64 = FunctionDescriptor.ofVoid(I, I, I, I, I, I,
                        ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, I, ValueLayout.ADDRESS, I,
                        ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, I);
                sgemm = Downcalls.critical(lookup, name, "cblas_sgemm", gemm32);
                dgemm = Downcalls.critical(lookup, name, "cblas_dgemm", gemm64);
            } catch (Downcalls.MissingSymbolException e) {
                problems.add(e.getMessage());
                continue;
            }
            setThreads = Downcalls.optional(lookup, "openblas_set_num_threads", FunctionDescriptor.ofVoid(I));
            getThreads = Downcalls.optional(lookup, "openblas_get_num_threads", FunctionDescriptor.of(I));
            getConfig = Downcalls.optional(lookup, "openblas_get_config", FunctionDescriptor.of(ValueLayout.ADDRESS));
            library = name;
            break;
        }
        if (library == null) {
            unavailable = "OpenBLAS not found (tried " + String.join(", ", LIBRARIES)
                    + "): apt-get install libopenblas0-pthread";
            if (problems.stream().anyMatch(p -> p.startsWith("symbol"))) {
                unavailable += " [" + String.join("; ", problems) + "]";
            }
        }
        LIBRARY = library;
        UNAVAILABLE = unavailable;
        SGEMM = sgemm;
        DGEMM = dgemm;
        SET_THREADS = setThreads;
        GET_THREADS = getThreads;
        GET_CONFIG = getConfig;
    }

    private OpenBlas() {
    }

    /** Why OpenBLAS cannot be used (with the fix), or null when it can. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** The library name that was loaded ("libopenblas.so.0" or "libblas.so.3"), or null. */
    public static String library() {
        return LIBRARY;
    }

    /**
     * {@code openblas_get_config()}: version, build options and the core the kernels were chosen for
     * (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"), or null when not exported.
     */
    public static String config() {
        if (GET_CONFIG == null) {
            return null;
        }
        try {
            MemorySegment s = (MemorySegment) GET_CONFIG.invokeExact();
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw Downcalls.failure("openblas_get_config", t);
        }
    }

    /** Sets OpenBLAS's (process-wide) thread count; a no-op when the library does not export it. */
    public static void setThreads(int n) {
        if (SET_THREADS == null) {
            return;
        }
        try {
            SET_THREADS.invokeExact(Math.max(1, n));
        } catch (Throwable t) {
            throw Downcalls.failure("openblas_set_num_threads", t);
        }
    }

    /** OpenBLAS's current thread count, or -1 when the library does not export it. */
    public static int threads() {
        if (GET_THREADS == null) {
            return -1;
        }
        try {
            return (int) GET_THREADS.invokeExact();
        } catch (Throwable t) {
            throw Downcalls.failure("openblas_get_num_threads", t);
        }
    }

    /** {@code cblas_sgemm(CblasRowMajor, ...)}; arguments as {@link org.flatminima.kernels.Backend#gemm}. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, int lda, MemorySegment b, int ldb, float beta,
                             MemorySegment c, int ldc) {
        int ta = transA ? TRANS : NO_TRANS;
        int tb = transB ? TRANS : NO_TRANS;
        try {
            SGEMM.invokeExact(ROW_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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
            DGEMM.invokeExact(ROW_MAJOR, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw Downcalls.failure("cblas_dgemm", t);
        }
    }

    /** Whether OpenBLAS loaded; used by tests. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

}
