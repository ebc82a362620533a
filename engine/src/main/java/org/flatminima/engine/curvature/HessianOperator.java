package org.flatminima.engine.curvature;

import java.util.Arrays;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;

/**
 * The Hessian of a scalar function at a point, as a linear operator on R^P: what every estimator in this package
 * is built on. Products are exact (forward-over-reverse), never finite differences; {@link #applyBatch} pushes
 * several directions through one pass.
 *
 * @param f the scalar function of a rank-1 parameter vector (e.g. {@code Network.lossFunction(x, labels)})
 * @param theta the point, shape {@code [P]}
 */
public record HessianOperator(Function<Var, Var> f, Tensor theta) {

    public HessianOperator {
        if (theta.rank() != 1) {
            throw new IllegalArgumentException("the parameter vector must have rank 1, got shape "
                    + Arrays.toString(theta.shape()));
        }
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

    /** {@code H v_i} for the rows of {@code vs} ({@code [k, P]}), in one batched pass; result {@code [k, P]}. */
    public Tensor applyBatch(Tensor vs) {
        return Autodiff.hvpBatch(f, Var.of(theta), Var.of(vs)).value();
    }

    /** The dense Hessian {@code [P, P]} (small P only). */
    public Tensor dense() {
        return Autodiff.hessian(f, Var.of(theta));
    }
}
