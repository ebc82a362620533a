package org.flatminima.engine.curvature;

/**
 * A stochastic estimate of the Hessian diagonal.
 *
 * @param values the estimate of {@code H_ii}, one per parameter, in the flat parameter order
 * @param stderr the standard error of each entry (sample standard deviation over {@code sqrt(probes)})
 * @param probes the Hessian-vector products spent
 */
public record DiagonalEstimate(double[] values, double[] stderr, int probes) {

    /** The sum of the diagonal entries: the same number as Hutchinson's trace estimate on the same probes. */
    public double trace() {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }
}
