package org.flatminima.engine.nn;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;

/** {@code torch.nn.Sigmoid}: {@code y = 1 / (1 + e^-x)} elementwise; no parameters, any input shape. */
public record Sigmoid() implements Module, LayerCurvature {
    @Override
    public int[] outputShape(int[] input) {
        return input.clone();
    }

    @Override
    public Var forward(Var input, ParamView params) {
        return input.sigmoid();
    }

    @Override
    public Form form() {
        return Form.SMOOTH_ELEMENTWISE;
    }

    /** {@code f''(x) g}: {@code f'' = s (1 - s) (1 - 2 s)} with {@code s = sigmoid x}. */
    @Override
    public Tensor residual(Tensor input, Tensor gradOutput) {
        Var s = Var.of(input).sigmoid();
        return s.mul(s.neg().add(1)).mul(s.scale(-2).add(1)).mul(Var.of(gradOutput)).value();
    }

    @Override
    public boolean diagonalJacobian(Mode mode) {
        return true;
    }

    @Override
    public String toString() {
        return "Sigmoid()";
    }
}
