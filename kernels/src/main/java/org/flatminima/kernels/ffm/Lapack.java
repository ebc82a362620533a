package org.flatminima.kernels.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.flatminima.kernels.DType;

/**
 * LAPACK's symmetric eigensolver ({@code LAPACKE_dsyevd} / {@code LAPACKE_ssyevd}, divide and conquer) from the
 * library {@link OpenBlas} loaded, looked up when this class is first used. A symbol the library lacks leaves its
 * handle null: {@link NativeBackend#symmetricEigen} then runs the inherited Java solver and
 * {@link NativeBackend#details()} names the missing symbol.
 *
 * <p>Layout: the row-major matrix is passed as column-major ({@code LAPACK_COL_MAJOR}) with {@code uplo = 'L'}.
 * For a symmetric matrix the two read the same matrix; column-major's lower triangle is the row-major upper
 * triangle; and eigenvector {@code i}, column {@code i} of the column-major result, is row {@code i} in row-major
 * terms, which is {@link org.flatminima.kernels.Backend#symmetricEigen}'s contract, so nothing is transposed.
 */
final class Lapack {

    static final String DSYEVD = "LAPACKE_dsyevd";
    static final String SSYEVD = "LAPACKE_ssyevd";

    private static final int COL_MAJOR = 102;
    /** {@code lapack_int LAPACKE_?syevd(int layout, char jobz, char uplo, lapack_int n, T *a, lapack_int lda, T *w)}. */
    private static final FunctionDescriptor SYEVD = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
    private static final MethodHandle D = OpenBlas.optional(DSYEVD, SYEVD);
    private static final MethodHandle S = OpenBlas.optional(SSYEVD, SYEVD);

    private Lapack() {
    }

    /** Whether the routine for this dtype was found. */
    static boolean has(DType t) {
        return (t == DType.F32 ? S : D) != null;
    }

    /** One line for {@code details()}: which routines run the eigensolver, or which symbol is missing. */
    static String describe() {
        return describe(D != null, S != null, OpenBlas.library());
    }

    /** {@link #describe()} as a pure function of which symbols were found, in which library. */
    static String describe(boolean hasD, boolean hasS, String library) {
        if (hasD && hasS) {
            return "symmetric eigensolver: LAPACK " + DSYEVD + "/" + SSYEVD;
        }
        String missing = !hasD && !hasS ? DSYEVD + " and " + SSYEVD : hasD ? SSYEVD : DSYEVD;
        return "symmetric eigensolver: Java (" + missing + " not found in " + library + ")"
                + (hasD || hasS ? "; the other dtype runs LAPACK" : "");
    }

    /**
     * Runs {@code ?syevd} as {@link org.flatminima.kernels.Backend#symmetricEigen} specifies; {@link #has} must
     * be true. Heap segments are copied off-heap for the call (the downcall is not critical: it runs long).
     */
    static void syevd(DType t, int n, MemorySegment a, MemorySegment w, boolean vectors) {
        if (!a.isNative() || !w.isNative()) {
            long es = t.byteSize();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment na = arena.allocate((long) n * n * es, 8).copyFrom(a.asSlice(0, (long) n * n * es));
                MemorySegment nw = arena.allocate(n * es, 8);
                syevd(t, n, na, nw, vectors);
                a.asSlice(0, (long) n * n * es).copyFrom(na);
                w.asSlice(0, n * es).copyFrom(nw);
            }
            return;
        }
        String symbol = t == DType.F32 ? SSYEVD : DSYEVD;
        int info;
        try {
            info = (int) (t == DType.F32 ? S : D).invokeExact(COL_MAJOR, (byte) (vectors ? 'V' : 'N'), (byte) 'L', n,
                    a, Math.max(1, n), w);
        } catch (Throwable e) {
            throw Downcalls.failure(symbol, e);
        }
        if (info > 0) {
            throw new ArithmeticException(symbol + " did not converge (info " + info + ", order " + n
                    + "); is the matrix finite?");
        }
        if (info == -5) { // LAPACKE's NaN check of argument 5, the matrix
            throw new ArithmeticException(symbol + ": the matrix holds NaN (order " + n + ")");
        }
        if (info < 0) {
            throw new IllegalStateException(symbol + " rejected argument " + (-info) + " (order " + n + ")");
        }
    }
}
