package org.flatminima.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The oracle: every kernel as the plainest loop, reading and accumulating in double precision whatever the
 * storage type, single-threaded. Never optimised; every other backend is tested against it.
 *
 * <p>It is also the base layer: {@code VectorBackend} extends it and {@code NativeBackend} extends that, each
 * overriding only the kernels it speeds up, so a kernel that a faster layer lacks runs this implementation.
 * A new {@link Backend} method is therefore written here first; faster versions are optional.
 */
public class ScalarBackend implements Backend {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int threads() {
        return 1;
    }

    /** The oracle is single-threaded by design; the request is ignored. */
    @Override
    public void setThreads(int threads) {
        // deliberately single-threaded
    }

    /** The parts in order, on the calling thread. */
    @Override
    public void runParts(int parts, java.util.function.IntConsumer part) {
        for (int i = 0; i < parts; i++) {
            part.accept(i);
        }
    }

    /** {@code row} copied into each of C's rows, then {@link #gemm} at beta 1 (the definition every layer keeps). */
    @Override
    public void gemmOntoRow(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                            MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row, MemorySegment c,
                            int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (ldc == n) {
            copy(t, t, new int[] {m, n}, row, new long[] {0, 1}, c);
        } else {
            for (int i = 0; i < m; i++) {
                copy(t, t, new int[] {n}, row, new long[] {1}, c.asSlice((long) i * ldc * t.byteSize()));
            }
        }
        gemm(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, 1.0, c, ldc);
    }

    /** {@link #gemmOntoRow}, then {@link UnaryOp#RELU} over C in place, row by row where C's rows have gaps. */
    @Override
    public void gemmOntoRowRelu(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment row,
                                MemorySegment c, int ldc) {
        gemmOntoRow(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, row, c, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (ldc == n) {
            unary(UnaryOp.RELU, t, (long) m * n, 0, c, c);
        } else {
            for (int i = 0; i < m; i++) {
                MemorySegment ci = c.asSlice((long) i * ldc * t.byteSize());
                unary(UnaryOp.RELU, t, n, 0, ci, ci);
            }
        }
    }

    @Override
    public void gemm(DType t, boolean transA, boolean transB, int m, int n, int k,
                     double alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                     double beta, MemorySegment c, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? t.get(a, (long) p * lda + i) : t.get(a, (long) i * lda + p);
                    double bv = transB ? t.get(b, (long) j * ldb + p) : t.get(b, (long) p * ldb + j);
                    s += av * bv;
                }
                long ci = (long) i * ldc + j;
                double prior = beta == 0 ? 0 : beta * t.get(c, ci);
                t.set(c, ci, alpha * s + prior);
            }
        }
    }

    @Override
    public void syrk(DType t, boolean trans, int n, int k, double alpha, MemorySegment a, int lda,
                     double beta, MemorySegment c, int ldc) {
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double ai = trans ? t.get(a, (long) p * lda + i) : t.get(a, (long) i * lda + p);
                    double aj = trans ? t.get(a, (long) p * lda + j) : t.get(a, (long) j * lda + p);
                    s += ai * aj;
                }
                long ci = (long) i * ldc + j;
                double prior = beta == 0 ? 0 : beta * t.get(c, ci);
                t.set(c, ci, alpha * s + prior);
            }
        }
    }

    @Override
    public void fill(DType t, long n, double value, MemorySegment y) {
        for (long i = 0; i < n; i++) {
            t.set(y, i, value);
        }
    }

    @Override
    public void copy(DType from, DType to, int[] shape, MemorySegment x, long[] xStrides, MemorySegment y) {
        long total = Shapes.size(shape);
        int[] idx = new int[shape.length];
        for (long f = 0; f < total; f++) {
            to.set(y, f, from.get(x, Shapes.offset(idx, xStrides)));
            Shapes.increment(idx, shape);
        }
    }

    @Override
    public void axpby(DType t, long n, double alpha, MemorySegment x, double beta, MemorySegment y) {
        for (long i = 0; i < n; i++) {
            t.set(y, i, alpha * t.get(x, i) + beta * t.get(y, i));
        }
    }

    @Override
    public void unary(UnaryOp op, DType t, long n, double param, MemorySegment x, MemorySegment y) {
        for (long i = 0; i < n; i++) {
            t.set(y, i, op.apply(t.get(x, i), param));
        }
    }

    @Override
    public void binary(BinaryOp op, DType t, int[] shape, MemorySegment a, long[] aStrides,
                       MemorySegment b, long[] bStrides, MemorySegment y) {
        long total = Shapes.size(shape);
        int[] idx = new int[shape.length];
        for (long f = 0; f < total; f++) {
            double av = t.get(a, Shapes.offset(idx, aStrides));
            double bv = t.get(b, Shapes.offset(idx, bStrides));
            t.set(y, f, op.apply(av, bv));
            Shapes.increment(idx, shape);
        }
    }

    @Override
    public void reduce(ReduceOp op, DType t, int outer, int len, int inner, MemorySegment x, MemorySegment y) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                long base = (long) o * len * inner + i;
                double acc = t.get(x, base);
                for (int l = 1; l < len; l++) {
                    double v = t.get(x, base + (long) l * inner);
                    acc = switch (op) {
                        case SUM -> acc + v;
                        case MAX -> Math.max(acc, v);
                        case MIN -> Math.min(acc, v);
                    };
                }
                t.set(y, (long) o * inner + i, acc);
            }
        }
    }

    @Override
    public void argmax(DType t, int outer, int len, int inner, MemorySegment x, MemorySegment idx) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                long base = (long) o * len * inner + i;
                int best = 0;
                double bv = t.get(x, base);
                for (int l = 1; l < len; l++) {
                    double v = t.get(x, base + (long) l * inner);
                    if (v > bv) {
                        bv = v;
                        best = l;
                    }
                }
                idx.setAtIndex(INT, (long) o * inner + i, best);
            }
        }
    }

    @Override
    public void gatherCols(DType t, int rows, int cols, MemorySegment x, MemorySegment idx, MemorySegment y) {
        for (int r = 0; r < rows; r++) {
            t.set(y, r, t.get(x, (long) r * cols + idx.getAtIndex(INT, r)));
        }
    }

    @Override
    public void scatterCols(DType t, int rows, int cols, MemorySegment g, MemorySegment idx, MemorySegment y) {
        fill(t, (long) rows * cols, 0, y);
        for (int r = 0; r < rows; r++) {
            t.set(y, (long) r * cols + idx.getAtIndex(INT, r), t.get(g, r));
        }
    }

    /** The row's maximum and {@code sum_c exp(x_c - max)}: every softmax quantity is formed from these. */
    private static double[] maxAndSum(DType t, int cols, MemorySegment x, int r) {
        long base = (long) r * cols;
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            max = Math.max(max, t.get(x, base + c));
        }
        double s = 0;
        for (int c = 0; c < cols; c++) {
            s += Math.exp(t.get(x, base + c) - max);
        }
        return new double[] {max, s};
    }

    @Override
    public void softmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        for (int r = 0; r < rows; r++) {
            double[] ms = maxAndSum(t, cols, x, r);
            long base = (long) r * cols;
            for (int c = 0; c < cols; c++) {
                t.set(y, base + c, Math.exp(t.get(x, base + c) - ms[0]) / ms[1]);
            }
        }
    }

    @Override
    public void logSoftmax(DType t, int rows, int cols, MemorySegment x, MemorySegment y) {
        for (int r = 0; r < rows; r++) {
            double[] ms = maxAndSum(t, cols, x, r);
            double logSum = Math.log(ms[1]);
            long base = (long) r * cols;
            for (int c = 0; c < cols; c++) {
                t.set(y, base + c, (t.get(x, base + c) - ms[0]) - logSum);
            }
        }
    }

    @Override
    public void softmaxCrossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                                    MemorySegment loss, MemorySegment probs) {
        softmax(t, rows, cols, z, probs);
        losses(t, rows, cols, z, labels, loss);
    }

    @Override
    public void crossEntropy(DType t, int rows, int cols, MemorySegment z, MemorySegment labels, MemorySegment loss) {
        losses(t, rows, cols, z, labels, loss);
    }

    /** loss[r] = log(sum) - (z[r, labels[r]] - max), in double. */
    private static void losses(DType t, int rows, int cols, MemorySegment z, MemorySegment labels,
                               MemorySegment loss) {
        for (int r = 0; r < rows; r++) {
            double[] ms = maxAndSum(t, cols, z, r);
            double zy = t.get(z, (long) r * cols + labels.getAtIndex(INT, r));
            t.set(loss, r, Math.log(ms[1]) - (zy - ms[0]));
        }
    }

    @Override
    public void winogradInput(DType t, Window2d g, MemorySegment x, MemorySegment v) {
        Winograd2x2.input(t, g, x, v);
    }

    @Override
    public void winogradOutput(DType t, Window2d g, int cout, MemorySegment mm, MemorySegment bias,
                               MemorySegment y) {
        Winograd2x2.output(t, g, cout, mm, bias, y);
    }

    @Override
    public void winogradGradient(DType t, Window2d g, int cout, MemorySegment gy, MemorySegment gt) {
        Winograd2x2.gradient(t, g, cout, gy, gt);
    }

    /** The oracle computes the direct convolutions (in double) but is not fast at them. */
    @Override
    public boolean hasConv3x3Direct(DType t, Window2d g) {
        return false;
    }

    @Override
    public void conv3x3Direct(DType t, Window2d g, int cout, MemorySegment x, MemorySegment w, MemorySegment bias,
                              MemorySegment y) {
        int oh = g.outH();
        int ow = g.outW();
        for (int b = 0; b < g.n(); b++) {
            for (int o = 0; o < cout; o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = 0;
                        for (int c = 0; c < g.c(); c++) {
                            for (int i = 0; i < 3; i++) {
                                for (int j = 0; j < 3; j++) {
                                    int iy = oy - g.padH() + i;
                                    int ix = ox - g.padW() + j;
                                    if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w()) {
                                        s += t.get(w, (((long) o * g.c() + c) * 3 + i) * 3 + j)
                                                * t.get(x, b * g.imageSize() + ((long) c * g.h() + iy) * g.w() + ix);
                                    }
                                }
                            }
                        }
                        if (bias != null) { // the sum rounded to t, then the bias added: as a separate addition
                            s = (t == DType.F32 ? (float) s : s) + t.get(bias, o);
                        }
                        t.set(y, (((long) b * cout + o) * oh + oy) * ow + ox, s);
                    }
                }
            }
        }
    }

    @Override
    public void conv3x3DirectWeightGrad(DType t, Window2d g, int cout, MemorySegment x, MemorySegment gy,
                                        MemorySegment gw) {
        int oh = g.outH();
        int ow = g.outW();
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < g.c(); c++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        double s = 0;
                        for (int b = 0; b < g.n(); b++) {
                            for (int oy = 0; oy < oh; oy++) {
                                int iy = oy - g.padH() + i;
                                for (int ox = 0; ox < ow && iy >= 0 && iy < g.h(); ox++) {
                                    int ix = ox - g.padW() + j;
                                    if (ix >= 0 && ix < g.w()) {
                                        s += t.get(gy, (((long) b * cout + o) * oh + oy) * ow + ox)
                                                * t.get(x, b * g.imageSize() + ((long) c * g.h() + iy) * g.w() + ix);
                                    }
                                }
                            }
                        }
                        long at = (((long) o * g.c() + c) * 3 + i) * 3 + j;
                        t.set(gw, at, t.get(gw, at) + s);
                    }
                }
            }
        }
    }

    @Override
    public void im2col(DType t, Window2d g, MemorySegment x, MemorySegment cols) {
        int oh = g.outH();
        int ow = g.outW();
        long colsPerImage = (long) g.colRows() * g.colCols();
        for (int b = 0; b < g.n(); b++) {
            for (int ci = 0; ci < g.c(); ci++) {
                for (int i = 0; i < g.kh(); i++) {
                    for (int j = 0; j < g.kw(); j++) {
                        long row = ((long) ci * g.kh() + i) * g.kw() + j;
                        for (int oy = 0; oy < oh; oy++) {
                            for (int ox = 0; ox < ow; ox++) {
                                int iy = oy * g.strideH() - g.padH() + i;
                                int ix = ox * g.strideW() - g.padW() + j;
                                double v = (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) ? 0.0
                                        : t.get(x, b * g.imageSize() + ((long) ci * g.h() + iy) * g.w() + ix);
                                t.set(cols, b * colsPerImage + row * oh * ow + (long) oy * ow + ox, v);
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void col2im(DType t, Window2d g, MemorySegment cols, MemorySegment x) {
        fill(t, g.n() * g.imageSize(), 0, x);
        int oh = g.outH();
        int ow = g.outW();
        long colsPerImage = (long) g.colRows() * g.colCols();
        for (int b = 0; b < g.n(); b++) {
            for (int ci = 0; ci < g.c(); ci++) {
                for (int i = 0; i < g.kh(); i++) {
                    for (int j = 0; j < g.kw(); j++) {
                        long row = ((long) ci * g.kh() + i) * g.kw() + j;
                        for (int oy = 0; oy < oh; oy++) {
                            for (int ox = 0; ox < ow; ox++) {
                                int iy = oy * g.strideH() - g.padH() + i;
                                int ix = ox * g.strideW() - g.padW() + j;
                                if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) {
                                    continue;
                                }
                                long xi = b * g.imageSize() + ((long) ci * g.h() + iy) * g.w() + ix;
                                double v = t.get(cols, b * colsPerImage + row * oh * ow + (long) oy * ow + ox);
                                t.set(x, xi, t.get(x, xi) + v);
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void maxPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        ScalarPooling.maxPool(t, g, x, y, argmax);
    }

    @Override
    public void maxPool2dValues(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        ScalarPooling.maxPool(t, g, x, y, null);
    }

    @Override
    public void maxPool2dRelu(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        ScalarPooling.maxPool(t, g, x, y, argmax);
        reluAfterMaxPool(t, (long) g.n() * g.c() * g.outH() * g.outW(), y, argmax);
    }

    /**
     * The ReLU of {@link #maxPool2dRelu} over {@code count} pooled values y in place, and -1 in the routing argmax
     * (unless null) where y is not positive: shared with the vector backend.
     */
    public static void reluAfterMaxPool(DType t, long count, MemorySegment y, MemorySegment argmax) {
        for (long i = 0; i < count; i++) {
            double v = t.get(y, i);
            if (!(v > 0)) {
                t.set(y, i, 0.0);
                if (argmax != null) {
                    argmax.setAtIndex(INT, i, -1);
                }
            }
        }
    }

    /**
     * In the element type: each sum of floats is held in a double and rounded to float after each addition, which is
     * float addition exactly (a double has more than twice float's precision, so the double rounding is innocuous).
     */
    @Override
    public void gatedChannelSum(DType t, int n, int c, long plane, MemorySegment a, MemorySegment gate,
            MemorySegment out) {
        for (int ci = 0; ci < c; ci++) {
            double[] s = new double[16];
            for (int b = 0; b < n; b++) {
                long base = ((long) b * c + ci) * plane;
                for (long o = 0; o < plane; o++) {
                    if (t.get(gate, base + o) > 0) {
                        int j = (int) (o % 16);
                        s[j] = inType(t, s[j] + t.get(a, base + o));
                    }
                }
            }
            for (int w = 8; w >= 1; w /= 2) {
                for (int j = 0; j < w; j++) {
                    s[j] = inType(t, s[j] + s[j + w]);
                }
            }
            t.set(out, ci, s[0]);
        }
    }

    private static double inType(DType t, double v) {
        return t == DType.F32 ? (float) v : v;
    }

    @Override
    public void maxPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment argmax, MemorySegment gx) {
        fill(t, g.n() * g.imageSize(), 0, gx);
        long outPlane = (long) g.outH() * g.outW();
        long plane = (long) g.h() * g.w();
        for (long p = 0; p < (long) g.n() * g.c(); p++) {
            for (long o = 0; o < outPlane; o++) {
                int at = argmax.getAtIndex(INT, p * outPlane + o);
                if (at < 0) {
                    continue;
                }
                long xi = p * plane + at;
                t.set(gx, xi, t.get(gx, xi) + t.get(gy, p * outPlane + o));
            }
        }
    }

    @Override
    public void avgPool2d(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        ScalarPooling.avgPool(t, g, x, y);
    }

    @Override
    public void avgPool2dBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        fill(t, g.n() * g.imageSize(), 0, gx);
        ScalarPooling.avgPoolBackward(t, g, gy, gx);
    }

    @Override
    public void maxPool2dGather(DType t, Window2d g, MemorySegment x, MemorySegment argmax, MemorySegment y) {
        long outPlane = (long) g.outH() * g.outW();
        long plane = (long) g.h() * g.w();
        for (long p = 0; p < (long) g.n() * g.c(); p++) {
            for (long o = 0; o < outPlane; o++) {
                int at = argmax.getAtIndex(INT, p * outPlane + o);
                t.set(y, p * outPlane + o, at < 0 ? 0 : t.get(x, p * plane + at));
            }
        }
    }

    /** {@link SymmetricQr} in double precision on the upper triangle, whatever the storage type. */
    @Override
    public void symmetricEigen(DType t, int n, MemorySegment a, MemorySegment w, boolean vectors) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double v = t.get(a, (long) i * n + j);
                m[i][j] = v;
                m[j][i] = v;
            }
        }
        double[][] z = vectors ? new double[n][n] : null;
        double[] values = SymmetricQr.decompose(m, z);
        for (int i = 0; i < n; i++) {
            t.set(w, i, values[i]);
            if (vectors) {
                for (int j = 0; j < n; j++) {
                    t.set(a, (long) i * n + j, z[i][j]);
                }
            }
        }
    }
}
