package org.flatminima.experiments.measures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleBiFunction;
import org.hipparchus.stat.correlation.KendallsCorrelation;
import org.hipparchus.stat.correlation.PearsonsCorrelation;
import org.hipparchus.stat.correlation.SpearmansCorrelation;
import org.hipparchus.stat.descriptive.rank.Percentile;
import org.hipparchus.stat.descriptive.rank.Percentile.EstimationType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hand-written correlations ({@link Correlation}) against an independent library, Hipparchus (its Pearson, its
 * Spearman with average ranks for ties, its Kendall tau-b), on continuous random data and on heavily tied data,
 * where average ranks and the tie corrections of tau-b matter. The bootstrap's fast path for Spearman and Kendall
 * (one sort, a resample read as counts) is checked too: the same resamples recomputed from scratch by Hipparchus,
 * and the interval's ends by Hipparchus' percentile with linear interpolation (its R-7 estimator).
 */
class CorrelationAgainstHipparchusTest {

    /** How the two columns are drawn. */
    enum Data {
        /** Continuous values, no ties; y depends on x with noise. */
        CONTINUOUS,
        /** Integers 0..3 in x and 0..4 in y: most pairs are tied in x, in y, or in both. */
        HEAVILY_TIED,
        /** Continuous x, y on a grid of two values (a binary column: ties in one column only). */
        BINARY_Y,
        /** Negatively related, rounded to one decimal: ties in both columns, negative coefficients. */
        ROUNDED_NEGATIVE
    }

    private record Columns(double[] x, double[] y) {
    }

    private static Columns draw(Data kind, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            switch (kind) {
                case CONTINUOUS -> {
                    x[i] = rnd.nextDouble() * 4 - 2;
                    y[i] = 0.6 * x[i] + rnd.nextDouble();
                }
                case HEAVILY_TIED -> {
                    x[i] = rnd.nextInt(4);
                    y[i] = Math.min(4, rnd.nextInt(3) + (x[i] >= 2 ? 2 : 0));
                }
                case BINARY_Y -> {
                    x[i] = rnd.nextDouble();
                    y[i] = rnd.nextDouble() < x[i] ? 1 : 0;
                }
                case ROUNDED_NEGATIVE -> {
                    x[i] = Math.round(rnd.nextDouble() * 20) / 10.0;
                    y[i] = Math.round((-x[i] + rnd.nextDouble()) * 10) / 10.0;
                }
            }
        }
        return new Columns(x, y);
    }

    private static final ToDoubleBiFunction<double[], double[]> HIPPARCHUS_PEARSON =
            (x, y) -> new PearsonsCorrelation().correlation(x, y);
    private static final ToDoubleBiFunction<double[], double[]> HIPPARCHUS_SPEARMAN =
            (x, y) -> new SpearmansCorrelation().correlation(x, y);
    private static final ToDoubleBiFunction<double[], double[]> HIPPARCHUS_KENDALL =
            (x, y) -> new KendallsCorrelation().correlation(x, y);

    @ParameterizedTest
    @EnumSource(Data.class)
    void coefficientsAgreeWithHipparchus(Data kind) {
        for (int n : new int[] {2, 3, 17, 500, 3000}) {
            for (long seed = 0; seed < 3; seed++) {
                Columns c = draw(kind, n, 1000L * n + seed);
                String what = kind + " n=" + n + " seed=" + seed;
                double p = HIPPARCHUS_PEARSON.applyAsDouble(c.x(), c.y());
                double s = HIPPARCHUS_SPEARMAN.applyAsDouble(c.x(), c.y());
                double k = HIPPARCHUS_KENDALL.applyAsDouble(c.x(), c.y());
                assertAgree(what + " pearson", Correlation.pearson(c.x(), c.y()), p);
                assertAgree(what + " spearman", Correlation.spearman(c.x(), c.y()), s);
                assertAgree(what + " kendall", Correlation.kendallTauB(c.x(), c.y()), k);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Data.class)
    void bootstrapIntervalsAgreeWithHipparchusOnTheSameResamples(Data kind) {
        Columns c = draw(kind, 400, 99);
        int resamples = 200;
        double level = 0.9;
        long seed = 5;
        check(Correlation.bootstrap("pearson", c.x(), c.y(), resamples, level, seed), c, HIPPARCHUS_PEARSON);
        check(Correlation.bootstrap("spearman", c.x(), c.y(), resamples, level, seed), c, HIPPARCHUS_SPEARMAN);
        check(Correlation.bootstrap("kendall", c.x(), c.y(), resamples, level, seed), c, HIPPARCHUS_KENDALL);
    }

    /**
     * Recomputes the estimate's resamples (the documented scheme: a SplittableRandom of the seed, n indices drawn
     * with replacement per resample) with Hipparchus, and its interval with Hipparchus' R-7 percentile.
     */
    private static void check(Correlation.Estimate e, Columns c, ToDoubleBiFunction<double[], double[]> reference) {
        int n = c.x().length;
        SplittableRandom rnd = new SplittableRandom(5);
        double[] stats = new double[e.resamples()];
        int defined = 0;
        double[] bx = new double[n];
        double[] by = new double[n];
        for (int b = 0; b < e.resamples(); b++) {
            for (int i = 0; i < n; i++) {
                int j = rnd.nextInt(n);
                bx[i] = c.x()[j];
                by[i] = c.y()[j];
            }
            double s = reference.applyAsDouble(bx, by);
            if (!Double.isNaN(s)) {
                stats[defined++] = s;
            }
        }
        Percentile percentile = new Percentile().withEstimationType(EstimationType.R_7);
        double[] kept = Arrays.copyOf(stats, defined);
        assertAgree(e.method() + " value", e.value(), reference.applyAsDouble(c.x(), c.y()));
        assertAgree(e.method() + " low", e.low(), percentile.evaluate(kept, 100 * (1 - e.level()) / 2));
        assertAgree(e.method() + " high", e.high(), percentile.evaluate(kept, 100 * (1 + e.level()) / 2));
    }

    private static void assertAgree(String what, double ours, double theirs) {
        if (Double.isNaN(theirs)) {
            assertThat(ours).as(what + " (Hipparchus: NaN)").isNaN();
        } else {
            assertThat(ours).as(what).isCloseTo(theirs, within(1e-12));
        }
    }
}
