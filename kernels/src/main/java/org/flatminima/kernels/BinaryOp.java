package org.flatminima.kernels;

/** Elementwise binary kernels {@code y = f(a, b)} with NumPy broadcasting (expressed as zero strides). */
public enum BinaryOp {
    /** a + b */
    ADD,
    /** a - b */
    SUB,
    /** a * b */
    MUL,
    /** a / b */
    DIV,
    /** max(a, b) */
    MAX,
    /** min(a, b) */
    MIN,
    /** 1 if a &gt; b else 0 */
    GREATER,
    /** a if b &gt; 0 else 0 (ReLU's backward and tangent: the gradient a gated by the sign of the input b) */
    GATE;

    /** The reference value in double precision. */
    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case GREATER -> a > b ? 1.0 : 0.0;
            case GATE -> b > 0 ? a : 0.0;
        };
    }
}
