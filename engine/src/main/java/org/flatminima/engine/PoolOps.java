package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Shapes;
import org.flatminima.kernels.Window2d;

/**
 * Raw (not differentiable) pooling of images {@code [..., C, H, W]} (NCHW; leading axes are more images, as in
 * {@link ImageOps}) on the current {@link Engine#backend()}: max pooling with its routing (first argmax per window,
 * as PyTorch), the gather and scatter of a routing (its tangents and cotangents), average pooling and its adjoint.
 * Every result is a new contiguous tensor.
 */
public final class PoolOps {
    private PoolOps() {
    }

    private static Backend be() {
        return Engine.backend();
    }

    /**
     * The window of a pooling of x; average pooling needs {@code pad <= k / 2} (PyTorch's rule), max pooling takes
     * any padding (a window wholly in its -infinity padding gives -infinity and routes nowhere).
     */
    private static Window2d poolWindow(String op, Tensor x, int k, int stride, int pad) {
        int n = ImageOps.foldedBatch(op, x);
        if (2 * pad > k && !op.equals("maxPool2d")) {
            throw new IllegalArgumentException(op + ": padding " + pad + " must be at most half the kernel size " + k);
        }
        return Window2d.square(n, x.dim(-3), x.dim(-2), x.dim(-1), k, stride, pad);
    }

    /**
     * Where each output of a max pooling took its value from: the window geometry (leading axes folded into
     * {@code n}), the input shape, and per output element the index {@code iy*w + ix} of its first maximum
     * within its plane (int32; in the current scope, else GC-managed), -1 where it routes nowhere: a window wholly in
     * the padding, or with {@code relu} (a ReLU after the pooling, {@link PoolAfterConv}) one whose maximum is not
     * positive. A constant of the derivative rules of max pooling.
     */
    public record PoolRouting(Window2d window, int[] inShape, MemorySegment argmax, boolean relu) {
        /** Whether every window routes somewhere: no ReLU carried, and no window wholly in the padding. */
        public boolean routesEverywhere() {
            return !relu && window.padH() < window.kh() && window.padW() < window.kw();
        }

        /** The pooled shape: the input shape with the last two axes replaced by {@code outH, outW}. */
        public int[] outShape() {
            return ImageOps.replaceTail(inShape, 2, window.outH(), window.outW());
        }
    }

    /** A max pooling's output and its routing. */
    public record MaxPooled(Tensor y, PoolRouting routing) {
    }

    /**
     * Max pooling with a square {@code k x k} window, stride and padding (which counts as -infinity) of x
     * {@code [..., C, H, W]}, with the routing the kernel computes along the way (the residual of max pooling's
     * derivative rules). Any padding: a window wholly in the padding gives -infinity and routes nowhere (its
     * adjoint and its gathered tangent are 0), which {@code nn.Sequential} uses for a zero padding before max
     * pooling.
     */
    public static MaxPooled maxPool2dRouted(Tensor x, int k, int stride, int pad) {
        Window2d g = poolWindow("maxPool2d", x, k, stride, pad);
        Tensor xc = x.contiguous();
        Tensor y = Tensor.uninitialised(x.dtype(), ImageOps.replaceTail(x.shape(), 2, g.outH(), g.outW()));
        // Scoped (pooled) when a scope is open: the routing is read by the backward pass of the same scope.
        MemorySegment idx = Scope.allocateUninitialised(Math.max(1, y.size()) * 4, y);
        be().maxPool2d(x.dtype(), g, xc.segment(), y.segment(), idx);
        return new MaxPooled(y, new PoolRouting(g, x.shape(), idx, false));
    }

    /**
     * Max pooling ({@code k x k} window, stride, -infinity padding) of x {@code [..., C, H, W]}: the values of
     * {@link #maxPool2dRouted} without the routing.
     */
    public static Tensor maxPool2d(Tensor x, int k, int stride, int pad) {
        Window2d g = poolWindow("maxPool2d", x, k, stride, pad);
        Tensor y = Tensor.uninitialised(x.dtype(), ImageOps.replaceTail(x.shape(), 2, g.outH(), g.outW()));
        be().maxPool2dValues(x.dtype(), g, x.contiguous().segment(), y.segment());
        return y;
    }

    /** The routing (first argmax per window, as PyTorch) of max pooling x: see {@link PoolRouting}. */
    public static PoolRouting maxPool2dRouting(Tensor x, int k, int stride, int pad) {
        return maxPool2dRouted(x, k, stride, pad).routing();
    }

    /**
     * How many copies of {@code shape} t stacks on leading axes (t's shape is {@code lead ++ shape}; the lead is
     * the direction axis of batched tangents), or an error naming both shapes.
     */
    private static int routedCopies(String op, Tensor t, int[] shape) {
        int[] ts = t.shape();
        int lead = ts.length - shape.length;
        if (lead < 0 || !Arrays.equals(Arrays.copyOfRange(ts, lead, ts.length), shape)) {
            throw new IllegalArgumentException(op + ": expected shape " + Arrays.toString(shape)
                    + " (optionally with leading axes), got " + Arrays.toString(ts));
        }
        return Math.toIntExact(Shapes.size(Arrays.copyOf(ts, lead)));
    }

    private static int[] withLead(Tensor t, int[] tailOf, int[] tail) {
        int lead = t.rank() - tailOf.length;
        int[] s = Arrays.copyOf(t.shape(), lead + tail.length);
        System.arraycopy(tail, 0, s, lead, tail.length);
        return s;
    }

    /**
     * {@code y[p, o] = x[p, argmax[p, o]]} per plane p: the values of x that a max pooling with this routing
     * selects (linear in x). For x the pooled input itself this is the max pooling. Leading axes in front of the
     * routed shape (several tangents) reuse the same routing.
     */
    public static Tensor maxPool2dGather(Tensor x, PoolRouting r) {
        int copies = routedCopies("maxPool2dGather", x, r.inShape());
        Tensor y = Tensor.uninitialised(x.dtype(), withLead(x, r.inShape(), r.outShape()));
        if (!x.isContiguous() && imagesContiguous(x)) {
            gatherByImage(x, r, y);
            return y;
        }
        Tensor xc = x.contiguous();
        long inBytes = Shapes.size(r.inShape()) * x.dtype().byteSize();
        long outBytes = Shapes.size(r.outShape()) * x.dtype().byteSize();
        for (int c = 0; c < copies; c++) {
            be().maxPool2dGather(x.dtype(), r.window(), xc.segment().asSlice(c * inBytes), r.argmax(),
                    y.segment().asSlice(c * outBytes));
        }
        return y;
    }

    /**
     * True when each image {@code [C, H, W]} of x (its last three axes) is contiguous and the axes before them have
     * non-negative strides: the layout of a convolution's tangents for k directions computed as one convolution of
     * {@code k*O} filters ({@code [B, k*O, H, W]} seen as {@code [k, B, O, H, W]}).
     */
    private static boolean imagesContiguous(Tensor x) {
        if (x.rank() < 3) {
            return false;
        }
        long[] st = x.strides();
        int r = x.rank();
        if (st[r - 1] != 1 || st[r - 2] != x.dim(-1) || st[r - 3] != (long) x.dim(-1) * x.dim(-2)) {
            return false;
        }
        for (int d = 0; d < r - 3; d++) {
            if (st[d] < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@link #maxPool2dGather} image by image on a view whose images are contiguous ({@link #imagesContiguous}),
     * so that the tangents of a stacked convolution are gathered without first being copied into the routed
     * layout. Image p of x (its axes before the last three, row-major) uses the routing of image
     * {@code p mod n} (n: images of the routing) and fills image p of the contiguous y.
     */
    private static void gatherByImage(Tensor x, PoolRouting r, Tensor y) {
        Window2d w = r.window();
        Window2d one = new Window2d(1, w.c(), w.h(), w.w(), w.kh(), w.kw(), w.strideH(), w.strideW(), w.padH(),
                w.padW());
        long bytes = x.dtype().byteSize();
        long outImage = (long) w.c() * w.outH() * w.outW();
        int[] lead = Arrays.copyOf(x.shape(), x.rank() - 3);
        long[] st = x.strides();
        long images = Shapes.size(lead);
        int[] idx = new int[lead.length];
        MemorySegment xs = x.segment();
        for (long p = 0; p < images; p++) {
            long at = 0;
            for (int d = 0; d < lead.length; d++) {
                at += idx[d] * st[d];
            }
            be().maxPool2dGather(x.dtype(), one, xs.asSlice(at * bytes), r.argmax().asSlice(p % w.n() * outImage * 4),
                    y.segment().asSlice(p * outImage * bytes));
            for (int d = lead.length - 1; d >= 0 && ++idx[d] == lead[d]; d--) {
                idx[d] = 0;
            }
        }
    }

    /** The adjoint of {@link #maxPool2dGather}: {@code gx = 0}, then each gy is added at its argmax. */
    public static Tensor maxPool2dScatter(Tensor gy, PoolRouting r) {
        int copies = routedCopies("maxPool2dScatter", gy, r.outShape());
        Tensor gc = gy.contiguous();
        Tensor gx = Tensor.uninitialised(gy.dtype(), withLead(gy, r.outShape(), r.inShape()));
        long inBytes = Shapes.size(r.inShape()) * gy.dtype().byteSize();
        long outBytes = Shapes.size(r.outShape()) * gy.dtype().byteSize();
        for (int c = 0; c < copies; c++) {
            be().maxPool2dBackward(gy.dtype(), r.window(), gc.segment().asSlice(c * outBytes),
                    r.argmax(), gx.segment().asSlice(c * inBytes));
        }
        return gx;
    }

    /**
     * Average pooling ({@code k x k} window, stride, zero padding, divisor always {@code k*k} as PyTorch's
     * default) of x {@code [..., C, H, W]}.
     */
    public static Tensor avgPool2d(Tensor x, int k, int stride, int pad) {
        Window2d g = poolWindow("avgPool2d", x, k, stride, pad);
        Tensor xc = x.contiguous();
        Tensor y = Tensor.uninitialised(x.dtype(), ImageOps.replaceTail(x.shape(), 2, g.outH(), g.outW()));
        be().avgPool2d(x.dtype(), g, xc.segment(), y.segment());
        return y;
    }

    /**
     * The adjoint of {@link #avgPool2d} for an input of spatial size {@code h x width}: gy
     * {@code [..., C, outH, outW]} to gx {@code [..., C, h, width]}.
     */
    public static Tensor avgPool2dBackward(Tensor gy, int h, int width, int k, int stride, int pad) {
        int n = ImageOps.foldedBatch("avgPool2dBackward", gy);
        Window2d g = Window2d.square(n, gy.dim(-3), h, width, k, stride, pad);
        if (g.outH() != gy.dim(-2) || g.outW() != gy.dim(-1)) {
            throw new IllegalArgumentException("avgPool2dBackward: gy has spatial size " + gy.dim(-2) + "x"
                    + gy.dim(-1) + " but a " + h + "x" + width + " input gives " + g.outH() + "x" + g.outW());
        }
        Tensor gc = gy.contiguous();
        Tensor gx = Tensor.uninitialised(gy.dtype(), ImageOps.replaceTail(gy.shape(), 2, h, width));
        be().avgPool2dBackward(gy.dtype(), g, gc.segment(), gx.segment());
        return gx;
    }
}
