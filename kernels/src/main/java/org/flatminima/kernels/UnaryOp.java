package org.flatminima.kernels;

/**
 * Elementwise unary kernels {@code y = f(x; param)}. {@code param} is ignored unless stated.
 * The derivative helpers (STEP, TANH_GRAD, ...) exist so that the engine's JVP rules of the smooth
 * activations can be written as a few fused kernels; all of them are plain functions of x.
 */
public enum UnaryOp {
    /** -x */
    NEG,
    /** x * x */
    SQUARE,
    /** sqrt(x) */
    SQRT,
    /** e^x */
    EXP,
    /** ln x */
    LOG,
    /** x^param */
    POW,
    /** param * x */
    SCALE,
    /** x + param */
    ADD_SCALAR,
    /** max(x, 0) */
    RELU,
    /** x if x &gt; 0 else param * x */
    LEAKY_RELU,
    /** 1 if x &gt; 0 else 0: the derivative of relu (0 at 0, as PyTorch) */
    STEP,
    /** 1 if x &gt; 0 else param: the derivative of leaky_relu */
    LEAKY_STEP,
    /** tanh x */
    TANH,
    /** 1 / (1 + e^-x) */
    SIGMOID,
    /** ln(1 + e^x), computed without overflow */
    SOFTPLUS;

    /**
     * The reference value in double precision. The scalar backend uses exactly this; other backends are
     * tested against it.
     */
    public double apply(double x, double param) {
        return switch (this) {
            case NEG -> -x;
            case SQUARE -> x * x;
            case SQRT -> Math.sqrt(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case POW -> Math.pow(x, param);
            case SCALE -> param * x;
            case ADD_SCALAR -> x + param;
            case RELU -> x > 0 ? x : 0.0;
            case LEAKY_RELU -> x > 0 ? x : param * x;
            case STEP -> x > 0 ? 1.0 : 0.0;
            case LEAKY_STEP -> x > 0 ? 1.0 : param;
            case TANH -> Math.tanh(x);
            case SIGMOID -> x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
            case SOFTPLUS -> Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
        };
    }
}
