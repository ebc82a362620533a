package org.flatminima.kernels.vector;

import java.lang.foreign.MemorySegment;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BackendUnavailableException;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.ScalarBackend;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;

/**
 * The {@code vector} backend: the scalar oracle with the kernels that the Java Vector API
 * ({@code jdk.incubator.vector}) speeds up overridden; no native code.
 *
 * <p>Layering: this class extends {@link ScalarBackend} and overrides only what it vectorises; every other
 * method (today {@link #gatherCols}, {@link #scatterCols}, and {@link #unary} for the transcendental ops, whose
 * loops would only call {@link Math} per element as the oracle does) is the oracle's, by inheritance. The
 * {@code native} backend extends this class in turn.
 *
 * <p>Each override picks the {@link Kernels} of its dtype ({@code FloatKernels} or {@code DoubleKernels},
 * generated from {@code src/main/templates}) and calls it. This class mentions no vector type, so it loads
 * without the module; the generated classes load on the first kernel call, after {@link #create()} has checked
 * that the module is present. GEMM uses up to {@link #threads()} threads when its operands are large enough and
 * its segments are accessible from other threads (global, automatic or shared arenas; a confined arena keeps
 * it on the calling thread); the other kernels always run on the calling thread.
 */
public class VectorBackend extends ScalarBackend {

    /** The module the backend needs. */
    public static final String MODULE = "jdk.incubator.vector";

    private volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());

    /** For {@link #create()} and the layer above, which must have called {@link #requireModule()} first. */
    protected VectorBackend() {
    }

    /**
     * A new vector backend (as many threads as processors).
     *
     * @throws BackendUnavailableException when the JVM runs without the Vector API module
     */
    public static Backend create() throws BackendUnavailableException {
        requireModule();
        return new VectorBackend();
    }

    /**
     * Throws, with the fix in the message, when the JVM runs without the Vector API module; this backend and
     * every layer above it need it.
     */
    protected static void requireModule() throws BackendUnavailableException {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            throw new BackendUnavailableException(
                    "the Java Vector API module is missing: run java with --add-modules jdk.incubator.vector");
        }
    }

    /** Width in bits of the preferred float vector of this CPU (e.g. 512 with AVX-512, 256 with AVX2). */
    public static int preferredVectorBits() {
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    /** The kernels of dtype {@code t}. */
    private static Kernels kernels(DType t) {
        return t == DType.F32 ? FloatKernels.INSTANCE : DoubleKernels.INSTANCE;
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
        kernels(t).gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

    @Override
    public void fill(DType t, long n, double value, MemorySegment y) {
        kernels(t).fill(n, value, y);
    }

    @Override
    public void copy(DType from, DType to, int[] shape, MemorySegment x, long[] xStrides, MemorySegment y) {
        kernels(from).copy(to, shape, x, xStrides, y);
    }

    @Override
    public void unary(UnaryOp op, DType t, long n, double param, MemorySegment x, MemorySegment y) {
        if (!kernels(t).unary(op, n, param, x, y)) {
            super.unary(op, t, n, param, x, y);
        }
    }

    @Override
    public void binary(BinaryOp op, DType t, int[] shape, MemorySegment a, long[] aStrides,
                       MemorySegment b, long[] bStrides, MemorySegment y) {
        kernels(t).binary(op, shape, a, aStrides, b, bStrides, y);
    }

    @Override
    public void reduce(ReduceOp op, DType t, int outer, int len, int inner, MemorySegment x, MemorySegment y) {
        kernels(t).reduce(op, outer, len, inner, x, y);
    }

    @Override
    public void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx) {
        kernels(t).argmax(outer, len, inner, x, idx);
    }

    @Override
    public void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        kernels(t).softmax(rows, cols, x, y);
    }

    @Override
    public void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        kernels(t).logSoftmax(rows, cols, x, y);
    }

    @Override
    public void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                                    MemorySegment loss, MemorySegment probs) {
        kernels(t).softmaxCrossEntropy(rows, cols, z, labels, loss, probs);
    }

    @Override
    public void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols) {
        kernels(t).im2col(g, x, cols);
    }

    @Override
    public void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x) {
        kernels(t).col2im(g, cols, x);
    }

    @Override
    public void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        kernels(t).maxPool2d(g, x, y, argmax);
    }

    @Override
    public void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx) {
        kernels(t).maxPool2dBackward(g, gy, argmax, gx);
    }

    @Override
    public void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        kernels(t).avgPool2d(g, x, y);
    }

    @Override
    public void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        kernels(t).avgPool2dBackward(g, gy, gx);
    }
}

