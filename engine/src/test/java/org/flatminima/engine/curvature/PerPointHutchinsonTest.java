package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The per-point estimators against exact per-point traces (the trace of the dense Hessian of each point's own
 * loss, float64): the authors' loop follows its stopping rule and is unbiased up to its noise; ours is within its
 * reported errors and independent of which points are estimated.
 */
@Tag("backends")
class PerPointHutchinsonTest {

    /** Replays the authors' rule on the samples: not met before the last probe, met at it unless the budget ran out. */
    static void assertStoppedByTheRule(PerPointHutchinson.AuthorsRun run, int max, double tol) {
        double[] x = run.samples();
        assertThat(x.length).isBetween(1, max);
        double sum = 0;
        double prev = 0;
        for (int m = 1; m <= x.length; m++) {
            sum += x[m - 1];
            double mean = sum / m;
            boolean met = Math.abs(mean - prev) / (Math.abs(prev) + 1e-6) < tol;
            if (m < x.length) {
                assertThat(met).as("rule met at probe %d of %d", m, x.length).isFalse();
            } else if (x.length < max) {
                assertThat(met).as("rule met at the last probe").isTrue();
            }
            prev = mean;
        }
        assertThat(run.value()).isEqualTo(sum / x.length);
    }

    @Test
    void theAuthorsLoopStopsByItsRule() {
        Fixtures.Problem pr = Fixtures.tanhMlp(3, 4, 2, 4, 5);
        int stoppedEarly = 0;
        for (int i = 0; i < pr.n(); i++) {
            for (int s = 0; s < 3; s++) {
                PerPointHutchinson.AuthorsRun run = PerPointHutchinson.authorsLoop(pr.point(i),
                        new SplittableRandom(100 * i + s), 100, 1e-3);
                assertStoppedByTheRule(run, 100, 1e-3);
                stoppedEarly += run.probes() < 100 ? 1 : 0;
            }
        }
        // a budget of 5 with an impossible tolerance uses exactly 5
        assertThat(PerPointHutchinson.authorsLoop(pr.point(0), new SplittableRandom(1), 5, 0).probes()).isEqualTo(5);
        System.out.printf("authors' loop: %d of 12 runs stopped before 100 probes%n", stoppedEarly);
    }

    /** The authors' stopping rule applied to a prefix of samples: the number of probes it would use. */
    static int stopAt(double[] x, int max, double tol) {
        double sum = 0;
        double prev = 0;
        for (int m = 1; m <= Math.min(max, x.length); m++) {
            sum += x[m - 1];
            double mean = sum / m;
            if (Math.abs(mean - prev) / (Math.abs(prev) + 1e-6) < tol) {
                return m;
            }
            prev = mean;
        }
        return Math.min(max, x.length);
    }

    static double mean(double[] x, int m) {
        double s = 0;
        for (int j = 0; j < m; j++) {
            s += x[j];
        }
        return s / m;
    }

    /**
     * Over many seeds, per point of a tiny model (P = 26): the fixed-budget loop (100 probes, no early stop) is
     * unbiased within 4 standard errors; the authors' rule, which stops on the same probes' prefix, keeps its bias
     * small against the noise of one run (its early stops favour runs whose running mean is large in magnitude,
     * which biases it a little; docs/curvature.md).
     */
    @Test
    void theAuthorsEstimatorIsUnbiasedUpToItsNoise() {
        Fixtures.Problem pr = Fixtures.tanhMlp(3, 4, 2, 4, 5);
        assertThat(pr.theta().dim(0)).isEqualTo(26);
        var losses = PerPointHutchinson.pointLosses(pr.net(), pr.x(), pr.labels());
        // the public per-point API is the loop with point i's own generator
        PerPointHutchinson.PerPointTraces viaApi = PerPointHutchinson.authors(losses, pr.n(), pr.theta(),
                PerPointHutchinson.AuthorsOptions.paper().withSeed(77));
        assertThat(viaApi.method()).isEqualTo("authors-hutchinson");
        int seeds = 150;
        for (int i = 0; i < pr.n(); i++) {
            HessianOperator op = pr.point(i);
            double exact = Fixtures.trace(Fixtures.dense(op));
            PerPointHutchinson.AuthorsRun api = PerPointHutchinson.authorsLoop(op, Probes.forItem(77, i), 100, 1e-3,
                    PerPointHutchinson.StoppingRule.PYHESSIAN);
            assertThat(viaApi.values()[i]).isCloseTo(api.value(), within(1e-12));
            assertThat(viaApi.probes()[i]).isEqualTo(api.probes());
            double[] fixed = new double[seeds];
            double[] authors = new double[seeds];
            double[] relErr = new double[seeds];
            double meanProbes = 0;
            for (int s = 0; s < seeds; s++) {
                double[] x = PerPointHutchinson.authorsLoop(op, new SplittableRandom(s), 100, 0).samples();
                assertThat(x).hasSize(100);
                int m = stopAt(x, 100, 1e-3);
                if (s < 3) { // the loop with the rule uses exactly this prefix of the same probes
                    PerPointHutchinson.AuthorsRun run = PerPointHutchinson.authorsLoop(op, new SplittableRandom(s),
                            100, 1e-3);
                    // same probes; HVPs agree to rounding (the vector backend's reductions are not bitwise repeatable)
                    assertThat(run.samples()).hasSize(m);
                    assertThat(run.samples()).containsExactly(Arrays.copyOf(x, m), within(1e-12));
                }
                fixed[s] = mean(x, 100);
                authors[s] = mean(x, m);
                relErr[s] = Math.abs(authors[s] - exact) / Math.abs(exact);
                meanProbes += (double) m / seeds;
            }
            double[] f = stats(fixed);
            double[] a = stats(authors);
            Arrays.sort(relErr);
            System.out.printf("point %d: exact %.5f; fixed 100 probes: mean %.5f (se %.5f); authors' rule: mean "
                    + "%.5f (se %.5f, bias %.1f se, sd of one run %.4f), mean probes %.1f, median |rel err| %.3f%n", i,
                    exact, f[0], f[1] / Math.sqrt(seeds), a[0], a[1] / Math.sqrt(seeds),
                    (a[0] - exact) / (a[1] / Math.sqrt(seeds)), a[1], meanProbes, relErr[seeds / 2]);
            assertThat(Math.abs(f[0] - exact)).isLessThanOrEqualTo(4 * f[1] / Math.sqrt(seeds));
            assertThat(Math.abs(a[0] - exact)).isLessThanOrEqualTo(0.5 * a[1]);
        }
    }

    /** Mean and sample standard deviation. */
    static double[] stats(double[] x) {
        double m = mean(x, x.length);
        double v = 0;
        for (double e : x) {
            v += (e - m) * (e - m) / (x.length - 1);
        }
        return new double[] {m, Math.sqrt(v)};
    }

    @Test
    void ourBatchedPerPointEstimatorIsWithinItsErrors() {
        Fixtures.Problem pr = Fixtures.tanhMlp(6, 8, 4, 10, 7);
        var losses = PerPointHutchinson.pointLosses(pr.net(), pr.x(), pr.labels());
        Hutchinson.Options o = Hutchinson.Options.budget(160, 42).withBlock(16);
        PerPointHutchinson.PerPointTraces t = PerPointHutchinson.batched(losses, pr.n(), pr.theta(), o);
        assertThat(t.method()).isEqualTo("hutchinson");
        assertThat(t.totalProbes()).isEqualTo(160L * pr.n());
        double worst = 0;
        for (int i = 0; i < pr.n(); i++) {
            double exact = Fixtures.trace(Fixtures.dense(pr.point(i)));
            assertThat(Math.abs(t.values()[i] - exact)).isLessThanOrEqualTo(4 * t.stderr()[i]);
            worst = Math.max(worst, Math.abs(t.values()[i] - exact) / t.stderr()[i]);
        }
        System.out.printf("batched per-point hutchinson, 160 probes: worst |err|/se over %d points %.2f%n", pr.n(),
                worst);
        // point i's estimate does not depend on how many points are estimated
        PerPointHutchinson.PerPointTraces first3 = PerPointHutchinson.batched(losses, 3, pr.theta(), o);
        assertThat(first3.values()).containsExactly(Arrays.copyOf(t.values(), 3), within(1e-12));
        // the per-point losses sum to N times the mean loss: so do the exact traces
        double sum = 0;
        for (int i = 0; i < pr.n(); i++) {
            sum += Fixtures.trace(Fixtures.dense(pr.point(i)));
        }
        assertThat(sum / pr.n()).isCloseTo(Fixtures.trace(Fixtures.dense(pr.meanLoss())),
                within(1e-10));
    }

    @Test
    void pointsSharedAmongThreadsGiveTheNumbersOfOneThread() {
        Fixtures.Problem pr = Fixtures.tanhMlp(6, 8, 4, 10, 7);
        var losses = PerPointHutchinson.pointLosses(pr.net(), pr.x(), pr.labels());
        org.flatminima.kernels.Backend b = org.flatminima.engine.Engine.backend();
        int before = b.threads();
        try {
            b.setThreads(1);
            PerPointHutchinson.PerPointTraces a1 = PerPointHutchinson.authors(losses, pr.n(), pr.theta(),
                    PerPointHutchinson.AuthorsOptions.paper().withSeed(5));
            PerPointHutchinson.PerPointTraces h1 = PerPointHutchinson.batched(losses, pr.n(), pr.theta(),
                    Hutchinson.Options.budget(32, 9).withBlock(8));
            for (int threads : new int[] {2, 3}) {
                b.setThreads(threads);
                PerPointHutchinson.PerPointTraces a = PerPointHutchinson.authors(losses, pr.n(), pr.theta(),
                        PerPointHutchinson.AuthorsOptions.paper().withSeed(5));
                assertThat(a.probes()).containsExactly(a1.probes());
                assertThat(a.values()).containsExactly(a1.values(), within(1e-12));
                assertThat(a.stderr()).containsExactly(a1.stderr(), within(1e-12));
                PerPointHutchinson.PerPointTraces h = PerPointHutchinson.batched(losses, pr.n(), pr.theta(),
                        Hutchinson.Options.budget(32, 9).withBlock(8));
                assertThat(h.values()).containsExactly(h1.values(), within(1e-12));
            }
        } finally {
            b.setThreads(before);
        }
    }
}
