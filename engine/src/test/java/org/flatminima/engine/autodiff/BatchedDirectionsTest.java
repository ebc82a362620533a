package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.flatminima.engine.autodiff.Numeric.flat;
import static org.flatminima.engine.autodiff.Numeric.relErr;

import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.PrimitiveCheckerTest.Case;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batched directions: k tangents stacked on a leading axis must give exactly what k separate passes give, for
 * every primitive of the checker (first order, and second order through forward-over-reverse), with some
 * inputs carrying symbolic-zero tangents.
 */
@Tag("backends")
class BatchedDirectionsTest {
    private static final int K = 3;

    static Stream<Case> cases() {
        return PrimitiveCheckerTest.CASES.stream();
    }

    /** Stacks k tensors of equal shape into one of shape [k, ...]. */
    static Var stack(Var... vs) {
        int[] s = vs[0].shape();
        int n = (int) vs[0].value().size();
        double[] all = new double[vs.length * n];
        for (int r = 0; r < vs.length; r++) {
            System.arraycopy(vs[r].value().toDoubleArray(), 0, all, r * n, n);
        }
        return Var.of(Tensor.of(Numeric.F64, all, Trace.concat(new int[] {vs.length}, s)));
    }

    private static double[] row(Var stacked, int r) {
        return stacked.value().select(0, r).toDoubleArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stackedTangentsEqualOneDirectionAtATime(Case c) {
        SplittableRandom rnd = new SplittableRandom(31L * c.label().hashCode());
        Var[] x = PrimitiveCheckerTest.inputs(c, rnd);
        Function<Var[], Var> f = a -> Trace.bind(c.p(), a);
        Var y = f.apply(x);
        Var[][] v = new Var[K][x.length];
        for (int r = 0; r < K; r++) {
            for (int i = 0; i < x.length; i++) {
                v[r][i] = Numeric.normal(rnd, x[i].shape());
            }
        }
        // mode -1: every input perturbed; mode i: only input i (the others are symbolic zeros)
        for (int mode = -1; mode < (x.length > 1 ? x.length : 0); mode++) {
            Var[] stacked = new Var[x.length];
            for (int i = 0; i < x.length; i++) {
                if (mode < 0 || mode == i) {
                    Var[] col = new Var[K];
                    for (int r = 0; r < K; r++) {
                        col[r] = v[r][i];
                    }
                    stacked[i] = stack(col);
                }
            }
            Var jb = Autodiff.jvpBatchN(a -> new Var[] {f.apply(a)}, x, stacked, K)[1][0];
            assertThat(jb.shape()).isEqualTo(Trace.concat(new int[] {K}, y.shape()));

            Var w = Numeric.normal(new SplittableRandom(7), y.shape());
            Function<Var[], Var> scalar = a -> {
                Var out = f.apply(a);
                return out.mul(w).sum().add(out.square().sum().scale(0.5));
            };
            Var[] hb = Autodiff.jvpBatchN(a -> Autodiff.gradN(scalar, a), x, stacked, K)[1];
            for (int r = 0; r < K; r++) {
                Var[] single = new Var[x.length];
                for (int i = 0; i < x.length; i++) {
                    single[i] = stacked[i] == null ? null : v[r][i];
                }
                Var jr = Autodiff.jvpN(a -> new Var[] {f.apply(a)}, x, single)[1][0];
                assertThat(relErr(row(jb, r), flat(jr))).as("%s: batched JVP row %d (mode %d)", c, r, mode)
                        .isLessThan(1e-12);
                Var[] hr = Autodiff.jvpN(a -> Autodiff.gradN(scalar, a), x, single)[1];
                for (int i = 0; i < x.length; i++) {
                    assertThat(relErr(row(hb[i], r), flat(hr[i])))
                            .as("%s: batched HVP row %d, input %d (mode %d)", c, r, i, mode).isLessThan(1e-12);
                }
            }
        }
    }

    @Test
    void hvpBatchOnAnMlpEqualsSeparateHvps() {
        SplittableRandom rnd = new SplittableRandom(5);
        int d = 4;
        int h = 5;
        int cls = 3;
        Var xs = Numeric.normal(rnd, 6, d);
        int[] labels = {0, 2, 1, 1, 0, 2};
        int p = h * d + h + cls * h + cls;
        Var theta = Numeric.normal(rnd, p);
        Function<Var, Var> loss = t -> {
            Var w1 = t.view(0, h, d);
            Var b1 = t.view(h * d, h);
            Var w2 = t.view(h * d + h, cls, h);
            Var b2 = t.view(h * d + h + cls * h, cls);
            Var a = xs.matmul(w1.mT()).add(b1).tanh();
            return a.matmul(w2.mT()).add(b2).crossEntropy(labels);
        };
        Var[] dirs = new Var[7];
        for (int r = 0; r < dirs.length; r++) {
            dirs[r] = Numeric.normal(rnd, p);
        }
        Var hb = Autodiff.hvpBatch(loss, theta, stack(dirs));
        assertThat(hb.shape()).containsExactly(dirs.length, p);
        for (int r = 0; r < dirs.length; r++) {
            assertThat(relErr(row(hb, r), flat(Autodiff.hvp(loss, theta, dirs[r])))).isLessThan(1e-12);
        }
    }
}
