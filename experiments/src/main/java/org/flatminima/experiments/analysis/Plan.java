package org.flatminima.experiments.analysis;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.kernels.DType;

/**
 * Which methods an analysis uses on a model, decided from the model and the options alone, so that every shard
 * and the driver decide the same.
 *
 * @param exact the cheapest exact method the model allows ({@link Curvature#bestExact()}), or null
 * @param wholeMethod the method of the whole-data trace computed by {@link Analysis#wholeData} (hutchinson or
 *     exact-hvp), or null when the trace is the mean of the points' exact traces, summed from the shards
 * @param pointMethod the method of the per-point traces ({@code exact}, or hutchinson), or null when they are
 *     not asked for
 */
record Plan(Curvature.Method exact, Curvature.Method wholeMethod, Curvature.Method pointMethod) {

    /**
     * The plan for {@code net} with {@code o}: the trace comes from the shards when its mode is not hutchinson
     * and an exact method applies; otherwise exact-hvp (mode exact) or Hutchinson on the whole data. Per-point
     * traces are Hutchinson's in mode hutchinson or when no exact method applies, else exact.
     */
    static Plan of(Network net, Analysis.Options o) {
        Curvature.Method best = bestExact(net);
        boolean fromShards = o.traceMode() != Analysis.TraceMode.HUTCHINSON && best != null;
        Curvature.Method whole = fromShards ? null
                : o.traceMode() == Analysis.TraceMode.EXACT ? Curvature.Method.EXACT_HVP : Curvature.Method.HUTCHINSON;
        Curvature.Method point = !o.perPointTraces() ? null
                : o.traceMode() == Analysis.TraceMode.HUTCHINSON || best == null ? Curvature.Method.HUTCHINSON : best;
        return new Plan(best, whole, point);
    }

    /** Whether the shards sum the whole-data trace. */
    boolean traceFromShards() {
        return wholeMethod == null;
    }

    /** Whether the per-point traces are exact (then they come with the trace sums of the same method). */
    boolean exactPointTraces() {
        return pointMethod != null && pointMethod == exact;
    }

    /** {@link Curvature#bestExact()}, which depends on the network only: asked of a toolkit on no points. */
    private static Curvature.Method bestExact(Network net) {
        return Curvature.of(net, null, Tensor.zeros(DType.F64, 0), new int[0]).bestExact();
    }
}
