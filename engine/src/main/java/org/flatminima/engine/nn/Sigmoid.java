package org.flatminima.engine.nn;

import org.flatminima.engine.autodiff.Var;

/** {@code torch.nn.Sigmoid}: {@code y = 1 / (1 + e^-x)} elementwise; no parameters, any input shape. */
public record Sigmoid() implements Module {
    @Override
    public int[] outputShape(int[] input) {
        return input.clone();
    }

    @Override
    public Var forward(Var input, ParamView params) {
        return input.sigmoid();
    }

    @Override
    public String toString() {
        return "Sigmoid()";
    }
}
