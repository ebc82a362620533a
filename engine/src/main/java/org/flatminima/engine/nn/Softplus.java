package org.flatminima.engine.nn;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.Softplus} with {@code beta = 1}: {@code y = ln(1 + e^x)} elementwise, computed stably for every
 * x (PyTorch switches to {@code y = x} above its threshold 20, where the two differ by less than {@code e^-20});
 * no parameters, any input shape.
 */
public record Softplus() implements Module, LayerCurvature {
    @Override
    public int[] outputShape(int[] input) {
        return input.clone();
    }

    @Override
    public Var forward(Var input, ParamView params) {
        return input.softplus();
    }

    @Override
    public Form form() {
        return Form.SMOOTH_ELEMENTWISE;
    }

    /** {@code f''(x) g}: {@code f'' = s (1 - s)} with {@code s = sigmoid x}. */
    @Override
    public Tensor residual(Tensor input, Tensor gradOutput) {
        Var s = Var.of(input).sigmoid();
        return s.mul(s.neg().add(1)).mul(Var.of(gradOutput)).value();
    }

    @Override
    public boolean diagonalJacobian(Mode mode) {
        return true;
    }

    @Override
    public String toString() {
        return "Softplus()";
    }
}
