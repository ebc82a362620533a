package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.Window2d;

/**
 * {@link ImageOps#conv2d}'s route for a 3x3 window with stride 1 where the backend has a direct kernel
 * ({@link Backend#hasConv3x3Direct}): few input channels, as a CNN's first layer on its images.
 */
final class DirectConv {
    private DirectConv() {
    }

    /** Output images per call of the direct convolution into chunks (about 400 KB of floats, in L2). */
    private static final long CHUNK_ELEMENTS = 1L << 17;

    /**
     * The direct 3x3 convolution over g's images, the bias (may be null) added by the kernel
     * ({@link Backend#conv3x3Direct}: the bits of an addition after it): one call over all of them into a whole
     * output, else in parts of chunks of images given to {@code out} while in cache; the chunks depend on the
     * shapes alone, and each image's outputs on its own inputs alone.
     */
    static void run(Backend be, Window2d g, Tensor xc, Tensor w, Tensor b, ConvOutput out) {
        DType dt = xc.dtype();
        int n = g.n();
        int o = w.dim(0);
        long plane = (long) g.outH() * g.outW();
        MemorySegment bs = b == null ? null : b.segment();
        if (out instanceof ConvOutput.Whole) {
            be.conv3x3Direct(dt, g, o, xc.segment(), w.segment(), bs, out.chunk(0, 0, n).segment());
            return;
        }
        int parts = ImageOps.imageParts(be, n);
        int chunk = (int) Math.max(1, CHUNK_ELEMENTS / Math.max(1, o * plane));
        out.parts(parts, chunk);
        long es = dt.byteSize();
        be.runParts(parts, p -> {
            int end = ImageOps.partStart(n, parts, p + 1);
            for (int b0 = ImageOps.partStart(n, parts, p); b0 < end; b0 += chunk) {
                int m = Math.min(chunk, end - b0);
                Window2d part = ImageOps.withImages(g, m);
                MemorySegment ys = out.chunk(p, b0, m).segment();
                be.conv3x3Direct(dt, part, o, xc.segment().asSlice(b0 * g.imageSize() * es), w.segment(), bs, ys);
                out.written(p, b0, m);
            }
        });
    }

    /**
     * {@link ImageOps#conv2dWeightGrad} on the backend's direct kernel ({@link Backend#conv3x3DirectWeightGrad}, which
     * adds each image's sums into gw in image order): each of a number of parts that depends on the shapes only
     * ({@link ImageOps#weightGradParts}) sums its images into a zeroed partial, in chunks where g is made per chunk,
     * and the partials are added in part order: the same bits for every thread count and either form of g.
     */
    static Tensor weightGrad(Backend be, Window2d geo, Tensor x, ConvCotangent g) {
        DType dt = x.dtype();
        int n = geo.n();
        int c = geo.c();
        int o = g.o;
        int parts = ImageOps.weightGradParts(n, 9L * o * c);
        Tensor partial = Tensor.zeros(dt, parts, o, c, 3, 3);
        long xb = geo.imageSize() * dt.byteSize();
        int chunk = Math.max(1, Math.min(g.maxImages(parts), n)); // buffers that stop growing with the batch at once
        g.parts(parts, chunk);
        be.runParts(parts, p -> {
            int end = ImageOps.partStart(n, parts, p + 1);
            for (int b0 = ImageOps.partStart(n, parts, p); b0 < end; b0 += chunk) {
                int m = Math.min(chunk, end - b0);
                be.conv3x3DirectWeightGrad(dt, ImageOps.withImages(geo, m), o, x.segment().asSlice(b0 * xb),
                        g.images(p, b0, m).segment(), partial.select(0, p).segment());
            }
        });
        return parts == 1 ? partial.select(0, 0) : TensorOps.reduce(ReduceOp.SUM, partial, 0, false);
    }
}
