package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Hutchinson and Hutch++ against the exact trace of dense Hessians (float64): the estimate within its reported
 * error, the reported error against the empirical spread and against the closed-form variance
 * {@code 2 (||H||_F^2 - sum_i H_ii^2) / m}, the stopping rule, and Hutch++'s advantage on a low-rank Hessian.
 */
@Tag("backends")
class StochasticTraceTest {
    static final Fixtures.Problem MLP = Fixtures.tanhMlp(6, 8, 4, 10, 7);
    static final int SEEDS = 20;
    static final int M = 100;

    @Test
    void hutchinsonIsWithinFourStandardErrorsAndItsErrorIsRight() {
        HessianOperator op = MLP.meanLoss();
        assertThat(op.dim()).isEqualTo(92);
        double[][] h = Fixtures.dense(op);
        double exact = Fixtures.trace(h);
        double theory = Fixtures.rademacherSampleStd(h) / Math.sqrt(M);
        double[] est = new double[SEEDS];
        double meanSe = 0;
        double worstZ = 0;
        double worstSeRatio = 1;
        for (int s = 0; s < SEEDS; s++) {
            TraceResult r = Hutchinson.trace(op, Hutchinson.Options.budget(M, 1000 + s));
            assertThat(r.method()).isEqualTo("hutchinson");
            assertThat(r.probes()).isEqualTo(M);
            assertThat(Math.abs(r.value() - exact)).isLessThanOrEqualTo(4 * r.stderr());
            // each run's reported error against the closed form
            assertThat(r.stderr()).isBetween(theory / 2, theory * 2);
            worstZ = Math.max(worstZ, Math.abs(r.value() - exact) / r.stderr());
            worstSeRatio = Math.max(worstSeRatio, Math.max(r.stderr() / theory, theory / r.stderr()));
            est[s] = r.value();
            meanSe += r.stderr() / SEEDS;
        }
        double mean = 0;
        for (double e : est) {
            mean += e / SEEDS;
        }
        double var = 0;
        for (double e : est) {
            var += (e - mean) * (e - mean) / (SEEDS - 1);
        }
        double empirical = Math.sqrt(var);
        System.out.printf("hutchinson m=%d: exact %.6f, mean of %d runs %.6f; stderr reported (mean) %.5f, "
                + "empirical %.5f, theory %.5f; worst |err|/se %.2f, worst se/theory factor %.2f%n", M, exact, SEEDS,
                mean, meanSe, empirical, theory, worstZ, worstSeRatio);
        assertThat(meanSe).isBetween(empirical / 2, empirical * 2);
        assertThat(meanSe).isBetween(theory / 2, theory * 2);
        assertThat(empirical).isBetween(theory / 2, theory * 2);
    }

    @Test
    void hutchinsonStopsAtTheTargetOrAtTheBudget() {
        HessianOperator op = MLP.meanLoss();
        Hutchinson.Options o = Hutchinson.Options.defaults().withSeed(3).withTarget(0.2).withMaxProbes(2000)
                .withBlock(8);
        TraceResult r = Hutchinson.trace(op, o);
        System.out.printf("hutchinson target 20%%: %d probes, value %.5f +- %.5f%n", r.probes(), r.value(),
                r.stderr());
        assertThat(r.probes()).isGreaterThanOrEqualTo(10).isLessThan(2000);
        assertThat(r.probes() % 8).isZero(); // checked after each full block
        assertThat(r.stderr() / Math.abs(r.value())).isLessThanOrEqualTo(0.2);
        // one block fewer, with the same probes, had not reached the target (else the loop stops there)
        if (r.probes() > 16) {
            TraceResult shorter = Hutchinson.trace(op, o.withTarget(0).withMaxProbes(r.probes() - 8));
            assertThat(shorter.stderr() / Math.abs(shorter.value())).isGreaterThan(0.2);
        }
        // a target that cannot be met: exactly the budget, also when it is not a multiple of the block
        TraceResult b = Hutchinson.trace(op, o.withTarget(1e-9).withMaxProbes(37));
        assertThat(b.probes()).isEqualTo(37);
        // reproducible: the same seed gives the same probes, another seed others
        assertThat(Hutchinson.trace(op, o).value()).isCloseTo(r.value(), within(1e-12));
        assertThat(Hutchinson.trace(op, o.withSeed(4)).value()).isNotEqualTo(r.value());
        // the block size does not change which probes are drawn
        TraceResult b16 = Hutchinson.trace(op, o.withTarget(0).withMaxProbes(48).withBlock(16));
        TraceResult b5 = Hutchinson.trace(op, o.withTarget(0).withMaxProbes(48).withBlock(5));
        assertThat(b5.value()).isCloseTo(b16.value(), within(1e-10));
    }

    @Test
    void hutchPlusPlusIsUnbiasedOnTheMlp() {
        HessianOperator op = MLP.meanLoss();
        double exact = Fixtures.trace(Fixtures.dense(op));
        for (int s = 0; s < 10; s++) {
            TraceResult r = HutchPlusPlus.trace(op, 60, 500 + s);
            assertThat(r.method()).isEqualTo("hutch++");
            assertThat(r.probes()).isEqualTo(60);
            assertThat(Math.abs(r.value() - exact)).isLessThanOrEqualTo(4 * r.stderr());
        }
    }

    @Test
    void hutchPlusPlusIsExactWhenTheRankIsBelowAThirdOfTheBudget() {
        HessianOperator op = Fixtures.lowRank(100, 4, 0.8, 11);
        double exact = Fixtures.trace(Fixtures.dense(op));
        TraceResult r = HutchPlusPlus.trace(op, 15, 1);
        // k = 5 sketch products, 4 independent directions kept (the 5th is dependent), 5 residual probes
        assertThat(r.probes()).isEqualTo(14);
        assertThat(Math.abs(r.value() - exact)).isLessThanOrEqualTo(1e-9 * exact);
        assertThat(r.stderr()).isLessThanOrEqualTo(1e-9 * exact);
    }

    @Test
    void hutchPlusPlusNeedsFewerProbesThanHutchinsonOnALowRankHessian() {
        HessianOperator op = Fixtures.lowRank(100, 24, 0.75, 12);
        double exact = Fixtures.trace(Fixtures.dense(op));
        int seeds = 30;
        int[] budgets = {12, 24, 48, 96};
        double[] errHutch = new double[budgets.length];
        double[] errPP = new double[budgets.length];
        for (int b = 0; b < budgets.length; b++) {
            for (int s = 0; s < seeds; s++) {
                errHutch[b] += Math.abs(Hutchinson.trace(op, Hutchinson.Options.budget(budgets[b], s)).value()
                        - exact) / exact / seeds;
                errPP[b] += Math.abs(HutchPlusPlus.trace(op, budgets[b], s).value() - exact) / exact / seeds;
            }
            System.out.printf("low-rank P=100 r=24: m=%d mean |rel err| hutchinson %.4f hutch++ %.4f%n", budgets[b],
                    errHutch[b], errPP[b]);
        }
        for (int b = 1; b < budgets.length; b++) {
            assertThat(errPP[b]).isLessThan(errHutch[b]);
        }
        // Hutch++ at 24 products beats Hutchinson at 96
        assertThat(errPP[1]).isLessThan(errHutch[3]);
    }

    @Test
    void bothRunInFloat32() {
        HessianOperator op64 = MLP.meanLoss();
        double exact = Fixtures.trace(Fixtures.dense(op64));
        HessianOperator op32 = new HessianOperator(op64.f(), MLP.theta().to(org.flatminima.kernels.DType.F32));
        TraceResult h = Hutchinson.trace(op32, Hutchinson.Options.budget(100, 5));
        TraceResult pp = HutchPlusPlus.trace(op32, 60, 5);
        assertThat(Math.abs(h.value() - exact)).isLessThanOrEqualTo(4 * h.stderr());
        assertThat(Math.abs(pp.value() - exact)).isLessThanOrEqualTo(4 * pp.stderr() + 1e-4 * exact);
        // Q's rows are orthonormal to float32 precision
        org.flatminima.engine.Tensor y = Probes.applyRows(op32,
                Probes.rademacher(org.flatminima.kernels.DType.F32, new java.util.SplittableRandom(1), 20, 92), 16);
        org.flatminima.engine.Tensor q = HutchPlusPlus.orthonormalRows(y);
        double[] g = org.flatminima.engine.TensorOps.matmul(q, q.transpose(0, 1)).toDoubleArray();
        int r = q.dim(0);
        for (int a = 0; a < r; a++) {
            for (int b = 0; b < r; b++) {
                assertThat(g[a * r + b]).isCloseTo(a == b ? 1 : 0, within(1e-5));
            }
        }
        assertThat(r).isEqualTo(20);
    }
}
