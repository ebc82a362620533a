package org.flatminima.engine.curvature;

import java.util.SplittableRandom;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;

/**
 * The Lanczos process with full reorthogonalisation, for one or several independent start vectors run in lockstep
 * (their products go through one {@link SymmetricOperator#applyBatch} per step). Shared by {@link Lanczos} and
 * {@link SpectralDensity}. Vectors stay in the operator's dtype; the tridiagonal entries are doubles.
 */
final class LanczosProcess {
    private LanczosProcess() {
    }

    /** A coupling below {@code BREAKDOWN_ULPS * eps(dtype) * ||T||} is an invariant subspace. */
    private static final double BREAKDOWN_ULPS = 1e3;

    /** One run: its orthonormal basis and its tridiagonal {@code T = Q^T A Q}. */
    static final class Run {
        /** {@code [m, P]}; rows {@code 0..steps-1} are the basis, row {@code steps} the next vector (if any). */
        final Tensor basis;
        final double[] alpha;
        /** {@code beta[j]} couples vectors j and j+1; {@code beta[steps-1]} is the norm of the last residual. */
        final double[] beta;
        int steps;
        int restarts;
        /** The first basis index of the block since the last restart (0 without restarts). */
        int blockStart;
        boolean done;
        /** True when the Krylov space became invariant (a breakdown that was not restarted, or P reached). */
        boolean exhausted;
        double norm;

        Run(DType dtype, int m, int p) {
            basis = Tensor.zeros(dtype, m, p);
            alpha = new double[m];
            beta = new double[m];
        }

        double[] diag() {
            return java.util.Arrays.copyOf(alpha, steps);
        }

        double[] off() {
            return java.util.Arrays.copyOf(beta, Math.max(0, steps - 1));
        }

        /** The norm of the residual {@code A Q - Q T}, all in the last column. */
        double lastBeta() {
            return steps == 0 ? 0 : beta[steps - 1];
        }

        /** The basis rows {@code [steps, P]}. */
        Tensor vectors() {
            return basis.slice(0, 0, steps);
        }
    }

    /** Decides after each step whether a run has converged. */
    interface StopRule {
        boolean stop(Run run);
    }

    static double dot(Tensor a, Tensor b) {
        return TensorOps.sumAll(TensorOps.mul(a, b)).item();
    }

    static double norm(Tensor a) {
        return Math.sqrt(dot(a, a));
    }

    /**
     * {@code w} minus its projection on the rows of {@code q} ({@code [j, P]}, orthonormal), by classical
     * Gram-Schmidt; {@code coeffs} (length >= j, may be null) receives the removed coefficients {@code q w}.
     */
    static Tensor projectOut(Tensor w, Tensor q, double[] coeffs) {
        int j = q.dim(0);
        if (j == 0) {
            return w;
        }
        int p = w.dim(0);
        Tensor c = TensorOps.matmul(q, w.reshape(p, 1));
        if (coeffs != null) {
            double[] cs = c.toDoubleArray();
            for (int i = 0; i < j; i++) {
                coeffs[i] += cs[i];
            }
        }
        return TensorOps.sub(w, TensorOps.matmul(c.reshape(1, j), q).reshape(p));
    }

    /**
     * Runs {@code m} steps (at most P) from each row of {@code starts} ({@code [b, P]}, normalised here), in
     * lockstep. On a breakdown, a run either restarts with a random vector orthogonal to its basis (top-k
     * eigenvalues need this: one start vector sees one direction per eigenspace) or stops (quadrature must not:
     * the Gauss rule of the start vector is then already exact).
     */
    static Run[] run(SymmetricOperator op, Tensor starts, int m, boolean restart, SplittableRandom rnd,
            StopRule stop) {
        int b = starts.dim(0);
        int p = op.dim();
        DType dtype = op.dtype();
        int steps = Math.min(m, p);
        double breakdown = BREAKDOWN_ULPS * (dtype == DType.F32 ? Math.ulp(1.0f) : Math.ulp(1.0));
        Run[] runs = new Run[b];
        for (int r = 0; r < b; r++) {
            runs[r] = new Run(dtype, steps, p);
            try (Scope s = Scope.open()) {
                Tensor v = starts.select(0, r).contiguous();
                double nv = norm(v);
                if (!(nv > 0) || !Double.isFinite(nv)) {
                    throw new IllegalArgumentException("start vector " + r + " has norm " + nv);
                }
                TensorOps.assign(runs[r].basis.select(0, 0), TensorOps.scale(v, 1 / nv));
            }
        }
        while (true) {
            int active = 0;
            for (Run run : runs) {
                active += run.done ? 0 : 1;
            }
            if (active == 0) {
                return runs;
            }
            try (Scope s = Scope.open()) {
                Tensor x;
                if (active == 1) {
                    Run only = null;
                    for (Run run : runs) {
                        only = run.done ? only : run;
                    }
                    x = only.basis.select(0, only.steps).reshape(1, p);
                } else {
                    x = Tensor.zeros(dtype, active, p);
                    int t = 0;
                    for (Run run : runs) {
                        if (!run.done) {
                            TensorOps.assign(x.select(0, t++), run.basis.select(0, run.steps));
                        }
                    }
                }
                Tensor ax = op.applyBatch(x);
                int t = 0;
                for (Run run : runs) {
                    if (!run.done) {
                        step(run, ax.select(0, t++), steps, p, restart, breakdown, rnd, stop);
                    }
                }
            }
        }
    }

    private static void step(Run run, Tensor w, int m, int p, boolean restart, double breakdown,
            SplittableRandom rnd, StopRule stop) {
        int j = run.steps;
        Tensor q = run.basis.slice(0, 0, j + 1);
        double[] c = new double[j + 1];
        // twice is enough (Kahan, Parlett): the second pass removes what rounding left of the first
        w = projectOut(projectOut(w, q, c), q, c);
        double a = c[j];
        double bt = norm(w);
        run.alpha[j] = a;
        run.beta[j] = bt;
        run.steps = j + 1;
        run.norm = Math.max(run.norm, Math.abs(a) + bt + (j > 0 ? run.beta[j - 1] : 0));
        if (run.steps == p) {
            run.done = true;
            run.exhausted = true;
            return;
        }
        boolean last = run.steps == m;
        if (bt <= breakdown * run.norm) {
            run.beta[j] = 0;
            if (!restart) {
                run.done = true;
                run.exhausted = true;
                return;
            }
            if (!last) {
                Tensor v = Tensor.normal(run.basis.dtype(), rnd, p);
                v = projectOut(projectOut(v, q, null), q, null);
                double nv = norm(v);
                TensorOps.assign(run.basis.select(0, j + 1), TensorOps.scale(v, 1 / nv));
                run.restarts++;
                run.blockStart = j + 1;
            }
        } else if (!last) {
            TensorOps.assign(run.basis.select(0, j + 1), TensorOps.scale(w, 1 / bt));
        }
        boolean converged = stop != null && stop.stop(run);
        if (last || converged) {
            run.done = true;
        }
    }
}
