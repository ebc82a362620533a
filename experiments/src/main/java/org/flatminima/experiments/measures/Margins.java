package org.flatminima.experiments.measures;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;

/**
 * Per-point margin measures computed from a model's logits (and, for the affine-trace expression, the input of
 * its last layer). For point n with logits z, label y and softmax p:
 *
 * <ul>
 *   <li>output margin {@code z_y - max_{j != y} z_j} (negative when misclassified);</li>
 *   <li>softmax margin {@code p_y - max_{j != y} p_j};</li>
 *   <li>the authors' bound {@code 1 - m^2} with m the softmax margin: since
 *       {@code ||p||^2 >= p_y^2 + p_j^2 >= (p_y - p_j)^2}, it bounds the factor {@code 1 - ||p||^2} of the
 *       affine Hessian trace from above;</li>
 *   <li>the affine-trace expression {@code (||h||^2 + 1)(1 - ||p||^2)} with h the input of the last layer: the
 *       exact trace of the point's own loss Hessian with respect to the last layer's weights and bias.</li>
 * </ul>
 * The runner-up {@code j* = argmax_{j != y} z_j} (first on ties) is also reported: input-space margins
 * differentiate {@code z_y - z_j*}.
 */
public final class Margins {
    private Margins() {
    }

    /** The per-point columns. */
    public record Columns(int[] predicted, int[] runnerUp, double[] output, double[] softmax, double[] oneMinusM2,
                          double[] oneMinusNormP2) {
    }

    /** Margins of logits {@code [N, C]} against labels. */
    public static Columns of(Tensor logits, int[] labels) {
        if (logits.rank() != 2 || logits.dim(0) != labels.length || logits.dim(1) < 2) {
            throw new IllegalArgumentException("margins need logits [N, C >= 2] and N labels; got shape "
                    + java.util.Arrays.toString(logits.shape()) + " and " + labels.length + " labels");
        }
        int n = logits.dim(0);
        int c = logits.dim(1);
        double[] z = logits.toDoubleArray();
        double[] p = TensorOps.softmax(logits).toDoubleArray();
        int[] pred = new int[n];
        int[] runner = new int[n];
        double[] out = new double[n];
        double[] soft = new double[n];
        double[] bound = new double[n];
        double[] affine = new double[n];
        for (int i = 0; i < n; i++) {
            int y = labels[i];
            if (y < 0 || y >= c) {
                throw new IllegalArgumentException("label " + y + " of point " + i + " is outside [0, " + c + ")");
            }
            int best = 0;
            int other = -1;
            double norm2 = 0;
            for (int j = 0; j < c; j++) {
                double zj = z[i * c + j];
                if (zj > z[i * c + best]) {
                    best = j;
                }
                if (j != y && (other < 0 || zj > z[i * c + other])) {
                    other = j;
                }
                norm2 += p[i * c + j] * p[i * c + j];
            }
            pred[i] = best;
            runner[i] = other;
            out[i] = z[i * c + y] - z[i * c + other];
            soft[i] = p[i * c + y] - p[i * c + other];
            bound[i] = 1 - soft[i] * soft[i];
            affine[i] = 1 - norm2;
        }
        return new Columns(pred, runner, out, soft, bound, affine);
    }

    /**
     * The affine-trace expression {@code (||h_n||^2 + 1)(1 - ||p_n||^2)} from the last layer's input h
     * {@code [N, D]} and the columns' {@code 1 - ||p||^2}.
     */
    public static double[] affineTraceExpression(Tensor lastLayerInput, Columns cols) {
        int n = cols.output().length;
        if (lastLayerInput.rank() != 2 || lastLayerInput.dim(0) != n) {
            throw new IllegalArgumentException("the last layer's input must be [N, D] with N = " + n + ", got "
                    + java.util.Arrays.toString(lastLayerInput.shape()));
        }
        int d = lastLayerInput.dim(1);
        double[] h = lastLayerInput.toDoubleArray();
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
                s += h[i * d + k] * h[i * d + k];
            }
            r[i] = (s + 1) * cols.oneMinusNormP2()[i];
        }
        return r;
    }

    /** The fraction of points whose prediction equals the label. */
    public static double accuracy(Columns cols, int[] labels) {
        int ok = 0;
        for (int i = 0; i < labels.length; i++) {
            ok += cols.predicted()[i] == labels[i] ? 1 : 0;
        }
        return labels.length == 0 ? Double.NaN : ok / (double) labels.length;
    }
}
