package org.flatminima.engine.nn;

import org.flatminima.engine.autodiff.Var;

/** {@code torch.nn.ReLU}: {@code y = max(x, 0)} elementwise; no parameters, any input shape. */
public record ReLU() implements Module, LayerCurvature {
    @Override
    public int[] outputShape(int[] input) {
        return input.clone();
    }

    @Override
    public Var forward(Var input, ParamView params) {
        return input.relu();
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
        return "ReLU()";
    }
}
