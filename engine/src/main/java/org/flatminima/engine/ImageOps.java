package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Supplier;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.Shapes;
import org.flatminima.kernels.Window2d;
import org.flatminima.kernels.Winograd2x2;

/**
 * Raw (not differentiable) convolution of images {@code [..., C, H, W]} (NCHW; leading axes are more images, so a
 * direction axis of batched tangents needs nothing special) on the current {@link Engine#backend()}: the forward
 * computations of the convolution primitives (a convolution with its max pooling too) and of their transposes;
 * pooling alone is {@link PoolOps}. Every result is a new contiguous tensor.
 *
 * <p>Threads: a convolution splits its images into parts ({@link Backend#runParts}) (for {@link Winograd}'s
 * path, see there), each part the im2col of
 * its images, their GEMMs (and col2im) on one thread; the backend's threads claim the parts as they get to
 * them. With one thread there is one part. Every image's output is computed by the same calls however the
 * images are split, so the forward and the input gradient are bit-identical for every thread count; the weight
 * gradient sums over images in a fixed number of parts that depends on the shapes and not on the thread count
 * ({@link #weightGradParts}), each with its own partial sum, added in part order: bit-identical for every thread
 * count too. Inside a part nothing is allocated (tensors are engine-allocated, so any thread may access them);
 * every buffer is made by the calling thread first.
 */
public final class ImageOps {
    private ImageOps() {
    }

    private static Backend be() {
        return Engine.backend();
    }

    /**
     * Elements of im2col columns materialised at once, over all parts: each part processes its images in
     * chunks under its share of this.
     */
    private static final long COLS_CHUNK_ELEMENTS = 1L << 22;

    /**
     * Parts per backend thread of the forward convolution and its input gradient: more parts than threads let
     * the threads that are scheduled take over the parts of one that is not; {@code
     * -Dflatminima.convPartsPerThread} changes it.
     */
    private static final int PARTS_PER_THREAD = Math.max(1, Integer.getInteger("flatminima.convPartsPerThread", 4));

    /** Most parts (partial sums) of a weight gradient; see {@link #weightGradParts}. */
    private static final int WEIGHT_GRAD_PARTS = 8;

    /** Elements of a weight gradient's partial sums, over all parts, above which it uses fewer parts. */
    private static final long WEIGHT_GRAD_PARTIAL_ELEMENTS = 1L << 22;

    /**
     * The batch size of an image tensor {@code [..., c, h, w]}: every axis before the last three folded into
     * one (so a leading direction axis of tangents is just more images).
     */
    static int foldedBatch(String op, Tensor x) {
        if (x.rank() < 4) {
            throw new IllegalArgumentException(op + " needs images [N, C, H, W] (extra leading axes allowed), got "
                    + "shape " + Arrays.toString(x.shape()));
        }
        return Math.toIntExact(x.size() / ((long) x.dim(-3) * x.dim(-2) * x.dim(-1)));
    }

    /** {@code lead ++ tail}, where lead is {@code s} without its last {@code drop} axes. */
    static int[] replaceTail(int[] s, int drop, int... tail) {
        return TensorOps.concat(Arrays.copyOf(s, s.length - drop), tail);
    }

    private static void checkWeight(String op, Tensor w, int channels) {
        if (w.rank() != 4 || w.dim(1) != channels) {
            throw new IllegalArgumentException(op + ": weight must be [out, " + channels + ", kh, kw], got shape "
                    + Arrays.toString(w.shape()));
        }
    }

    /** Images per im2col call of one of {@code parts} parts of {@code n} images (at least 1). */
    private static int chunkOf(Window2d one, int n, int parts) {
        long per = Math.max(1, (long) one.colRows() * one.colCols());
        long perPart = Math.max(1, ((long) n + parts - 1) / Math.max(1, parts));
        return (int) Math.max(1, Math.min(perPart, COLS_CHUNK_ELEMENTS / Math.max(1, parts) / per));
    }

    /**
     * Images per im2col call of one of {@code parts} parts of {@code n} images when each chunk also fills a buffer of
     * at most {@code most} images ({@link ConvOutput}, {@link ConvCotangent}): {@code most}, unless the columns' budget
     * or n is smaller; not the part's share of n, so that the buffers stop growing with the batch at once.
     */
    private static int bufferedChunkOf(Window2d one, int n, int parts, int most) {
        if (most == Integer.MAX_VALUE) {
            return chunkOf(one, n, parts);
        }
        long per = Math.max(1, (long) one.colRows() * one.colCols());
        return (int) Math.max(1, Math.min(Math.min(most, n), COLS_CHUNK_ELEMENTS / Math.max(1, parts) / per));
    }

    /** The parts of a convolution over {@code n} images whose outputs are independent: 1 with one thread. */
    static int imageParts(Backend b, int n) {
        int threads = b.threads();
        return threads <= 1 ? 1 : (int) Math.max(1, Math.min(n, (long) threads * PARTS_PER_THREAD));
    }

    /**
     * The parts (partial sums) of a weight gradient {@code [o, rows]} over {@code n} images: up to
     * {@value #WEIGHT_GRAD_PARTS}, fewer when the partials would exceed {@link #WEIGHT_GRAD_PARTIAL_ELEMENTS}
     * elements; never a function of the thread count, so that the sum's rounding is not either.
     */
    static int weightGradParts(int n, long weightElements) {
        long byMemory = WEIGHT_GRAD_PARTIAL_ELEMENTS / Math.max(1, weightElements);
        return (int) Math.max(1, Math.min(n, Math.min(WEIGHT_GRAD_PARTS, byMemory)));
    }

    /** The first image of part {@code p} of {@code parts} over {@code n} images. */
    static int partStart(int n, int parts, int p) {
        return (int) ((long) n * p / parts);
    }

    /** The window g over n images. */
    static Window2d withImages(Window2d g, int n) {
        return new Window2d(n, g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW());
    }

    private static Window2d window(int n, Tensor x, int kh, int kw, int stride, int pad) {
        return new Window2d(n, x.dim(-3), x.dim(-2), x.dim(-1), kh, kw, stride, stride, pad, pad);
    }

    /**
     * 2-D cross-correlation (deep learning's "convolution"), no bias: {@code y[b, o, oy, ox] = sum_{c,i,j}
     * w[o, c, i, j] x[b, c, oy*s - p + i, ox*s - p + j]} with zero padding {@code p} and stride {@code s} on both
     * axes. x is {@code [..., C, H, W]} (leading axes are images), w is {@code [O, C, kh, kw]}, y is
     * {@code [..., O, outH, outW]} with {@code outH = (H + 2p - kh) / s + 1}. Computed as im2col plus one GEMM
     * per image, or by {@link Winograd} for a 3x3 kernel with stride 1 and at least
     * {@link Winograd#MIN_CHANNELS} input channels (likewise the two gradients below), or, for a 3x3 kernel with
     * stride 1 and fewer channels, by the backend's direct kernel where it has a fast one
     * ({@link Backend#hasConv3x3Direct}; likewise the weight gradient).
     */
    public static Tensor conv2d(Tensor x, Tensor w, int stride, int pad) {
        return conv2d(x, w, null, stride, pad);
    }

    /**
     * {@link #conv2d(Tensor, Tensor, int, int)} plus {@code bias [O]} per output channel (none when null), each
     * chunk of images' outputs plus the bias while they are in cache, rather than in a pass over the whole output
     * afterwards. The same operations, so the same bits, as the convolution followed by an addition.
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int pad) {
        ConvOutput.Whole out = new ConvOutput.Whole();
        convolve(x, w, bias, stride, pad, out);
        return out.y();
    }

    /**
     * The max pooling of {@link #conv2d(Tensor, Tensor, Tensor, int, int) conv2d(x, w, bias, stride, pad)} (bias may
     * be null), and its ReLU when {@code pool.relu()}, with its routing, each chunk of images pooled from a buffer in
     * cache right after the convolution writes it: the convolution's output is never made whole. The same bits and
     * routing as the convolution and {@link PoolOps#maxPool2dRouted} after it (then a ReLU, the routing -1 where it
     * gives 0).
     */
    public static PoolOps.MaxPooled conv2dMaxPool(Tensor x, Tensor w, Tensor bias, int stride, int pad,
                                                  PoolAfterConv pool) {
        ConvOutput.Pooled out = new ConvOutput.Pooled(pool, true);
        convolve(x, w, bias, stride, pad, out);
        return out.result();
    }

    /** The values of {@link #conv2dMaxPool} alone, without the routing. */
    public static Tensor conv2dMaxPoolValues(Tensor x, Tensor w, Tensor bias, int stride, int pad, PoolAfterConv pool) {
        ConvOutput.Pooled out = new ConvOutput.Pooled(pool, false);
        convolve(x, w, bias, stride, pad, out);
        return out.result().y();
    }

    /**
     * The values that {@code routing} selects ({@link PoolOps#maxPool2dGather}) of
     * {@link #conv2d(Tensor, Tensor, Tensor, int, int) conv2d(x, w, bias, stride, pad)} (bias may be null), each chunk of images gathered from a buffer in
     * cache right after the convolution writes it. The convolution's images and channels may be the routing's
     * repeated (image i and channel c take the routing of image {@code i mod n} and channel {@code c mod C}): the
     * tangents of a convolution and its max pooling for several directions. The same bits as the convolution and
     * the gather after it.
     */
    public static Tensor conv2dGather(Tensor x, Tensor w, Tensor bias, int stride, int pad,
                                      PoolOps.PoolRouting routing) {
        ConvOutput.Gathered out = new ConvOutput.Gathered(routing);
        convolve(x, w, bias, stride, pad, out);
        return out.y();
    }

    /** The convolution of {@link #conv2d}, each chunk of images' outputs written where {@code out} says. */
    private static void convolve(Tensor x, Tensor w, Tensor bias, int stride, int pad, ConvOutput out) {
        TensorOps.sameDtype("conv2d", x, w);
        int n = foldedBatch("conv2d", x);
        checkWeight("conv2d", w, x.dim(-3));
        Backend be = be();
        DType dt = x.dtype();
        Tensor xc = x.contiguous();
        int kh = w.dim(2);
        int kw = w.dim(3);
        Window2d g = window(n, x, kh, kw, stride, pad);
        int o = w.dim(0);
        int rows = g.colRows();
        int l = g.colCols();
        Tensor w2 = w.contiguous().reshape(o, rows);
        out.start(dt, replaceTail(x.shape(), 3, o, g.outH(), g.outW()), n);
        Tensor b = bias == null ? null : checkBias(bias, dt, o);
        if (n > 0 && Winograd.applies(g)) {
            Winograd.conv2d(g, xc, w, b, out);
            return;
        }
        if (n > 0 && be.hasConv3x3Direct(dt, g)) {
            DirectConv.run(be, g, xc, w.contiguous(), b, out);
            return;
        }
        if (n == 0 || l == 0) {
            return;
        }
        int parts = imageParts(be, n);
        int chunk = bufferedChunkOf(window(1, x, kh, kw, stride, pad), n, parts, out.maxImages(parts));
        Tensor cols = Tensor.uninitialised(dt, parts, chunk, rows, l);
        out.parts(parts, chunk);
        long bytes = g.imageSize() * dt.byteSize();
        be.runParts(parts, p -> {
            Tensor pc = cols.select(0, p);
            int end = partStart(n, parts, p + 1);
            for (int b0 = partStart(n, parts, p); b0 < end; b0 += chunk) {
                int m = Math.min(chunk, end - b0);
                Tensor y3 = out.chunk(p, b0, m).reshape(m, o, l);
                be.im2col(dt, window(m, x, kh, kw, stride, pad), xc.segment().asSlice(b0 * bytes), pc.segment());
                for (int i = 0; i < m; i++) {
                    Gemms.gemm2d(be, dt, w2, pc.select(0, i), y3.select(0, i), 1.0, 0.0);
                }
                addBias(be, y3.segment(), m, o, l, b);
                out.written(p, b0, m);
            }
        });
    }

    /**
     * {@code y[i][c][j] += bias[c]} over {@code images} images of {@code channels} planes of {@code plane} values at
     * the start of y, in place, by the backend's addition (nothing when bias is null).
     */
    static void addBias(Backend be, MemorySegment y, int images, int channels, long plane, Tensor bias) {
        if (bias == null || images == 0) {
            return;
        }
        int[] shape = {images, channels, Math.toIntExact(plane)};
        be.binary(BinaryOp.ADD, bias.dtype(), shape, y, new long[] {(long) channels * plane, plane, 1},
                bias.segment(), new long[] {0, 1, 0}, y);
    }

    /** The bias of a convolution with {@code o} output channels: {@code [o]}, of the convolution's dtype. */
    private static Tensor checkBias(Tensor bias, DType dt, int o) {
        if (bias.rank() != 1 || bias.dim(0) != o) {
            throw new IllegalArgumentException("conv2d_bias: the bias must have shape [" + o + "] (one value per "
                    + "output channel), got " + Arrays.toString(bias.shape()));
        }
        if (bias.dtype() != dt) {
            throw new IllegalArgumentException("conv2d_bias: the bias is " + bias.dtype() + " but the convolution "
                    + dt + ": convert one of them with Tensor.to");
        }
        return bias.contiguous();
    }

    /**
     * The transpose of {@link #conv2d} in its input: {@code gx = col2im(w^T g)} per image, i.e. the gradient of
     * {@code <conv2d(x, w), g>} with respect to x. g is {@code [..., O, outH, outW]}, w {@code [O, C, kh, kw]},
     * the result {@code [..., C, h, width]} ({@code h, width} are needed because strides make them ambiguous).
     */
    public static Tensor conv2dInputGrad(Tensor g, Tensor w, int h, int width, int stride, int pad) {
        TensorOps.sameDtype("conv2dInputGrad", g, w);
        int n = foldedBatch("conv2dInputGrad", g);
        if (w.rank() != 4 || g.dim(-3) != w.dim(0)) {
            throw new IllegalArgumentException("conv2dInputGrad: g " + Arrays.toString(g.shape())
                    + " and weight " + Arrays.toString(w.shape()) + " disagree on the output channels");
        }
        int c = w.dim(1);
        Window2d geo = new Window2d(n, c, h, width, w.dim(2), w.dim(3), stride, stride, pad, pad);
        if (geo.outH() != g.dim(-2) || geo.outW() != g.dim(-1)) {
            throw new IllegalArgumentException("conv2dInputGrad: g has spatial size " + g.dim(-2) + "x" + g.dim(-1)
                    + " but a " + h + "x" + width + " input gives " + geo.outH() + "x" + geo.outW());
        }
        int o = w.dim(0);
        Tensor byWinograd = winogradInputGrad(geo, o, () -> ConvCotangent.of(g), w,
                replaceTail(g.shape(), 3, c, h, width));
        if (byWinograd != null) {
            return byWinograd;
        }
        int rows = geo.colRows();
        int l = geo.colCols();
        Backend be = be();
        DType dt = g.dtype();
        // w^T made contiguous once (rows x o, small) so that every image's GEMM has an untransposed A: the
        // vector GEMM packs a transposed A slower, and this product runs once per image.
        Tensor wt = w.contiguous().reshape(o, rows).transpose(0, 1).contiguous();
        Tensor g3 = g.contiguous().reshape(n, o, l);
        Tensor x = Tensor.uninitialised(dt, replaceTail(g.shape(), 3, c, h, width));
        int kh = w.dim(2);
        int kw = w.dim(3);
        int parts = imageParts(be, n);
        int chunk = chunkOf(new Window2d(1, c, h, width, kh, kw, stride, stride, pad, pad), n, parts);
        Tensor cols = Tensor.uninitialised(dt, parts, chunk, rows, l);
        long bytes = geo.imageSize() * dt.byteSize();
        be.runParts(parts, p -> {
            Tensor pc = cols.select(0, p);
            int end = partStart(n, parts, p + 1);
            for (int b0 = partStart(n, parts, p); b0 < end; b0 += chunk) {
                int m = Math.min(chunk, end - b0);
                for (int b = 0; b < m; b++) {
                    Gemms.gemm2d(be, dt, wt, g3.select(0, b0 + b), pc.select(0, b), 1.0, 0.0);
                }
                be.col2im(dt, new Window2d(m, c, h, width, kh, kw, stride, stride, pad, pad), pc.segment(),
                        x.segment().asSlice(b0 * bytes));
            }
        });
        return x;
    }

    /**
     * The input gradient over {@code geo} by Winograd where it applies, else null: the transposed convolution of a
     * 3x3 stride-1 window is a convolution of g ({@code o} channels) with the rotated, channel-swapped kernel and
     * padding {@code 2 - pad}; the result has shape {@code out}.
     */
    private static Tensor winogradInputGrad(Window2d geo, int o, Supplier<ConvCotangent> g, Tensor w, int[] out) {
        int n = geo.n();
        if (n == 0 || !Winograd2x2.applies(geo) || geo.padH() > 2) {
            return null;
        }
        Window2d asConv = new Window2d(n, o, geo.outH(), geo.outW(), 3, 3, 1, 1, 2 - geo.padH(), 2 - geo.padW());
        if (!Winograd.applies(asConv)) {
            return null;
        }
        Tensor gx = Tensor.uninitialised(w.dtype(), out);
        Winograd.conv2d(asConv, g.get(), Winograd.transposedFlipped(w), null, ConvOutput.into(gx, n));
        return gx;
    }

    /**
     * {@link #conv2dInputGrad} of {@code g = maxPool2dScatter(gp, routing)}, the cotangent of a convolution's output
     * that a max pooling with this routing pooled: where the input gradient is a Winograd convolution, each chunk of
     * images scattered into a buffer in cache right before its input transform reads it, so g is never made whole;
     * elsewhere the scatter, then the input gradient. The same bits either way.
     */
    public static Tensor conv2dInputGradRouted(Tensor gp, Tensor w, int h, int width, int stride, int pad,
            PoolOps.PoolRouting routing) {
        TensorOps.sameDtype("conv2dInputGradRouted", gp, w);
        Window2d r = routing.window();
        Window2d geo = w.rank() != 4 ? null
                : new Window2d(r.n(), w.dim(1), h, width, w.dim(2), w.dim(3), stride, stride, pad, pad);
        if (geo == null || r.c() != w.dim(0) || geo.outH() != r.h() || geo.outW() != r.w()
                || !Arrays.equals(gp.shape(), routing.outShape())) {
            throw new IllegalArgumentException("conv2dInputGradRouted: the pooled cotangent "
                    + Arrays.toString(gp.shape()) + ", the weight " + Arrays.toString(w.shape()) + " and a routing of "
                    + Arrays.toString(routing.inShape()) + " do not match a " + h + "x" + width + " input with stride "
                    + stride + " and padding " + pad);
        }
        Tensor byWinograd = winogradInputGrad(geo, r.c(), () -> ConvCotangent.scattered(gp, routing), w,
                replaceTail(gp.shape(), 3, w.dim(1), h, width));
        return byWinograd != null ? byWinograd
                : conv2dInputGrad(PoolOps.maxPool2dScatter(gp, routing), w, h, width, stride, pad);
    }

    /**
     * The transpose of {@link #conv2d} in its weight: {@code gw = sum_b g_b cols_b^T}, reshaped to
     * {@code [O, C, kh, kw]}, i.e. the gradient of {@code <conv2d(x, w), g>} with respect to w: the correlation
     * of g with x. x is {@code [..., C, H, W]} and g {@code [..., O, outH, outW]} with the same leading axes;
     * every image is summed over.
     */
    public static Tensor conv2dWeightGrad(Tensor x, Tensor g, int kh, int kw, int stride, int pad) {
        TensorOps.sameDtype("conv2dWeightGrad", x, g);
        int n = foldedBatch("conv2dWeightGrad", x);
        Window2d geo = window(n, x, kh, kw, stride, pad);
        if (foldedBatch("conv2dWeightGrad", g) != n || geo.outH() != g.dim(-2) || geo.outW() != g.dim(-1)) {
            throw new IllegalArgumentException("conv2dWeightGrad: x " + Arrays.toString(x.shape()) + " and g "
                    + Arrays.toString(g.shape()) + " do not match a " + kh + "x" + kw + " window with stride "
                    + stride + " and padding " + pad);
        }
        return weightGrad(x, geo, ConvCotangent.of(g), kh, kw);
    }

    /**
     * {@link #conv2dWeightGrad} of {@code g = maxPool2dScatter(gp, routing)}, the cotangent of a convolution's output
     * that a max pooling with this routing pooled, each chunk of images scattered into a buffer in cache right before
     * the weight gradient reads it: g is never made whole. The same bits as the scatter and the weight gradient.
     */
    public static Tensor conv2dWeightGradRouted(Tensor x, Tensor gp, int kh, int kw, int stride, int pad,
            PoolOps.PoolRouting routing) {
        TensorOps.sameDtype("conv2dWeightGradRouted", x, gp);
        int n = foldedBatch("conv2dWeightGradRouted", x);
        Window2d geo = window(n, x, kh, kw, stride, pad);
        Window2d r = routing.window();
        if (r.n() != n || geo.outH() != r.h() || geo.outW() != r.w()
                || !Arrays.equals(gp.shape(), routing.outShape())) {
            throw new IllegalArgumentException("conv2dWeightGradRouted: x " + Arrays.toString(x.shape()) + ", the "
                    + "pooled cotangent " + Arrays.toString(gp.shape()) + " and a routing of "
                    + Arrays.toString(routing.inShape()) + " do not match a " + kh + "x" + kw + " window with stride "
                    + stride + " and padding " + pad);
        }
        return weightGrad(x, geo, ConvCotangent.scattered(gp, routing), kh, kw);
    }

    private static Tensor weightGrad(Tensor x, Window2d geo, ConvCotangent g, int kh, int kw) {
        int n = geo.n();
        int o = g.o;
        int rows = geo.colRows();
        int l = geo.colCols();
        Backend be = be();
        DType dt = x.dtype();
        Tensor xc = x.contiguous();
        if (n == 0) {
            return Tensor.zeros(dt, o, x.dim(-3), kh, kw);
        }
        if (Winograd.applies(geo)) {
            return Winograd.weightGrad(geo, xc, g);
        }
        if (be.hasConv3x3Direct(dt, geo)) {
            return DirectConv.weightGrad(be, geo, xc, g);
        }
        int parts = weightGradParts(n, (long) o * rows);
        // one partial sum per part (with one part, it is the result)
        Tensor partial = Tensor.uninitialised(dt, parts, o, rows);
        int chunk = bufferedChunkOf(withImages(geo, 1), n, parts, g.maxImages(parts));
        Tensor cols = Tensor.uninitialised(dt, parts, chunk, rows, l);
        g.parts(parts, chunk);
        long bytes = geo.imageSize() * dt.byteSize();
        be.runParts(parts, p -> {
            Tensor pc = cols.select(0, p);
            Tensor sum = partial.select(0, p);
            int first = partStart(n, parts, p);
            int end = partStart(n, parts, p + 1);
            for (int b0 = first; b0 < end; b0 += chunk) {
                int m = Math.min(chunk, end - b0);
                be.im2col(dt, withImages(geo, m), xc.segment().asSlice(b0 * bytes), pc.segment());
                Tensor g3 = g.images(p, b0, m).reshape(m, o, l);
                for (int b = 0; b < m; b++) {
                    Gemms.gemm2d(be, dt, g3.select(0, b), pc.select(0, b).transpose(0, 1), sum, 1.0,
                            b0 + b == first ? 0.0 : 1.0);
                }
            }
        });
        Tensor gw = parts == 1 ? partial : TensorOps.reduce(ReduceOp.SUM, partial, 0, false);
        return gw.reshape(o, x.dim(-3), kh, kw);
    }
}
