package org.flatminima.engine.curvature;

import org.flatminima.engine.Tensor;

/**
 * Approximate eigenpairs of a symmetric operator, with how good they are and what they cost.
 *
 * @param values the eigenvalues found, in the order the method ranks them (largest first, algebraically or in
 *     magnitude)
 * @param vectors unit eigenvectors, shape {@code [k, P]}, row i for {@code values[i]}; signs are arbitrary
 * @param residuals {@code ||A y_i - theta_i y_i||} for each pair, computed with fresh products after the method
 *     finished (not the method's own estimate)
 * @param products operator products spent, including the k for the residuals
 * @param iterations Lanczos steps, or power iterations summed over all k pairs
 * @param converged whether the method's stop rule was met before its iteration cap
 * @param method {@code lanczos} or {@code power-iteration}
 */
public record Eigenpairs(double[] values, Tensor vectors, double[] residuals, int products, int iterations,
        boolean converged, String method) {

    /** The number of pairs. */
    public int count() {
        return values.length;
    }

    /** Eigenvector i as a {@code [P]} view. */
    public Tensor vector(int i) {
        return vectors.select(0, i);
    }
}
