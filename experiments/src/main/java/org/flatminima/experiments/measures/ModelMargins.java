package org.flatminima.experiments.measures;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.engine.nn.Taps;

/**
 * Margin measures that need the model, not only its logits.
 *
 * <ul>
 *   <li>The linearised input-space margin (Elsayed et al. 2018): {@code gamma_n / ||grad_x (z_y - z_j*)||_2},
 *       gamma the output margin, j* the runner-up class, the gradient taken with respect to the input the model
 *       sees. All points in one backward pass: the points do not interact (no training-mode batch norm), so the
 *       gradient of {@code sum_n (z_{n,y_n} - z_{n,j*_n})} with respect to the batch holds each point's own
 *       gradient in its row.</li>
 *   <li>The same at hidden layers (Jiang et al. 2019): {@code gamma_n / ||d(z_y - z_j*)/d h_l||_2} with h_l the
 *       output (pre-activation) of each layer with parameters, from one backward pass through taps
 *       ({@link Taps}) seeded with {@code e_y - e_j*} per point.</li>
 *   <li>Normalised margins (Bartlett et al. 2017; Jiang et al. 2019): the output margin divided by the product
 *       of the layers' spectral norms, or of their Frobenius norms. Only the weights of Linear and Conv2d layers
 *       count (not biases, not batch norm). A convolution's "spectral norm" here is the largest singular value of
 *       its weight reshaped to {@code [out, in * k * k]}, a common proxy for the operator norm, not the norm of
 *       the convolution itself.</li>
 * </ul>
 */
public final class ModelMargins {
    private ModelMargins() {
    }

    /** Input-space margins of the points {@code x} (the model's input shape, batch first). */
    public static double[] inputMargins(Network net, Tensor theta, Tensor x, int[] labels, Margins.Columns cols) {
        int n = labels.length;
        int[] sample = net.sampleShape();
        int[] shape = new int[sample.length + 1];
        shape[0] = n;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Tensor xs = x.contiguous().reshape(shape);
        if (xs.dtype() != theta.dtype()) {
            xs = xs.to(theta.dtype());
        }
        Var params = Var.of(theta);
        int[] runner = cols.runnerUp().clone();
        int[] y = labels.clone();
        Var g = Autodiff.grad(in -> {
            Var z = net.module().forward(in, net.layout().root(params, net.mode(), net.buffers(), null));
            return z.gather(y).sub(z.gather(runner)).sum();
        }, Var.of(xs));
        double[] grad = g.value().toDoubleArray();
        int d = grad.length / n;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
                s += grad[i * d + k] * grad[i * d + k];
            }
            out[i] = cols.output()[i] / Math.sqrt(s);
        }
        return out;
    }

    /**
     * Linearised margins at the output of every layer with parameters, keyed by the layer's index path
     * ({@code "0"}, {@code "2"}, ...); the last layer's is {@code gamma / sqrt(2)} (its output is the logits).
     */
    public static java.util.Map<String, double[]> hiddenMargins(Network net, Tensor theta, Tensor x, int[] labels,
                                                               Margins.Columns cols) {
        int n = labels.length;
        Taps.Tapped tapped = Taps.record(net, theta, x);
        int c = tapped.logits().dim(1);
        double[] seed = new double[n * c];
        for (int i = 0; i < n; i++) {
            seed[i * c + labels[i]] += 1;
            seed[i * c + cols.runnerUp()[i]] -= 1;
        }
        java.util.List<Tensor> g = tapped.pullback().apply(Tensor.of(theta.dtype(), seed, n, c));
        java.util.Map<String, double[]> out = new java.util.LinkedHashMap<>();
        for (int s = 0; s < g.size(); s++) {
            double[] v = g.get(s).toDoubleArray();
            int per = v.length / n;
            double[] m = new double[n];
            for (int i = 0; i < n; i++) {
                double ss = 0;
                for (int k = 0; k < per; k++) {
                    ss += v[i * per + k] * v[i * per + k];
                }
                m[i] = cols.output()[i] / Math.sqrt(ss);
            }
            out.put(tapped.sites().get(s).path(), m);
        }
        return out;
    }

    /** The weights of the Linear and Conv2d layers as matrices {@code [out, fan_in]}, in layer order. */
    static double[][][] weightMatrices(Network net, Tensor theta) {
        ParameterLayout layout = net.layout();
        java.util.List<double[][]> mats = new java.util.ArrayList<>();
        for (ParameterLayout.LayerRange r : net.layerRanges()) {
            if (!(r.module() instanceof Linear) && !(r.module() instanceof Conv2d)) {
                continue;
            }
            ParameterLayout.Entry e = layout.entry(r.name().isEmpty() ? "weight" : r.name() + ".weight");
            int rows = e.shape()[0];
            int cols = e.size() / rows;
            double[] w = theta.slice(0, e.offset(), e.end()).toDoubleArray();
            double[][] m = new double[rows][cols];
            for (int i = 0; i < rows; i++) {
                System.arraycopy(w, i * cols, m[i], 0, cols);
            }
            mats.add(m);
        }
        return mats.toArray(new double[0][][]);
    }

    /** Largest singular value of a dense matrix by power iteration on {@code W^T W} (seeded, to 1e-12). */
    static double spectralNorm(double[][] w) {
        int cols = w[0].length;
        double[] v = new double[cols];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int j = 0; j < cols; j++) {
            v[j] = rnd.nextDouble() - 0.5;
        }
        double sigma = 0;
        for (int it = 0; it < 10_000; it++) {
            double[] u = new double[w.length];
            for (int i = 0; i < w.length; i++) {
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    s += w[i][j] * v[j];
                }
                u[i] = s;
            }
            double[] nv = new double[cols];
            for (int i = 0; i < w.length; i++) {
                for (int j = 0; j < cols; j++) {
                    nv[j] += w[i][j] * u[i];
                }
            }
            double norm = Math.sqrt(Arrays.stream(nv).map(a -> a * a).sum());
            if (norm == 0) {
                return 0;
            }
            double next = Math.sqrt(norm); // ||W^T W v|| with ||v|| = 1 tends to sigma^2
            for (int j = 0; j < cols; j++) {
                v[j] = nv[j] / norm;
            }
            if (Math.abs(next - sigma) <= 1e-12 * next) {
                return next;
            }
            sigma = next;
        }
        return sigma;
    }

    /** Product over the Linear/Conv2d layers of their weights' spectral norms. */
    public static double spectralNormProduct(Network net, Tensor theta) {
        double p = 1;
        for (double[][] w : weightMatrices(net, theta)) {
            p *= spectralNorm(w);
        }
        return p;
    }

    /** Product over the Linear/Conv2d layers of their weights' Frobenius norms. */
    public static double frobeniusNormProduct(Network net, Tensor theta) {
        double p = 1;
        for (double[][] w : weightMatrices(net, theta)) {
            double s = 0;
            for (double[] row : w) {
                for (double a : row) {
                    s += a * a;
                }
            }
            p *= Math.sqrt(s);
        }
        return p;
    }

    /** Each value divided by {@code norm}. */
    public static double[] normalised(double[] margins, double norm) {
        double[] r = new double[margins.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = margins[i] / norm;
        }
        return r;
    }
}
