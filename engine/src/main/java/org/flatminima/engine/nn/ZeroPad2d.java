package org.flatminima.engine.nn;

import java.util.Arrays;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.ZeroPad2d(pad)} with the same padding on all four sides (also PyTorch's
 * {@code F.pad(x, (pad, pad, pad, pad))}): images {@code [N, C, H, W]} to {@code [N, C, H + 2 pad, W + 2 pad]}
 * with zeros around; no parameters. Computed as a 1x1 convolution of every channel on its own with the weight 1
 * and zero padding {@code pad}, which is exact (each output is one input times 1, or 0) and differentiable.
 */
public record ZeroPad2d(int pad) implements Module, LayerCurvature {
    public ZeroPad2d {
        if (pad < 0) {
            throw new IllegalArgumentException("ZeroPad2d needs pad >= 0, got " + pad);
        }
    }

    @Override
    public int[] outputShape(int[] input) {
        if (input.length != 4) {
            throw new ShapeMismatchException(toString(), "expected input shape [N, C, H, W], got "
                    + Arrays.toString(input));
        }
        return new int[] {input[0], input[1], input[2] + 2 * pad, input[3] + 2 * pad};
    }

    @Override
    public Var forward(Var input, ParamView params) {
        int[] out = outputShape(input.shape());
        if (pad == 0) {
            return input;
        }
        int[] s = input.shape();
        Var one = Var.of(Tensor.full(input.dtype(), 1, 1, 1, 1, 1));
        return input.reshape(s[0] * s[1], 1, s[2], s[3]).conv2d(one, 1, pad).reshape(out);
    }

    /** Linear in its input. */
    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    @Override
    public String toString() {
        return "ZeroPad2d(" + pad + ")";
    }
}
