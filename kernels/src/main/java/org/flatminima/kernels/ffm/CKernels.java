package org.flatminima.kernels.ffm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;

/**
 * Downcalls into our C kernels ({@code native/src}), one handle per kernel and dtype ({@code fm_<op>_f32},
 * {@code fm_<op>_f64}). The library is loaded by {@link NativeLibrary} when this class is first used, once
 * per process. All handles are critical: heap segments pass without a copy. The C kernels are
 * single-threaded. Arguments are not checked here: {@link CKernelBackend} only calls with valid ones.
 */
final class CKernels {

    private static final ValueLayout I = ValueLayout.JAVA_INT;
    private static final ValueLayout J = ValueLayout.JAVA_LONG;
    private static final ValueLayout D = ValueLayout.JAVA_DOUBLE;
    private static final ValueLayout A = ValueLayout.ADDRESS;

    /** The handles of one dtype. */
    private record Table(MethodHandle fill, MethodHandle axpby, MethodHandle unary, MethodHandle binary, MethodHandle reduce,
                         MethodHandle reduceCols, MethodHandle argmax, MethodHandle softmax, MethodHandle logSoftmax,
                         MethodHandle xent, MethodHandle im2col,
                         MethodHandle col2im, MethodHandle maxPool, MethodHandle maxPoolRelu, MethodHandle maxPoolBackward,
                         MethodHandle avgPool, MethodHandle avgPoolBackward, MethodHandle maxPoolGather, MethodHandle gatedChannelSum,
                         MethodHandle winogradInput, MethodHandle winogradOutput, MethodHandle winogradGradient,
                         MethodHandle conv3x3, MethodHandle conv3x3WeightGrad, MethodHandle fewColumnsGemm,
                         MethodHandle smallGemm) {

        static Table link(SymbolLookup l, String s) {
            return new Table(
                    h(l, "fm_fill_" + s, FunctionDescriptor.ofVoid(J, D, A)),
                    h(l, "fm_axpby_" + s, FunctionDescriptor.ofVoid(J, D, A, D, A)),
                    h(l, "fm_unary_" + s, FunctionDescriptor.of(I, I, J, D, A, A)),
                    h(l, "fm_binary_" + s, FunctionDescriptor.of(I, I, J, J, J, A, J, J, J, A, J, J, J, A)),
                    h(l, "fm_reduce_" + s, FunctionDescriptor.of(I, I, I, I, I, A, A)),
                    h(l, "fm_reduce_cols_" + s, FunctionDescriptor.of(I, I, I, I, I, A, A)),
                    h(l, "fm_argmax_" + s, FunctionDescriptor.ofVoid(I, I, I, A, A)),
                    h(l, "fm_softmax_" + s, FunctionDescriptor.ofVoid(I, I, A, A)),
                    h(l, "fm_log_softmax_" + s, FunctionDescriptor.ofVoid(I, I, A, A)),
                    h(l, "fm_softmax_xent_" + s, FunctionDescriptor.ofVoid(I, I, A, A, A, A)),
                    h(l, "fm_im2col_" + s, FunctionDescriptor.ofVoid(A, A, A)),
                    h(l, "fm_col2im_" + s, FunctionDescriptor.ofVoid(A, A, A)),
                    h(l, "fm_max_pool2d_" + s, FunctionDescriptor.ofVoid(A, A, A, A)),
                    h(l, "fm_max_pool2d_relu_" + s, FunctionDescriptor.ofVoid(A, A, A, A)),
                    h(l, "fm_max_pool2d_backward_" + s, FunctionDescriptor.ofVoid(A, A, A, A)),
                    h(l, "fm_avg_pool2d_" + s, FunctionDescriptor.ofVoid(A, A, A)),
                    h(l, "fm_avg_pool2d_backward_" + s, FunctionDescriptor.ofVoid(A, A, A)),
                    h(l, "fm_max_pool2d_gather_" + s, FunctionDescriptor.ofVoid(A, A, A, A)),
                    h(l, "fm_gated_channel_sum_" + s, FunctionDescriptor.ofVoid(I, I, J, J, A, A, A)),
                    h(l, "fm_winograd_input_" + s, FunctionDescriptor.ofVoid(A, A, A)),
                    h(l, "fm_winograd_output_" + s, FunctionDescriptor.ofVoid(A, I, A, A, A)),
                    h(l, "fm_winograd_gradient_" + s, FunctionDescriptor.ofVoid(A, I, A, A)),
                    h(l, "fm_conv3x3_" + s, FunctionDescriptor.of(I, A, I, A, A, A, A)),
                    h(l, "fm_conv3x3_wgrad_" + s, FunctionDescriptor.of(I, A, I, A, A, A)),
                    h(l, "fm_fewcol_gemm_" + s, FunctionDescriptor.of(I, I, I, I, I, I, D, A, I, A, I, D, A, I)),
                    h(l, "fm_small_gemm_" + s, FunctionDescriptor.of(I, I, I, I, I, I, D, A, I, A, I, D, A, I)));
        }

        private static MethodHandle h(SymbolLookup l, String symbol, FunctionDescriptor fd) {
            return Downcalls.critical(l, "libflatminima.so", symbol, fd);
        }
    }

    private static final NativeLibrary.Loaded LIBRARY;
    private static final String UNAVAILABLE;
    private static final Table F32;
    private static final Table F64;
    /** Whether the library's AVX-512 code runs on this CPU ({@code fm_avx512_supported}). */
    private static final boolean AVX512;
    /** Whether the library's AVX2 products run on this CPU ({@code fm_avx2_supported}). */
    private static final boolean AVX2;

    static {
        NativeLibrary.Result r = NativeLibrary.load();
        NativeLibrary.Loaded lib = r.library();
        String reason = r.reason();
        Table f32 = null;
        Table f64 = null;
        if (lib != null) {
            try {
                f32 = Table.link(lib.lookup(), "f32");
                f64 = Table.link(lib.lookup(), "f64");
            } catch (Downcalls.MissingSymbolException e) {
                reason = e.getMessage() + " (stale build?)";
                lib = null;
                f32 = null;
            }
        }
        boolean few = false;
        boolean small = false;
        if (lib != null) {
            try {
                few = (int) Downcalls.critical(lib.lookup(), "libflatminima.so", "fm_avx512_supported",
                        FunctionDescriptor.of(I)).invokeExact() == 1;
                small = (int) Downcalls.critical(lib.lookup(), "libflatminima.so", "fm_avx2_supported",
                        FunctionDescriptor.of(I)).invokeExact() == 1;
            } catch (Throwable e) {
                reason = "fm_avx512_supported or fm_avx2_supported failed: " + e;
                lib = null;
                few = false;
                small = false;
            }
        }
        AVX512 = few;
        AVX2 = small;
        LIBRARY = lib;
        UNAVAILABLE = lib == null ? reason : null;
        F32 = f32;
        F64 = f64;
    }

    private CKernels() {
    }

    /** The loaded library, or null. */
    static NativeLibrary.Loaded library() {
        return LIBRARY;
    }

    /** Why the C kernels are unavailable (one line), or null when they are loaded. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    private static Table table(DType t) {
        return t == DType.F32 ? F32 : F64;
    }

    // ------------------------------------------------------------------ op codes (native/src/flatminima.h)

    /**
     * The C op code of {@code op}, or -1 when the C library has no kernel for it (the backend then runs the
     * layer below). A new {@link UnaryOp} needs no entry here unless it gets a C kernel.
     */
    static int code(UnaryOp op) {
        return switch (op) {
            case NEG -> 0;
            case SQUARE -> 2;
            case SQRT -> 3;
            case EXP -> 5;
            case LOG -> 6;
            case POW -> 7;
            case SCALE -> 8;
            case ADD_SCALAR -> 9;
            case RELU -> 10;
            case LEAKY_RELU -> 11;
            case STEP -> 12;
            case LEAKY_STEP -> 13;
            case TANH -> 14;
            case SIGMOID -> 15;
            case SOFTPLUS -> 16;
            default -> -1;
        };
    }

    static int code(BinaryOp op) {
        return switch (op) {
            case ADD -> 0;
            case SUB -> 1;
            case MUL -> 2;
            case DIV -> 3;
            case MAX -> 4;
            case MIN -> 5;
            case GREATER -> 6;
            case GATE -> 7;
        };
    }

    static int code(ReduceOp op) {
        return switch (op) {
            case SUM -> 0;
            case MAX -> 1;
            case MIN -> 2;
        };
    }

    private static MemorySegment geometry(Window2d g) {
        return MemorySegment.ofArray(new int[] {g.n(), g.c(), g.h(), g.w(), g.kh(), g.kw(),
            g.strideH(), g.strideW(), g.padH(), g.padW()});
    }

    private static void check(int rc, String kernel) {
        if (rc != 0) {
            throw new IllegalStateException(kernel + " returned " + rc + " (unknown op code: ABI mismatch)");
        }
    }

    // ------------------------------------------------------------------ kernels

    static void fill(DType t, long n, double value, MemorySegment y) {
        try {
            table(t).fill().invokeExact(n, value, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_fill", e);
        }
    }

    /** {@code y = alpha x + beta y} for n contiguous elements. */
    static void axpby(DType t, long n, double alpha, MemorySegment x, double beta, MemorySegment y) {
        try {
            table(t).axpby().invokeExact(n, alpha, x, beta, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_axpby", e);
        }
    }

    /** Runs the C kernel of op code {@code code} ({@link #code(UnaryOp)}, not -1). */
    static void unary(DType t, int code, long n, double param, MemorySegment x, MemorySegment y) {
        int rc;
        try {
            rc = (int) table(t).unary().invokeExact(code, n, param, x, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_unary", e);
        }
        check(rc, "fm_unary");
    }

    /** {@code y[(i0*n1 + i1)*n2 + i2] = op(a[i . as], b[i . bs])} for a rank-3 index i. */
    static void binary(DType t, BinaryOp op, long n0, long n1, long n2,
                       MemorySegment a, long a0, long a1, long a2,
                       MemorySegment b, long b0, long b1, long b2, MemorySegment y) {
        int rc;
        try {
            rc = (int) table(t).binary().invokeExact(code(op), n0, n1, n2, a, a0, a1, a2, b, b0, b1, b2, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_binary", e);
        }
        check(rc, "fm_binary");
    }

    static void reduce(DType t, ReduceOp op, int outer, int len, int inner, MemorySegment x, MemorySegment y) {
        int rc;
        try {
            rc = (int) table(t).reduce().invokeExact(code(op), outer, len, inner, x, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_reduce", e);
        }
        check(rc, "fm_reduce");
    }

    /**
     * One slab of a reduction: {@code y[i] = op over l < len of x[l * stride + i]} for {@code i < count}; each
     * output is computed in the order {@link #reduce} uses, so slabs of columns give the bits of the whole.
     */
    static void reduceCols(DType t, ReduceOp op, int len, int count, int stride, MemorySegment x, MemorySegment y) {
        int rc;
        try {
            rc = (int) table(t).reduceCols().invokeExact(code(op), len, count, stride, x, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_reduce_cols", e);
        }
        check(rc, "fm_reduce_cols");
    }

    static void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx) {
        try {
            table(t).argmax().invokeExact(outer, len, inner, x, idx);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_argmax", e);
        }
    }

    static void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        try {
            table(t).softmax().invokeExact(rows, cols, x, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_softmax", e);
        }
    }

    static void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        try {
            table(t).logSoftmax().invokeExact(rows, cols, x, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_log_softmax", e);
        }
    }

    /** {@code probs} {@link MemorySegment#NULL}: the losses alone. */
    static void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                                    MemorySegment loss, MemorySegment probs) {
        try {
            table(t).xent().invokeExact(rows, cols, z, labels, loss, probs);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_softmax_xent", e);
        }
    }

    static void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols) {
        try {
            table(t).im2col().invokeExact(geometry(g), x, cols);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_im2col", e);
        }
    }

    static void winogradInput(DType t, Window2d g, MemorySegment x, MemorySegment v) {
        try {
            table(t).winogradInput().invokeExact(geometry(g), x, v);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_winograd_input", e);
        }
    }

    /** {@code fm_winograd_output}, plus the bias per channel where {@code bias} is not null. */
    static void winogradOutput(DType t, Window2d g, int cout, MemorySegment mm, MemorySegment bias, MemorySegment y) {
        try {
            table(t).winogradOutput().invokeExact(geometry(g), cout, mm, orNull(bias), y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_winograd_output", e);
        }
    }

    static void winogradGradient(DType t, Window2d g, int cout, MemorySegment gy, MemorySegment gt) {
        try {
            table(t).winogradGradient().invokeExact(geometry(g), cout, gy, gt);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_winograd_gradient", e);
        }
    }

    /**
     * {@code fm_conv3x3}, plus the bias per output channel where {@code bias} is not null: whether it ran (false:
     * nothing written; the CPU has neither AVX-512 nor AVX2, the window is not one it takes, or t is F64).
     */
    static boolean conv3x3(DType t, Window2d g, int cout, MemorySegment x, MemorySegment w, MemorySegment bias,
                           MemorySegment y) {
        try {
            return (int) table(t).conv3x3().invokeExact(geometry(g), cout, x, w, orNull(bias), y) == 1;
        } catch (Throwable e) {
            throw Downcalls.failure("fm_conv3x3", e);
        }
    }

    /** {@code fm_conv3x3_wgrad} (accumulated into gw): whether it ran, as {@link #conv3x3}. */
    static boolean conv3x3WeightGrad(DType t, Window2d g, int cout, MemorySegment x, MemorySegment gy,
                                     MemorySegment gw) {
        try {
            return (int) table(t).conv3x3WeightGrad().invokeExact(geometry(g), cout, x, gy, gw) == 1;
        } catch (Throwable e) {
            throw Downcalls.failure("fm_conv3x3_wgrad", e);
        }
    }

    /** A C pointer argument that may be absent: {@link MemorySegment#NULL} for null. */
    private static MemorySegment orNull(MemorySegment s) {
        return s == null ? MemorySegment.NULL : s;
    }

    static void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x) {
        try {
            table(t).col2im().invokeExact(geometry(g), cols, x);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_col2im", e);
        }
    }

    /** {@code argmax} {@link MemorySegment#NULL}: the values alone. */
    static void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        try {
            table(t).maxPool().invokeExact(geometry(g), x, y, argmax);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_max_pool2d", e);
        }
    }

    /** {@code argmax} {@link MemorySegment#NULL}: the values alone. */
    static void maxPool2dRelu(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        try {
            table(t).maxPoolRelu().invokeExact(geometry(g), x, y, argmax);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_max_pool2d_relu", e);
        }
    }

    static void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx) {
        try {
            table(t).maxPoolBackward().invokeExact(geometry(g), gy, argmax, gx);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_max_pool2d_backward", e);
        }
    }

    static void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        try {
            table(t).avgPool().invokeExact(geometry(g), x, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_avg_pool2d", e);
        }
    }

    static void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        try {
            table(t).avgPoolBackward().invokeExact(geometry(g), gy, gx);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_avg_pool2d_backward", e);
        }
    }

    static void gatedChannelSum(DType t, int n, int c, long image, long plane, MemorySegment a, MemorySegment gate,
            MemorySegment out) {
        try {
            table(t).gatedChannelSum().invokeExact(n, c, image, plane, a, gate, out);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_gated_channel_sum", e);
        }
    }

    static void maxPool2dGather(DType t, Window2d g, MemorySegment x, MemorySegment argmax, MemorySegment y) {
        try {
            table(t).maxPoolGather().invokeExact(geometry(g), x, argmax, y);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_max_pool2d_gather", e);
        }
    }

    /**
     * For tests: {@code v[i] = exp(v[i])} ({@code log} false) or {@code log(v[i])} by the softmax kernels'
     * vector functions ({@code fm_vector_math}) on the widest vectors this CPU has, or on AVX2 ({@code avx2});
     * false (v unchanged) where those do not run or the library is not loaded.
     */
    static boolean vectorMath(boolean log, boolean avx2, double[] v) {
        if (LIBRARY == null) {
            return false;
        }
        try {
            MethodHandle h = Downcalls.critical(LIBRARY.lookup(), "libflatminima.so", "fm_vector_math",
                    FunctionDescriptor.of(I, I, J, A));
            int fn = (log ? 1 : 0) + (avx2 ? 2 : 0);
            return (int) h.invokeExact(fn, (long) v.length, MemorySegment.ofArray(v)) == 1;
        } catch (Throwable e) {
            throw Downcalls.failure("fm_vector_math", e);
        }
    }

    /**
     * For tests: runs {@code body} with the C library's AVX-512 kernels stepped aside ({@code fm_test_without_avx512}),
     * so that its AVX2 kernels (pooling, Winograd transforms, vector exp) run on an AVX-512 CPU too; only kernels
     * that fall back by themselves may be called inside (not the few-column products, which the Java side routes
     * by {@link #avx512Kernels()}). Nothing changes where the library is not loaded.
     */
    static void withoutAvx512(Runnable body) {
        if (LIBRARY == null) {
            body.run();
            return;
        }
        MethodHandle h = Downcalls.critical(LIBRARY.lookup(), "libflatminima.so", "fm_test_without_avx512",
                FunctionDescriptor.of(I, I));
        try {
            int was = (int) h.invokeExact(1);
            try {
                body.run();
            } finally {
                int ignored = (int) h.invokeExact(was);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw Downcalls.failure("fm_test_without_avx512", e);
        }
    }

    /** For tests: {@code fm_avx512_supported()} now (false inside {@link #withoutAvx512}). */
    static boolean avx512RunsNow() {
        if (LIBRARY == null) {
            return false;
        }
        try {
            return (int) Downcalls.critical(LIBRARY.lookup(), "libflatminima.so", "fm_avx512_supported",
                    FunctionDescriptor.of(I)).invokeExact() == 1;
        } catch (Throwable e) {
            throw Downcalls.failure("fm_avx512_supported", e);
        }
    }

    /**
     * Whether the library's AVX-512 code runs here: the library is loaded and the CPU has AVX-512F. Then
     * {@link #fewColumnsGemm} runs (the softmax kernels' vector exp and log run on AVX-512 or AVX2).
     */
    static boolean avx512Kernels() {
        return AVX512;
    }

    /**
     * {@code C = alpha op(A) op(B) + beta C} for {@code 1 <= n <= 16} on {@code fm_fewcol_gemm} (AVX-512; only
     * where {@link #avx512Kernels()}): the vector backend's few-column kernels in C, with their bits.
     */
    static void fewColumnsGemm(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                               MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c,
                               int ldc) {
        int rc;
        try {
            rc = (int) table(t).fewColumnsGemm().invokeExact(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda,
                    b, ldb, beta, c, ldc);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_fewcol_gemm", e);
        }
        if (rc == -2) {
            throw new OutOfMemoryError("fm_fewcol_gemm: no native memory for " + (long) n * Math.max(m, k)
                    + " elements of scratch");
        }
        if (rc != 0) {
            throw new IllegalStateException("fm_fewcol_gemm returned " + rc + " for " + m + " x " + n + " x " + k
                    + " (called without AVX-512 or outside 1 <= n <= 16)");
        }
    }

    /**
     * Whether the library's small products ({@link #smallGemm}) run here: the library is loaded and the CPU has AVX2
     * and FMA.
     */
    static boolean avx2Kernels() {
        return AVX2;
    }

    /**
     * {@code C = alpha op(A) op(B) + beta C} on {@code fm_small_gemm} (AVX2 and FMA; only where
     * {@link #avx2Kernels()}): each entry of C one chain of multiply-adds over the depth in order from 0 (for
     * {@code A B^T} lane sums over the depth added in order, then the remainder), then {@code alpha s + beta c}, so its
     * bits do not depend on the product's shape around it.
     */
    static void smallGemm(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                          MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        int rc;
        try {
            rc = (int) table(t).smallGemm().invokeExact(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda,
                    b, ldb, beta, c, ldc);
        } catch (Throwable e) {
            throw Downcalls.failure("fm_small_gemm", e);
        }
        if (rc != 1) {
            throw new IllegalStateException("fm_small_gemm returned " + rc + " for " + m + " x " + n + " x " + k
                    + " (called without AVX2 or with an empty dimension)");
        }
    }
}
