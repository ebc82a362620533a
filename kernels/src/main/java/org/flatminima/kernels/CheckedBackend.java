package org.flatminima.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validates every argument the BLAS way (which argument, what bound) and then delegates. The engine calls
 * kernels through this, so that a wrong size is an {@link IllegalArgumentException} naming the argument,
 * never a crash inside native code or a silent read out of bounds.
 */
public final class CheckedBackend implements Backend {
    private final Backend d;

    private CheckedBackend(Backend delegate) {
        this.d = delegate;
    }

    /**
     * Wraps a backend (a checked one is returned as is); with {@code -D}{@value KernelTimes#PROPERTY}{@code =true},
     * in a {@link KernelTimes} too.
     */
    public static Backend wrap(Backend b) {
        if (b instanceof CheckedBackend || KernelTimes.isTimed(b)) {
            return b;
        }
        Backend checked = new CheckedBackend(b);
        return KernelTimes.requested() ? KernelTimes.wrap(checked) : checked;
    }

    /** The unchecked backend underneath. */
    public Backend delegate() {
        return d;
    }

    private static void need(MemorySegment s, long elements, int elemBytes, String op, String arg) {
        if (s == null) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' is null");
        }
        long bytes = elements * elemBytes;
        if (elements > 0 && s.byteSize() < bytes) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' holds " + s.byteSize() / elemBytes
                    + " elements but " + elements + " are needed");
        }
    }

    private static void positive(String op, String arg, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' is negative (" + v + ")");
        }
    }

    /** Elements reachable from a strided view: 1 + max offset (0 when empty). */
    private static long extent(int[] shape, long[] strides, String op, String arg) {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' has " + strides.length
                    + " strides for a shape of rank " + shape.length);
        }
        long max = 0;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) {
                return 0;
            }
            if (strides[i] < 0) {
                throw new IllegalArgumentException(op + ": argument '" + arg + "' has a negative stride");
            }
            max += (shape[i] - 1) * strides[i];
        }
        return max + 1;
    }

    private static void labels(MemorySegment labels, int rows, int cols, String op) {
        need(labels, rows, 4, op, "labels");
        for (int r = 0; r < rows; r++) {
            int l = labels.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, r);
            if (l < 0 || l >= cols) {
                throw new IllegalArgumentException(op + ": label " + l + " at row " + r + " is outside [0, " + cols
                        + ")");
            }
        }
    }

    @Override
    public String name() {
        return d.name();
    }

    @Override
    public int threads() {
        return d.threads();
    }

    @Override
    public void setThreads(int threads) {
        d.setThreads(threads);
    }

    @Override
    public void runParts(int parts, java.util.function.IntConsumer part) {
        if (parts < 0 || part == null) {
            throw new IllegalArgumentException("runParts: parts must be >= 0 and part non-null, got " + parts
                    + (part == null ? " and null" : ""));
        }
        d.runParts(parts, part);
    }

    @Override
    public java.util.List<String> details() {
        return d.details();
    }

    @Override
    public void gemm(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                     MemorySegment a, int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        if (checkGemm("gemm", t, transA, transB, m, n, k, a, lda, b, ldb, c, ldc)) {
            d.gemm(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    @Override
    public void gemmOntoRow(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                            MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row, MemorySegment c,
                            int ldc) {
        if (checkGemm("gemmOntoRow", t, transA, transB, m, n, k, a, lda, b, ldb, c, ldc)) {
            need(row, n, t.byteSize(), "gemmOntoRow", "row");
            d.gemmOntoRow(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, c, ldc);
        }
    }

    @Override
    public void gemmOntoRowRelu(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row,
                                MemorySegment c, int ldc) {
        if (checkGemm("gemmOntoRowRelu", t, transA, transB, m, n, k, a, lda, b, ldb, c, ldc)) {
            need(row, n, t.byteSize(), "gemmOntoRowRelu", "row");
            d.gemmOntoRowRelu(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, c, ldc);
        }
    }

    /** The checks of a GEMM's sizes and operands; whether C has an entry (m and n positive). */
    private static boolean checkGemm(String op, DType t, boolean transA, boolean transB, int m, int n, int k,
                                     MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment c, int ldc) {
        positive(op, "m", m);
        positive(op, "n", n);
        positive(op, "k", k);
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        if (lda < Math.max(1, aCols)) {
            throw new IllegalArgumentException(op + ": lda = " + lda + " < " + Math.max(1, aCols));
        }
        if (ldb < Math.max(1, bCols)) {
            throw new IllegalArgumentException(op + ": ldb = " + ldb + " < " + Math.max(1, bCols));
        }
        if (ldc < Math.max(1, n)) {
            throw new IllegalArgumentException(op + ": ldc = " + ldc + " < " + Math.max(1, n));
        }
        int es = t.byteSize();
        if (m > 0 && k > 0) {
            need(a, (long) (aRows - 1) * lda + aCols, es, op, "a");
        }
        if (n > 0 && k > 0) {
            need(b, (long) (bRows - 1) * ldb + bCols, es, op, "b");
        }
        if (m > 0 && n > 0) {
            need(c, (long) (m - 1) * ldc + n, es, op, "c");
            return true;
        }
        return false;
    }

    @Override
    public void syrk(DType t, boolean trans, int n, int k, double alpha, MemorySegment a, int lda, double beta,
                     MemorySegment c, int ldc) {
        String op = "syrk";
        positive(op, "n", n);
        positive(op, "k", k);
        int aRows = trans ? k : n;
        int aCols = trans ? n : k;
        if (lda < Math.max(1, aCols)) {
            throw new IllegalArgumentException(op + ": lda = " + lda + " < " + Math.max(1, aCols));
        }
        if (ldc < Math.max(1, n)) {
            throw new IllegalArgumentException(op + ": ldc = " + ldc + " < " + Math.max(1, n));
        }
        int es = t.byteSize();
        if (n > 0 && k > 0) {
            need(a, (long) (aRows - 1) * lda + aCols, es, op, "a");
        }
        if (n > 0) {
            need(c, (long) (n - 1) * ldc + n, es, op, "c");
            d.syrk(t, trans, n, k, alpha, a, lda, beta, c, ldc);
        }
    }

    @Override
    public void fill(DType t, long n, double value, MemorySegment y) {
        positive("fill", "n", n);
        need(y, n, t.byteSize(), "fill", "y");
        d.fill(t, n, value, y);
    }

    @Override
    public void copy(DType from, DType to, int[] shape, MemorySegment x, long[] xStrides, MemorySegment y) {
        need(x, extent(shape, xStrides, "copy", "x"), from.byteSize(), "copy", "x");
        need(y, Shapes.size(shape), to.byteSize(), "copy", "y");
        d.copy(from, to, shape, x, xStrides, y);
    }

    @Override
    public void unary(UnaryOp op, DType t, long n, double param, MemorySegment x, MemorySegment y) {
        positive(op.name(), "n", n);
        need(x, n, t.byteSize(), op.name(), "x");
        need(y, n, t.byteSize(), op.name(), "y");
        d.unary(op, t, n, param, x, y);
    }

    @Override
    public void axpby(DType t, long n, double alpha, MemorySegment x, double beta, MemorySegment y) {
        positive("axpby", "n", n);
        need(x, n, t.byteSize(), "axpby", "x");
        need(y, n, t.byteSize(), "axpby", "y");
        if (n > 0 && x.asSlice(0, n * t.byteSize()).asOverlappingSlice(y.asSlice(0, n * t.byteSize())).isPresent()) {
            throw new IllegalArgumentException("axpby: x overlaps y");
        }
        d.axpby(t, n, alpha, x, beta, y);
    }

    @Override
    public void binary(BinaryOp op, DType t, int[] shape, MemorySegment a, long[] aStrides, MemorySegment b,
                       long[] bStrides, MemorySegment y) {
        String name = op.name();
        need(a, extent(shape, aStrides, name, "a"), t.byteSize(), name, "a");
        need(b, extent(shape, bStrides, name, "b"), t.byteSize(), name, "b");
        need(y, Shapes.size(shape), t.byteSize(), name, "y");
        d.binary(op, t, shape, a, aStrides, b, bStrides, y);
    }

    private static void reduceShape(String op, int outer, int len, int inner) {
        positive(op, "outer", outer);
        positive(op, "inner", inner);
        if (len < 1) {
            throw new IllegalArgumentException(op + ": cannot reduce an axis of length " + len);
        }
    }

    @Override
    public void reduce(ReduceOp op, DType t, int outer, int len, int inner, MemorySegment x, MemorySegment y) {
        reduceShape(op.name(), outer, len, inner);
        need(x, (long) outer * len * inner, t.byteSize(), op.name(), "x");
        need(y, (long) outer * inner, t.byteSize(), op.name(), "y");
        d.reduce(op, t, outer, len, inner, x, y);
    }

    @Override
    public void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx) {
        reduceShape("argmax", outer, len, inner);
        need(x, (long) outer * len * inner, t.byteSize(), "argmax", "x");
        need(idx, (long) outer * inner, 4, "argmax", "idx");
        d.argmax(t, outer, len, inner, x, idx);
    }

    @Override
    public void gatherCols(DType t, int rows, int cols, MemorySegment x, MemorySegment idx, MemorySegment y) {
        labels(idx, rows, cols, "gatherCols");
        need(x, (long) rows * cols, t.byteSize(), "gatherCols", "x");
        need(y, rows, t.byteSize(), "gatherCols", "y");
        d.gatherCols(t, rows, cols, x, idx, y);
    }

    @Override
    public void scatterCols(DType t, int rows, int cols, MemorySegment g, MemorySegment idx, MemorySegment y) {
        labels(idx, rows, cols, "scatterCols");
        need(g, rows, t.byteSize(), "scatterCols", "g");
        need(y, (long) rows * cols, t.byteSize(), "scatterCols", "y");
        d.scatterCols(t, rows, cols, g, idx, y);
    }

    private static void rowsCols(String op, int rows, int cols) {
        positive(op, "rows", rows);
        if (cols < 1) {
            throw new IllegalArgumentException(op + ": needs at least one column, got " + cols);
        }
    }

    @Override
    public void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        rowsCols("softmax", rows, cols);
        need(x, (long) rows * cols, t.byteSize(), "softmax", "x");
        need(y, (long) rows * cols, t.byteSize(), "softmax", "y");
        d.softmax(t, rows, cols, x, y);
    }

    @Override
    public void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        rowsCols("logSoftmax", rows, cols);
        need(x, (long) rows * cols, t.byteSize(), "logSoftmax", "x");
        need(y, (long) rows * cols, t.byteSize(), "logSoftmax", "y");
        d.logSoftmax(t, rows, cols, x, y);
    }

    @Override
    public void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                                    MemorySegment loss, MemorySegment probs) {
        String op = "softmaxCrossEntropy";
        rowsCols(op, rows, cols);
        labels(labels, rows, cols, op);
        need(z, (long) rows * cols, t.byteSize(), op, "z");
        need(loss, rows, t.byteSize(), op, "loss");
        need(probs, (long) rows * cols, t.byteSize(), op, "probs");
        d.softmaxCrossEntropy(t, rows, cols, z, labels, loss, probs);
    }

    @Override
    public void crossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels, MemorySegment loss) {
        String op = "crossEntropy";
        rowsCols(op, rows, cols);
        labels(labels, rows, cols, op);
        need(z, (long) rows * cols, t.byteSize(), op, "z");
        need(loss, rows, t.byteSize(), op, "loss");
        d.crossEntropy(t, rows, cols, z, labels, loss);
    }

    private static void window(DType t, Window2d g, MemorySegment x, long yElems, MemorySegment y, String op,
                               String xName, String yName) {
        if (g == null) {
            throw new IllegalArgumentException(op + ": window geometry is null");
        }
        need(x, g.n() * g.imageSize(), t.byteSize(), op, xName);
        need(y, yElems, t.byteSize(), op, yName);
    }

    private static long colsSize(Window2d g) {
        return (long) g.n() * g.colRows() * g.colCols();
    }

    private static long pooledSize(Window2d g) {
        return (long) g.n() * g.c() * g.outH() * g.outW();
    }

    @Override
    public void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols) {
        window(t, g, x, colsSize(g), cols, "im2col", "x", "cols");
        d.im2col(t, g, x, cols);
    }

    private static void winograd(String op, Window2d g) {
        if (g == null) {
            throw new IllegalArgumentException(op + ": window geometry is null");
        }
        if (!Winograd2x2.applies(g)) {
            throw new IllegalArgumentException(op + ": Winograd F(2x2, 3x3) needs a 3x3 window with stride 1, got "
                    + g.kh() + "x" + g.kw() + " with stride " + g.strideH() + "x" + g.strideW());
        }
    }

    @Override
    public void winogradInput(DType t, Window2d g, MemorySegment x, MemorySegment v) {
        winograd("winogradInput", g);
        window(t, g, x, 16 * g.c() * g.winogradTiles(), v, "winogradInput", "x", "v");
        d.winogradInput(t, g, x, v);
    }

    @Override
    public void winogradOutput(DType t, Window2d g, int cout, MemorySegment mm, MemorySegment bias,
                               MemorySegment y) {
        winograd("winogradOutput", g);
        if (cout <= 0) {
            throw new IllegalArgumentException("winogradOutput: argument 'cout' must be positive, got " + cout);
        }
        need(mm, 16L * cout * g.winogradTiles(), t.byteSize(), "winogradOutput", "mm");
        if (bias != null) {
            need(bias, cout, t.byteSize(), "winogradOutput", "bias");
        }
        need(y, (long) g.n() * cout * g.outH() * g.outW(), t.byteSize(), "winogradOutput", "y");
        d.winogradOutput(t, g, cout, mm, bias, y);
    }

    @Override
    public void winogradGradient(DType t, Window2d g, int cout, MemorySegment gy, MemorySegment gt) {
        winograd("winogradGradient", g);
        if (cout <= 0) {
            throw new IllegalArgumentException("winogradGradient: argument 'cout' must be positive, got " + cout);
        }
        need(gy, (long) g.n() * cout * g.outH() * g.outW(), t.byteSize(), "winogradGradient", "gy");
        need(gt, 16L * cout * g.winogradTiles(), t.byteSize(), "winogradGradient", "gt");
        d.winogradGradient(t, g, cout, gy, gt);
    }

    @Override
    public boolean hasConv3x3Direct(DType t, Window2d g) {
        return g != null && d.hasConv3x3Direct(t, g);
    }

    private static void conv3x3(String op, Window2d g, int cout) {
        if (g == null) {
            throw new IllegalArgumentException(op + ": window geometry is null");
        }
        if (!Winograd2x2.applies(g)) { // the same windows: 3x3, stride 1
            throw new IllegalArgumentException(op + ": needs a 3x3 window with stride 1, got " + g.kh() + "x"
                    + g.kw() + " with stride " + g.strideH() + "x" + g.strideW());
        }
        if (cout <= 0) {
            throw new IllegalArgumentException(op + ": argument 'cout' must be positive, got " + cout);
        }
    }

    @Override
    public void conv3x3Direct(DType t, Window2d g, int cout, MemorySegment x, MemorySegment w, MemorySegment bias,
                              MemorySegment y) {
        conv3x3("conv3x3Direct", g, cout);
        window(t, g, x, (long) g.n() * cout * g.outH() * g.outW(), y, "conv3x3Direct", "x", "y");
        need(w, 9L * cout * g.c(), t.byteSize(), "conv3x3Direct", "w");
        if (bias != null) {
            need(bias, cout, t.byteSize(), "conv3x3Direct", "bias");
        }
        d.conv3x3Direct(t, g, cout, x, w, bias, y);
    }

    @Override
    public void conv3x3DirectWeightGrad(DType t, Window2d g, int cout, MemorySegment x, MemorySegment gy,
                                        MemorySegment gw) {
        conv3x3("conv3x3DirectWeightGrad", g, cout);
        window(t, g, x, (long) g.n() * cout * g.outH() * g.outW(), gy, "conv3x3DirectWeightGrad", "x", "gy");
        need(gw, 9L * cout * g.c(), t.byteSize(), "conv3x3DirectWeightGrad", "gw");
        d.conv3x3DirectWeightGrad(t, g, cout, x, gy, gw);
    }

    @Override
    public void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x) {
        window(t, g, x, colsSize(g), cols, "col2im", "x", "cols");
        d.col2im(t, g, cols, x);
    }

    @Override
    public void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        window(t, g, x, pooledSize(g), y, "maxPool2d", "x", "y");
        need(argmax, pooledSize(g), 4, "maxPool2d", "argmax");
        d.maxPool2d(t, g, x, y, argmax);
    }

    @Override
    public void maxPool2dValues(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        window(t, g, x, pooledSize(g), y, "maxPool2dValues", "x", "y");
        d.maxPool2dValues(t, g, x, y);
    }

    @Override
    public void gatedChannelSum(DType t, int n, int c, long plane, MemorySegment a, MemorySegment gate,
            MemorySegment out) {
        long size = (long) n * c * plane;
        need(a, size, t.byteSize(), "gatedChannelSum", "a");
        need(gate, size, t.byteSize(), "gatedChannelSum", "gate");
        need(out, c, t.byteSize(), "gatedChannelSum", "out");
        d.gatedChannelSum(t, n, c, plane, a, gate, out);
    }

    @Override
    public void maxPool2dRelu(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        window(t, g, x, pooledSize(g), y, "maxPool2dRelu", "x", "y");
        if (argmax != null) {
            need(argmax, pooledSize(g), 4, "maxPool2dRelu", "argmax");
        }
        d.maxPool2dRelu(t, g, x, y, argmax);
    }

    @Override
    public void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx) {
        window(t, g, gx, pooledSize(g), gy, "maxPool2dBackward", "gx", "gy");
        need(argmax, pooledSize(g), 4, "maxPool2dBackward", "argmax");
        d.maxPool2dBackward(t, g, gy, argmax, gx);
    }

    @Override
    public void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        window(t, g, x, pooledSize(g), y, "avgPool2d", "x", "y");
        d.avgPool2d(t, g, x, y);
    }

    @Override
    public void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        window(t, g, gx, pooledSize(g), gy, "avgPool2dBackward", "gx", "gy");
        d.avgPool2dBackward(t, g, gy, gx);
    }

    @Override
    public String toString() {
        return "checked(" + d.name() + ")";
    }

    @Override
    public void maxPool2dGather(DType t, Window2d g, MemorySegment x, MemorySegment argmax, MemorySegment y) {
        window(t, g, x, pooledSize(g), y, "maxPool2dGather", "x", "y");
        need(argmax, pooledSize(g), 4, "maxPool2dGather", "argmax");
        d.maxPool2dGather(t, g, x, argmax, y);
    }

    @Override
    public void symmetricEigen(DType t, int n, MemorySegment a, MemorySegment w, boolean vectors) {
        positive("symmetricEigen", "n", n);
        need(a, (long) n * n, t.byteSize(), "symmetricEigen", "a");
        need(w, n, t.byteSize(), "symmetricEigen", "w");
        d.symmetricEigen(t, n, a, w, vectors);
    }
}
