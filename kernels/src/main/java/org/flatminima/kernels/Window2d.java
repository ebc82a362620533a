package org.flatminima.kernels;

/**
 * The geometry of a 2-D sliding window over a batch of images in NCHW layout: used by im2col/col2im
 * (convolution) and by pooling. Output sizes follow PyTorch: {@code (h + 2*padH - kh) / strideH + 1}.
 *
 * @param n batch size
 * @param c channels
 * @param h input height
 * @param w input width
 * @param kh window height
 * @param kw window width
 * @param strideH vertical stride
 * @param strideW horizontal stride
 * @param padH zero padding (or, for max pooling, -inf padding) above and below
 * @param padW padding left and right
 */
public record Window2d(int n, int c, int h, int w, int kh, int kw,
                       int strideH, int strideW, int padH, int padW) {

    public Window2d {
        if (n < 0 || c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("bad input size " + n + "x" + c + "x" + h + "x" + w);
        }
        if (kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("bad window: kernel " + kh + "x" + kw + ", stride "
                    + strideH + "x" + strideW + ", padding " + padH + "x" + padW);
        }
        if (h + 2 * padH < kh || w + 2 * padW < kw) {
            throw new IllegalArgumentException("window " + kh + "x" + kw + " is larger than the padded input "
                    + (h + 2 * padH) + "x" + (w + 2 * padW));
        }
    }

    /** A square window with equal strides and padding. */
    public static Window2d square(int n, int c, int h, int w, int k, int stride, int pad) {
        return new Window2d(n, c, h, w, k, k, stride, stride, pad, pad);
    }

    public int outH() {
        return (h + 2 * padH - kh) / strideH + 1;
    }

    public int outW() {
        return (w + 2 * padW - kw) / strideW + 1;
    }

    /** Elements of one input image: c*h*w. */
    public long imageSize() {
        return (long) c * h * w;
    }

    /** Rows of the unfolded matrix of one image: c*kh*kw. */
    public int colRows() {
        return c * kh * kw;
    }

    /**
     * The 4x4 tiles of Winograd's F(2x2, 3x3) over all n images ({@link Backend#winogradInput}): each covers a 2x2
     * block of outputs, {@code ceil(outH / 2) * ceil(outW / 2)} per image.
     */
    public long winogradTiles() {
        return (long) n * ((outH() + 1) / 2) * ((outW() + 1) / 2);
    }

    /** Columns of the unfolded matrix of one image: outH*outW. */
    public int colCols() {
        return outH() * outW();
    }
}
