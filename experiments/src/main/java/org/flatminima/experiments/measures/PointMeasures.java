package org.flatminima.experiments.measures;

import java.util.Arrays;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.Hutchinson;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Taps;
import org.flatminima.experiments.train.Passes;

/**
 * The per-point measures of a model at one parameter vector on labelled points, computed a chunk of points at a
 * time (each chunk in its own {@link Scope}, so memory is bounded by the chunk, not by the number of points);
 * every value depends on its own point only, so the result does not depend on the chunk size. Used by E2 and by
 * a sweep's runs.
 *
 * <p>Per point: its own loss-Hessian trace (by an exact method's breakdown, or our batched per-point Hutchinson),
 * the {@link Margins} columns from the logits, the affine-trace expression from the last layer's input
 * ({@link Margins#affineTraceExpression}), and optionally the input-space margin ({@link ModelMargins}). The logits
 * and the last layer's inputs come from the trace's own forward passes when its method shows them
 * ({@link Curvature.ForwardObserver}: exact-ggn), else from a forward pass of their own.
 *
 * @param traceMethod the label of the per-point trace method ({@code closed-form}, {@code exact-ggn},
 *     {@code exact-hvp}, {@code hutchinson}), or null when traces were not computed
 * @param trace each point's own trace, or null
 * @param margins the margin columns of every point
 * @param affineTraceExpr {@code (||h||^2 + 1)(1 - ||p||^2)} per point
 * @param inputMargin the input-space margin per point, or null when not computed
 */
public record PointMeasures(String traceMethod, double[] trace, Margins.Columns margins, double[] affineTraceExpr,
                            double[] inputMargin) {

    /**
     * Measures {@code net} at {@code theta} on the points {@code x} ({@code [N, ...]}) with {@code labels}.
     *
     * @param traceMethod the per-point trace method: an exact one ({@code CLOSED_FORM}, {@code EXACT_GGN},
     *     {@code EXACT_HBP}, {@code EXACT_HVP}), {@code HUTCHINSON} (with {@link Hutchinson.Options#defaults()}), or null for none
     * @param inputMargins whether to compute the input-space margins
     * @param chunk points per chunk (at least 1); the margins and the affine expression of a chunk come from
     *     forward (and input-gradient) passes of at most {@link Passes#pointsPerPass(Network, Tensor, int)} points
     */
    public static PointMeasures of(Network net, Tensor theta, Tensor x, int[] labels, Curvature.Method traceMethod,
                                   boolean inputMargins, int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be at least 1 point; got " + chunk);
        }
        return of(net, theta, x, labels, traceMethod, inputMargins, chunk, Passes.pointsPerPass(net, theta, chunk));
    }

    /**
     * {@link #of(Network, Tensor, Tensor, int[], Curvature.Method, boolean, int)} with the margins' passes of
     * {@code pointsPerPass} points (each in a scope of its own, starting at a multiple of it within its chunk).
     */
    public static PointMeasures of(Network net, Tensor theta, Tensor x, int[] labels, Curvature.Method traceMethod,
                                   boolean inputMargins, int chunk, int pointsPerPass) {
        if (chunk < 1 || pointsPerPass < 1) {
            throw new IllegalArgumentException("chunk and pass must be at least 1 point; got " + chunk + " and "
                    + pointsPerPass);
        }
        int n = labels.length;
        double[] trace = traceMethod == null ? null : new double[n];
        String method = null;
        int[] predicted = new int[n];
        int[] runnerUp = new int[n];
        double[] output = new double[n];
        double[] softmax = new double[n];
        double[] oneMinusM2 = new double[n];
        double[] oneMinusNormP2 = new double[n];
        double[] affine = new double[n];
        double[] input = inputMargins ? new double[n] : null;
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            try (Scope s = Scope.open()) {
                Tensor xc = from == 0 && to == n ? x : x.slice(0, from, to).contiguous();
                // the trace's own forward passes, when its method shows them: logits and last-layer inputs
                Tensor[] seen = new Tensor[2];
                if (traceMethod != null) {
                    int[] yc = from == 0 && to == n ? labels : Arrays.copyOfRange(labels, from, to);
                    Curvature cv = Curvature.of(net, theta, xc, yc);
                    double[] t;
                    if (traceMethod == Curvature.Method.HUTCHINSON) {
                        var pt = cv.perPointTraces(traceMethod, Hutchinson.Options.defaults());
                        t = pt.values();
                        method = pt.method();
                    } else {
                        int rows = to - from;
                        int[] covered = {0};
                        var b = cv.breakdown(traceMethod, true, (f, logits, last) -> {
                            int m = logits.dim(0);
                            Tensor last2 = last.contiguous().reshape(m, (int) (last.size() / Math.max(m, 1)));
                            if (seen[0] == null) {
                                seen[0] = s.enter(() -> Tensor.zeros(logits.dtype(), rows, logits.dim(1)));
                                seen[1] = s.enter(() -> Tensor.zeros(last2.dtype(), rows, last2.dim(1)));
                            }
                            TensorOps.assign(seen[0].slice(0, f, f + m), logits);
                            TensorOps.assign(seen[1].slice(0, f, f + m), last2);
                            covered[0] += m;
                        });
                        if (covered[0] != rows) {
                            seen[0] = null;
                        }
                        t = b.perPoint();
                        method = b.method();
                    }
                    System.arraycopy(t, 0, trace, from, to - from);
                }
                for (int a = from; a < to; a += pointsPerPass) {
                    int b = Math.min(to, a + pointsPerPass);
                    try (Scope ps = Scope.open()) {
                        Tensor xb = a == 0 && b == n ? x : x.slice(0, a, b).contiguous();
                        int[] yb = a == 0 && b == n ? labels : Arrays.copyOfRange(labels, a, b);
                        Tensor logits;
                        Tensor h2;
                        if (seen[0] != null) {
                            logits = seen[0].slice(0, a - from, b - from);
                            h2 = seen[1].slice(0, a - from, b - from);
                        } else {
                            Taps.Tapped tapped = Taps.record(net, theta, xb);
                            logits = tapped.logits();
                            Tensor h = tapped.inputs().get(tapped.inputs().size() - 1);
                            h2 = h.contiguous().reshape(h.dim(0), (int) (h.size() / h.dim(0)));
                        }
                        Margins.Columns cols = Margins.of(logits, yb);
                        System.arraycopy(cols.predicted(), 0, predicted, a, b - a);
                        System.arraycopy(cols.runnerUp(), 0, runnerUp, a, b - a);
                        System.arraycopy(cols.output(), 0, output, a, b - a);
                        System.arraycopy(cols.softmax(), 0, softmax, a, b - a);
                        System.arraycopy(cols.oneMinusM2(), 0, oneMinusM2, a, b - a);
                        System.arraycopy(cols.oneMinusNormP2(), 0, oneMinusNormP2, a, b - a);
                        System.arraycopy(Margins.affineTraceExpression(h2, cols), 0, affine, a, b - a);
                        if (inputMargins) {
                            System.arraycopy(ModelMargins.inputMargins(net, theta, xb, yb, cols), 0, input, a, b - a);
                        }
                    }
                }
            }
        }
        return new PointMeasures(method, trace, new Margins.Columns(predicted, runnerUp, output, softmax, oneMinusM2,
                oneMinusNormP2), affine, input);
    }
}
