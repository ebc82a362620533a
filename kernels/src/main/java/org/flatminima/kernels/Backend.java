package org.flatminima.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The primitive kernels of the engine, on raw storage.
 *
 * <p>Conventions shared by every method:
 * <ul>
 *   <li>A {@link MemorySegment} argument starts at element 0 of the operand: callers slice views
 *       ({@code segment.asSlice(offsetBytes)}); sizes and strides are in elements, not bytes.</li>
 *   <li>Tensors are row-major. Outputs are contiguous unless a leading dimension says otherwise.</li>
 *   <li>Integer operands (labels, argmax indices) are {@code int32} segments.</li>
 *   <li>Unless stated, an output may not overlap an input, except for {@link #unary}, which may run in place, and
 *       {@link #binary}, whose output may be its first operand when that is laid out as the output.</li>
 *   <li>Arguments are assumed valid: {@link CheckedBackend} validates them, once, for callers that did not.</li>
 * </ul>
 *
 * <p>Three implementations exist, each a layer on the one before: {@code scalar} ({@link ScalarBackend}, plain
 * loops in double precision: the oracle), {@code vector} (extends it with what the Java Vector API speeds up)
 * and {@code native} (extends that with OpenBLAS GEMM and our C kernels through FFM). A kernel a layer does not
 * override runs the layer below's. {@link Backends} chooses one; docs/kernels.md says how to add a kernel.
 */
public interface Backend {

    /** "scalar", "vector" or "native". */
    String name();

    /** Threads the kernels of this backend may use (at least 1). */
    int threads();

    /** Sets the threads the kernels may use; values below 1 mean 1. A backend may use fewer. */
    void setThreads(int threads);

    /**
     * Runs {@code part.accept(i)} for every {@code i < parts}, each exactly once, on up to {@link #threads()}
     * threads (the calling thread included), and returns when all are done; the first failure is rethrown. For
     * callers that split their own work into independent parts (the engine's image-parallel convolutions): the
     * parts must not write what another part reads or writes. Inside a part, this backend's kernels run on the
     * thread of the part alone (a kernel that would split runs unsplit, GEMM on one thread), and a nested
     * {@code runParts} runs its parts in order on that thread. Which thread runs which part varies from call to
     * call, so a part must compute the same thing wherever it runs.
     *
     * <p>The oracle ({@link ScalarBackend}) runs the parts in order on the calling thread.
     */
    void runParts(int parts, java.util.function.IntConsumer part);

    /**
     * What this backend runs on, one line each (libraries with their versions, which GEMM and why), for
     * {@code flatminima backends}; none by default.
     */
    default java.util.List<String> details() {
        return java.util.List.of();
    }

    // ------------------------------------------------------------------ BLAS level 3

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, row-major, as {@code cblas_?gemm(CblasRowMajor, ...)}.
     * {@code op(A)} is m x k: A is stored m x k with row stride {@code lda} (or k x m when {@code transA});
     * {@code op(B)} is k x n; C is m x n with row stride {@code ldc}. When {@code beta == 0}, C is not read
     * (NaNs in it do not propagate).
     */
    void gemm(DType t, boolean transA, boolean transB, int m, int n, int k,
              double alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
              double beta, MemorySegment c, int ldc);

    /**
     * {@code C = alpha * op(A) * op(B) + 1 row^T}: {@link #gemm} onto {@code row}, n elements added to every row of
     * C (a linear layer's bias), C not read. The same results, to the bit, as {@link #gemm} at beta 1 onto a C whose
     * rows all hold {@code row}, which is what the oracle does; a backend overrides it where a GEMM can read the row
     * in its first store instead of C, saving the pass that writes the broadcast (docs/PERFORMANCE.md, "A linear
     * layer's bias in the product's first store").
     */
    void gemmOntoRow(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                     int lda, MemorySegment b, int ldb, MemorySegment row, MemorySegment c, int ldc);

    /**
     * {@link #gemmOntoRow} and then the ReLU of every entry of C ({@code c > 0 ? c : +0}, NaN to +0, as
     * {@link UnaryOp#RELU}): a linear layer and its ReLU. The same bits as those two, which is what the oracle does;
     * a backend overrides it where the GEMM's last store can write the ReLU, saving the pass over C
     * (docs/PERFORMANCE.md, "A linear layer's ReLU in the product's last store").
     */
    void gemmOntoRowRelu(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                         MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row, MemorySegment c,
                         int ldc);

    /**
     * {@code C = alpha * op(A) * op(A)^T + beta * C} on the upper triangle of C only, row-major, as
     * {@code cblas_?syrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, ...)}. {@code op(A)} is
     * n x k: A is stored n x k with row stride {@code lda}, or k x n when {@code trans} (the product is then
     * {@code A^T A}, the Gram matrix of A's columns). C is n x n with row stride {@code ldc}; only its entries
     * {@code C[i, j]} with {@code j >= i} are read and written, the strictly lower triangle is left as it was.
     * When {@code beta == 0}, C is not read (NaNs in it do not propagate); with {@code k == 0}, C's upper triangle
     * becomes {@code beta * C}.
     */
    void syrk(DType t, boolean trans, int n, int k, double alpha, MemorySegment a, int lda,
              double beta, MemorySegment c, int ldc);

    // ------------------------------------------------------------------ elementwise

    /** {@code y[i] = value} for {@code i < n}. */
    void fill(DType t, long n, double value, MemorySegment y);

    /**
     * {@code y[i] = alpha * x[i] + beta * y[i]} for {@code i < n} (BLAS's axpby), in double, rounded once to the
     * element type: an update in place of contiguous y (an optimiser's step) in one pass. x must not overlap y.
     */
    void axpby(DType t, long n, double alpha, MemorySegment x, double beta, MemorySegment y);

    /**
     * Strided gather into a contiguous output, with dtype conversion: for every index tuple {@code i} of
     * {@code shape}, {@code y[flat(i)] = x[sum_d i_d * xStrides_d]}. Used to materialise views (transpose,
     * slices, broadcasts) and to convert between F32 and F64.
     */
    void copy(DType from, DType to, int[] shape, MemorySegment x, long[] xStrides, MemorySegment y);

    /** {@code y[i] = op(x[i]; param)} for {@code i < n}; {@code x == y} (in place) is allowed. */
    void unary(UnaryOp op, DType t, long n, double param, MemorySegment x, MemorySegment y);

    /**
     * {@code y[flat(i)] = op(a[i . aStrides], b[i . bStrides])} for every index tuple {@code i} of
     * {@code shape}: broadcasting is a stride of 0. {@code y} is contiguous. {@code y == a} (in place) is allowed
     * when {@code a} is contiguous with {@code shape} (its strides those of a row-major array of that shape):
     * every element of {@code a} is read before the element of {@code y} at the same index is written.
     */
    void binary(BinaryOp op, DType t, int[] shape, MemorySegment a, long[] aStrides,
                MemorySegment b, long[] bStrides, MemorySegment y);

    // ------------------------------------------------------------------ reductions

    /**
     * Reduces the middle axis of x, viewed as contiguous {@code [outer, len, inner]}, into y of shape
     * {@code [outer, inner]}. {@code len} must be at least 1.
     */
    void reduce(ReduceOp op, DType t, int outer, int len, int inner, MemorySegment x, MemorySegment y);

    /**
     * Index of the largest element along the middle axis of {@code [outer, len, inner]}, the first one on
     * ties, into the int32 segment {@code idx} of shape {@code [outer, inner]}.
     */
    void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx);

    /** {@code y[r] = x[r, idx[r]]} for a contiguous {@code [rows, cols]} x: picks one column per row. */
    void gatherCols(DType t, int rows, int cols, MemorySegment x, MemorySegment idx, MemorySegment y);

    /** The adjoint of {@link #gatherCols}: {@code y = 0; y[r, idx[r]] = g[r]}. */
    void scatterCols(DType t, int rows, int cols, MemorySegment g, MemorySegment idx, MemorySegment y);

    // ------------------------------------------------------------------ softmax and cross-entropy

    /** Row-wise softmax of a contiguous {@code [rows, cols]} matrix, stable (max subtracted). */
    void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y);

    /** Row-wise log-softmax of a contiguous {@code [rows, cols]} matrix, stable. */
    void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y);

    /**
     * Fused softmax cross-entropy forward: {@code loss[r] = logsumexp(z[r,:]) - z[r, labels[r]]} and
     * {@code probs[r,:] = softmax(z[r,:])}.
     */
    void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                             MemorySegment loss, MemorySegment probs);

    /**
     * The losses of {@link #softmaxCrossEntropy} alone, the same values to the bit, without the probabilities: what
     * a forward evaluation needs (nothing differentiates it).
     */
    void crossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels, MemorySegment loss);

    // ------------------------------------------------------------------ convolution and pooling (NCHW)

    /**
     * Unfolds x {@code [n, c, h, w]} into cols {@code [n, c*kh*kw, outH*outW]}: row
     * {@code (ci*kh + i)*kw + j} of image b holds {@code x[b, ci, oy*sh - ph + i, ox*sw - pw + j]} (0 in the
     * padding) in column {@code oy*outW + ox}.
     */
    void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols);

    /** The adjoint of {@link #im2col}: overwrites x {@code [n, c, h, w]} with the sum of the columns folded back. */
    void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x);

    /**
     * The input transform of Winograd's F(2x2, 3x3) for a 3x3 stride-1 window ({@link Winograd2x2#applies}): for
     * every image b, channel ci and tile {@code t = (b * th + ty) * tw + tx} ({@code th = ceil(outH / 2)},
     * {@code tw = ceil(outW / 2)}, {@code nt = g.winogradTiles()} tiles in all), {@code v[k][ci][t] = (B^T d B)[k]}
     * with d the 4x4 block of x at rows {@code 2ty - padH ..} and columns {@code 2tx - padW ..} (0 outside).
     * v is {@code [16, c, nt]}. Single-threaded: callers split the images.
     */
    void winogradInput(DType t, Window2d g, MemorySegment x, MemorySegment v);

    /**
     * The output transform of Winograd's F(2x2, 3x3): {@code y[b][co][2ty + a][2tx + e] = (A^T m A)[a][e]} with
     * {@code m[k] = mm[k][co][t]} for the tiles of {@link #winogradInput} over the same window g, outputs past
     * {@code outH x outW} dropped, plus {@code bias[co]} where {@code bias} ({@code [cout]}) is not null: one
     * addition after each output's transform, so the bits of the transform followed by the addition of the bias.
     * mm is {@code [16, cout, nt]}, y {@code [n, cout, outH, outW]}. Single-threaded: callers split the images.
     */
    void winogradOutput(DType t, Window2d g, int cout, MemorySegment mm, MemorySegment bias, MemorySegment y);

    /**
     * The weight gradient's transform of Winograd's F(2x2, 3x3): {@code gt[k][t][co] = (A gb A^T)[k]} with gb the
     * 2x2 block of gy {@code [n, cout, outH, outW]} that tile t of {@link #winogradInput} (same window g) computes,
     * zero past the edge; {@code A = [[1, 0], [1, 1], [1, -1], [0, -1]]}. gt is {@code [16, nt, cout]}, tile-major
     * (unlike {@link #winogradInput}'s output): the gradient of a loss with respect to the products that
     * {@link #winogradOutput} transforms, laid out so that the weight gradient's products {@code gt[k]^T v[k]^T}
     * are TT, which OpenBLAS's small-matrix kernels run about twice as fast as the NT of a channel-major gt
     * (docs/PERFORMANCE.md, "The Winograd weight gradient's products transposed").
     * Single-threaded: callers split the images.
     */
    void winogradGradient(DType t, Window2d g, int cout, MemorySegment gy, MemorySegment gt);

    /**
     * Whether {@link #conv3x3Direct} and {@link #conv3x3DirectWeightGrad} run fast for this window and dtype: a
     * direct convolution for few input channels, where im2col would feed GEMM an inner dimension of 9 per channel.
     * The engine takes im2col and GEMM where this is false; the oracle's (and the vector backend's) is always false.
     */
    boolean hasConv3x3Direct(DType t, Window2d g);

    /**
     * {@code y[b][o][oy][ox] = sum_{c,i,j} w[o][c][i][j] x[b][c][oy - padH + i][ox - padW + j]} (0 outside the
     * image) for a 3x3 window of stride 1: x {@code [n, c, h, w]}, w {@code [cout, c, 3, 3]}, y
     * {@code [n, cout, outH, outW]}, each entry summed in the order (c, i, j), the same for every thread count;
     * plus {@code bias[o]} where {@code bias} ({@code [cout]}) is not null, added to each entry's sum as a separate
     * addition would.
     */
    void conv3x3Direct(DType t, Window2d g, int cout, MemorySegment x, MemorySegment w, MemorySegment bias,
                       MemorySegment y);

    /**
     * Adds {@code sum_b sum_{oy,ox} gy[b][o][oy][ox] x[b][c][oy - padH + i][ox - padW + j]} to
     * {@code gw[o][c][i][j]}: the weight gradient of {@link #conv3x3Direct}, gy {@code [n, cout, outH, outW]}, gw
     * {@code [cout, c, 3, 3]} accumulated into. Single-threaded: callers split the images (and add the parts'
     * sums in an order of their own).
     */
    void conv3x3DirectWeightGrad(DType t, Window2d g, int cout, MemorySegment x, MemorySegment gy, MemorySegment gw);

    /**
     * Max pooling of x {@code [n, c, h, w]} into y {@code [n, c, outH, outW]}; padding counts as -infinity.
     * {@code argmax} (int32, same shape as y) receives the winner's index {@code iy*w + ix} within its plane,
     * the first maximum in row-major window order on ties (as PyTorch).
     */
    void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax);

    /**
     * The values of {@link #maxPool2d} alone, the same to the bit, without the routing: what a forward evaluation
     * needs (nothing differentiates it).
     */
    void maxPool2dValues(DType t, Window2d g, MemorySegment x, MemorySegment y);

    /**
     * A ReLU after {@link #maxPool2d}: {@code y = relu(maxPool2d(x))} ({@code v > 0 ? v : 0}, as {@link UnaryOp#RELU}),
     * the same bits as those two; where y is 0 (the window's maximum is not positive, or NaN) its {@code argmax}
     * is -1, routing nowhere, so {@link #maxPool2dBackward} and {@link #maxPool2dGather} of this routing apply the
     * ReLU's gate too. {@code argmax} null: the values alone.
     */
    void maxPool2dRelu(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax);

    /**
     * The adjoint of {@link #maxPool2d}: {@code gx = 0}, then each gy is added at its argmax (none where the
     * argmax is negative: a window that routes nowhere).
     */
    void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx);

    /** Average pooling; padding counts as zeros and the divisor is always {@code kh*kw} (PyTorch's default). */
    void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y);

    /** The adjoint of {@link #avgPool2d}: overwrites gx. */
    void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx);

    /**
     * The values of x {@code [n, c, h, w]} that a max pooling with this {@code argmax} (as {@link #maxPool2d}
     * writes it) selects: {@code y[p, o] = x[p, argmax[p, o]]} per plane p, y {@code [n, c, outH, outW]}; the
     * transpose of {@link #maxPool2dBackward}. With x the pooled input itself this is the max pooling; with a
     * tangent of it, the tangent of the pooling.
     */
    void maxPool2dGather(DType t, Window2d g, MemorySegment x, MemorySegment argmax, MemorySegment y);

    /**
     * Per channel, the sum of a where gate is positive: {@code out[ci] = sum_{b, o} (gate[b, ci, o] > 0 ? a[b, ci, o]
     * : 0)} over a and gate {@code [n, c, plane]} (contiguous), out {@code [c]}: the bias gradient of a convolution
     * whose output a ReLU gated, without the gated cotangent as a pass of its own. Each channel's terms in one order
     * for every backend and thread count: per image, positions in order, position o added to running sum
     * {@code o mod 16}, then the 16 sums pairwise ({@code s[j] += s[j + w]} for w = 8, 4, 2, 1), in the element type.
     */
    void gatedChannelSum(DType t, int n, int c, long plane, MemorySegment a, MemorySegment gate, MemorySegment out);

    // ------------------------------------------------------------------ linear algebra

    /**
     * Eigen-decomposition of a symmetric matrix, as LAPACK's {@code dsyevd}/{@code ssyevd}: {@code w} receives the
     * {@code n} eigenvalues in ascending order. {@code a} is {@code n x n}, row-major, contiguous; only its upper
     * triangle ({@code a[i*n + j]}, {@code j >= i}) is read, the rest may hold anything. When {@code vectors}, row
     * {@code i} of {@code a} ({@code a[i*n .. i*n + n - 1]}) is overwritten with the unit eigenvector of
     * {@code w[i]} (signs arbitrary; orthonormal also within a repeated eigenvalue); otherwise {@code a} is
     * overwritten with unspecified values. An implementation may need {@code a} and {@code w} off-heap for speed
     * but accepts heap segments.
     *
     * @throws ArithmeticException when the iteration does not converge (e.g. NaN or infinity in {@code a})
     */
    void symmetricEigen(DType t, int n, MemorySegment a, MemorySegment w, boolean vectors);
}
