package org.flatminima.engine.nn;

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

    @Override
    public String toString() {
        return "Tanh()";
    }
}
