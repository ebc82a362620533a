package org.flatminima.engine.curvature;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;

/**
 * The top-k eigenpairs of a symmetric operator (a Hessian) by the Lanczos process with full reorthogonalisation.
 *
 * <p>From a seeded random unit vector, step j computes {@code w = A q_j}, removes from it its components along
 * every previous basis vector (classical Gram-Schmidt, two passes), and normalises it into {@code q_{j+1}}; the
 * removed coefficients along {@code q_j} and the norms are the tridiagonal {@code T = Q^T A Q}. The Ritz values
 * (eigenvalues of T, by {@link SymmetricEigen}) approximate A's extreme eigenvalues and the Ritz vectors
 * {@code Q s} its eigenvectors; the residual of a Ritz pair is {@code |beta_m s_m|} (the last component of s times
 * the last coupling), which the stop rule uses. A breakdown (a coupling at rounding level: the Krylov space is
 * invariant) restarts with a random vector orthogonal to the basis, so repeated eigenvalues are found with their
 * multiplicity. Costs: one operator product per step, memory {@code m * P} values of the operator's dtype. See
 * docs/curvature.md.
 */
public final class Lanczos {
    private Lanczos() {
    }

    /** Which end of the spectrum to report. */
    public enum Which {
        /** The k largest eigenvalues (most positive first). */
        LARGEST_ALGEBRAIC,
        /** The k eigenvalues of largest absolute value (largest first). */
        LARGEST_MAGNITUDE
    }

    /**
     * Settings.
     *
     * @param iterations the most Lanczos steps m (capped at P); 0 for the default {@code max(2k + 20, 40)}
     * @param tol the stop rule: every reported pair's residual {@code ||A y - theta y||} is at most
     *     {@code tol * max|theta|}; 0 for the default (1e-10 in float64, 1e-4 in float32)
     * @param seed the seed of the random start (and restart) vectors
     * @param which which eigenvalues to report
     */
    public record Options(int iterations, double tol, long seed, Which which) {
        /** Default steps, default tolerance, seed 0, the largest algebraic eigenvalues. */
        public static final Options DEFAULT = new Options(0, 0, 0, Which.LARGEST_ALGEBRAIC);

        public Options {
            if (iterations < 0 || tol < 0 || which == null) {
                throw new IllegalArgumentException("iterations and tol must be >= 0 (0 = default) and which set, got "
                        + iterations + ", " + tol + ", " + which);
            }
        }

        public Options withIterations(int m) {
            return new Options(m, tol, seed, which);
        }

        public Options withTol(double t) {
            return new Options(iterations, t, seed, which);
        }

        public Options withSeed(long s) {
            return new Options(iterations, tol, s, which);
        }

        public Options withWhich(Which w) {
            return new Options(iterations, tol, seed, w);
        }
    }

    /** The k largest eigenvalues of the Hessian and their eigenvectors, with default options. */
    public static Eigenpairs topK(HessianOperator h, int k) {
        return topK(SymmetricOperator.of(h), k, Options.DEFAULT);
    }

    /** The k largest eigenvalues of the Hessian and their eigenvectors. */
    public static Eigenpairs topK(HessianOperator h, int k, Options o) {
        return topK(SymmetricOperator.of(h), k, o);
    }

    /**
     * The most Lanczos steps (operator products) {@link #topK} takes for {@code k} eigenpairs of an operator of
     * dimension {@code p}; its basis holds as many vectors of {@code p} values.
     */
    public static int steps(int k, int p, Options o) {
        return (int) Math.min(p, o.iterations() > 0 ? o.iterations() : Math.max(2L * k + 20, 40));
    }

    /** The top-k eigenpairs of {@code op} (see {@link Options#which()}). */
    public static Eigenpairs topK(SymmetricOperator op, int k, Options o) {
        int p = op.dim();
        if (k < 1 || k > p) {
            throw new IllegalArgumentException("k must be in [1, P = " + p + "], got " + k);
        }
        int m = steps(k, p, o);
        if (m < k) {
            throw new IllegalArgumentException(m + " Lanczos steps cannot give " + k + " eigenpairs; use at least k");
        }
        double tol = o.tol() > 0 ? o.tol() : op.dtype() == DType.F32 ? 1e-4 : 1e-10;
        SplittableRandom rnd = new SplittableRandom(o.seed());
        Tensor start = Tensor.normal(op.dtype(), rnd, 1, p);
        boolean[] converged = {false};
        LanczosProcess.StopRule rule = run -> {
            if (run.steps < k) {
                return false;
            }
            SymmetricEigen.Result e = SymmetricEigen.tridiagonal(run.diag(), run.off());
            int[] pick = select(e.values(), k, o.which());
            double scale = maxAbs(e.values());
            for (int i : pick) {
                double estimate = Math.abs(run.lastBeta() * e.vector(i)[run.steps - 1]);
                if (estimate > tol * scale) {
                    return false;
                }
            }
            // After a restart, pairs of earlier (invariant) blocks can look converged while a larger eigenvalue
            // waits in the unexplored complement. The active block's extreme Ritz value converges to the
            // complement's extreme eigenvalue; it must have converged too (if it is among the top k it was
            // checked above; if it is not, the complement holds nothing larger).
            if (run.blockStart > 0) {
                if (run.blockStart >= run.steps) {
                    return false; // a breakdown just happened: the new block has not been explored
                }
                double[] d = Arrays.copyOfRange(run.alpha, run.blockStart, run.steps);
                double[] off = Arrays.copyOfRange(run.beta, run.blockStart, run.steps - 1);
                SymmetricEigen.Result b = SymmetricEigen.tridiagonal(d, off);
                int top = select(b.values(), 1, o.which())[0];
                if (Math.abs(run.lastBeta() * b.vector(top)[d.length - 1]) > tol * scale) {
                    return false;
                }
            }
            converged[0] = true;
            return true;
        };
        LanczosProcess.Run run = LanczosProcess.run(op, start, m, true, rnd, rule)[0];
        int steps = run.steps;
        SymmetricEigen.Result e = SymmetricEigen.tridiagonal(run.diag(), run.off());
        int[] pick = select(e.values(), k, o.which());
        double[] values = new double[k];
        double[] s = new double[k * steps];
        for (int i = 0; i < k; i++) {
            values[i] = e.values()[pick[i]];
            System.arraycopy(e.vector(pick[i]), 0, s, i * steps, steps);
        }
        // Ritz vectors Y = S^T Q: one [k, m] x [m, P] product
        Tensor y = TensorOps.matmul(Tensor.of(op.dtype(), s, k, steps), run.vectors());
        y = normaliseRows(y);
        double[] residuals = residuals(op, y, values);
        return new Eigenpairs(values, y, residuals, steps + k, steps, converged[0] || run.exhausted, "lanczos");
    }

    /** Indices of the k values to report, in report order. */
    static int[] select(double[] ascending, int k, Which which) {
        Comparator<Integer> order = which == Which.LARGEST_ALGEBRAIC
                ? Comparator.comparingDouble(i -> -ascending[i])
                : Comparator.comparingDouble(i -> -Math.abs(ascending[i]));
        return IntStream.range(0, ascending.length).boxed().sorted(order).limit(k).mapToInt(Integer::intValue)
                .toArray();
    }

    static double maxAbs(double[] v) {
        return Math.max(Double.MIN_NORMAL, Arrays.stream(v).map(Math::abs).max().orElse(0));
    }

    static Tensor normaliseRows(Tensor y) {
        Tensor n = TensorOps.unary(org.flatminima.kernels.UnaryOp.SQRT,
                TensorOps.sum(TensorOps.mul(y, y), 1, true));
        return TensorOps.div(y, n);
    }

    /** {@code ||A y_i - theta_i y_i||} for the rows of y, from one batched product. */
    static double[] residuals(SymmetricOperator op, Tensor y, double[] theta) {
        int k = theta.length;
        Tensor ay = op.applyBatch(y);
        Tensor r = TensorOps.sub(ay, TensorOps.mul(Tensor.of(op.dtype(), theta, k, 1), y));
        double[] sq = TensorOps.sum(TensorOps.mul(r, r), 1, false).toDoubleArray();
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            out[i] = Math.sqrt(sq[i]);
        }
        return out;
    }
}
