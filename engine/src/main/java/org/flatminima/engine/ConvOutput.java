package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Window2d;

/**
 * Where a convolution's route ({@link ImageOps#conv2d}: im2col and GEMM, the direct 3x3 kernel, {@link Winograd})
 * writes each chunk of images' outputs, and what follows while they are in cache: the whole output ({@link Whole}),
 * or its max pooling ({@link Pooled}), the convolution's output then existing one chunk at a time in a part's
 * buffer (in cache) and never as a whole. A route calls {@link #start} once, {@link #parts} before its parts run,
 * and per chunk {@link #chunk}, writes it (and adds the bias), then {@link #written}. The chunks are the route's
 * own, so the convolution's bits are the same for every output.
 */
abstract sealed class ConvOutput {
    /** The output's dtype, and the convolution output's shape ({@code [..., O, outH, outW]}) and images n (folded). */
    DType dt;
    int[] shape;
    int n;

    /** Sets the convolution output's dtype, shape and images; allocates what this output writes. */
    void start(DType dtype, int[] convShape, int images) {
        dt = dtype;
        shape = convShape;
        n = images;
    }

    /** Elements of one image's convolution output. */
    final long imageElements() {
        return (long) shape[shape.length - 3] * shape[shape.length - 2] * shape[shape.length - 1];
    }

    /** Most images a chunk of this output may have, for a route whose chunk size is free (im2col's), in parts. */
    int maxImages(int parts) {
        return Integer.MAX_VALUE;
    }

    /** Before the parts run: {@code parts} parts whose chunks have at most {@code images} images. */
    void parts(int parts, int images) {
    }

    /** Where part p writes the outputs of the {@code m} images from image b0, {@code [m, O, outH, outW]}, contiguous. */
    abstract Tensor chunk(int p, int b0, int m);

    /** After part p has written (and biased) the chunk of {@code m} images from image b0. */
    void written(int p, int b0, int m) {
    }

    /** Into y, contiguous, the output of a convolution over {@code images} images. */
    static ConvOutput into(Tensor y, int images) {
        Whole w = new Whole(y);
        w.start(y.dtype(), y.shape(), images);
        return w;
    }

    /** The convolution's output, whole. */
    static final class Whole extends ConvOutput {
        private Tensor y;
        private Tensor images;

        /** A new output tensor, allocated by {@link #start}. */
        Whole() {
        }

        /** Into y, of the convolution output's shape, contiguous. */
        Whole(Tensor y) {
            this.y = y;
        }

        @Override
        void start(DType dtype, int[] convShape, int images) {
            super.start(dtype, convShape, images);
            if (y == null) {
                y = Tensor.uninitialised(dtype, convShape);
            }
            this.images = y.reshape(images, convShape[convShape.length - 3], convShape[convShape.length - 2],
                    convShape[convShape.length - 1]);
        }

        Tensor y() {
            return y;
        }

        @Override
        Tensor chunk(int p, int b0, int m) {
            return images.slice(0, b0, b0 + m);
        }
    }

    /**
     * An output that keeps the convolution's output of one chunk of images at a time, in a buffer per part (sized
     * by the route's chunks), and maps each chunk into its own result right after it is written.
     */
    abstract static sealed class Buffered extends ConvOutput {
        /** Elements of all parts' buffers when the route's chunk size is free (512 KB of floats, within L2). */
        private static final long BUFFER_ELEMENTS = 1L << 17;

        private Tensor buffers;

        @Override
        int maxImages(int parts) {
            return (int) Math.max(1, BUFFER_ELEMENTS / Math.max(1, parts) / Math.max(1, imageElements()));
        }

        @Override
        void parts(int parts, int images) {
            int r = shape.length;
            buffers = Tensor.uninitialised(dt, parts, images, shape[r - 3], shape[r - 2], shape[r - 1]);
        }

        @Override
        Tensor chunk(int p, int b0, int m) {
            return buffers.select(0, p).slice(0, 0, m);
        }

        /** The convolution's output of the chunk part p has just written. */
        final MemorySegment written(int p) {
            return buffers.select(0, p).segment();
        }
    }

    /**
     * The max pooling ({@code k x k} windows, stride, -infinity padding; then a ReLU if it says so) of the
     * convolution's output, with its routing when {@code routed}: each chunk pooled by the backend's kernel right
     * after it is written, from its part's buffer. The same bits and routing as {@link PoolOps#maxPool2dRouted} of
     * the whole output (pooling reads each plane alone, and the routing indexes within a plane), then a ReLU with
     * the routing -1 where it gives 0.
     */
    static final class Pooled extends Buffered {
        private final PoolAfterConv spec;
        private final boolean routed;
        private Window2d pool;
        private Tensor y;
        private Tensor pooledImages;
        private MemorySegment argmax;

        Pooled(PoolAfterConv spec, boolean routed) {
            this.spec = spec;
            this.routed = routed;
        }

        @Override
        void start(DType dtype, int[] convShape, int images) {
            super.start(dtype, convShape, images);
            int r = convShape.length;
            pool = Window2d.square(images, convShape[r - 3], convShape[r - 2], convShape[r - 1], spec.k(),
                    spec.stride(), spec.pad());
            y = Tensor.uninitialised(dtype, ImageOps.replaceTail(convShape, 2, pool.outH(), pool.outW()));
            pooledImages = y.reshape(images, convShape[r - 3], pool.outH(), pool.outW());
            // scoped when a scope is open: the backward pass of the same scope reads the routing
            argmax = routed ? Scope.allocateUninitialised(Math.max(1, y.size()) * 4, y) : null;
        }

        @Override
        void written(int p, int b0, int m) {
            Backend be = Engine.backend();
            Window2d g = ImageOps.withImages(pool, m);
            MemorySegment out = pooledImages.slice(0, b0, b0 + m).segment();
            long perImage = (long) pool.c() * pool.outH() * pool.outW();
            MemorySegment a = argmax == null ? null : argmax.asSlice(b0 * perImage * 4, m * perImage * 4);
            if (spec.relu()) {
                be.maxPool2dRelu(dt, g, written(p), out, a);
            } else if (a == null) {
                be.maxPool2dValues(dt, g, written(p), out);
            } else {
                be.maxPool2d(dt, g, written(p), out, a);
            }
        }

        /** The pooled output and, when routed, its routing over the whole convolution output. */
        PoolOps.MaxPooled result() {
            return new PoolOps.MaxPooled(y, argmax == null ? null : new PoolOps.PoolRouting(pool, shape, argmax,
                    spec.relu()));
        }
    }

    /**
     * The values of the convolution's output that a max pooling's routing selects ({@link PoolOps#maxPool2dGather}),
     * for a convolution whose images and channels are the routing's repeated: image i and channel c take the
     * routing of image {@code i mod n} and channel {@code c mod C} ({@code n, C} the routing's): tangents for several
     * directions, stacked on the images (a direction axis of the input) or the channels (of the weight).
     */
    static final class Gathered extends Buffered {
        private final PoolOps.PoolRouting routing;
        private Tensor y;
        private Tensor gatheredImages;

        Gathered(PoolOps.PoolRouting routing) {
            this.routing = routing;
        }

        @Override
        void start(DType dtype, int[] convShape, int images) {
            super.start(dtype, convShape, images);
            Window2d w = routing.window();
            int r = convShape.length;
            int channels = convShape[r - 3];
            if (convShape[r - 2] != w.h() || convShape[r - 1] != w.w() || channels % w.c() != 0
                    || images % Math.max(1, w.n()) != 0) {
                throw new IllegalArgumentException("conv2dGather: the convolution's output " + Arrays.toString(convShape)
                        + " is not the routing's " + Arrays.toString(routing.inShape()) + " repeated");
            }
            y = Tensor.uninitialised(dtype, ImageOps.replaceTail(convShape, 2, w.outH(), w.outW()));
            gatheredImages = y.reshape(images, channels, w.outH(), w.outW());
        }

        Tensor y() {
            return y;
        }

        @Override
        void written(int p, int b0, int m) {
            Backend be = Engine.backend();
            Window2d w = routing.window();
            long es = dt.byteSize();
            long plane = (long) w.h() * w.w();
            long pooled = (long) w.outH() * w.outW();
            int channels = shape[shape.length - 3];
            MemorySegment out = gatheredImages.slice(0, b0, b0 + m).segment();
            if (channels == w.c() && w.n() == n) { // the routing's own images: one call
                be.maxPool2dGather(dt, ImageOps.withImages(w, m), written(p),
                        routing.argmax().asSlice(b0 * channels * pooled * 4), out);
                return;
            }
            Window2d one = ImageOps.withImages(w, 1);
            for (int i = 0; i < m; i++) {
                MemorySegment argmax = routing.argmax().asSlice((b0 + i) % w.n() * w.c() * pooled * 4);
                for (int c = 0; c < channels; c += w.c()) {
                    be.maxPool2dGather(dt, one, written(p).asSlice(((long) i * channels + c) * plane * es), argmax,
                            out.asSlice(((long) i * channels + c) * pooled * es));
                }
            }
        }
    }
}
