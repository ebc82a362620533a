package org.flatminima.engine.nn;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;

/**
 * Squares of a per-sample vector quantity u {@code [m, k]} summed over the backward passes of a batch: the
 * per-point sum is the squared norm of that parameter's per-sample gradient; the column sum its diagonal
 * contribution. With the tensor helpers the per-sample rules of the layers share.
 */
final class SquareSums {
    final Tensor acc;

    SquareSums(Tensor like, int m, int k) {
        acc = Tensor.zeros(like.dtype(), m, k);
    }

    void add(Tensor u) {
        add(u, null);
    }

    /** Adds the squares of {@code u [m, k]}, row n multiplied by {@code weight[n]} (null: by 1). */
    void add(Tensor u, Tensor weight) {
        addInto(acc, weighted(square(u), weight));
    }

    /** {@code t [m, ...]} with row n multiplied by {@code weight[n]}; t itself when weight is null. */
    static Tensor weighted(Tensor t, Tensor weight) {
        if (weight == null) {
            return t;
        }
        int[] s = new int[t.rank()];
        java.util.Arrays.fill(s, 1);
        s[0] = weight.dim(0);
        return TensorOps.mul(t, weight.reshape(s));
    }

    /** Adds {@code t [m, k]} itself (already a weighted sum of squares). */
    void addRaw(Tensor t) {
        addInto(acc, t);
    }

    /** Each point's sum; adds the column sums into {@code diagView} unless it is null. */
    double[] finish(Tensor diagView) {
        if (diagView != null) {
            addInto(diagView, TensorOps.sum(acc, 0, false));
        }
        return rowSums(acc);
    }

    /** {@code dst += src} in place (dst contiguous; src of the same shape, or reshaped to it). */
    static void addInto(Tensor dst, Tensor src) {
        TensorOps.assign(dst, TensorOps.add(dst, src.contiguous().reshape(dst.shape())));
    }

    static Tensor square(Tensor t) {
        return TensorOps.mul(t, t);
    }

    /** Sum over every axis but the first: {@code [m, ...] -> [m]} as doubles. */
    static double[] rowSums(Tensor t) {
        return TensorOps.sum(t.contiguous().reshape(t.dim(0), -1), 1, false).toDoubleArray();
    }
}
