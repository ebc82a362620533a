package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * ReLU's rules gate the incoming tangent or cotangent by its output, y > 0, which opens exactly where x > 0 does:
 * checked at the inputs where the two could part (signed zeros, a subnormal, infinities, NaN), in both dtypes, for
 * the gradient, the tangent and a Hessian-vector product, against the gate by x written out here.
 */
class ReluRulesTest {

    /** Inputs at the edges of the gate, and where the gate is open by x > 0. */
    static double[] inputs(DType t) {
        double tiny = t == DType.F32 ? Float.MIN_VALUE : Double.MIN_VALUE;
        return new double[] {-2, -0.0, 0.0, tiny, -tiny, 3, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.NaN, 0.5};
    }

    static double[] gatedByInput(double[] x, double[] g) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] > 0 ? g[i] : 0;
        }
        return out;
    }

    @Test
    void gradientTangentAndHvpAreGatedWhereTheInputIsPositive() {
        for (DType t : DType.values()) {
            double[] x = inputs(t);
            double[] w = new double[x.length];
            double[] v = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                w[i] = 1.0 + i;
                v[i] = 0.25 * (i + 1);
            }
            Var xv = Var.of(Tensor.of(t, x, x.length));
            Var wv = Var.of(Tensor.of(t, w, w.length));
            Var vv = Var.of(Tensor.of(t, v, v.length));

            // the cotangent w of relu(x): w where x > 0
            Var[] g = Autodiff.vjp(Var::relu, xv).pullback().apply(wv);
            assertThat(g[0].value().toDoubleArray()).as("%s gradient", t).containsExactly(gatedByInput(x, w));

            // the tangent v of relu(x)
            Var dy = Autodiff.jvp(Var::relu, xv, vv).tangent();
            assertThat(dy.value().toDoubleArray()).as("%s tangent", t).containsExactly(gatedByInput(x, v));

            // H v of sum(w * relu(x)^2) / 2 is w v where x > 0 (for finite x), through both gates of the HVP
            double[] finite = x.clone();
            for (int i = 0; i < finite.length; i++) {
                finite[i] = Double.isFinite(finite[i]) ? finite[i] : 1.5;
            }
            Var xf = Var.of(Tensor.of(t, finite, finite.length));
            Var hv = Autodiff.hvp(th -> th.relu().square().mul(wv).sum().scale(0.5), xf, vv);
            double[] wtimesv = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                wtimesv[i] = w[i] * v[i];
            }
            assertThat(hv.value().toDoubleArray()).as("%s HVP", t).containsExactly(gatedByInput(finite, wtimesv));
        }
    }
}
