package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;

/** Checks shared by the tests of {@link Sequential}'s rewrites: a rewritten network against its written order. */
final class SameBits {
    private SameBits() {
    }

    /**
     * The loss, its gradient, a Hessian-vector product and three batched ones of {@code rewritten} and
     * {@code written} at {@code theta} (of length {@code p}), bit for bit; the directions drawn from {@code rnd}.
     */
    static void lossGradientAndHvps(Function<Var, Var> rewritten, Function<Var, Var> written, Var theta, int p,
                                    DType t, SplittableRandom rnd) {
        assertThat(bits(rewritten.apply(theta).value())).isEqualTo(bits(written.apply(theta).value()));
        assertThat(bits(Autodiff.grad(rewritten, theta).value()))
                .isEqualTo(bits(Autodiff.grad(written, theta).value()));
        Var v = Var.of(Tensor.of(t, rnd.doubles(p, -1, 1).toArray(), p));
        assertThat(bits(Autodiff.hvp(rewritten, theta, v).value()))
                .isEqualTo(bits(Autodiff.hvp(written, theta, v).value()));
        Var vs = Var.of(Tensor.of(t, rnd.doubles(3L * p, -1, 1).toArray(), 3, p));
        assertThat(bits(Autodiff.hvpBatch(rewritten, theta, vs).value()))
                .isEqualTo(bits(Autodiff.hvpBatch(written, theta, vs).value()));
    }

    /** The raw bits of every element, in double. */
    static long[] bits(Tensor t) {
        double[] d = t.toDoubleArray();
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }
}
