package org.flatminima.kernels;

/** Reductions along one axis of a tensor viewed as {@code [outer, len, inner]}. */
public enum ReduceOp {
    /** sum of the elements */
    SUM,
    /** largest element (NaN if any is NaN) */
    MAX,
    /** smallest element (NaN if any is NaN) */
    MIN
}
