package org.flatminima.engine.curvature;

/**
 * A Hessian trace and how it was obtained.
 *
 * @param value the trace
 * @param method one of {@code closed-form}, {@code exact-ggn}, {@code exact-hvp}, {@code hutchinson},
 *     {@code hutch++}
 * @param stderr the estimated standard error (0 for exact methods)
 * @param probes Hessian-vector products (or backward passes, for exact-ggn) spent; 0 for closed form
 */
public record TraceResult(double value, String method, double stderr, int probes) {

    /** An exact value. */
    public static TraceResult exact(double value, String method, int probes) {
        return new TraceResult(value, method, 0.0, probes);
    }

    /** True for the methods whose value carries no sampling error. */
    public boolean isExact() {
        return stderr == 0.0 && !method.startsWith("hutch");
    }
}
