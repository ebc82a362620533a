package org.flatminima.engine.nn;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.Linear}: {@code y = x W^T + b} with {@code weight W [out, in]} and {@code bias b [out]}.
 * Input {@code [..., in]} (rank at least 2: batch axes first), output {@code [..., out]}.
 * Initialisation: weight and bias {@code U(-1/sqrt(in), 1/sqrt(in))} (see {@link Init}).
 */
public record Linear(int in, int out, boolean bias) implements Module {
    public Linear {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear needs positive sizes, got in=" + in + ", out=" + out);
        }
    }

    /** A linear layer with bias. */
    public Linear(int in, int out) {
        this(in, out, true);
    }

    @Override
    public List<ParamSpec> parameters() {
        ParamSpec w = new ParamSpec("weight", new int[] {out, in});
        return bias ? List.of(w, new ParamSpec("bias", new int[] {out})) : List.of(w);
    }

    @Override
    public int[] outputShape(int[] input) {
        if (input.length < 2 || input[input.length - 1] != in) {
            throw new ShapeMismatchException(toString(), "expected input shape [N, " + in + "], got "
                    + Arrays.toString(input));
        }
        int[] o = input.clone();
        o[o.length - 1] = out;
        return o;
    }

    @Override
    public Var forward(Var input, ParamView params) {
        outputShape(input.shape());
        Var y = input.matmul(params.get("weight").mT());
        return bias ? y.add(params.get("bias")) : y;
    }

    @Override
    public double[] initialValues(String name, SplittableRandom rnd) {
        return switch (name) {
            case "weight" -> Init.uniform(rnd, out * in, Init.defaultBound(in));
            case "bias" -> Init.uniform(rnd, out, Init.defaultBound(in));
            default -> Module.super.initialValues(name, rnd);
        };
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + in + ", out_features=" + out + ", bias=" + bias + ")";
    }
}
