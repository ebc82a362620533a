package org.flatminima.engine.curvature;

/**
 * A square-root factor with {@code C - 1} columns of the Hessian of the softmax cross-entropy at the logits,
 * {@code A = diag(p) - p p^T = S S^T}: the seeds of exact-ggn's and exact-hbp's backward passes, one pass per
 * column. {@code A} has rank at most {@code C - 1} ({@code A 1 = 0}), so {@code C - 1} columns suffice where the
 * textbook factor {@code s_c = sqrt(p_c)(e_c - p)} takes C.
 *
 * <p>Derivation (docs/curvature-exact.md): with q the most probable class (the pivot) and r the others,
 * {@code A = Q A_r Q^T}, where {@code A_r = diag(p_r) - p_r p_r^T} is A without row and column q and
 * {@code Q = [I; -1^T]} puts minus the sum of the other coordinates at q (since {@code A 1 = 0}). With
 * {@code u = sqrt(p_r)}, {@code A_r = D (I - u u^T) D}, {@code D = diag(u)}, and {@code I - u u^T = (I - a u u^T)^2}
 * for {@code a = 1 / (1 + sqrt(p_q))} (as {@code ||u||^2 = 1 - p_q}). So {@code S = Q D (I - a u u^T)}, whose
 * column for class {@code j != q} is
 * <pre>
 *   s_j = sqrt(p_j) (e_j - a p_r - sqrt(p_q) e_q)        (p_r: p with its q-th entry set to 0).
 * </pre>
 * Every entry is a product of non-negative factors of size at most 1 (no cancellation); choosing the most
 * probable class as the pivot keeps {@code a} in {@code [1/2, 1/(1 + 1/sqrt(C))]}.
 */
final class LogitFactor {
    private LogitFactor() {
    }

    /** The factor's columns for {@code classes} classes: {@code classes - 1} (none for a single class). */
    static int columns(int classes) {
        return Math.max(0, classes - 1);
    }

    /**
     * Writes column {@code j} ({@code 0 <= j < columns(c)}) of each point's factor into {@code seed} as an
     * {@code [m, c]} row-major matrix: row i is {@code s_j} for the probabilities {@code p[i]} (the j-th class
     * other than the point's pivot, in class order).
     */
    static void column(double[][] p, int j, double[] seed) {
        for (int i = 0; i < p.length; i++) {
            double[] pi = p[i];
            int c = pi.length;
            int q = 0;
            for (int k = 1; k < c; k++) {
                if (pi[k] > pi[q]) {
                    q = k;
                }
            }
            int cls = j < q ? j : j + 1;
            double sq = Math.sqrt(pi[q]);
            double a = 1 / (1 + sq);
            double r = Math.sqrt(pi[cls]);
            int row = i * c;
            for (int k = 0; k < c; k++) {
                seed[row + k] = k == q ? -r * sq : r * ((k == cls ? 1 : 0) - a * pi[k]);
            }
        }
    }
}
