package org.flatminima.engine.nn;

import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.LeakyReLU}: {@code y = x} where {@code x > 0}, {@code slope * x} elsewhere; no parameters, any
 * input shape. PyTorch's default slope is 0.01.
 */
public record LeakyReLU(double slope) implements Module, LayerCurvature {
    /** PyTorch's default negative slope. */
    public static final double DEFAULT_SLOPE = 0.01;

    /** With the default slope 0.01. */
    public LeakyReLU() {
        this(DEFAULT_SLOPE);
    }

    @Override
    public int[] outputShape(int[] input) {
        return input.clone();
    }

    @Override
    public Var forward(Var input, ParamView params) {
        return input.leakyRelu(slope);
    }

    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    @Override
    public boolean diagonalJacobian(Mode mode) {
        return true;
    }

    @Override
    public String toString() {
        return "LeakyReLU(negative_slope=" + slope + ")";
    }
}
