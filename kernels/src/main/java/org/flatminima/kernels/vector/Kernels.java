package org.flatminima.kernels.vector;

import java.lang.foreign.MemorySegment;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;

/**
 * The vector backend's kernels for one element type: the {@link org.flatminima.kernels.Backend} methods that
 * {@link VectorBackend} overrides, without the dtype argument. Implemented by {@code FloatKernels} and
 * {@code DoubleKernels}, both generated from {@code src/main/templates/Kernels.java.template}, which forward to
 * the per-dtype kernel classes generated from the other templates ({@code FloatGemm}, {@code DoubleGemm}, ...).
 * {@link VectorBackend} picks the implementation once per call by dtype.
 *
 * <p>Adding a vectorised kernel: its loop goes into the template of its family, its method here and in
 * {@code Kernels.java.template}, and the override into {@link VectorBackend}. Arguments mean what they mean in
 * {@code Backend}; {@code double} scalars are rounded to the element type where the kernel needs them so.
 */
interface Kernels {

    /** See {@code Backend.gemm}; uses up to {@code threads} threads. */
    void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
              MemorySegment b, int ldb, double beta, MemorySegment c, int ldc, int threads);

    void fill(long n, double value, MemorySegment y);

    void axpby(long n, double alpha, MemorySegment x, double beta, MemorySegment y);

    /** See {@code Backend.copy}: this implementation's dtype is the source's. */
    void copy(DType to, int[] shape, MemorySegment x, long[] xStrides, MemorySegment y);

    /**
     * See {@code Backend.unary}. Returns false, having written nothing, when {@code op} has no vector loop: the
     * caller then runs the layer below.
     */
    boolean unary(UnaryOp op, long n, double param, MemorySegment x, MemorySegment y);

    void binary(BinaryOp op, int[] shape, MemorySegment a, long[] aStrides, MemorySegment b, long[] bStrides,
                MemorySegment y);

    void reduce(ReduceOp op, int outer, int len, int inner, MemorySegment x, MemorySegment y);

    void argmax(int outer, int len, int inner, MemorySegment x, MemorySegment idx);

    void softmax(int rows, int cols, MemorySegment x, MemorySegment y);

    void logSoftmax(int rows, int cols, MemorySegment x, MemorySegment y);

    void softmaxCrossEntropy(int rows, int cols, MemorySegment z, MemorySegment labels, MemorySegment loss,
                             MemorySegment probs);

    void crossEntropy(int rows, int cols, MemorySegment z, MemorySegment labels, MemorySegment loss);

    void im2col(Window2d g, MemorySegment x, MemorySegment cols);

    void col2im(Window2d g, MemorySegment cols, MemorySegment x);

    /** {@code argmax} null: the values alone. */
    void maxPool2d(Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax);

    void maxPool2dBackward(Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx);

    void avgPool2d(Window2d g, MemorySegment x, MemorySegment y);

    void avgPool2dBackward(Window2d g, MemorySegment gy, MemorySegment gx);
}
