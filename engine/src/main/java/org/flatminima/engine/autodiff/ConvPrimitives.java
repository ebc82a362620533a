package org.flatminima.engine.autodiff;

import static org.flatminima.engine.autodiff.Rules.*;

import java.util.Arrays;
import org.flatminima.engine.ImageOps;
import org.flatminima.engine.Tensor;

/**
 * The 2-D convolution (NCHW, square stride and padding), with a bias, and its two transposes, each a primitive of
 * its own so that every VJP stays differentiable (a convolution with its max pooling is {@link PoolingPrimitives}).
 *
 * <p>A record declared in this file that implements this interface is a registered primitive: the
 * interface is sealed without a {@code permits} clause, so Java permits exactly the records of this file, and
 * {@link Primitive} permits the files. Notation as in {@link ProductPrimitives}.
 */
public sealed interface ConvPrimitives extends Primitive {
    /**
     * {@code y = conv2d(x, w)}: {@code y[b, o, oy, ox] = sum_{c,i,j} w[o, c, i, j] x[b, c, oy*s - p + i,
     * ox*s - p + j]} (cross-correlation, zero padding p, stride s), x {@code [..., C, H, W]}, w
     * {@code [O, C, kh, kw]}. Bilinear: dy = conv2d(dx, w) + conv2d(x, dw). The two transposes are primitives
     * of their own, so the VJP is differentiable: gx = {@link Conv2dInputGrad}(g, w) (a transposed
     * convolution, col2im of w^T g), gw = {@link Conv2dWeightGrad}(x, g) (the correlation of g with x).
     */
    record Conv2d(int stride, int pad) implements ConvPrimitives, Primitive.Bilinear {
        public String name() {
            return "conv2d";
        }

        public Tensor forward(Tensor... in) {
            return ImageOps.conv2d(in[0], in[1], stride, pad);
        }

        /**
         * Bilinear: {@code conv2d(dx, w) + conv2d(x, dw)}. A direction axis on dx folds into the batch; on dw
         * ({@code [k, O, C, kh, kw]}) the k filter banks are stacked into one of {@code k*O} filters, so the k
         * products are one convolution, and the {@code k*O} output channels are split back.
         */
        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var a = t[0] == null ? null : Trace.bind(this, t[0], x[1]);
            return sum(a, t[1] == null ? null : weightTangent(x[0], x[1], t[1], null));
        }

        /**
         * {@code conv2d(x, dw) + db} (db {@code [O]} per output channel, or null), the bias added in place by
         * {@link Conv2dBias}; with a direction axis on dw ({@code [k, O, C, kh, kw]}, db then {@code [k, O]}) the
         * k filter banks are stacked into one of {@code k*O} filters (and the k biases into one of {@code k*O}),
         * one convolution, whose {@code k*O} output channels are split back.
         */
        Var weightTangent(Var x, Var w, Var dw, Var db) {
            if (lead(dw, w) == 0) {
                return db == null ? Trace.bind(this, x, dw) : Trace.bind(new Conv2dBias(stride, pad), x, dw, db);
            }
            int k = directions(name(), dw, w);
            int[] ws = w.shape();
            Var stacked = dw.reshape(k * ws[0], ws[1], ws[2], ws[3]);
            Var r = db == null ? Trace.bind(this, x, stacked)
                    : Trace.bind(new Conv2dBias(stride, pad), x, stacked, db.reshape(k * ws[0]));
            return splitStackedChannels(r, k);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return vjp(g, x, y, new boolean[] {true, true});
        }

        /** Skips the transposed convolution when the input is a constant (the data of a first layer). */
        @Override
        public Var[] vjp(Var g, Var[] x, Var y, boolean[] needed) {
            Var w = x[1];
            return cts(needed[0] ? Trace.bind(new Conv2dInputGrad(x[0].dim(-2), x[0].dim(-1), stride, pad), g, w) : null,
                    needed[1] ? Trace.bind(new Conv2dWeightGrad(w.dim(2), w.dim(3), stride, pad), x[0], g) : null);
        }
    }

    /**
     * {@code y = conv2d(x, w) + b}, b one value per output channel ({@code [O]}): a convolution layer's output in
     * one buffer, the bias added in place into the fresh convolution output instead of into a second tensor of
     * the output's size (the largest activation of a CNN). Bilinear in (x, w) and affine in b: dy = the
     * {@link Conv2d} tangent + db (broadcast over the images and pixels); gx and gw as {@link Conv2d}, gb = g summed
     * over every axis but the channels.
     */
    record Conv2dBias(int stride, int pad) implements ConvPrimitives {
        public String name() {
            return "conv2d_bias";
        }

        public Tensor forward(Tensor... in) {
            return ImageOps.conv2d(in[0], in[1], in[2], stride, pad);
        }

        /**
         * {@code conv2d(dx, w) + (conv2d(x, dw) + db)}, the bias tangent added in place into the second
         * convolution ({@link Conv2d#weightTangent}) when dw has one (a first layer, whose dx is zero, then
         * allocates one tangent buffer instead of two).
         */
        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return tangent(x, t, y.shape());
        }

        /** The tangent of the output, of shape {@code out} (with the tangents' direction axes before it). */
        Var tangent(Var[] x, Var[] t, int[] out) {
            Conv2d conv = new Conv2d(stride, pad);
            Var a = t[0] == null ? null : Trace.bind(conv, t[0], x[1]);
            if (t[1] != null) {
                boolean fuse = t[2] != null && lead(t[2], x[2]) == lead(t[1], x[1]);
                Var b = conv.weightTangent(x[0], x[1], t[1], fuse ? t[2] : null);
                return fuse ? sum(a, b) : sum(a, addBias(b, t[2], x[2], out));
            }
            return addBias(a, t[2], x[2], out);
        }

        /** {@code c + db} broadcast over images and pixels ({@code c} may be null: db alone, expanded). */
        static Var addBias(Var c, Var db, Var b, int[] out) {
            if (db == null) {
                return c;
            }
            // db [lead..., O] as [lead..., 1 (per axis of the output before the channels), O, 1, 1]
            int lead = lead(db, b);
            int[] s = new int[lead + out.length];
            Arrays.fill(s, 1);
            System.arraycopy(db.shape(), 0, s, 0, lead);
            s[lead + out.length - 3] = b.dim(0);
            Var r = db.reshape(s);
            return c == null ? r.expand(Trace.concat(leadDims(db, lead), out)) : c.add(r);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return vjp(g, x, y, new boolean[] {true, true, true});
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y, boolean[] needed) {
            Var[] xw = new Conv2d(stride, pad).vjp(g, new Var[] {x[0], x[1]}, y, new boolean[] {needed[0], needed[1]});
            int o = x[2].dim(0);
            return cts(xw[0], xw[1], needed[2] ? g.sumTo(o, 1, 1).reshape(o) : null);
        }
    }

    /**
     * {@code y = conv2d_input_grad(g, w)}: the transpose of {@link Conv2d} in x, for inputs of spatial size
     * {@code h x width}, so that {@code <conv2d(x, w), g> = <x, y>}. Bilinear in (g, w). Its own transposes,
     * from {@code <y, c> = <g, conv2d(c, w)> = <w, conv2d_weight_grad(c, g)>}: gg = conv2d(c, w),
     * gw = conv2d_weight_grad(c, g).
     */
    record Conv2dInputGrad(int h, int width, int stride, int pad) implements ConvPrimitives, Primitive.Bilinear {
        public String name() {
            return "conv2d_input_grad";
        }

        public Tensor forward(Tensor... in) {
            return ImageOps.conv2dInputGrad(in[0], in[1], h, width, stride, pad);
        }

        /**
         * Bilinear. A direction axis on dg folds into the batch; on dw the k weights are stacked along the input
         * channels ({@code [O, k*C, kh, kw]}), one transposed convolution gives {@code k*C} channels, split back.
         */
        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var a = t[0] == null ? null : Trace.bind(this, t[0], x[1]);
            return sum(a, t[1] == null ? null : weightTangent(this, x[0], x[1], t[1]));
        }

        /**
         * {@code p(g, dw)} for an input gradient p of inputs {@code (g, w)}, bilinear: a direction axis on dw stacks
         * its k weights along the input channels ({@code [O, k*C, kh, kw]}), one call gives {@code k*C} channels,
         * split back.
         */
        static Var weightTangent(Primitive p, Var g, Var w, Var dw) {
            if (lead(dw, w) == 0) {
                return Trace.bind(p, g, dw);
            }
            int k = directions(p.name(), dw, w);
            int[] ws = w.shape();
            Var stacked = moveAxis(dw, 0, 1).reshape(ws[0], k * ws[1], ws[2], ws[3]);
            return splitStackedChannels(Trace.bind(p, g, stacked), k);
        }

        @Override
        public Var[] vjp(Var c, Var[] x, Var y) {
            Var g = x[0];
            Var w = x[1];
            return cts(Trace.bind(new Conv2d(stride, pad), c, w),
                    Trace.bind(new Conv2dWeightGrad(w.dim(2), w.dim(3), stride, pad), c, g));
        }
    }

    /**
     * {@code y = conv2d_weight_grad(x, g)}: the transpose of {@link Conv2d} in w for a {@code kh x kw} kernel,
     * so that {@code <conv2d(x, w), g> = <w, y>}; sums over every image. Bilinear in (x, g). Its own transposes,
     * from {@code <y, c> = <conv2d(x, c), g>}: gx = conv2d_input_grad(g, c), gg = conv2d(x, c).
     */
    record Conv2dWeightGrad(int kh, int kw, int stride, int pad) implements ConvPrimitives, Primitive.Bilinear {
        public String name() {
            return "conv2d_weight_grad";
        }

        public Tensor forward(Tensor... in) {
            return ImageOps.conv2dWeightGrad(in[0], in[1], kh, kw, stride, pad);
        }

        /**
         * Bilinear, but both inputs' batch axes are summed over, so a direction axis must not fold into the
         * batch: it is stacked into the channels instead (dx as {@code k*C} input channels, dg as {@code k*O}
         * output channels), and the result's channels are split back into {@code [k, O, C, kh, kw]}.
         */
        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var a = null;
            if (t[0] != null) {
                if (lead(t[0], x[0]) == 0) {
                    a = Trace.bind(this, t[0], x[1]);
                } else {
                    int k = directions(name(), t[0], x[0]);
                    int pre = x[0].rank() - 3;
                    int[] xs = x[0].shape();
                    int[] stackedShape = Arrays.copyOf(xs, xs.length);
                    stackedShape[pre] = k * xs[pre];
                    Var r = Trace.bind(this, moveAxis(t[0], 0, pre).reshape(stackedShape), x[1]); // [O, k*C, kh, kw]
                    a = moveAxis(r.reshape(r.dim(0), k, xs[pre], kh, kw), 1, 0);
                }
            }
            Var b = null;
            if (t[1] != null) {
                b = lead(t[1], x[1]) == 0 ? Trace.bind(this, x[0], t[1]) : perDirection(x[0], t[1]);
            }
            return sum(a, b);
        }

        /**
         * {@code [k, O, C, kh, kw]}: this weight gradient of x with each direction {@code dg[i]} of a batched
         * cotangent tangent {@code dg} ({@code [k, ..., O, H, W]}), one product per direction on a view of
         * {@code dg}, assembled by one {@link ViewPrimitives.EmbedMany}. Stacking the directions into the
         * channels instead ({@code [..., k*O, H, W]}, one product) would first copy all of dg, the largest
         * tangent of a convolutional HVP; per direction, x's columns (or Winograd transform) are made k times,
         * which costs less than that copy for these shapes (docs/PERFORMANCE.md).
         */
        private Var perDirection(Var x, Var dg) {
            return perDirection(this, x, dg, kh, kw);
        }

        /**
         * {@code [k, O, C, kh, kw]}: the weight gradient p (of inputs {@code (x, g)}) of x with each direction of dg
         * ({@code [k, ..., O, H', W']}, H' W' the cotangent's), one product per direction on a view of dg, assembled by
         * one {@link ViewPrimitives.EmbedMany}.
         */
        static Var perDirection(Primitive p, Var x, Var dg, int kh, int kw) {
            return Rules.perDirection(p.name(), dg, x.rank(), new int[] {dg.dim(-3), x.dim(-3), kh, kw},
                    d -> Trace.bind(p, x, d));
        }

        @Override
        public Var[] vjp(Var c, Var[] x, Var y) {
            Var xs = x[0];
            Var g = x[1];
            return cts(Trace.bind(new Conv2dInputGrad(xs.dim(-2), xs.dim(-1), stride, pad), g, c),
                    Trace.bind(new Conv2d(stride, pad), xs, c));
        }
    }
}
