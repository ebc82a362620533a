package org.flatminima.engine.nn;

import java.util.List;
import java.util.function.Function;
import org.flatminima.engine.IndexOps;
import org.flatminima.engine.Tensor;

/**
 * Accumulates, over the backward passes of one batch (exact-ggn's C - 1 passes, one per column of the loss Hessian's factor), the squares of each point's
 * per-sample gradient of one layer's parameters: made by {@link LayerCurvature#sampleSquares} from the layer's
 * input, fed each pass's cotangent at the layer's output, and read once at the end.
 */
public interface SampleSquares {

    /** One backward pass: the cotangent at the layer's output, {@code [m, ...output]}; {@code add(g, null)}. */
    default void add(Tensor g) {
        add(g, null);
    }

    /**
     * One backward pass whose squares count with a signed weight per point: point n's squared per-sample
     * gradients are multiplied by {@code weight[n]} before they are summed (Hessian backpropagation's residual
     * terms {@code r_{n,u} (J_n^T e_u)^2}, where r may be negative).
     *
     * @param g the cotangent at the layer's output, {@code [m, ...output]}
     * @param weight {@code [m]} in g's dtype, or null for weight 1
     */
    void add(Tensor g, Tensor weight);

    /**
     * Adds a diagonal term {@code diag(r_n)} of each point's Hessian with respect to the layer's output: the same
     * as {@link #add(Tensor, Tensor)} of every unit column {@code e_u} (the same unit for every point) with the
     * weights {@code r[:, u]}, which this default does (skipping columns whose weights are all zero). Layers
     * override it with the closed form of the sum, which costs about one column.
     *
     * @param r {@code [m, ...output]}: row n is the diagonal of point n's term
     */
    default void addDiagonal(Tensor r) {
        int[] shape = r.shape();
        int m = shape[0];
        int units = Math.toIntExact(r.size() / Math.max(m, 1));
        double[] v = r.contiguous().toDoubleArray();
        int[] unit = new int[m];
        double[] w = new double[m];
        for (int u = 0; u < units; u++) {
            boolean any = false;
            for (int i = 0; i < m; i++) {
                w[i] = v[i * units + u];
                any |= w[i] != 0;
            }
            if (any) {
                java.util.Arrays.fill(unit, u);
                try (org.flatminima.engine.Scope s = org.flatminima.engine.Scope.open()) {
                    add(IndexOps.oneHot(unit, units, r.dtype()).reshape(shape),
                            Tensor.of(r.dtype(), w, m));
                }
            }
        }
    }

    /**
     * Whether the sums depend on the output Hessian's diagonal only, so that a term may be given to
     * {@link #addDiagonal} as its diagonal alone even when it has off-diagonal entries (true for Linear, whose
     * squares {@code w g^2} see only the diagonal of {@code w g g^T}). False by default.
     */
    default boolean diagonalSuffices() {
        return false;
    }

    /**
     * The batch's sums: for each parameter of the layer (in {@link Module#parameters()} order), each point's sum
     * over the passes of its squared per-sample gradient, {@code [parameter][point]}. The diagonal
     * contributions (the same squares summed over the points, elementwise) have been added into
     * {@link Batch#diagonal} when one was given.
     */
    double[][] finish();

    /**
     * One batch as a layer's rule sees it.
     *
     * @param input the layer's input {@code [m, ...]}
     * @param buffers the layer's buffers by local name (e.g. {@code "running_mean"})
     * @param diagonal for each parameter of the layer, a view of the diagonal to add into (its shape), or an
     *     empty list when no diagonal is wanted
     * @param keepElements how many elements a rule may keep across the passes of a batch to save recomputation
     *     (a bound on memory; lower values give the same numbers up to rounding)
     * @param passes how many passes ({@link #add} calls) the batch will have, at least: a hint for rules that
     *     choose between a method with a cost per pass and one with a cost per batch (0: unknown)
     */
    record Batch(Tensor input, Function<String, Tensor> buffers, List<Tensor> diagonal, long keepElements,
                 int passes) {
        public Batch {
            diagonal = List.copyOf(diagonal);
        }

        /** The diagonal view of parameter {@code k}, or null when no diagonal is wanted. */
        public Tensor diagonal(int k) {
            return diagonal.isEmpty() ? null : diagonal.get(k);
        }
    }
}
