package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Hutchinson-style diagonal {@code mean_j z_j (.) H z_j} against the diagonal of the dense Hessian (float64,
 * a tanh MLP 6-8-4 on 10 points, P = 92): the error shrinks like {@code 1/sqrt(m)}, stays within the reported
 * per-entry errors, and the reported errors match the closed form {@code sqrt(sum_{l != i} H_il^2 / m)}.
 */
@Tag("backends")
class HessianDiagonalEstimateTest {

    record Check(double rms, double within3, double worstSeFactor) {
    }

    static Check check(DiagonalEstimate d, double[][] h) {
        int p = h.length;
        double sq = 0;
        int ok = 0;
        double worst = 1;
        for (int i = 0; i < p; i++) {
            double err = d.values()[i] - h[i][i];
            sq += err * err;
            if (Math.abs(err) <= 3 * d.stderr()[i] + 1e-12) {
                ok++;
            }
            double off = 0;
            for (int l = 0; l < p; l++) {
                off += l == i ? 0 : h[i][l] * h[i][l];
            }
            double theory = Math.sqrt(off / d.probes());
            if (theory > 1e-12) {
                worst = Math.max(worst, Math.max(d.stderr()[i] / theory, theory / d.stderr()[i]));
            }
        }
        return new Check(Math.sqrt(sq / p), (double) ok / p, worst);
    }

    @Test
    void convergesToTheDenseDiagonalLikeOneOverSqrtM() {
        Fixtures.Problem pr = Fixtures.tanhMlp(6, 8, 4, 10, 7);
        HessianOperator op = pr.meanLoss();
        double[][] h = Fixtures.dense(op);
        DiagonalEstimate small = Hutchinson.diagonal(op, 64, 1, 32);
        DiagonalEstimate large = Hutchinson.diagonal(op, 1024, 2, 32);
        Check cs = check(small, h);
        Check cl = check(large, h);
        System.out.printf("diagonal P=%d: rms error m=64 %.5f, m=1024 %.5f (ratio %.2f, 1/sqrt(m) predicts 4); "
                + "within 3 se: %.3f / %.3f; worst se/theory factor %.2f / %.2f%n", h.length, cs.rms(), cl.rms(),
                cs.rms() / cl.rms(), cs.within3(), cl.within3(), cs.worstSeFactor(), cl.worstSeFactor());
        assertThat(small.probes()).isEqualTo(64);
        assertThat(large.probes()).isEqualTo(1024);
        assertThat(cs.rms() / cl.rms()).isBetween(2.5, 6.5);
        assertThat(cs.within3()).isGreaterThanOrEqualTo(0.95);
        assertThat(cl.within3()).isGreaterThanOrEqualTo(0.95);
        assertThat(cl.worstSeFactor()).isLessThan(1.5);
        assertThat(cs.worstSeFactor()).isLessThan(2.5);
    }

    @Test
    void itsSumIsHutchinsonsTraceOnTheSameProbes() {
        HessianOperator op = Fixtures.tanhMlp(6, 8, 4, 10, 7).meanLoss();
        DiagonalEstimate d = Hutchinson.diagonal(op, 40, 9, 16);
        TraceResult t = Hutchinson.trace(op, Hutchinson.Options.budget(40, 9).withBlock(16));
        assertThat(d.trace()).isCloseTo(t.value(), within(1e-10));
    }

    @Test
    void isExactForADiagonalHessian() {
        // f = 0.5 sum_i c_i theta_i^4 / 6 has H = diag(c_i theta_i^2): every sample z_i (H z)_i = H_ii exactly
        int p = 20;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(4);
        org.flatminima.engine.Tensor c = org.flatminima.engine.Tensor.uniform(org.flatminima.kernels.DType.F64, rnd,
                0.5, 2, p);
        org.flatminima.engine.Tensor theta = org.flatminima.engine.Tensor.normal(org.flatminima.kernels.DType.F64,
                rnd, p);
        var cv = org.flatminima.engine.autodiff.Var.of(c);
        HessianOperator op = new HessianOperator(t -> t.square().square().mul(cv).sum().scale(1.0 / 12), theta);
        double[][] h = Fixtures.dense(op);
        DiagonalEstimate d = Hutchinson.diagonal(op, 5, 3, 2);
        for (int i = 0; i < p; i++) {
            assertThat(h[i][i]).isCloseTo(c.get(i) * theta.get(i) * theta.get(i), within(1e-12));
            assertThat(d.values()[i]).isCloseTo(h[i][i], within(1e-12));
            assertThat(d.stderr()[i]).isLessThan(1e-12);
        }
    }
}
