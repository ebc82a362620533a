package org.flatminima.kernels.vector;

import java.lang.foreign.MemorySegment;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BackendUnavailableException;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;

/**
 * The {@code vector} backend: every kernel in Java, vectorised with the Java Vector API
 * ({@code jdk.incubator.vector}); no native code.
 *
 * <p>This class mentions no vector type: the kernels live in the classes generated from
 * {@code src/main/templates} (FloatGemm/DoubleGemm, FloatElementwise/DoubleElementwise, ...), which are only
 * loaded after {@link #create()} has checked that the module is present. GEMM uses up to {@link #threads()}
 * threads when its operands are large enough and its segments are accessible from other threads (global,
 * automatic or shared arenas; a confined arena keeps it on the calling thread); the other kernels always run
 * on the calling thread.
 */
public final class VectorBackend implements Backend {

    /** The module the backend needs. */
    public static final String MODULE = "jdk.incubator.vector";

    private volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());

    private VectorBackend() {
    }

    /**
     * A new vector backend (one thread).
     *
     * @throws BackendUnavailableException when the JVM runs without the Vector API module
     */
    public static Backend create() throws BackendUnavailableException {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            throw new BackendUnavailableException(
                    "the Java Vector API module is missing: run java with --add-modules jdk.incubator.vector");
        }
        return new VectorBackend();
    }

    /** Width in bits of the preferred float vector of this CPU (e.g. 512 with AVX-512, 256 with AVX2). */
    public static int preferredVectorBits() {
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void setThreads(int threads) {
        this.threads = Math.max(1, threads);
    }

    @Override
    public void gemm(DType t, boolean transA, boolean transB, int m, int n, int k,
                     double alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                     double beta, MemorySegment c, int ldc) {
        if (t == DType.F32) {
            FloatGemm.gemm(transA, transB, m, n, k, (float) alpha, a, lda, b, ldb, (float) beta, c, ldc, threads);
        } else {
            DoubleGemm.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        }
    }

    @Override
    public void fill(DType t, long n, double value, MemorySegment y) {
        if (t == DType.F32) {
            FloatElementwise.fill(n, (float) value, y);
        } else {
            DoubleElementwise.fill(n, value, y);
        }
    }

    @Override
    public void copy(DType from, DType to, int[] shape, MemorySegment x, long[] xStrides, MemorySegment y) {
        if (from == DType.F32) {
            FloatElementwise.copy(to, shape, x, xStrides, y);
        } else {
            DoubleElementwise.copy(to, shape, x, xStrides, y);
        }
    }

    @Override
    public void unary(UnaryOp op, DType t, long n, double param, MemorySegment x, MemorySegment y) {
        if (t == DType.F32) {
            FloatElementwise.unary(op, n, param, x, y);
        } else {
            DoubleElementwise.unary(op, n, param, x, y);
        }
    }

    @Override
    public void binary(BinaryOp op, DType t, int[] shape, MemorySegment a, long[] aStrides,
                       MemorySegment b, long[] bStrides, MemorySegment y) {
        if (t == DType.F32) {
            FloatElementwise.binary(op, shape, a, aStrides, b, bStrides, y);
        } else {
            DoubleElementwise.binary(op, shape, a, aStrides, b, bStrides, y);
        }
    }

    @Override
    public void reduce(ReduceOp op, DType t, int outer, int len, int inner, MemorySegment x, MemorySegment y) {
        if (t == DType.F32) {
            FloatReductions.reduce(op, outer, len, inner, x, y);
        } else {
            DoubleReductions.reduce(op, outer, len, inner, x, y);
        }
    }

    @Override
    public void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx) {
        if (t == DType.F32) {
            FloatReductions.argmax(outer, len, inner, x, idx);
        } else {
            DoubleReductions.argmax(outer, len, inner, x, idx);
        }
    }

    @Override
    public void gatherCols(DType t, int rows, int cols, MemorySegment x, MemorySegment idx, MemorySegment y) {
        if (t == DType.F32) {
            FloatReductions.gatherCols(rows, cols, x, idx, y);
        } else {
            DoubleReductions.gatherCols(rows, cols, x, idx, y);
        }
    }

    @Override
    public void scatterCols(DType t, int rows, int cols, MemorySegment g, MemorySegment idx, MemorySegment y) {
        if (t == DType.F32) {
            FloatReductions.scatterCols(rows, cols, g, idx, y);
        } else {
            DoubleReductions.scatterCols(rows, cols, g, idx, y);
        }
    }

    @Override
    public void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        if (t == DType.F32) {
            FloatReductions.softmax(rows, cols, x, y);
        } else {
            DoubleReductions.softmax(rows, cols, x, y);
        }
    }

    @Override
    public void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        if (t == DType.F32) {
            FloatReductions.logSoftmax(rows, cols, x, y);
        } else {
            DoubleReductions.logSoftmax(rows, cols, x, y);
        }
    }

    @Override
    public void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                                    MemorySegment loss, MemorySegment probs) {
        if (t == DType.F32) {
            FloatReductions.softmaxCrossEntropy(rows, cols, z, labels, loss, probs);
        } else {
            DoubleReductions.softmaxCrossEntropy(rows, cols, z, labels, loss, probs);
        }
    }

    @Override
    public void softmaxCrossEntropyBackward(DType t, int rows, int cols, MemorySegment probs, MemorySegment labels,
                                            MemorySegment gLoss, MemorySegment dz) {
        if (t == DType.F32) {
            FloatReductions.softmaxCrossEntropyBackward(rows, cols, probs, labels, gLoss, dz);
        } else {
            DoubleReductions.softmaxCrossEntropyBackward(rows, cols, probs, labels, gLoss, dz);
        }
    }

    @Override
    public void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols) {
        if (t == DType.F32) {
            FloatWindows.im2col(g, x, cols);
        } else {
            DoubleWindows.im2col(g, x, cols);
        }
    }

    @Override
    public void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x) {
        if (t == DType.F32) {
            FloatWindows.col2im(g, cols, x);
        } else {
            DoubleWindows.col2im(g, cols, x);
        }
    }

    @Override
    public void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        if (t == DType.F32) {
            FloatWindows.maxPool2d(g, x, y, argmax);
        } else {
            DoubleWindows.maxPool2d(g, x, y, argmax);
        }
    }

    @Override
    public void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx) {
        if (t == DType.F32) {
            FloatWindows.maxPool2dBackward(g, gy, argmax, gx);
        } else {
            DoubleWindows.maxPool2dBackward(g, gy, argmax, gx);
        }
    }

    @Override
    public void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        if (t == DType.F32) {
            FloatWindows.avgPool2d(g, x, y);
        } else {
            DoubleWindows.avgPool2d(g, x, y);
        }
    }

    @Override
    public void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        if (t == DType.F32) {
            FloatWindows.avgPool2dBackward(g, gy, gx);
        } else {
            DoubleWindows.avgPool2dBackward(g, gy, gx);
        }
    }

    /** Not vectorised (a gather): the scalar oracle's loop. */
    @Override
    public void maxPool2dGather(DType t, Window2d g, MemorySegment x, MemorySegment argmax, MemorySegment y) {
        new org.flatminima.kernels.ScalarBackend().maxPool2dGather(t, g, x, argmax, y);
    }
}
