package org.flatminima.engine.nn;

import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.AvgPool2d} with a square {@code k x k} window, equal stride and zero padding on both axes:
 * the mean of each window, always divided by k*k (PyTorch's default count_include_pad=True). {@code [N, C, H, W]} to {@code [N, C, H', W']} with {@code H' = floor((H + 2 pad - k) / stride) + 1}.
 * No parameters.
 */
public record AvgPool2d(int kernel, int stride, int pad) implements Module, LayerCurvature {
    public AvgPool2d {
        Pooling.check("AvgPool2d", kernel, stride, pad);
    }

    /** Stride = kernel, no padding (PyTorch's defaults). */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    public int[] outputShape(int[] input) {
        return Pooling.shape(toString(), input, kernel, stride, pad);
    }

    @Override
    public Var forward(Var input, ParamView params) {
        outputShape(input.shape());
        return input.avgPool2d(kernel, stride, pad);
    }

    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    @Override
    public String toString() {
        return "AvgPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + pad + ")";
    }
}
