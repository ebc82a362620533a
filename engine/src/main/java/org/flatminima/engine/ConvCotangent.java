package org.flatminima.engine;

import org.flatminima.kernels.DType;
import org.flatminima.kernels.Window2d;

/**
 * The cotangent of a convolution's output as a weight gradient's routes ({@link ImageOps#conv2dWeightGrad}: im2col and
 * GEMM, the direct 3x3 kernel, {@link Winograd}) and the input gradient's Winograd convolution (whose input it is,
 * {@link ImageOps#conv2dInputGradRouted}) read it, a chunk of images at a time: a whole tensor ({@link Whole}),
 * or a max pooling's scatter of the pooled cotangent ({@link Scattered}), made one chunk at a time into a part's
 * buffer right before the chunk is read, so the cotangent of the convolution's output is never stored whole. A route
 * calls {@link #parts} before its parts run, then {@link #images} per chunk; the chunks are the route's own (for the
 * scattered form, split further where the route allows), so the weight gradient's bits are the same for both forms.
 */
abstract sealed class ConvCotangent {
    /** Output channels, and the convolution output's height and width. */
    final int o;
    final int oh;
    final int ow;
    final DType dt;

    private ConvCotangent(DType dt, int o, int oh, int ow) {
        this.dt = dt;
        this.o = o;
        this.oh = oh;
        this.ow = ow;
    }

    /** Elements of one image's cotangent. */
    final long imageElements() {
        return (long) o * oh * ow;
    }

    /** Most images a chunk of one of {@code parts} parts may have (the whole form: any). */
    int maxImages(int parts) {
        return Integer.MAX_VALUE;
    }

    /** Before the parts run: {@code parts} parts whose chunks have at most {@code images} images. */
    void parts(int parts, int images) {
    }

    /** The cotangent of the {@code m} images from image b0, {@code [m, O, oh, ow]} contiguous, for part p. */
    abstract Tensor images(int p, int b0, int m);

    /** A whole contiguous cotangent {@code [..., O, oh, ow]}. */
    static ConvCotangent of(Tensor g) {
        return new Whole(g.contiguous());
    }

    /** The cotangent {@code scatter_r(gp)} of a convolution's output that max pooling with routing r pooled. */
    static ConvCotangent scattered(Tensor gp, PoolOps.PoolRouting r) {
        return new Scattered(gp.contiguous(), r);
    }

    private static final class Whole extends ConvCotangent {
        private final Tensor g;

        Whole(Tensor g) {
            super(g.dtype(), g.dim(-3), g.dim(-2), g.dim(-1));
            this.g = g.reshape(Math.toIntExact(g.size() / imageElements()), o, oh, ow);
        }

        @Override
        Tensor images(int p, int b0, int m) {
            return g.slice(0, b0, b0 + m);
        }
    }

    private static final class Scattered extends ConvCotangent {
        /** Elements of all parts' buffers (512 KB of floats, within L2). */
        private static final long BUFFER_ELEMENTS = 1L << 17;

        private final Tensor gp;
        private final PoolOps.PoolRouting r;
        private Tensor buffers;

        Scattered(Tensor gp, PoolOps.PoolRouting r) {
            super(gp.dtype(), r.window().c(), r.window().h(), r.window().w());
            this.gp = gp;
            this.r = r;
        }

        @Override
        int maxImages(int parts) {
            return (int) Math.max(1, BUFFER_ELEMENTS / Math.max(1, parts) / Math.max(1, imageElements()));
        }

        @Override
        void parts(int parts, int images) {
            buffers = Tensor.uninitialised(dt, parts, Math.max(1, images), o, oh, ow);
        }

        @Override
        Tensor images(int p, int b0, int m) {
            Window2d w = r.window();
            long pooled = (long) w.c() * w.outH() * w.outW();
            Tensor buffer = buffers.select(0, p).slice(0, 0, m);
            Engine.backend().maxPool2dBackward(dt, ImageOps.withImages(w, m),
                    gp.segment().asSlice(b0 * pooled * dt.byteSize()), r.argmax().asSlice(b0 * pooled * 4),
                    buffer.segment());
            return buffer;
        }
    }
}
