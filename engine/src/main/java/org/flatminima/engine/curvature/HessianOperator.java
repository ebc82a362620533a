package org.flatminima.engine.curvature;

import java.util.Arrays;
import java.util.function.Function;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;

/**
 * The Hessian of a scalar function at a point, as a linear operator on R^P: what every estimator in this package
 * is built on. Products are exact (forward-over-reverse), never finite differences; {@link #applyBatch} pushes
 * several directions through one pass, as many at a time as a memory budget allows.
 */
public final class HessianOperator {

    /**
     * Bytes a batched pass may allocate ({@code -Dflatminima.hvpBatchBytes}, default 4 GiB). A pass with k
     * directions carries k tangents of every activation: W3 of docs/PERFORMANCE.md in float64 with ten
     * directions allocates about 7.7 GB in one pass.
     */
    static final long BATCH_BYTES = Long.getLong("flatminima.hvpBatchBytes", 4L << 30);

    /**
     * Bytes per direction of a batched pass, in forward passes' bytes: a bound from W3 in float64 (batch 256),
     * where the forward pass allocates 294 MB, a one-direction pass 1,487 MB (5.1x) and each further direction
     * 696 MB (2.4x).
     */
    static final long BYTES_PER_DIRECTION_FACTOR = 5;

    private final Function<Var, Var> f;
    private final Tensor theta;
    private long forwardBytes = -1;

    /**
     * @param f the scalar function of a rank-1 parameter vector (e.g. {@code Network.lossFunction(x, labels)})
     * @param theta the point, shape {@code [P]}
     */
    public HessianOperator(Function<Var, Var> f, Tensor theta) {
        if (theta.rank() != 1) {
            throw new IllegalArgumentException("the parameter vector must have rank 1, got shape "
                    + Arrays.toString(theta.shape()));
        }
        this.f = f;
        this.theta = theta;
    }

    /** The scalar function. */
    public Function<Var, Var> f() {
        return f;
    }

    /** The point. */
    public Tensor theta() {
        return theta;
    }

    /** P, the number of parameters. */
    public int dim() {
        return theta.dim(0);
    }

    public DType dtype() {
        return theta.dtype();
    }

    /** {@code H v} for {@code v} of shape {@code [P]}. */
    public Tensor apply(Tensor v) {
        return Autodiff.hvp(f, Var.of(theta), Var.of(v)).value();
    }

    /**
     * {@code H v_i} for the rows of {@code vs} ({@code [k, P]}); result {@code [k, P]}. The rows go through
     * batched passes of as many rows as {@link #BATCH_BYTES} allows (all k in one pass unless the model is
     * large), each pass's temporaries freed before the next.
     */
    public Tensor applyBatch(Tensor vs) {
        return applyBatch(vs, BATCH_BYTES);
    }

    /** {@link #applyBatch(Tensor)} with an explicit byte budget. */
    Tensor applyBatch(Tensor vs, long budgetBytes) {
        int k = vs.dim(0);
        int rows = k <= 1 ? k : rowsPerPass(budgetBytes, forwardBytes(), k);
        if (rows >= k) {
            return Autodiff.hvpBatch(f, Var.of(theta), Var.of(vs)).value();
        }
        Tensor out = Tensor.zeros(vs.dtype(), vs.shape());
        for (int a = 0; a < k; a += rows) {
            int b = Math.min(k, a + rows);
            Tensor dst = out.slice(0, a, b);
            try (Scope s = Scope.open()) {
                TensorOps.assign(dst, Autodiff.hvpBatch(f, Var.of(theta), Var.of(vs.slice(0, a, b).contiguous()))
                        .value());
            }
        }
        return out;
    }

    /** Bytes the forward pass allocates (measured once, in a scope of its own). */
    private long forwardBytes() {
        if (forwardBytes < 0) {
            try (Scope s = Scope.open()) {
                f.apply(Var.of(theta));
                forwardBytes = Math.max(1, s.bytes());
            }
        }
        return forwardBytes;
    }

    /** Rows per batched pass: as many as fit the budget at {@link #BYTES_PER_DIRECTION_FACTOR} forward passes each. */
    static int rowsPerPass(long budgetBytes, long forwardBytes, int k) {
        long perRow = Math.max(1, BYTES_PER_DIRECTION_FACTOR * forwardBytes);
        return (int) Math.max(1, Math.min(k, budgetBytes / perRow));
    }

    /** The dense Hessian {@code [P, P]} (small P only). */
    public Tensor dense() {
        return Autodiff.hessian(f, Var.of(theta));
    }
}
