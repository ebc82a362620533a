package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.Window2d;
import org.flatminima.kernels.Winograd2x2;

/**
 * 3x3 convolutions with stride 1 by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms
 * for Convolutional Neural Networks", CVPR 2016): each 2x2 block of outputs is {@code A^T [(G w G^T) .* (B^T d
 * B)] A} for the 4x4 tile d of the padded input under it. Over all tiles and channels the elementwise products are
 * 16 matrix products, one per position of the transformed tile, {@code [O, C] x [C, tiles]}: 16 multiplications
 * per tile and channel pair where im2col and GEMM need 36 (2.25x fewer), plus the transforms
 * ({@link Backend#winogradInput}, {@link Backend#winogradOutput}: additions only, memory-bound) in place of
 * im2col.
 *
 * <p>The weight gradient ({@link #weightGrad}) is the transpose of the same computation: 16 products with the
 * tiles as their inner dimension, between the transformed inputs and the transformed output gradients
 * ({@link Backend#winogradGradient}).
 *
 * <p>Threads and rounding: the images are processed in chunks whose size depends on the shapes only, each chunk
 * by one thread with its own buffers, so the output is bit-identical for every thread count, as for
 * {@link ImageOps}'s other convolutions; unlike theirs, an image's bits depend on the other images of its chunk
 * ({@link #chunkImages}). The rounding is not the direct method's: the input transform adds and
 * subtracts neighbouring inputs before the products, so the error bound grows with the spread of the values
 * within a tile; for F(2x2, 3x3) it is a few units in the last place of the output's magnitude (measured in
 * {@code WinogradTest}).
 */
final class Winograd {
    private Winograd() {
    }

    /**
     * Elements of the transformed inputs and products of one chunk of images, {@code 16 (C + O) tiles} (1 MB in
     * float32): small enough to stay in a core's caches between the transforms and the products. For W3's second
     * convolution that is 2 images, 98 columns a product; four times as many was no faster (docs/PERFORMANCE.md).
     */
    private static final long CHUNK_ELEMENTS = 1L << 18;

    /** Most images of a chunk: {@link #chunkImages}. */
    static final int MAX_CHUNK = 16;

    /**
     * Images per chunk for a budget of {@code fit} images: the largest power of two at most {@code fit} and
     * {@link #MAX_CHUNK}, at least 1. A chunk's products are one GEMM per position of the transformed tile, over
     * all the chunk's tiles, and a GEMM's rounding of one column can depend on the others (OpenBLAS picks its
     * kernels by the size of the product), so an image's bits depend on its chunk. Chunks of a power of two up to
     * 16 start at multiples of 16 whenever the batch does: a batch split into passes at multiples of 16 images
     * (experiments' {@code Passes}) gives every image the bits of one pass.
     */
    static int chunkImages(long fit) {
        return Integer.highestOneBit((int) Math.max(1, Math.min(MAX_CHUNK, fit)));
    }

    /**
     * Fewest input channels for which the Winograd form is used: with few channels the products' inner dimension
     * (C) is too short for GEMM to pay for the transforms, and im2col's K = 9C is better.
     */
    static final int MIN_CHANNELS = 8;

    /** Whether {@link ImageOps} computes a convolution over this window by Winograd; off with {@code -Dflatminima.winograd=false}. */
    static boolean applies(Window2d g) {
        return enabled && Winograd2x2.applies(g) && g.c() >= MIN_CHANNELS;
    }

    private static volatile boolean enabled = !"false".equals(System.getProperty("flatminima.winograd"));

    /** Turns the Winograd form on or off for this process (tests compare it with the direct method); returns the previous setting. */
    static boolean setEnabled(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }

    /**
     * {@code conv2d(x, w)} for a 3x3 w and stride 1 (see {@link ImageOps#conv2d}): x contiguous with its images
     * in {@code g}, w {@code [O, C, 3, 3]}; each chunk's outputs ({@code [..., O, outH, outW]}) written where y
     * says ({@link ConvOutput}, started), plus {@code bias [O]} per channel when it is not null, added by the
     * output transform ({@link Backend#winogradOutput}: the bits of an addition after it).
     */
    static void conv2d(Window2d g, Tensor x, Tensor w, Tensor bias, ConvOutput y) {
        conv2d(g, ConvCotangent.of(x), w, bias, y);
    }

    /**
     * {@link #conv2d(Window2d, Tensor, Tensor, Tensor, ConvOutput)} of images read a chunk at a time from x: a whole
     * tensor, or a pooled cotangent scattered chunk by chunk into a part's buffer ({@link ConvCotangent}: the input
     * of the convolution that makes an input gradient is a cotangent), the same values either way, so the same
     * bits.
     */
    static void conv2d(Window2d g, ConvCotangent x, Tensor w, Tensor bias, ConvOutput y) {
        Backend be = Engine.backend();
        DType dt = x.dt;
        int c = g.c();
        int o = w.dim(0);
        Chunks ch = Chunks.of(g, o);
        Tensor u = weightTransform(w);
        int parts = ImageOps.imageParts(be, ch.count());
        Tensor v = Tensor.uninitialised(dt, parts, 16, c, ch.maxTiles());
        Tensor m = Tensor.uninitialised(dt, parts, 16, o, ch.maxTiles());
        long es = dt.byteSize();
        MemorySegment us = u.segment();
        MemorySegment bs = bias == null ? null : bias.segment();
        x.parts(parts, ch.size());
        y.parts(parts, ch.size());
        be.runParts(parts, p -> {
            MemorySegment vs = v.select(0, p).segment();
            MemorySegment ms = m.select(0, p).segment();
            for (int q = ch.first(p, parts), end = ch.first(p + 1, parts); q < end; q++) {
                Window2d part = ch.window(q);
                int tiles = Math.toIntExact(part.winogradTiles());
                be.winogradInput(dt, part, x.images(p, q * ch.size(), part.n()).segment(), vs);
                for (int k = 0; k < 16; k++) {
                    be.gemm(dt, false, false, o, tiles, c, 1.0, us.asSlice(k * (long) o * c * es), c,
                            vs.asSlice(k * (long) c * tiles * es), tiles, 0.0,
                            ms.asSlice(k * (long) o * tiles * es), tiles);
                }
                MemorySegment ys = y.chunk(p, q * ch.size(), part.n()).segment();
                be.winogradOutput(dt, part, o, ms, bs, ys);
                y.written(p, q * ch.size(), part.n());
            }
        });
    }

    /**
     * The chunks of a convolution over {@code g}'s images with {@code o} output channels: {@link #chunkImages}
     * images each (the last one fewer).
     */
    private record Chunks(Window2d g, int size, int count, int maxTiles) {
        static Chunks of(Window2d g, int o) {
            long tilesPerImage = (long) ((g.outH() + 1) / 2) * ((g.outW() + 1) / 2);
            int size = chunkImages(CHUNK_ELEMENTS / (16L * (g.c() + o) * tilesPerImage));
            return new Chunks(g, size, (g.n() + size - 1) / size, Math.toIntExact(size * tilesPerImage));
        }

        /** The first chunk of part {@code p} of {@code parts}. */
        int first(int p, int parts) {
            return (int) ((long) count * p / parts);
        }

        /** The window over the images of chunk q. */
        Window2d window(int q) {
            return new Window2d(Math.min(size, g.n() - q * size), g.c(), g.h(), g.w(), 3, 3, 1, 1, g.padH(),
                    g.padW());
        }

        /** The images of chunk q of a contiguous {@code [n, ...]} tensor: its memory from the chunk's first image. */
        MemorySegment images(Tensor t, int q) {
            return t.segment().asSlice((long) q * size * (t.size() / g.n()) * t.dtype().byteSize());
        }
    }

    /**
     * {@code conv2dWeightGrad(x, g)} for a 3x3 window with stride 1 (see {@link ImageOps#conv2dWeightGrad}): with
     * the forward's {@code y_tile = A^T [(G w G^T) .* (B^T d B)] A}, the gradient with respect to {@code G w G^T}
     * is {@code sum_tiles (A gb A^T) .* (B^T d B)}, 16 products {@code [O, tiles] x [tiles, C]} with the tiles as
     * the inner dimension, and the weight's is {@code G^T (that) G}. The gradient's transform is tile-major
     * ({@link Backend#winogradGradient}), the input's channel-major, so each product is TT: OpenBLAS's small-matrix
     * kernels run that at about twice the rate of the NT product of two channel-major operands. x is contiguous
     * with its images in {@code geo}; gy gives each chunk's {@code [m, O, outH, outW]} ({@link ConvCotangent}). The partial sums over the chunks
     * of each of a number of parts that depends on the shapes only ({@link ImageOps#weightGradParts}) are added in
     * part order: the same bits for every thread count.
     */
    static Tensor weightGrad(Window2d geo, Tensor x, ConvCotangent gy) {
        Backend be = Engine.backend();
        DType dt = x.dtype();
        int c = geo.c();
        int o = gy.o;
        Chunks ch = Chunks.of(geo, o);
        int parts = Math.min(ch.count(), ImageOps.weightGradParts(geo.n(), 16L * o * c));
        Tensor v = Tensor.uninitialised(dt, parts, 16, c, ch.maxTiles());
        Tensor gt = Tensor.uninitialised(dt, parts, 16, ch.maxTiles(), o); // tile-major: the products are TT
        Tensor partial = Tensor.uninitialised(dt, parts, 16, o, c);
        long es = dt.byteSize();
        gy.parts(parts, ch.size());
        be.runParts(parts, p -> {
            MemorySegment vs = v.select(0, p).segment();
            MemorySegment ts = gt.select(0, p).segment();
            MemorySegment us = partial.select(0, p).segment();
            int first = ch.first(p, parts);
            for (int q = first, end = ch.first(p + 1, parts); q < end; q++) {
                Window2d part = ch.window(q);
                int tiles = Math.toIntExact(part.winogradTiles());
                be.winogradInput(dt, part, ch.images(x, q), vs);
                be.winogradGradient(dt, part, o, gy.images(p, q * ch.size(), part.n()).segment(), ts);
                for (int k = 0; k < 16; k++) {
                    be.gemm(dt, true, true, o, c, tiles, 1.0, ts.asSlice(k * (long) o * tiles * es), o,
                            vs.asSlice(k * (long) c * tiles * es), tiles, q == first ? 0.0 : 1.0,
                            us.asSlice(k * (long) o * c * es), c);
                }
            }
        });
        Tensor du = parts == 1 ? partial.select(0, 0) : TensorOps.reduce(ReduceOp.SUM, partial, 0, false);
        return weightUntransform(du, o, c);
    }

    /**
     * {@code w[o, c] = G^T du[., o, c] G} for {@code du [16, O, C]}, with {@code G^T = [[1, 1/2, 1/2, 0],
     * [0, 1/2, -1/2, 0], [0, 1/2, 1/2, 1]]} (the transpose of {@link #weightTransform}'s G): in double, rounded
     * once to {@code dt}.
     */
    static Tensor weightUntransform(Tensor du, int o, int c) {
        int oc = o * c;
        double[] d = read(du, 0);
        double[] w = scratch(1, 9 * oc);
        double[] h = new double[12];
        double[] block = new double[16 * BLOCK];
        for (int k0 = 0; k0 < oc; k0 += BLOCK) {
            int len = Math.min(BLOCK, oc - k0);
            for (int k = 0; k < 16; k++) {
                System.arraycopy(d, k * oc + k0, block, k * BLOCK, len);
            }
            for (int b = 0; b < len; b++) {
                for (int j = 0; j < 4; j++) { // G^T du: 3 rows of 4
                    double a = block[j * BLOCK + b];
                    double e = block[(4 + j) * BLOCK + b];
                    double f = block[(8 + j) * BLOCK + b];
                    double g = block[(12 + j) * BLOCK + b];
                    h[j] = a + 0.5 * (e + f);
                    h[4 + j] = 0.5 * (e - f);
                    h[8 + j] = 0.5 * (e + f) + g;
                }
                int at = 9 * (k0 + b);
                for (int i = 0; i < 3; i++) { // (G^T du) G
                    double a = h[4 * i];
                    double e = h[4 * i + 1];
                    double f = h[4 * i + 2];
                    double g = h[4 * i + 3];
                    w[at + 3 * i] = a + 0.5 * (e + f);
                    w[at + 3 * i + 1] = 0.5 * (e - f);
                    w[at + 3 * i + 2] = 0.5 * (e + f) + g;
                }
            }
        }
        return write(w, du.dtype(), o, c, 3, 3);
    }

    /**
     * The weight that makes {@link ImageOps#conv2dInputGrad} a convolution: {@code w'[c, o, i, j] =
     * w[o, c, 2 - i, 2 - j]} (channels swapped, kernel rotated by 180 degrees), to be applied to g with padding
     * {@code 2 - pad}.
     */
    static Tensor transposedFlipped(Tensor w) {
        int o = w.dim(0);
        int c = w.dim(1);
        double[] ws = read(w, 0);
        double[] r = scratch(1, 9 * o * c);
        for (int oi = 0; oi < o; oi++) {
            for (int ci = 0; ci < c; ci++) {
                for (int e = 0; e < 9; e++) {
                    r[(ci * o + oi) * 9 + 8 - e] = ws[(oi * c + ci) * 9 + e];
                }
            }
        }
        return write(r, w.dtype(), c, o, 3, 3);
    }

    /**
     * {@code u[k][o][c] = (G w[o, c] G^T)[k]}, {@code [16, O, C]}, with {@code G = [[1, 0, 0], [1/2, 1/2, 1/2],
     * [1/2, -1/2, 1/2], [0, 0, 1]]}: computed in double and rounded once to w's type.
     */
    static Tensor weightTransform(Tensor w) {
        int o = w.dim(0);
        int c = w.dim(1);
        int oc = o * c;
        double[] ws = read(w, 0);
        double[] u = scratch(1, 16 * oc);
        double[] gg = new double[12];
        double[] block = new double[16 * BLOCK];
        for (int k0 = 0; k0 < oc; k0 += BLOCK) {
            int len = Math.min(BLOCK, oc - k0);
            for (int b = 0; b < len; b++) {
                int at = 9 * (k0 + b);
                for (int j = 0; j < 3; j++) { // G w: 4 rows of 3
                    double a = ws[at + j];
                    double e = ws[at + 3 + j];
                    double d = ws[at + 6 + j];
                    gg[j] = a;
                    gg[3 + j] = 0.5 * (a + e + d);
                    gg[6 + j] = 0.5 * (a - e + d);
                    gg[9 + j] = d;
                }
                for (int i = 0; i < 4; i++) { // (G w) G^T
                    double a = gg[3 * i];
                    double e = gg[3 * i + 1];
                    double d = gg[3 * i + 2];
                    block[(4 * i) * BLOCK + b] = a;
                    block[(4 * i + 1) * BLOCK + b] = 0.5 * (a + e + d);
                    block[(4 * i + 2) * BLOCK + b] = 0.5 * (a - e + d);
                    block[(4 * i + 3) * BLOCK + b] = d;
                }
            }
            for (int k = 0; k < 16; k++) {
                System.arraycopy(block, k * BLOCK, u, k * oc + k0, len);
            }
        }
        return write(u, w.dtype(), 16, o, c);
    }

    /**
     * Kernels per block of the weight transforms, which gather or scatter the 16 planes of a transformed weight
     * through a small buffer: planes {@code O C} elements apart, often a multiple of 4 KiB, written or read
     * element by element would all fall into the same cache set.
     */
    private static final int BLOCK = 64;

    /**
     * Each thread's scratch arrays for the weight transforms (two of doubles, one of floats), kept between calls:
     * a transformed weight has {@code 16 O C} elements, megabytes that would otherwise be allocated per call.
     */
    private static final ThreadLocal<Object[]> SCRATCH = ThreadLocal.withInitial(
            () -> new Object[] {new double[0], new double[0], new float[0]});

    /**
     * Scratch arrays up to this many elements are kept by their thread; larger ones (convolutions of hundreds of
     * channels) are made per call, so that a thread does not hold tens of megabytes for good.
     */
    private static final int KEPT_SCRATCH = 1 << 21;

    /** This thread's double scratch {@code slot} (0 or 1) with at least {@code n} elements. */
    private static double[] scratch(int slot, int n) {
        if (n > KEPT_SCRATCH) {
            return new double[n];
        }
        Object[] s = SCRATCH.get();
        if (((double[]) s[slot]).length < n) {
            s[slot] = new double[n];
        }
        return (double[]) s[slot];
    }

    private static float[] floats(int n) {
        if (n > KEPT_SCRATCH) {
            return new float[n];
        }
        Object[] s = SCRATCH.get();
        if (((float[]) s[2]).length < n) {
            s[2] = new float[n];
        }
        return (float[]) s[2];
    }

    /** t's elements in row-major order, as doubles, in scratch {@code slot} (bulk copies, no per-element access). */
    private static double[] read(Tensor t, int slot) {
        MemorySegment seg = t.contiguous().segment();
        int n = Math.toIntExact(t.size());
        double[] d = scratch(slot, n);
        if (t.dtype() == DType.F32) {
            float[] f = floats(n);
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, 0, f, 0, n);
            for (int i = 0; i < n; i++) {
                d[i] = f[i];
            }
        } else {
            MemorySegment.copy(seg, ValueLayout.JAVA_DOUBLE, 0, d, 0, n);
        }
        return d;
    }

    /** A new tensor of {@code shape} holding {@code v}'s first elements, each rounded once to {@code dt}. */
    private static Tensor write(double[] v, DType dt, int... shape) {
        Tensor out = Tensor.uninitialised(dt, shape);
        int n = Math.toIntExact(out.size());
        if (dt == DType.F32) {
            float[] f = floats(n);
            for (int i = 0; i < n; i++) {
                f[i] = (float) v[i];
            }
            MemorySegment.copy(f, 0, out.segment(), ValueLayout.JAVA_FLOAT, 0, n);
        } else {
            MemorySegment.copy(v, 0, out.segment(), ValueLayout.JAVA_DOUBLE, 0, n);
        }
        return out;
    }
}
