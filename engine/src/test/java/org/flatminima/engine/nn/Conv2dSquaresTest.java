package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.UnaryOp;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Conv2dSquares}: both ways (products and Gram matrices) against each point's squared per-sample gradient
 * norms computed from their definition in double precision, one weight at a time; passes with signed weights and a
 * diagonal term included, with the passes done together and one by one; the Gram way at two and three threads gives
 * the bits of one.
 */
@Tag("backends")
class Conv2dSquaresTest {

    /** in, out, kernel, stride, pad, bias, height, width, points. */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(new Conv2d(3, 5, 3, 1, 1, true), 6, 6, 4),
                Arguments.of(new Conv2d(2, 4, 3, 2, 1, false), 7, 5, 3),
                Arguments.of(new Conv2d(4, 3, 2, 1, 0, true), 5, 5, 5),
                Arguments.of(new Conv2d(1, 6, 3, 1, 0, true), 8, 8, 2),
                Arguments.of(new Conv2d(5, 2, 1, 1, 0, false), 3, 4, 3));
    }

    /** Point n's squared weight gradient norm for the cotangent g, by its definition. */
    private static double[] definition(Conv2d cv, double[] x, int n, int h, int w, double[] g) {
        int oh = Math.floorDiv(h + 2 * cv.pad() - cv.kernel(), cv.stride()) + 1;
        int ow = Math.floorDiv(w + 2 * cv.pad() - cv.kernel(), cv.stride()) + 1;
        double[] norms = new double[n];
        for (int p = 0; p < n; p++) {
            for (int o = 0; o < cv.out(); o++) {
                for (int c = 0; c < cv.in(); c++) {
                    for (int ki = 0; ki < cv.kernel(); ki++) {
                        for (int kj = 0; kj < cv.kernel(); kj++) {
                            double s = 0;
                            for (int y = 0; y < oh; y++) {
                                for (int xx = 0; xx < ow; xx++) {
                                    int iy = y * cv.stride() - cv.pad() + ki;
                                    int ix = xx * cv.stride() - cv.pad() + kj;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        s += g[((p * cv.out() + o) * oh + y) * ow + xx]
                                                * x[((p * cv.in() + c) * h + iy) * w + ix];
                                    }
                                }
                            }
                            norms[p] += s * s;
                        }
                    }
                }
            }
        }
        return norms;
    }

    /** The bias sums of the last {@link #weightSums} call, or null without a bias. */
    private static double[] lastBias;

    /** Point n's squared bias gradient norm for the cotangent g {@code [n, O, L]}: {@code sum_o (sum_l g)^2}. */
    private static double[] biasDefinition(int n, int o, double[] g) {
        int l = g.length / n / o;
        double[] r = new double[n];
        for (int p = 0; p < n; p++) {
            for (int c = 0; c < o; c++) {
                double sum = 0;
                for (int j = 0; j < l; j++) {
                    sum += g[(p * o + c) * l + j];
                }
                r[p] += sum * sum;
            }
        }
        return r;
    }

    private static double[] weightSums(Conv2d cv, Tensor x, boolean gram, List<Tensor> gs, Tensor weight, Tensor r) {
        return weightSums(cv, x, gram, gs, weight, r, 1 << 20);
    }

    /** With {@code keep} 1, the Gram way does each pass on its own and the products unfold per sample. */
    private static double[] weightSums(Conv2d cv, Tensor x, boolean gram, List<Tensor> gs, Tensor weight, Tensor r,
            long keep) {
        Conv2dSquares.forceGram = gram;
        try {
            SampleSquares s = cv.sampleSquares(new SampleSquares.Batch(x, name -> null, List.of(), keep, 3));
            s.add(gs.get(0));
            s.add(gs.get(1), weight);
            if (r != null) {
                s.addDiagonal(r);
            }
            double[][] sums = s.finish();
            lastBias = sums.length > 1 ? sums[1] : null;
            return sums[0];
        } finally {
            Conv2dSquares.forceGram = null;
        }
    }

    @ParameterizedTest(name = "{0} on {1}x{2}, {3} points")
    @MethodSource("cases")
    void bothWaysGiveTheDefinition(Conv2d cv, int h, int w, int n) {
        for (DType t : new DType[] {DType.F64, DType.F32}) {
            SplittableRandom rnd = new SplittableRandom(11 + n);
            Tensor x = TensorOps.unary(UnaryOp.RELU, Tensor.normal(t, rnd, n, cv.in(), h, w));
            int[] out = cv.outputShape(x.shape());
            Tensor g1 = Tensor.normal(t, rnd, out);
            Tensor g2 = Tensor.normal(t, rnd, out);
            Tensor wt = Tensor.uniform(t, rnd, -1, 1, n);
            Tensor r = Tensor.uniform(t, rnd, -1, 1, out);
            double[] xs = x.toDoubleArray();
            double[] a = definition(cv, xs, n, h, w, g1.toDoubleArray());
            double[] b = definition(cv, xs, n, h, w, g2.toDoubleArray());
            // diag(r): the unit columns' squares, sum_{o,l} r_{o,l} ||cols_l||^2, by the definition per unit column
            double[] d = new double[n];
            double[] rv = r.toDoubleArray();
            int units = rv.length / n;
            for (int u = 0; u < units; u++) {
                double[] e = new double[rv.length];
                for (int p = 0; p < n; p++) {
                    e[p * units + u] = 1;
                }
                double[] sq = definition(cv, xs, n, h, w, e);
                for (int p = 0; p < n; p++) {
                    d[p] += rv[p * units + u] * sq[p];
                }
            }
            double[] wv = wt.toDoubleArray();
            double[] want = new double[n];
            double[] scale = new double[n];
            for (int p = 0; p < n; p++) {
                want[p] = a[p] + wv[p] * b[p] + d[p];
                scale[p] = a[p] + Math.abs(wv[p]) * b[p] + Math.abs(d[p]);
            }
            double tol = t == DType.F64 ? 1e-12 : 1e-4;
            for (boolean gram : new boolean[] {false, true}) {
                for (long keep : new long[] {1 << 20, 1}) {
                    double[] got = weightSums(cv, x, gram, List.of(g1, g2), wt, r, keep);
                    for (int p = 0; p < n; p++) {
                        assertThat(Math.abs(got[p] - want[p])).as("%s %s gram=%s keep=%d point %d: %s vs %s", cv, t,
                                gram, keep, p, got[p], want[p]).isLessThanOrEqualTo(tol * scale[p]);
                    }
                    if (cv.bias()) {
                        double[] ba = biasDefinition(n, cv.out(), g1.toDoubleArray());
                        double[] bb = biasDefinition(n, cv.out(), g2.toDoubleArray());
                        for (int p = 0; p < n; p++) {
                            double rs = 0;
                            double ra = 0;
                            for (int u = 0; u < units; u++) {
                                rs += rv[p * units + u];
                                ra += Math.abs(rv[p * units + u]);
                            }
                            double wantB = ba[p] + wv[p] * bb[p] + rs;
                            assertThat(Math.abs(lastBias[p] - wantB)).as("%s %s gram=%s keep=%d bias, point %d", cv,
                                    t, gram, keep, p).isLessThanOrEqualTo(tol * (ba[p] + Math.abs(wv[p]) * bb[p] + ra));
                        }
                    }
                }
            }
        }
    }

    @Test
    void theGramWayAtSeveralThreadsGivesTheBitsOfOne() {
        Conv2d cv = new Conv2d(4, 8, 3, 1, 1, true);
        Backend b = Engine.backend();
        int before = b.threads();
        for (DType t : new DType[] {DType.F64, DType.F32}) {
            SplittableRandom rnd = new SplittableRandom(3);
            Tensor x = TensorOps.unary(UnaryOp.RELU, Tensor.normal(t, rnd, 9, 4, 7, 7));
            int[] out = cv.outputShape(x.shape());
            List<Tensor> gs = List.of(Tensor.normal(t, rnd, out), Tensor.normal(t, rnd, out));
            Tensor wt = Tensor.uniform(t, rnd, -1, 1, 9);
            try {
                b.setThreads(1);
                double[] one = weightSums(cv, x, true, gs, wt, null);
                for (int threads : new int[] {2, 3}) {
                    b.setThreads(threads);
                    assertThat(weightSums(cv, x, true, gs, wt, null)).as("%s, %d threads", t, threads)
                            .containsExactly(one);
                }
            } finally {
                b.setThreads(before);
            }
        }
    }

    @Test
    void theGramWayIsTakenWhereItSavesMultiplyAdds() {
        // E2's CNN over nine passes: the second convolution (32 -> 64, 3 x 3, 14 x 14 outputs) yes, the first no
        assertThat(Conv2dSquares.gramPays(64, 32 * 9, 14 * 14, 9)).isTrue();
        assertThat(Conv2dSquares.gramPays(32, 9, 28 * 28, 9)).isFalse();
        // not for a single pass, nor when the passes are unknown
        assertThat(Conv2dSquares.gramPays(64, 32 * 9, 14 * 14, 1)).isFalse();
        assertThat(Conv2dSquares.gramPays(64, 32 * 9, 14 * 14, 0)).isFalse();
    }
}
