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
        lossGradientAndHvps(rewritten, written, theta, p, t, rnd, new int[0]);
    }

    /**
     * As above, but the entries in the ranges {@code [inexact[2i], inexact[2i + 1])} of each gradient and HVP
     * (parameters whose derivatives the rewrite sums in another order) need only agree to rounding: within
     * {@code 1e-12} (double) or {@code 1e-5} (float) of the largest magnitude of their range.
     */
    static void lossGradientAndHvps(Function<Var, Var> rewritten, Function<Var, Var> written, Var theta, int p,
                                    DType t, SplittableRandom rnd, int[] inexact) {
        assertThat(bits(rewritten.apply(theta).value())).isEqualTo(bits(written.apply(theta).value()));
        same(Autodiff.grad(rewritten, theta).value(), Autodiff.grad(written, theta).value(), p, inexact, t);
        Var v = Var.of(Tensor.of(t, rnd.doubles(p, -1, 1).toArray(), p));
        same(Autodiff.hvp(rewritten, theta, v).value(), Autodiff.hvp(written, theta, v).value(), p, inexact, t);
        Var vs = Var.of(Tensor.of(t, rnd.doubles(3L * p, -1, 1).toArray(), 3, p));
        same(Autodiff.hvpBatch(rewritten, theta, vs).value(), Autodiff.hvpBatch(written, theta, vs).value(), p,
                inexact, t);
    }

    /** a and b ({@code [..., p]}) the same to the bit but in the inexact ranges of each row, close there. */
    private static void same(Tensor a, Tensor b, int p, int[] inexact, DType t) {
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        assertThat(x).hasSameSizeAs(y);
        double tol = t == DType.F64 ? 1e-12 : 1e-5;
        boolean[] close = new boolean[p];
        for (int k = 0; k < inexact.length; k += 2) {
            java.util.Arrays.fill(close, inexact[k], inexact[k + 1], true);
        }
        for (int r = 0; r < x.length; r += p) {
            for (int k = 0; k < inexact.length; k += 2) {
                double scale = 0;
                for (int i = r + inexact[k]; i < r + inexact[k + 1]; i++) {
                    scale = Math.max(scale, Math.abs(y[i]));
                }
                for (int i = r + inexact[k]; i < r + inexact[k + 1]; i++) {
                    assertThat(Math.abs(x[i] - y[i])).as("entry %d", i - r).isLessThanOrEqualTo(tol * scale);
                }
            }
            for (int i = r; i < r + p; i++) {
                if (!close[i - r]) {
                    assertThat(Double.doubleToRawLongBits(x[i])).as("entry %d", i - r)
                            .isEqualTo(Double.doubleToRawLongBits(y[i]));
                }
            }
        }
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

    /**
     * Bytes allocated in a scope by one forward pass of net at theta on x, under {@code hook} (none when null), on
     * the current backend set to {@code threads} threads (its setting restored after).
     */
    static long forwardBytes(Network net, Var theta, Tensor x, LayerHook hook, int threads) {
        org.flatminima.kernels.Backend be = org.flatminima.engine.Engine.backend();
        int before = be.threads();
        be.setThreads(threads);
        try (org.flatminima.engine.Scope s = org.flatminima.engine.Scope.open()) {
            if (hook == null) {
                net.logits(theta, x);
            } else {
                net.logits(theta, x, hook);
            }
            return s.bytes();
        } finally {
            be.setThreads(before);
        }
    }
}
