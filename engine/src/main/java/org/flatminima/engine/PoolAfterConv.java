package org.flatminima.engine;

/**
 * The max pooling that follows a convolution in one pass ({@link ImageOps#conv2dMaxPool}): {@code k x k} windows,
 * stride, -infinity padding, and whether a ReLU follows the pooling ({@link #thenRelu}). A ReLU after max pooling
 * is carried by the routing: a window whose maximum is not positive gives 0 and routes nowhere
 * ({@link org.flatminima.kernels.Backend#maxPool2dRelu}), so the pooling's gather and scatter are also the ReLU's
 * gate, and neither the ReLU nor its gate is a pass of its own.
 */
public record PoolAfterConv(int k, int stride, int pad, boolean relu) {
    /** Max pooling over {@code k x k} windows with this stride and -infinity padding, without a ReLU. */
    public static PoolAfterConv max(int k, int stride, int pad) {
        return new PoolAfterConv(k, stride, pad, false);
    }

    /** This pooling, then a ReLU. */
    public PoolAfterConv thenRelu() {
        return new PoolAfterConv(k, stride, pad, true);
    }

    @Override
    public String toString() {
        return "max_pool2d(" + k + ", stride " + stride + ", pad " + pad + ")" + (relu ? " then relu" : "");
    }
}
