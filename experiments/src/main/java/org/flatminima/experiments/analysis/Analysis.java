package org.flatminima.experiments.analysis;

import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.Eigenpairs;
import org.flatminima.engine.curvature.Hutchinson;
import org.flatminima.engine.curvature.PerPointHutchinson;
import org.flatminima.engine.curvature.TraceResult;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.measures.Margins;
import org.flatminima.experiments.measures.ModelMargins;
import org.flatminima.experiments.measures.Summary;

/**
 * What {@code flatminima analyze} measures for a model on a data set: loss, accuracy, the Hessian trace of the
 * mean loss, its top eigenvalues, and per point the loss, the trace of the point's own loss Hessian and three
 * margins (output, softmax, input-space). The model is evaluated in eval mode (batch norm's running statistics).
 */
public final class Analysis {
    private Analysis() {
    }

    /** Point-wise work is done in chunks of this many points (inside scopes). */
    public static final int CHUNK = 1000;

    /** How to compute the whole-data trace: auto, exact or hutchinson. */
    public enum TraceMode {
        /** The cheapest exact method the model allows, else Hutchinson to a 1% relative standard error. */
        AUTO,
        /** Closed form or exact-ggn where the model allows it, else exact-hvp (P HVPs: small models). */
        EXACT,
        /** Hutchinson to a 1% relative standard error (at most 1,000 probes). */
        HUTCHINSON;

        public static TraceMode parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "auto" -> AUTO;
                case "exact" -> EXACT;
                case "hutchinson" -> HUTCHINSON;
                default -> throw new IllegalArgumentException("unknown --trace '" + s + "': use auto, exact or hutchinson");
            };
        }
    }

    /** The per-point columns. */
    public record PerPoint(int[] labels, int[] predicted, double[] loss, double[] trace, String traceMethod,
                           double[] outputMargin, double[] softmaxMargin, double[] inputMargin) {
    }

    /** The result of an analysis. */
    public record Result(int params, int points, double loss, double accuracy, TraceResult trace,
                         double[] eigenvalues, PerPoint perPoint, Summary output, Summary softmax, Summary input) {
    }

    /**
     * Analyses {@code net} at {@code theta} on {@code x} ({@code [N, ...]}) with {@code labels}.
     *
     * @param eigenvalues how many top eigenvalues of the Hessian of the mean loss (0 for none)
     * @param perPointTraces whether to compute each point's own trace (exact where possible, else Hutchinson)
     */
    public static Result run(Network model, Tensor theta, Tensor x, int[] labels, TraceMode mode, int eigenvalues,
                             boolean perPointTraces) {
        Network net = model.withMode(Mode.EVAL);
        int n = labels.length;
        double[] loss = new double[n];
        int[] predicted = new int[n];
        double[] out = new double[n];
        double[] soft = new double[n];
        double[] in = new double[n];
        for (int from = 0; from < n; from += CHUNK) {
            int to = Math.min(n, from + CHUNK);
            try (Scope s = Scope.open()) {
                Tensor xb = x.slice(0, from, to).contiguous();
                int[] yb = java.util.Arrays.copyOfRange(labels, from, to);
                Tensor z = net.logits(Var.of(theta), xb).value();
                double[] lb = TensorOps.softmaxCrossEntropy(z, yb)[0].toDoubleArray();
                Margins.Columns m = Margins.of(z, yb);
                double[] im = ModelMargins.inputMargins(net, theta, xb, yb, m);
                System.arraycopy(lb, 0, loss, from, to - from);
                System.arraycopy(m.predicted(), 0, predicted, from, to - from);
                System.arraycopy(m.output(), 0, out, from, to - from);
                System.arraycopy(m.softmax(), 0, soft, from, to - from);
                System.arraycopy(im, 0, in, from, to - from);
            }
        }
        double meanLoss = 0;
        int correct = 0;
        for (int i = 0; i < n; i++) {
            meanLoss += loss[i] / n;
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        Curvature c = Curvature.of(net, theta, x, labels);
        Curvature.Method method = switch (mode) {
            case AUTO -> Curvature.Method.AUTO;
            case EXACT -> c.bestExact() != null ? c.bestExact() : Curvature.Method.EXACT_HVP;
            case HUTCHINSON -> Curvature.Method.HUTCHINSON;
        };
        TraceResult trace = c.trace(method);
        double[] eig = new double[0];
        if (eigenvalues > 0) {
            Eigenpairs e = c.topEigenvalues(eigenvalues);
            eig = e.values();
        }
        double[] pointTraces = null;
        String pointMethod = null;
        if (perPointTraces) {
            Curvature.Method pm = method == Curvature.Method.HUTCHINSON ? Curvature.Method.HUTCHINSON
                    : (c.bestExact() != null ? c.bestExact() : Curvature.Method.HUTCHINSON);
            PerPointHutchinson.PerPointTraces pt = c.perPointTraces(pm, Hutchinson.Options.defaults());
            pointTraces = pt.values();
            pointMethod = pt.method();
        }
        PerPoint pp = new PerPoint(labels.clone(), predicted, loss, pointTraces, pointMethod, out, soft, in);
        return new Result(net.parameterCount(), n, meanLoss, correct / (double) n, trace, eig, pp,
                Summary.of(out), Summary.of(soft), Summary.of(in));
    }
}
