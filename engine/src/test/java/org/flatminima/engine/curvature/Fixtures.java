package org.flatminima.engine.curvature;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.kernels.DType;

/** Small float64 problems whose dense Hessian is cheap, and exact quantities computed from it. */
final class Fixtures {
    private Fixtures() {
    }

    /** A tanh MLP {@code in-hidden-classes} with PyTorch's initialisation and n Gaussian points with labels. */
    record Problem(Network net, Tensor x, int[] labels, Tensor theta) {
        HessianOperator meanLoss() {
            return new HessianOperator(net.lossFunction(x, labels), theta);
        }

        HessianOperator point(int i) {
            return new HessianOperator(PerPointHutchinson.pointLosses(net, x, labels).apply(i), theta);
        }

        int n() {
            return labels.length;
        }
    }

    static Problem tanhMlp(int in, int hidden, int classes, int n, long seed) {
        Network net = new Network(Sequential.of(new Linear(in, hidden), new Tanh(), new Linear(hidden, classes)), in);
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor x = Tensor.normal(DType.F64, rnd, n, in);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(classes);
        }
        return new Problem(net, x, y, net.initParams(DType.F64, seed));
    }

    /**
     * {@code f(theta) = 0.5 sum_j w_j (u_j . theta)^2} with {@code r} Gaussian directions {@code u_j} in R^p and
     * weights {@code w_j = decay^j}: Hessian {@code sum_j w_j u_j u_j^T}, rank r, positive semi-definite, with a
     * decaying spectrum.
     */
    static HessianOperator lowRank(int p, int r, double decay, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Var u = Var.of(Tensor.normal(DType.F64, rnd, r, p));
        double[] w = new double[r];
        for (int j = 0; j < r; j++) {
            w[j] = Math.pow(decay, j);
        }
        Var wv = Var.of(Tensor.of(DType.F64, w, r, 1));
        Function<Var, Var> f = theta -> u.matmul(theta.reshape(p, 1)).square().mul(wv).sum().scale(0.5);
        return new HessianOperator(f, Tensor.normal(DType.F64, rnd, p));
    }

    /** A dense {@code [P, P]} Hessian as a row-major double matrix. */
    static double[][] dense(HessianOperator op) {
        int p = op.dim();
        double[] h = op.dense().toDoubleArray();
        double[][] m = new double[p][p];
        for (int i = 0; i < p; i++) {
            System.arraycopy(h, i * p, m[i], 0, p);
        }
        return m;
    }

    static double trace(double[][] h) {
        double s = 0;
        for (int i = 0; i < h.length; i++) {
            s += h[i][i];
        }
        return s;
    }

    /** {@code sqrt(2 (||H||_F^2 - sum_i H_ii^2))}: the standard deviation of one Rademacher sample z.Hz. */
    static double rademacherSampleStd(double[][] h) {
        double off = 0;
        for (int i = 0; i < h.length; i++) {
            for (int j = 0; j < h.length; j++) {
                if (i != j) {
                    off += h[i][j] * h[i][j];
                }
            }
        }
        return Math.sqrt(2 * off);
    }
}
