package org.flatminima.engine.curvature;

import java.util.List;
import org.flatminima.engine.nn.ParameterLayout;

/**
 * An exact Hessian trace of the mean loss, broken down by parameter tensor, by layer and (when computed) by point.
 *
 * <p>All values are traces of Hessians of the loss in nats, with respect to the flat parameter vector:
 * <ul>
 *   <li>{@link #total()}: {@code tr H}, H the Hessian of the mean loss {@code (1/N) sum_n l_n}.</li>
 *   <li>{@link #perParam()}: entry e is the trace of the diagonal block of H on parameter tensor e's range
 *       ({@code params().get(e)}, e.g. {@code 0.weight}); they sum to the total.</li>
 *   <li>{@link #perLayer()}: the same per module with parameters ({@code layers()}, the block-diagonal parts).</li>
 *   <li>{@link #perPoint()}: entry n is {@code tr H_n}, the trace of point n's own loss Hessian (not divided
 *       by N); for separable losses the total is their mean. {@code perPointParam()[n][e]} splits it by
 *       parameter tensor. Null when not computed.</li>
 * </ul>
 *
 * @param method {@code closed-form}, {@code exact-ggn}, {@code exact-hbp} or {@code exact-hvp}
 * @param params the parameter tensors, in flat-vector order
 * @param layers the modules with parameters and their ranges
 * @param total the whole-data trace
 * @param perParam whole-data trace per parameter tensor
 * @param perPointParam per point and parameter tensor, {@code [N][params.size()]}, or null
 * @param passes backward passes (exact-ggn: C - 1 per batch of points; exact-hbp: C + the residual columns per
 *     batch) or Hessian-vector products (exact-hvp) spent; 0 for the closed form
 */
public record TraceBreakdown(String method, List<ParameterLayout.Entry> params, List<ParameterLayout.LayerRange> layers,
        double total, double[] perParam, double[][] perPointParam, long passes) {

    public TraceBreakdown {
        params = List.copyOf(params);
        layers = List.copyOf(layers);
    }

    /** Whole-data trace per layer ({@code layers().get(l)}): the sum of its parameter tensors' traces. */
    public double[] perLayer() {
        return byLayer(perParam);
    }

    /** {@code tr H_n} for every point n. */
    public double[] perPoint() {
        requirePoints();
        double[] r = new double[perPointParam.length];
        for (int n = 0; n < r.length; n++) {
            for (double v : perPointParam[n]) {
                r[n] += v;
            }
        }
        return r;
    }

    /** Per point and layer: {@code [N][layers().size()]}. */
    public double[][] perPointLayer() {
        requirePoints();
        double[][] r = new double[perPointParam.length][];
        for (int n = 0; n < r.length; n++) {
            r[n] = byLayer(perPointParam[n]);
        }
        return r;
    }

    /** Whether per-point traces were computed. */
    public boolean hasPoints() {
        return perPointParam != null;
    }

    /** The total as the toolkit's common {@link TraceResult} (exact: no standard error). */
    public TraceResult toTraceResult() {
        return TraceResult.exact(total, method, (int) Math.min(Integer.MAX_VALUE, passes));
    }

    private double[] byLayer(double[] byParam) {
        double[] r = new double[layers.size()];
        for (int e = 0; e < params.size(); e++) {
            int off = params.get(e).offset();
            for (int l = 0; l < layers.size(); l++) {
                if (off >= layers.get(l).offset() && off < layers.get(l).end()) {
                    r[l] += byParam[e];
                }
            }
        }
        return r;
    }

    private void requirePoints() {
        if (perPointParam == null) {
            throw new IllegalStateException("per-point traces were not computed for this " + method
                    + " result; ask for them (exact-hvp: perPoint = true)");
        }
    }
}
