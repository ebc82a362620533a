package org.flatminima.engine.nn;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.PoolAfterConv;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.Conv2d} with square kernels and equal stride and zero padding on both axes: images
 * {@code [N, C, H, W]} to {@code [N, O, H', W']} with {@code H' = floor((H + 2 pad - k) / stride) + 1};
 * {@code weight [O, C, k, k]}, {@code bias [O]}; cross-correlation, as PyTorch. Initialisation: weight and bias
 * {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))} with {@code fan_in = C k k} (see {@link Init}).
 */
public record Conv2d(int in, int out, int kernel, int stride, int pad, boolean bias) implements Module,
        LayerCurvature {
    public Conv2d {
        if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || pad < 0) {
            throw new IllegalArgumentException("Conv2d needs positive channels, kernel and stride and pad >= 0, got "
                    + "in=" + in + ", out=" + out + ", kernel=" + kernel + ", stride=" + stride + ", pad=" + pad);
        }
    }

    /** Stride 1, no padding, with bias (PyTorch's defaults). */
    public Conv2d(int in, int out, int kernel) {
        this(in, out, kernel, 1, 0, true);
    }

    @Override
    public List<ParamSpec> parameters() {
        ParamSpec w = new ParamSpec("weight", new int[] {out, in, kernel, kernel});
        return bias ? List.of(w, new ParamSpec("bias", new int[] {out})) : List.of(w);
    }

    @Override
    public int[] outputShape(int[] input) {
        if (input.length != 4 || input[1] != in) {
            throw new ShapeMismatchException(toString(), "expected input shape [N, " + in + ", H, W], got "
                    + Arrays.toString(input));
        }
        int h = Pooling.outSize(input[2], kernel, stride, pad);
        int w = Pooling.outSize(input[3], kernel, stride, pad);
        if (h < 1 || w < 1) {
            throw new ShapeMismatchException(toString(), "input " + Arrays.toString(input)
                    + " is smaller than the kernel " + kernel + "x" + kernel + " (with padding " + pad + ")");
        }
        return new int[] {input[0], out, h, w};
    }

    @Override
    public Var forward(Var input, ParamView params) {
        outputShape(input.shape());
        return bias ? input.conv2d(params.get("weight"), params.get("bias"), stride, pad)
                : input.conv2d(params.get("weight"), stride, pad);
    }

    /**
     * This layer and the max pooling after it (and a ReLU after that when {@code pool.relu()}) as one primitive
     * ({@link Var#conv2dMaxPool}), as {@link Sequential} runs them.
     */
    Var forwardWithMaxPool(Var input, ParamView params, PoolAfterConv pool) {
        outputShape(input.shape());
        return input.conv2dMaxPool(params.get("weight"), bias ? params.get("bias") : null, stride, pad, pool);
    }

    @Override
    public double[] initialValues(String name, SplittableRandom rnd) {
        int fanIn = in * kernel * kernel;
        return switch (name) {
            case "weight" -> Init.uniform(rnd, out * fanIn, Init.defaultBound(fanIn));
            case "bias" -> Init.uniform(rnd, out, Init.defaultBound(fanIn));
            default -> Module.super.initialValues(name, rnd);
        };
    }

    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    @Override
    public SampleSquares sampleSquares(SampleSquares.Batch batch) {
        return new Conv2dSquares(this, batch);
    }

    @Override
    public String toString() {
        return "Conv2d(" + in + ", " + out + ", kernel_size=" + kernel + ", stride=" + stride + ", padding=" + pad
                + ", bias=" + bias + ")";
    }
}
