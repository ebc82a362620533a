package org.flatminima.engine.nn;

import java.util.Arrays;

/** Shape arithmetic shared by convolution and pooling. */
final class Pooling {
    private Pooling() {
    }

    /** {@code floor((n + 2 pad - k) / stride) + 1} (PyTorch's output size with ceil_mode=False). */
    static int outSize(int n, int k, int stride, int pad) {
        return Math.floorDiv(n + 2 * pad - k, stride) + 1;
    }

    /** Output shape of a k x k pooling of {@code [N, C, H, W]}; errors name the layer. */
    static int[] shape(String layer, int[] input, int k, int stride, int pad) {
        if (input.length != 4) {
            throw new ShapeMismatchException(layer, "expected input shape [N, C, H, W], got "
                    + Arrays.toString(input));
        }
        int h = outSize(input[2], k, stride, pad);
        int w = outSize(input[3], k, stride, pad);
        if (h < 1 || w < 1) {
            throw new ShapeMismatchException(layer, "input " + Arrays.toString(input) + " is smaller than the "
                    + k + "x" + k + " window (with padding " + pad + ")");
        }
        return new int[] {input[0], input[1], h, w};
    }

    static void check(String layer, int k, int stride, int pad) {
        if (k <= 0 || stride <= 0 || pad < 0 || 2 * pad > k) {
            throw new IllegalArgumentException(layer + ": need kernel > 0, stride > 0 and 0 <= pad <= kernel/2");
        }
    }
}
