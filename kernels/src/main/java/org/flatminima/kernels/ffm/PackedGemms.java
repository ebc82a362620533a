package org.flatminima.kernels.ffm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.flatminima.kernels.DType;

/**
 * Downcalls into our packed GEMM ({@code native/src/fm_packed_gemm.inc}: {@code fm_packed_gemm_f32} and
 * {@code _f64}, and onto a row with a ReLU in the last store), from the library {@link CKernels} loaded.
 * Arguments are not checked here: {@link CKernelBackend} only calls with valid ones.
 */
final class PackedGemms {
    private static final ValueLayout I = ValueLayout.JAVA_INT;
    private static final ValueLayout D = ValueLayout.JAVA_DOUBLE;
    private static final ValueLayout A = ValueLayout.ADDRESS;

    private PackedGemms() {
    }

    /** Rows of C in a tile of {@code fm_packed_gemm_f32} and {@code _f64}: bands of whole tiles split no tile. */
    static final int PACKED_TILE_ROWS = 6;

    /**
     * Columns of C in a tile (a packed panel of op(B)) of {@code fm_packed_gemm_f32} (16) or {@code _f64} (8), twice
     * that with 512-bit vectors ({@code wide}).
     */
    static int packedPanelColumns(DType t, boolean wide) {
        return (t == DType.F32 ? 16 : 8) * (wide ? 2 : 1);
    }

    /** {@code fm_packed_gemm_f32} and {@code fm_packed_gemm_f64}; null where the library is not loaded. */
    private static final MethodHandle PACKED_GEMM_F32 = packedGemmHandle("f32");
    private static final MethodHandle PACKED_GEMM_F64 = packedGemmHandle("f64");

    /** {@code fm_packed_gemm_row_f32} and {@code _f64}; null where the library is not loaded. */
    private static final MethodHandle PACKED_GEMM_ROW_F32 = packedGemmHandle("row_f32");
    private static final MethodHandle PACKED_GEMM_ROW_F64 = packedGemmHandle("row_f64");

    /** The same with 512-bit vectors ({@code fm_packed_gemm512_f32}, {@code fm_packed_gemm_row512_f32}, ...). */
    private static final MethodHandle PACKED_GEMM512_F32 = packedGemmHandle("512_f32");
    private static final MethodHandle PACKED_GEMM512_F64 = packedGemmHandle("512_f64");
    private static final MethodHandle PACKED_GEMM_ROW512_F32 = packedGemmHandle("row512_f32");
    private static final MethodHandle PACKED_GEMM_ROW512_F64 = packedGemmHandle("row512_f64");

    private static MethodHandle packedGemmHandle(String suffix) {
        FunctionDescriptor d = suffix.startsWith("row")
                ? FunctionDescriptor.of(I, I, I, I, I, I, D, A, I, A, I, A, A, I, I)
                : FunctionDescriptor.of(I, I, I, I, I, I, D, A, I, A, I, D, A, I);
        String name = suffix.startsWith("5") ? "fm_packed_gemm" + suffix : "fm_packed_gemm_" + suffix;
        return CKernels.library() == null ? null
                : Downcalls.critical(CKernels.library().lookup(), "libflatminima.so", name, d);
    }

    /**
     * {@code C = alpha op(A) op(B) + beta C}, not A^T B^T, on {@code fm_packed_gemm_f32} or {@code _f64} (AVX2 and
     * FMA; only where {@link CKernels#avx2Kernels()}): both operands packed, tiles of 6 rows by
     * {@link #packedPanelColumns} columns; each entry of C, per block of the depth (at most 256 long, k split
     * evenly), one chain of multiply-adds in order from 0, then {@code alpha s_0 + beta c} and {@code c + alpha s_b} for the later blocks, so its bits
     * depend on k but not on the entries around it.
     */
    static void packedGemm(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                           MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        MethodHandle h = t == DType.F32 ? PACKED_GEMM_F32 : PACKED_GEMM_F64;
        packed(t == DType.F32 ? "fm_packed_gemm_f32" : "fm_packed_gemm_f64", transA, transB, m, n, k,
                (ta, tb) -> (int) h.invokeExact(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
    }

    /**
     * {@link #packedGemm} with 512-bit vectors ({@code fm_packed_gemm512_f32} or {@code _f64}, AVX-512; the AVX2 build
     * where the CPU has none): each entry the same chain, so the same bits.
     */
    static void packedGemm512(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                              MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c,
                              int ldc) {
        MethodHandle h = t == DType.F32 ? PACKED_GEMM512_F32 : PACKED_GEMM512_F64;
        packed(t == DType.F32 ? "fm_packed_gemm512_f32" : "fm_packed_gemm512_f64", transA, transB, m, n, k,
                (ta, tb) -> (int) h.invokeExact(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
    }

    /** {@link #packedGemmRow} with 512-bit vectors ({@code fm_packed_gemm_row512_f32} or {@code _f64}). */
    static void packedGemmRow512(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                 MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row, boolean relu,
                                 MemorySegment c, int ldc) {
        MethodHandle h = t == DType.F32 ? PACKED_GEMM_ROW512_F32 : PACKED_GEMM_ROW512_F64;
        int r = relu ? 1 : 0;
        packed(t == DType.F32 ? "fm_packed_gemm_row512_f32" : "fm_packed_gemm_row512_f64", transA, transB, m, n, k,
                (ta, tb) -> (int) h.invokeExact(ta, tb, m, n, k, alpha, a, lda, b, ldb, row, c, ldc, r));
    }

    /**
     * {@code C = alpha op(A) op(B) + 1 row^T}, {@code row} (n elements) added to every row of C, which is not read:
     * {@link #packedGemm} at beta 1 onto a C whose rows all hold {@code row}, the same bits, without that C; with
     * {@code relu}, the ReLU of those ({@code c > 0 ? c : +0}) in the last store ({@code fm_packed_gemm_row_f32} or
     * {@code _f64}).
     */
    static void packedGemmRow(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                              MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row, boolean relu,
                              MemorySegment c, int ldc) {
        MethodHandle h = t == DType.F32 ? PACKED_GEMM_ROW_F32 : PACKED_GEMM_ROW_F64;
        int r = relu ? 1 : 0;
        packed(t == DType.F32 ? "fm_packed_gemm_row_f32" : "fm_packed_gemm_row_f64", transA, transB, m, n, k,
                (ta, tb) -> (int) h.invokeExact(ta, tb, m, n, k, alpha, a, lda, b, ldb, row, c, ldc, r));
    }

    /** One downcall of a packed GEMM with its transpose flags as 0 or 1, returning its result code. */
    @FunctionalInterface
    private interface PackedCall {
        int run(int transA, int transB) throws Throwable;
    }

    /** Runs a packed GEMM's downcall ({@code name}) after the check every one needs, and turns its code into errors. */
    private static void packed(String name, boolean transA, boolean transB, int m, int n, int k, PackedCall call) {
        if (transA && transB) {
            throw new IllegalArgumentException(name + " takes A B, A^T B and A B^T, not A^T B^T");
        }
        int rc;
        try {
            rc = call.run(transA ? 1 : 0, transB ? 1 : 0);
        } catch (Throwable e) {
            throw Downcalls.failure(name, e);
        }
        if (rc == -2) {
            throw new OutOfMemoryError(name + ": no native memory for this thread's packing buffer");
        }
        if (rc != 1) {
            throw new IllegalStateException(name + " returned " + rc + " for " + m + " x " + n + " x " + k
                    + " (called without AVX2 or with an empty dimension)");
        }
    }
}
