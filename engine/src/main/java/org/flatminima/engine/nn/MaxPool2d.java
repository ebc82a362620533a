package org.flatminima.engine.nn;

import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.MaxPool2d} with a square {@code k x k} window, equal stride and zero padding on both axes:
 * the maximum of each window; derivatives route to the first maximum in row-major order, as PyTorch. {@code [N, C, H, W]} to {@code [N, C, H', W']} with {@code H' = floor((H + 2 pad - k) / stride) + 1}.
 * No parameters.
 */
public record MaxPool2d(int kernel, int stride, int pad) implements Module, LayerCurvature {
    public MaxPool2d {
        Pooling.check("MaxPool2d", kernel, stride, pad);
    }

    /** Stride = kernel, no padding (PyTorch's defaults). */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    public int[] outputShape(int[] input) {
        return Pooling.shape(toString(), input, kernel, stride, pad);
    }

    @Override
    public Var forward(Var input, ParamView params) {
        outputShape(input.shape());
        return input.maxPool2d(kernel, stride, pad);
    }

    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + pad + ")";
    }
}
