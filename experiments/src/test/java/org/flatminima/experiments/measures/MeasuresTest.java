package org.flatminima.experiments.measures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/** Correlations against values computed independently (SciPy 1.17), margins and summaries by hand. */
class MeasuresTest {

    // Expected values computed with scipy.stats (pearsonr, spearmanr, kendalltau: tau-b) and numpy.percentile.
    private static final double[] X = {1, 2, 3, 4, 5, 6, 7, 8};
    private static final double[] Y = {2, 1, 4, 3, 6, 5, 8, 7};
    private static final double[] XT = {1, 2, 2, 3, 4, 4, 4, 5};
    private static final double[] YT = {3, 1, 2, 2, 5, 4, 4, 6};

    @Test
    void correlationsMatchScipy() {
        assertThat(Correlation.pearson(X, Y)).isCloseTo(0.9047619047619045, within(1e-14));
        assertThat(Correlation.spearman(X, Y)).isCloseTo(0.9047619047619048, within(1e-14));
        assertThat(Correlation.kendallTauB(X, Y)).isCloseTo(0.7142857142857142, within(1e-14));
        assertThat(Correlation.pearson(XT, YT)).isCloseTo(0.7892311159677341, within(1e-14));
        assertThat(Correlation.spearman(XT, YT)).isCloseTo(0.8138058888328231, within(1e-14));
        assertThat(Correlation.kendallTauB(XT, YT)).isCloseTo(0.6805446536716204, within(1e-14));
    }

    @Test
    void kendallMatchesTheQuadraticDefinitionOnRandomDataWithTies() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int trial = 0; trial < 20; trial++) {
            int n = 2 + rnd.nextInt(60);
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = rnd.nextInt(6);
                y[i] = rnd.nextInt(5) + 0.5 * x[i];
            }
            long conc = 0;
            long disc = 0;
            long tx = 0;
            long ty = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    double s = Math.signum(x[i] - x[j]) * Math.signum(y[i] - y[j]);
                    if (s > 0) {
                        conc++;
                    } else if (s < 0) {
                        disc++;
                    } else if (x[i] == x[j] && y[i] != y[j]) {
                        tx++;
                    } else if (y[i] == y[j] && x[i] != x[j]) {
                        ty++;
                    }
                }
            }
            double expected = (conc - disc) / Math.sqrt((double) (conc + disc + tx) * (conc + disc + ty));
            double got = Correlation.kendallTauB(x, y);
            if (Double.isNaN(expected)) {
                assertThat(got).isNaN();
            } else {
                assertThat(got).as("n=%d", n).isCloseTo(expected, within(1e-12));
            }
        }
    }

    @Test
    void constantColumnsGiveNaNAndPerfectOrdersGiveOne() {
        double[] c = {3, 3, 3, 3};
        double[] r = {1, 2, 3, 4};
        assertThat(Correlation.pearson(c, r)).isNaN();
        assertThat(Correlation.kendallTauB(c, r)).isNaN();
        double[] rev = {4, 3, 2, 1};
        assertThat(Correlation.spearman(r, rev)).isEqualTo(-1.0);
        assertThat(Correlation.kendallTauB(r, rev)).isEqualTo(-1.0);
        assertThatThrownBy(() -> Correlation.pearson(r, new double[] {1})).hasMessageContaining("different lengths");
    }

    @Test
    void bootstrapIntervalCoversTheValueAndIsReproducible() {
        SplittableRandom rnd = new SplittableRandom(9);
        int n = 400;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble();
            y[i] = x[i] + 0.5 * rnd.nextDouble();
        }
        for (String m : new String[] {"pearson", "spearman", "kendall"}) {
            Correlation.Estimate e = Correlation.bootstrap(m, x, y, 500, 0.95, 1);
            assertThat(e.low()).isLessThan(e.value());
            assertThat(e.high()).isGreaterThan(e.value());
            assertThat(e.high() - e.low()).isBetween(0.01, 0.3);
            assertThat(Correlation.bootstrap(m, x, y, 500, 0.95, 1)).isEqualTo(e);
        }
        assertThatThrownBy(() -> Correlation.bootstrap("cosine", x, y, 10, 0.9, 1)).hasMessageContaining("unknown");
    }

    /**
     * The bootstrap's presorted Spearman and Kendall (a resample as counts over points sorted once) give exactly
     * the statistics of the resampled columns themselves, sorted per resample: checked bit for bit against that
     * direct computation, on continuous data, on heavily tied data with -0.0 beside 0.0 (equal, yet ordered
     * apart by Double.compare), on a constant column, and with a NaN (which takes the direct path).
     */
    @Test
    void bootstrapMatchesTheResampledColumnsExactly() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 257;
        double[][] xs = new double[4][n];
        double[][] ys = new double[4][n];
        for (int i = 0; i < n; i++) {
            xs[0][i] = rnd.nextDouble();
            ys[0][i] = xs[0][i] + rnd.nextGaussian();
            xs[1][i] = rnd.nextInt(5) - 2;
            ys[1][i] = rnd.nextInt(3) == 0 ? -0.0 : Math.floor(xs[1][i] + 2 * rnd.nextDouble());
            xs[2][i] = i % 7 == 0 ? -0.0 : i % 7 == 1 ? 0.0 : rnd.nextInt(4);
            ys[2][i] = 3;
            xs[3][i] = rnd.nextInt(6);
            ys[3][i] = i == 17 ? Double.NaN : rnd.nextInt(6);
        }
        for (int d = 0; d < xs.length; d++) {
            for (String m : new String[] {"spearman", "kendall"}) {
                for (long seed = 1; seed <= 3; seed++) {
                    assertThat(Correlation.bootstrap(m, xs[d], ys[d], 60, 0.9, seed))
                            .as("data %d, %s, seed %d", d, m, seed)
                            .isEqualTo(directBootstrap(m, xs[d], ys[d], 60, 0.9, seed));
                }
            }
        }
    }

    /** The bootstrap computed the plain way: resample the columns, then the coefficient of the resampled pair. */
    private static Correlation.Estimate directBootstrap(String m, double[] x, double[] y, int resamples, double level,
                                                       long seed) {
        java.util.function.BiFunction<double[], double[], Double> f = m.equals("spearman") ? Correlation::spearman
                : Correlation::kendallTauB;
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = x.length;
        double[] stats = new double[resamples];
        int defined = 0;
        for (int b = 0; b < resamples; b++) {
            double[] bx = new double[n];
            double[] by = new double[n];
            for (int i = 0; i < n; i++) {
                int k = rnd.nextInt(n);
                bx[i] = x[k];
                by[i] = y[k];
            }
            double s = f.apply(bx, by);
            if (!Double.isNaN(s)) {
                stats[defined++] = s;
            }
        }
        if (defined == 0) {
            return new Correlation.Estimate(m, f.apply(x, y), Double.NaN, Double.NaN, level, resamples);
        }
        double[] sorted = java.util.Arrays.copyOf(stats, defined);
        java.util.Arrays.sort(sorted);
        return new Correlation.Estimate(m, f.apply(x, y), Summary.quantileSorted(sorted, (1 - level) / 2),
                Summary.quantileSorted(sorted, (1 + level) / 2), level, resamples);
    }

    @Test
    void summaryUsesLinearQuantilesAndTukeyFences() {
        Summary s = Summary.of(new double[] {3, 1, 4, 1, 5, 9, 2, 6});
        assertThat(s.median()).isEqualTo(3.5);
        assertThat(s.q1()).isEqualTo(1.75);
        assertThat(s.q3()).isEqualTo(5.25);
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.max()).isEqualTo(9);
        assertThat(s.mean()).isEqualTo(31 / 8.0);
        assertThat(s.lowerFence()).isEqualTo(1.75 - 1.5 * 3.5);
        assertThat(s.upperFence()).isEqualTo(5.25 + 1.5 * 3.5);
        assertThat(s.outliers()).isZero();
        assertThat(Summary.of(new double[] {0, 0, 0, 0, 100}).outliers()).isEqualTo(1);
    }

    @Test
    void marginsByHand() {
        // point 0: z = (2, 0, 1), label 0 -> output margin 1, correct; point 1: label 2, misclassified by 1
        Tensor z = Tensor.of(DType.F64, new double[] {2, 0, 1, 2, 0, 1}, 2, 3);
        Margins.Columns m = Margins.of(z, new int[] {0, 2});
        assertThat(m.output()).containsExactly(1.0, -1.0);
        assertThat(m.predicted()).containsExactly(0, 0);
        assertThat(m.runnerUp()).containsExactly(2, 0);
        double s = Math.exp(2) + 1 + Math.exp(1);
        double p0 = Math.exp(2) / s;
        double p2 = Math.exp(1) / s;
        double p1 = 1 / s;
        assertThat(m.softmax()[0]).isCloseTo(p0 - p2, within(1e-15));
        assertThat(m.softmax()[1]).isCloseTo(p2 - p0, within(1e-15));
        assertThat(m.oneMinusM2()[0]).isCloseTo(1 - (p0 - p2) * (p0 - p2), within(1e-15));
        double oneMinusNorm = 1 - (p0 * p0 + p1 * p1 + p2 * p2);
        assertThat(m.oneMinusNormP2()[0]).isCloseTo(oneMinusNorm, within(1e-15));
        // the bound: 1 - ||p||^2 <= 1 - m^2
        assertThat(m.oneMinusNormP2()[0]).isLessThanOrEqualTo(m.oneMinusM2()[0]);
        assertThat(Margins.accuracy(m, new int[] {0, 2})).isEqualTo(0.5);
        Tensor h = Tensor.of(DType.F64, new double[] {1, 2, 0, 3}, 2, 2);
        double[] a = Margins.affineTraceExpression(h, m);
        assertThat(a[0]).isCloseTo(6 * oneMinusNorm, within(1e-14));
        assertThat(a[1]).isCloseTo(10 * oneMinusNorm, within(1e-14));
    }
}
