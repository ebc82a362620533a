package org.flatminima.engine.nn;

import java.util.Arrays;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.Flatten()} with its defaults ({@code start_dim=1}): {@code [N, d1, d2, ...] -> [N, d1*d2*...]},
 * keeping the batch axis; no parameters.
 */
public record Flatten() implements Module, LayerCurvature {
    @Override
    public int[] outputShape(int[] input) {
        if (input.length < 1) {
            throw new ShapeMismatchException(toString(), "expected input shape [N, ...] (rank >= 1), got "
                    + Arrays.toString(input));
        }
        long n = 1;
        for (int d = 1; d < input.length; d++) {
            n *= input[d];
        }
        return new int[] {input[0], Math.toIntExact(n)};
    }

    @Override
    public Var forward(Var input, ParamView params) {
        return input.reshape(outputShape(input.shape()));
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
        return "Flatten()";
    }
}
