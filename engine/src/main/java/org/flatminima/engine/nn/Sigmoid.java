package org.flatminima.engine.nn;

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

    @Override
    public String toString() {
        return "Sigmoid()";
    }
}
