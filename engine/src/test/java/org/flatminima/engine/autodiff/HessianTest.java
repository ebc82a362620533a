package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One Hessian computed four ways on small models in float64: dense from forward-over-reverse HVPs,
 * reverse-over-reverse ({@code grad} of {@code <grad, v>}), central finite differences of the gradient, and,
 * for the affine classifier, the closed form. Plus the symmetry {@code u.Hv = v.Hu}.
 *
 * <p>Parameter vectors are flat, PyTorch order: {@code 0.weight [H, D]} row-major, {@code 0.bias [H]},
 * {@code 2.weight [C, H]}, {@code 2.bias [C]}.
 */
@Tag("backends")
class HessianTest {
    static final int N = 6;
    static final int D = 4;
    static final int HID = 5;
    static final int C = 3;
    static final java.util.TreeMap<String, Double> WORST = new java.util.TreeMap<>();

    @AfterAll
    static void printWorst() {
        System.out.println("hessian four ways, worst errors: " + WORST);
    }

    record Problem(Var x, int[] labels) {
    }

    static Problem problem(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] y = new int[N];
        for (int n = 0; n < N; n++) {
            y[n] = rnd.nextInt(C);
        }
        return new Problem(Numeric.normal(rnd, N, D), y);
    }

    /** {@code x @ W^T + b} with W = theta[off .. off + out*in] as [out, in] and b the next out elements. */
    static Var linear(Var theta, int off, Var x, int in, int out) {
        Var w = theta.view(off, out, in);
        Var b = theta.view(off + out * in, out);
        return x.matmul(w.mT()).add(b);
    }

    static Function<Var, Var> mlp(Problem pr, UnaryOperator<Var> act) {
        return theta -> {
            Var h = act.apply(linear(theta, 0, pr.x(), D, HID));
            Var z = linear(theta, HID * D + HID, h, HID, C);
            return z.crossEntropy(pr.labels());
        };
    }

    static final int P_MLP = HID * D + HID + C * HID + C;
    static final int P_AFFINE = C * D + C;

    static Function<Var, Var> affine(Problem pr) {
        return theta -> linear(theta, 0, pr.x(), D, C).crossEntropy(pr.labels());
    }

    static double[][] dense(Tensor t) {
        int p = t.dim(0);
        double[] a = t.toDoubleArray();
        double[][] m = new double[p][p];
        for (int i = 0; i < p; i++) {
            System.arraycopy(a, i * p, m[i], 0, p);
        }
        return m;
    }

    static Var unit(int p, int j) {
        double[] e = new double[p];
        e[j] = 1;
        return Var.of(Tensor.of(Numeric.F64, e, p));
    }

    /** Column j of H by reverse-over-reverse: grad of theta -> <grad f(theta), e_j>. */
    static double[][] reverseOverReverse(Function<Var, Var> f, Var theta) {
        int p = theta.dim(0);
        double[][] h = new double[p][p];
        for (int j = 0; j < p; j++) {
            Var e = unit(p, j);
            double[] col = Autodiff.grad(t -> Autodiff.grad(f, t).mul(e).sum(), theta).value().toDoubleArray();
            for (int i = 0; i < p; i++) {
                h[i][j] = col[i];
            }
        }
        return h;
    }

    /** Column j of H by central differences of the gradient along e_j. */
    static double[][] finiteDifferences(Function<Var, Var> f, Var theta) {
        int p = theta.dim(0);
        double[][] h = new double[p][p];
        for (int j = 0; j < p; j++) {
            Var e = unit(p, j);
            double[] col = Numeric.fdDirectional(a -> Autodiff.grad(f, a[0]).value().toDoubleArray(),
                    new Var[] {theta}, new Var[] {e});
            for (int i = 0; i < p; i++) {
                h[i][j] = col[i];
            }
        }
        return h;
    }

    /** max |a - b| / max |b|. */
    static double rel(double[][] a, double[][] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a.length; j++) {
                num = Math.max(num, Math.abs(a[i][j] - b[i][j]));
                den = Math.max(den, Math.abs(b[i][j]));
            }
        }
        return num / den;
    }

    static void check(String name, double err, double bound) {
        synchronized (WORST) {
            WORST.merge(name, err, Math::max);
        }
        assertThat(err).as(name).isLessThan(bound);
    }

    private void fourWaysMlp(String tag, UnaryOperator<Var> act, long seed) {
        Problem pr = problem(seed);
        Var theta = Numeric.normal(new SplittableRandom(seed + 1), P_MLP);
        Function<Var, Var> f = mlp(pr, act);
        double[][] hvp = dense(Autodiff.hessian(f, theta));
        double[][] ror = reverseOverReverse(f, theta);
        double[][] fd = finiteDifferences(f, theta);
        check(tag + ": reverse-over-reverse vs HVP", rel(ror, hvp), 1e-10);
        check(tag + ": finite differences vs HVP", rel(fd, hvp), 1e-6);
        check(tag + ": asymmetry of dense HVP Hessian", asym(hvp), 1e-12);
    }

    static double asym(double[][] h) {
        double[][] t = new double[h.length][h.length];
        for (int i = 0; i < h.length; i++) {
            for (int j = 0; j < h.length; j++) {
                t[i][j] = h[j][i];
            }
        }
        return rel(t, h);
    }

    @Test
    void mlpTanhFourWays() {
        fourWaysMlp("mlp 4-5-3 tanh", Var::tanh, 11);
    }

    @Test
    void mlpReluFourWays() {
        fourWaysMlp("mlp 4-5-3 relu", Var::relu, 12);
    }

    @Test
    void affineClassifierMatchesTheClosedForm() {
        Problem pr = problem(21);
        Var theta = Numeric.normal(new SplittableRandom(22), P_AFFINE);
        Function<Var, Var> f = affine(pr);
        double[][] hvp = dense(Autodiff.hessian(f, theta));

        // closed form: H = (1/N) sum_n (x~ x~^T) kron (diag(p) - p p^T), x~ = [x; 1], in the flat order
        // W[c, d] -> c*D + d, b[c] -> C*D + c (i.e. x~'s last entry of class c maps to the bias block)
        Tensor w = theta.value().slice(0, 0, C * D).reshape(C, D);
        Tensor b = theta.value().slice(0, C * D, C * D + C);
        double[] probs = TensorOps.softmax(TensorOps.add(TensorOps.matmul(pr.x().value(), w.transpose(0, 1)), b))
                .toDoubleArray();
        double[] xs = pr.x().value().toDoubleArray();
        double[][] closed = new double[P_AFFINE][P_AFFINE];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                for (int c2 = 0; c2 < C; c2++) {
                    double a = (c == c2 ? probs[n * C + c] : 0) - probs[n * C + c] * probs[n * C + c2];
                    for (int d = 0; d <= D; d++) {
                        for (int d2 = 0; d2 <= D; d2++) {
                            double xd = d < D ? xs[n * D + d] : 1;
                            double xd2 = d2 < D ? xs[n * D + d2] : 1;
                            int i = d < D ? c * D + d : C * D + c;
                            int j = d2 < D ? c2 * D + d2 : C * D + c2;
                            closed[i][j] += a * xd * xd2 / N;
                        }
                    }
                }
            }
        }
        check("affine: closed form vs HVP", rel(hvp, closed), 1e-12);
        check("affine: reverse-over-reverse vs closed form", rel(reverseOverReverse(f, theta), closed), 1e-12);
        check("affine: finite differences vs closed form", rel(finiteDifferences(f, theta), closed), 1e-6);
    }

    @Test
    void hvpIsSymmetric() {
        SplittableRandom rnd = new SplittableRandom(31);
        for (UnaryOperator<Var> act : java.util.List.<UnaryOperator<Var>>of(Var::tanh, Var::relu, Var::softplus)) {
            Problem pr = problem(rnd.nextLong());
            Function<Var, Var> f = mlp(pr, act);
            Var theta = Numeric.normal(rnd, P_MLP);
            Var u = Numeric.normal(rnd, P_MLP);
            Var v = Numeric.normal(rnd, P_MLP);
            double uHv = Numeric.dot(u, Autodiff.hvp(f, theta, v));
            double vHu = Numeric.dot(v, Autodiff.hvp(f, theta, u));
            check("hvp symmetry u.Hv vs v.Hu", Math.abs(uHv - vHu) / Math.abs(uHv), 1e-10);
        }
    }
}
