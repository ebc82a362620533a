package org.flatminima.engine.curvature;

import java.util.SplittableRandom;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;

/**
 * The top-k eigenpairs (largest magnitude) of a symmetric operator by power iteration with deflation: the method
 * PyHessian uses. Pair i is found by iterating {@code v <- B v / ||B v||} with the deflated operator
 * {@code B = A - sum_{j<i} lambda_j v_j v_j^T}; the product is also projected onto the complement of the pairs
 * already found, which keeps their small errors from leaking back. It stops when the residual of that projected
 * product, {@code ||P B v - lambda v||} with {@code lambda = v^T B v}, is at most {@code tol * |lambda|}.
 *
 * <p>Simple, but slower than {@link Lanczos}: the error shrinks like {@code (|lambda_{i+1}| / |lambda_i|)^t}, so
 * close eigenvalues need many products, one at a time, and each pair starts from scratch. It ranks by magnitude:
 * a negative eigenvalue larger in absolute value than the positive ones comes first. Prefer Lanczos; this is the
 * reference the literature uses.
 */
public final class PowerIteration {
    private PowerIteration() {
    }

    /**
     * Settings.
     *
     * @param maxIterations the cap on power iterations per eigenpair
     * @param tol the stop rule {@code ||B v - lambda v|| <= tol * |lambda|}
     * @param seed the seed of the random start vectors
     */
    public record Options(int maxIterations, double tol, long seed) {
        /** 1000 iterations per pair, tolerance 1e-6, seed 0. */
        public static final Options DEFAULT = new Options(1000, 1e-6, 0);

        public Options {
            if (maxIterations < 1 || !(tol > 0)) {
                throw new IllegalArgumentException("maxIterations must be >= 1 and tol > 0, got " + maxIterations
                        + ", " + tol);
            }
        }

        public Options withMaxIterations(int n) {
            return new Options(n, tol, seed);
        }

        public Options withTol(double t) {
            return new Options(maxIterations, t, seed);
        }

        public Options withSeed(long s) {
            return new Options(maxIterations, tol, s);
        }
    }

    /** The k eigenpairs of largest magnitude of the Hessian, with default options. */
    public static Eigenpairs topK(HessianOperator h, int k) {
        return topK(SymmetricOperator.of(h), k, Options.DEFAULT);
    }

    /** The k eigenpairs of largest magnitude of the Hessian. */
    public static Eigenpairs topK(HessianOperator h, int k, Options o) {
        return topK(SymmetricOperator.of(h), k, o);
    }

    /**
     * The k eigenpairs of largest magnitude of {@code op}, in the order found (normally decreasing magnitude).
     * {@link Eigenpairs#converged()} is false if any pair hit the iteration cap.
     */
    public static Eigenpairs topK(SymmetricOperator op, int k, Options o) {
        int p = op.dim();
        if (k < 1 || k > p) {
            throw new IllegalArgumentException("k must be in [1, P = " + p + "], got " + k);
        }
        SplittableRandom rnd = new SplittableRandom(o.seed());
        Tensor found = Tensor.zeros(op.dtype(), k, p);
        double[] values = new double[k];
        Tensor v = Tensor.zeros(op.dtype(), p);
        int iterations = 0;
        boolean allConverged = true;
        for (int i = 0; i < k; i++) {
            Tensor done = found.slice(0, 0, i);
            Tensor lam = Tensor.of(op.dtype(), java.util.Arrays.copyOf(values, i), 1, i);
            try (Scope s = Scope.open()) {
                Tensor v0 = LanczosProcess.projectOut(Tensor.normal(op.dtype(), rnd, p), done, null);
                TensorOps.assign(v, TensorOps.scale(v0, 1 / LanczosProcess.norm(v0)));
            }
            double lambda = 0;
            boolean converged = false;
            for (int t = 0; t < o.maxIterations() && !converged; t++) {
                iterations++;
                try (Scope s = Scope.open()) {
                    Tensor w = op.apply(v);
                    if (i > 0) {
                        // B v = A v - sum_j lambda_j (v_j . v) v_j
                        Tensor c = TensorOps.matmul(done, v.reshape(p, 1)).reshape(1, i);
                        w = TensorOps.sub(w, TensorOps.matmul(TensorOps.mul(c, lam), done).reshape(p));
                    }
                    // keep to the complement of the pairs found: what their small errors leak into w is not
                    // part of this pair's problem (and would put a floor under the residual)
                    w = LanczosProcess.projectOut(w, done, null);
                    lambda = LanczosProcess.dot(v, w);
                    double res = LanczosProcess.norm(TensorOps.sub(w, TensorOps.scale(v, lambda)));
                    if (res <= o.tol() * Math.abs(lambda)) {
                        converged = true;
                    } else {
                        Tensor next = w;
                        double nn = LanczosProcess.norm(next);
                        if (!(nn > 0)) {
                            converged = true; // B v = 0 on the complement: v is an eigenvector with eigenvalue 0
                            lambda = 0;
                        } else {
                            TensorOps.assign(v, TensorOps.scale(next, 1 / nn));
                        }
                    }
                }
            }
            allConverged &= converged;
            values[i] = lambda;
            TensorOps.assign(found.select(0, i), v);
        }
        double[] residuals = Lanczos.residuals(op, found, values);
        return new Eigenpairs(values, found, residuals, iterations + k, iterations, allConverged, "power-iteration");
    }
}
