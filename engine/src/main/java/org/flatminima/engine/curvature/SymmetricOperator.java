package org.flatminima.engine.curvature;

import java.util.Arrays;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;

/**
 * A symmetric linear operator on R^P given by its products: what the spectral tools ({@link Lanczos},
 * {@link PowerIteration}, {@link SpectralDensity}) need. Usually a {@link HessianOperator} ({@link #of}); a dense
 * matrix ({@link #ofMatrix}) serves tests and small problems.
 */
public interface SymmetricOperator {

    /** P, the dimension. */
    int dim();

    /** The dtype of vectors this operator takes and returns. */
    DType dtype();

    /** {@code A v} for {@code v} of shape {@code [P]}. */
    Tensor apply(Tensor v);

    /** {@code A v_i} for the rows of {@code vs} ({@code [k, P]}); result {@code [k, P]}. */
    Tensor applyBatch(Tensor vs);

    /** The Hessian operator (its products are exact forward-over-reverse HVPs; batches take one pass). */
    static SymmetricOperator of(HessianOperator h) {
        return new SymmetricOperator() {
            @Override
            public int dim() {
                return h.dim();
            }

            @Override
            public DType dtype() {
                return h.dtype();
            }

            @Override
            public Tensor apply(Tensor v) {
                return h.apply(v);
            }

            @Override
            public Tensor applyBatch(Tensor vs) {
                return h.applyBatch(vs);
            }

            @Override
            public String toString() {
                return "Hessian operator (P = " + h.dim() + ")";
            }
        };
    }

    /** A dense symmetric matrix {@code [P, P]} as an operator (symmetry is the caller's promise). */
    static SymmetricOperator ofMatrix(Tensor a) {
        if (a.rank() != 2 || a.dim(0) != a.dim(1)) {
            throw new IllegalArgumentException("a square matrix is needed, got shape " + Arrays.toString(a.shape()));
        }
        return new SymmetricOperator() {
            @Override
            public int dim() {
                return a.dim(0);
            }

            @Override
            public DType dtype() {
                return a.dtype();
            }

            @Override
            public Tensor apply(Tensor v) {
                return TensorOps.matmul(a, v.reshape(-1, 1)).reshape(-1);
            }

            @Override
            public Tensor applyBatch(Tensor vs) {
                // (A V^T)^T = V A for symmetric A
                return TensorOps.matmul(vs, a);
            }

            @Override
            public String toString() {
                return "dense matrix (P = " + a.dim(0) + ")";
            }
        };
    }
}
