package org.flatminima.engine.nn;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;

/** {@code torch.nn.Tanh}: {@code y = tanh x} elementwise; no parameters, any input shape. */
public record Tanh() implements Module, LayerCurvature {
    @Override
    public int[] outputShape(int[] input) {
        return input.clone();
    }

    @Override
    public Var forward(Var input, ParamView params) {
        return input.tanh();
    }

    @Override
    public Form form() {
        return Form.SMOOTH_ELEMENTWISE;
    }

    /** {@code f''(x) g}: {@code f'' = -2 y (1 - y^2)} with {@code y = tanh x}. */
    @Override
    public Tensor residual(Tensor input, Tensor gradOutput) {
        Var y = Var.of(input).tanh();
        return y.mul(y).neg().add(1).mul(y).scale(-2).mul(Var.of(gradOutput)).value();
    }

    @Override
    public boolean diagonalJacobian(Mode mode) {
        return true;
    }

    @Override
    public String toString() {
        return "Tanh()";
    }
}
