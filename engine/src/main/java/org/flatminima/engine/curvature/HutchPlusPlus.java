package org.flatminima.engine.curvature;

import java.util.SplittableRandom;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;

/**
 * Hutch++ (Meyer, Musco, Musco and Woodruff, 2021): Hutchinson's estimator after deflating the dominant part of the
 * spectrum. With a budget of {@code m} Hessian-vector products, {@code k = floor(m/3)} of them sketch the range
 * ({@code Q = orth(H S)}, S Rademacher {@code [k, P]}), up to {@code k} more give the exact part
 * {@code tr(Q^T H Q)}, and the remaining {@code g = m - 2k} Rademacher probes estimate
 * {@code tr((I - QQ^T) H (I - QQ^T))}. The error is O(1/m) times the nuclear norm for positive semi-definite H,
 * against Hutchinson's O(1/sqrt(m)).
 *
 * <p>Q is kept as a {@code [r, P]} tensor (rows orthonormal, {@code r <= k}: directions of {@code H S} that are
 * linearly dependent on earlier ones to working precision are dropped, so a Hessian of rank below k is captured
 * exactly and costs only r products in the second phase).
 */
public final class HutchPlusPlus {
    private HutchPlusPlus() {
    }

    /** {@link #trace(HessianOperator, int, long, int)} with 16 probes per batched pass. */
    public static TraceResult trace(HessianOperator op, int matvecs, long seed) {
        return trace(op, matvecs, seed, 16);
    }

    /**
     * Estimates {@code tr H} with at most {@code matvecs} Hessian-vector products (at least 3).
     *
     * @return value {@code tr(Q^T H Q) + mean_j (w_j . H w_j)} with {@code w_j = (I - QQ^T) g_j}; stderr the
     *     standard error of the residual part (its sample standard deviation over {@code sqrt(g)}; Q is fixed given
     *     the sketch, so the first part adds no error conditionally); probes the products actually spent; method
     *     {@code hutch++}
     */
    public static TraceResult trace(HessianOperator op, int matvecs, long seed, int block) {
        if (matvecs < 3) {
            throw new IllegalArgumentException("hutch++ needs at least 3 Hessian-vector products, got " + matvecs);
        }
        Probes.checkBlock(block);
        int p = op.dim();
        int k = Math.min(matvecs / 3, p);
        int g = matvecs - 2 * k;
        SplittableRandom rnd = new SplittableRandom(seed);
        DType dt = op.dtype();
        try (Scope s = Scope.open()) {
            Tensor sketch = Probes.applyRows(op, Probes.rademacher(dt, rnd, k, p), block);
            Tensor q = orthonormalRows(sketch);
            int r = q.dim(0);
            double exact = 0;
            if (r > 0) {
                for (double v : Probes.rowDots(q, Probes.applyRows(op, q, block))) {
                    exact += v;
                }
            }
            Tensor gs = Probes.rademacher(dt, rnd, g, p);
            Tensor w = r == 0 ? gs
                    : TensorOps.sub(gs, TensorOps.matmul(TensorOps.matmul(gs, q.transpose(0, 1)), q));
            Hutchinson.Welford acc = new Hutchinson.Welford();
            for (double v : Probes.rowDots(w, Probes.applyRows(op, w, block))) {
                acc.add(v);
            }
            return new TraceResult(exact + acc.mean, "hutch++", acc.stderr(), k + r + g);
        }
    }

    /**
     * An orthonormal basis of the span of the rows of {@code y} ({@code [k, P]}), as the rows of an {@code [r, P]}
     * tensor (same dtype), by classical Gram-Schmidt with one re-orthogonalisation pass ("twice is enough"), the
     * projections done as matrix products. A row whose norm after projection is below {@code tol} times its
     * original norm (1e-10 in float64, 1e-4 in float32) is linearly dependent on the earlier ones and dropped.
     */
    static Tensor orthonormalRows(Tensor y) {
        int k = y.dim(0);
        int p = y.dim(1);
        double tol = y.dtype() == DType.F64 ? 1e-10 : 1e-4;
        Tensor q = Tensor.zeros(y.dtype(), k, p);
        int r = 0;
        for (int j = 0; j < k; j++) {
            try (Scope s = Scope.open()) {
                Tensor v = y.slice(0, j, j + 1).contiguous();
                double norm0 = norm(v);
                if (norm0 == 0 || !Double.isFinite(norm0)) {
                    continue;
                }
                if (r > 0) {
                    Tensor qr = q.slice(0, 0, r);
                    for (int pass = 0; pass < 2; pass++) {
                        Tensor c = TensorOps.matmul(v, qr.transpose(0, 1)); // [1, r] = v Q_r^T
                        v = TensorOps.sub(v, TensorOps.matmul(c, qr));
                    }
                }
                double nv = norm(v);
                if (nv > tol * norm0) {
                    TensorOps.assign(q.slice(0, r, r + 1), TensorOps.scale(v, 1 / nv));
                    r++;
                }
            }
        }
        return q.slice(0, 0, r);
    }

    private static double norm(Tensor v) {
        return Math.sqrt(TensorOps.sumAll(TensorOps.mul(v, v)).item());
    }
}
