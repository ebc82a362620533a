package org.flatminima.engine.autodiff;

import static org.flatminima.engine.autodiff.Rules.*;

import java.util.Arrays;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.ImageOps;
import org.flatminima.engine.PoolOps;
import org.flatminima.engine.PoolAfterConv;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.Shapes;

/**
 * Pooling over square windows of images {@code [..., C, H, W]}: max pooling with its routing gather/scatter
 * pair, and average pooling with its transpose.
 *
 * <p>A record declared in this file that implements this interface is a registered primitive: the
 * interface is sealed without a {@code permits} clause, so Java permits exactly the records of this file, and
 * {@link Primitive} permits the files. Notation in the comments: {@code x, a, b} inputs, {@code y} output,
 * {@code dx} a tangent, {@code g} the output cotangent.
 */
public sealed interface PoolingPrimitives extends Primitive {
    // ------------------------------------------------------------------ pooling (square windows)

    /**
     * {@code y = max_pool2d(x)} over {@code k x k} windows (stride, -infinity padding) of x {@code [..., C, H, W]}.
     * With the routing r (the first argmax of each window, as PyTorch, held constant: it is piecewise constant
     * in x), y = gather_r(x), so max pooling is linear in x for a fixed routing: dy = {@link MaxPool2dGather}_r(dx),
     * gx = {@link MaxPool2dScatter}_r(g); those two are each other's transposes, so the rules are differentiable
     * to any order. The routing is a residual: the pooling kernel computes it along with y, once per forward.
     */
    record MaxPool2d(int k, int stride, int pad)
            implements PoolingPrimitives, Primitive.WithResiduals<PoolOps.PoolRouting> {
        public String name() {
            return "max_pool2d";
        }

        /** A forward that nothing differentiates: the values alone, without the routing. */
        public Tensor forward(Tensor... in) {
            return PoolOps.maxPool2d(in[0], k, stride, pad);
        }

        public Forward<PoolOps.PoolRouting> forwardWithResiduals(Tensor... in) {
            PoolOps.MaxPooled p = PoolOps.maxPool2dRouted(in[0], k, stride, pad);
            return new Forward<>(p.y(), p.routing());
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return Trace.bind(new MaxPool2dGather(residuals(y)), t[0]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new MaxPool2dScatter(residuals(y)), g));
        }
    }

    /**
     * {@code y = max_pool2d(conv2d(x, w) + b)}, inputs {@code (x, w)} or {@code (x, w, b)} ({@code bias}), and its
     * ReLU when {@code pool.relu()}: a convolution layer and the max pooling after it ({@code Sequential} binds it
     * for a {@code Conv2d} followed by a {@code MaxPool2d}, with a ReLU between them moved after the pooling and
     * taken in), each chunk of images pooled while the convolution's output for it is in cache
     * ({@link ImageOps#conv2dMaxPool}), so that output, a CNN's largest activation, is never stored nor read back.
     * The bits of {@link ConvPrimitives.Conv2dBias} (or {@link ConvPrimitives.Conv2d}) then {@link MaxPool2d}
     * (then the ReLU), and their rules: with the routing r a residual, dy = gather_r(dz) for dz the convolution's
     * tangent; the convolution's cotangent is scatter_r(g), then the convolution's VJP
     * ({@link #vjp(Var, Var[], Var, boolean[])}: for a first layer without the scatter). With the ReLU, r routes
     * nowhere where y is 0, so gather_r and scatter_r apply the ReLU's gate: relu(gather_r(z)) = gather_r'(z).
     */
    record Conv2dMaxPool(int stride, int pad, boolean bias, PoolAfterConv pool)
            implements PoolingPrimitives, Primitive.WithResiduals<PoolOps.PoolRouting> {
        public String name() {
            return "conv2d_max_pool";
        }

        /** A forward that nothing differentiates: the values alone, without the routing. */
        public Tensor forward(Tensor... in) {
            return ImageOps.conv2dMaxPoolValues(in[0], in[1], bias ? in[2] : null, stride, pad, pool);
        }

        public Forward<PoolOps.PoolRouting> forwardWithResiduals(Tensor... in) {
            PoolOps.MaxPooled p = ImageOps.conv2dMaxPool(in[0], in[1], bias ? in[2] : null, stride, pad, pool);
            return new Forward<>(p.y(), p.routing());
        }

        /**
         * The convolution's tangent gathered by the routing, each product gathered in cache ({@link Conv2dGather});
         * with the ReLU, a bias tangent alone gated by y.
         */
        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return Conv2dGather.tangent(stride, pad, residuals(y), x, t, y.shape(), pool.relu() ? y : null);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return vjp(g, x, y, bias ? new boolean[] {true, true, true} : new boolean[] {true, true});
        }

        /**
         * The input's cotangent {@link Conv2dInputGradRouted} of g and the weight's {@link Conv2dWeightGradRouted} of
         * g, each scattering g chunk by chunk in cache, so the convolution's cotangent is never made (but where the
         * bias's cotangent is the written order's sum of it, below: then the convolution's VJP of scatter_r(g)).
         * The bias's cotangent: with the ReLU, the pooled g summed where y is positive ({@link GatedChannelSum}: no
         * gated g as a pass of its own); without it, for a first layer (whose input needs no cotangent) the pooled g
         * summed, else the written order's sum of scatter_r(g). Only the written order's sum has its bits: the others
         * add the same terms (and zeros) in another order, equal to rounding.
         */
        @Override
        public Var[] vjp(Var g, Var[] x, Var y, boolean[] needed) {
            PoolOps.PoolRouting r = residuals(y);
            Var gb = bias && needed[2] && pool.relu() ? Trace.bind(new GatedChannelSum(), g, y) : null;
            if (needed[0] && bias && needed[2] && gb == null) {
                Primitive conv = new ConvPrimitives.Conv2dBias(stride, pad);
                return conv.vjp(Trace.bind(new MaxPool2dScatter(r), g), x, y, needed);
            }
            Var xs = x[0];
            Var w = x[1];
            Var gx = needed[0] ? Trace.bind(new Conv2dInputGradRouted(xs.dim(-2), xs.dim(-1), stride, pad, r), g, w)
                    : null;
            Var gw = needed[1] ? Trace.bind(new Conv2dWeightGradRouted(w.dim(2), w.dim(3), stride, pad, r), xs, g)
                    : null;
            if (needed[0]) {
                return bias ? cts(gx, gw, gb) : cts(gx, gw);
            }
            if (!bias) {
                return cts(null, gw);
            }
            int o = w.dim(0);
            return cts(null, gw, gb != null ? gb : needed[2] ? g.sumTo(o, 1, 1).reshape(o) : null);
        }
    }

    /**
     * {@code y[..., c] = sum (gate > 0 ? a : 0)} over the images, rows and columns of gate {@code [n, C, H, W]}, inputs
     * {@code (a, gate)}, a of gate's shape with leading (direction) axes, y {@code [lead..., C]}: the bias cotangent of
     * a convolution whose pooled output a ReLU gated ({@link Conv2dMaxPool} with the ReLU, gate its output), without
     * the gated cotangent as a pass of its own ({@link TensorOps#gatedChannelSum}). Linear in a and piecewise constant
     * in the gate (as {@link ElementwisePrimitives.ReluGate}): dy = this(da, gate); ga = relu_gate(g spread over the
     * images, rows and columns, gate), no cotangent for the gate.
     */
    record GatedChannelSum() implements PoolingPrimitives {
        public String name() {
            return "gated_channel_sum";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.gatedChannelSum(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0] == null ? null : Trace.bind(this, t[0], x[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            int lead = g.rank() - 1;
            int[] s = Arrays.copyOf(g.shape(), lead + 4);
            s[lead] = 1;
            s[lead + 1] = g.dim(-1);
            s[lead + 2] = 1;
            s[lead + 3] = 1;
            return cts(Trace.bind(new ElementwisePrimitives.ReluGate(), g.reshape(s), x[1]), null);
        }
    }

    /**
     * {@code y = conv2d_weight_grad(x, scatter_r(gp))}, inputs {@code (x, gp)}: the weight gradient of a convolution
     * whose output a max pooling with the constant routing r pooled, for the pooled cotangent gp; each chunk of
     * images scattered into a buffer in cache right before the weight gradient reads it
     * ({@link ImageOps#conv2dWeightGradRouted}). Bilinear: dy = this(x, dgp) (one product per direction of a
     * batched dgp) + conv2d_weight_grad(dx, scatter_r(gp)); with {@code <y, c> = <conv2d(x, c), scatter_r(gp)>}:
     * gx = conv2d_input_grad(scatter_r(gp), c), ggp = gather_r(conv2d(x, c)) ({@link Conv2dGather}).
     */
    record Conv2dWeightGradRouted(int kh, int kw, int stride, int pad, PoolOps.PoolRouting routing)
            implements PoolingPrimitives {
        public String name() {
            return "conv2d_weight_grad_routed";
        }

        public Tensor forward(Tensor... in) {
            return ImageOps.conv2dWeightGradRouted(in[0], in[1], kh, kw, stride, pad, routing);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var a = null;
            if (t[0] != null) {
                Var gz = Trace.bind(new MaxPool2dScatter(routing), x[1]);
                a = new ConvPrimitives.Conv2dWeightGrad(kh, kw, stride, pad).jvp(new Var[] {x[0], gz},
                        new Var[] {t[0], null}, y);
            }
            Var b = null;
            if (t[1] != null) {
                b = lead(t[1], x[1]) == 0 ? Trace.bind(this, x[0], t[1])
                        : ConvPrimitives.Conv2dWeightGrad.perDirection(this, x[0], t[1], kh, kw);
            }
            return sum(a, b);
        }

        @Override
        public Var[] vjp(Var c, Var[] x, Var y) {
            Var xs = x[0];
            Var gz = Trace.bind(new MaxPool2dScatter(routing), x[1]);
            return cts(Trace.bind(new ConvPrimitives.Conv2dInputGrad(xs.dim(-2), xs.dim(-1), stride, pad), gz, c),
                    Trace.bind(new Conv2dGather(stride, pad, false, routing), xs, c));
        }
    }

    /**
     * {@code y = conv2d_input_grad(scatter_r(gp), w)}, inputs {@code (gp, w)}, for a constant routing r: the input's
     * cotangent of a {@link Conv2dMaxPool} whose input needs one, where the input gradient is a Winograd convolution
     * each chunk of images scattered into a buffer in cache right before its input transform reads it
     * ({@link ImageOps#conv2dInputGradRouted}), so the convolution's cotangent is never made whole. The bits of the
     * scatter then {@link ConvPrimitives.Conv2dInputGrad}. Bilinear in (gp, w): its tangents are itself (one call per
     * direction of a batched dgp, whose shape the routing fixes; a batched dw's k weights stacked along the input
     * channels, as {@link ConvPrimitives.Conv2dInputGrad}'s); its transposes, from
     * {@code <y, c> = <scatter_r(gp), conv2d(c, w)>}, are {@code gather_r(conv2d(c, w))} ({@link Conv2dGather}) and
     * {@code conv2d_weight_grad(c, scatter_r(gp))} ({@link Conv2dWeightGradRouted}).
     */
    record Conv2dInputGradRouted(int h, int width, int stride, int pad, PoolOps.PoolRouting routing)
            implements PoolingPrimitives {
        public String name() {
            return "conv2d_input_grad_routed";
        }

        public Tensor forward(Tensor... in) {
            return ImageOps.conv2dInputGradRouted(in[0], in[1], h, width, stride, pad, routing);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var a = null;
            if (t[0] != null) {
                a = lead(t[0], x[0]) == 0 ? Trace.bind(this, t[0], x[1])
                        : Rules.perDirection(name(), t[0], x[0].rank(), y.shape(), d -> Trace.bind(this, d, x[1]));
            }
            return sum(a, t[1] == null ? null
                    : ConvPrimitives.Conv2dInputGrad.weightTangent(this, x[0], x[1], t[1]));
        }

        @Override
        public Var[] vjp(Var c, Var[] x, Var y) {
            Var w = x[1];
            return cts(Trace.bind(new Conv2dGather(stride, pad, false, routing), c, w),
                    Trace.bind(new Conv2dWeightGradRouted(w.dim(2), w.dim(3), stride, pad, routing), c, x[0]));
        }
    }

    /**
     * {@code y = gather_r(conv2d(x, w) + b)}, inputs {@code (x, w)} or {@code (x, w, b)} ({@code bias}), for a constant
     * routing r whose images and channels the convolution's may repeat (image i and channel c routed as image
     * {@code i mod n} and channel {@code c mod C} of r): {@link Conv2dMaxPool}'s tangents, each chunk of the
     * convolution's output gathered in cache ({@link ImageOps#conv2dGather}), so the tangent of a convolution's
     * output is never stored whole either. Bilinear in (x, w), affine in b: dy = gather_r(conv2d(dx, w)) +
     * gather_r(conv2d(x, dw) + db) ({@link #tangent}); the cotangent of the convolution's output is scatter_r(g), then
     * the convolution's VJP.
     */
    record Conv2dGather(int stride, int pad, boolean bias, PoolOps.PoolRouting routing) implements PoolingPrimitives {
        public String name() {
            return "conv2d_gather";
        }

        public Tensor forward(Tensor... in) {
            return ImageOps.conv2dGather(in[0], in[1], bias ? in[2] : null, stride, pad, routing);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return tangent(stride, pad, routing, x, t, y.shape(), null);
        }

        /**
         * gather_r of the tangent of {@code conv2d(x[0], x[1]) (+ x[2])} for tangents t, the output of shape {@code out}
         * (without the tangents' direction axes): {@code gather_r(conv2d(dx, w)) + gather_r(conv2d(x, dw) + db)}, each
         * a {@link Conv2dGather}; a direction axis on dx folds into the images, on dw the k filter banks are stacked
         * into one of {@code k*O} filters, split back after the gather (as {@link ConvPrimitives.Conv2d}'s tangent).
         * The bits of gathering {@link ConvPrimitives.Conv2dBias}'s (or {@link ConvPrimitives.Conv2d}'s) tangent.
         * A bias tangent not added inside a gather ({@link #gatheredBias}) is gated by {@code live} (the pooling's
         * output where r carries its ReLU; else null).
         */
        static Var tangent(int stride, int pad, PoolOps.PoolRouting r, Var[] x, Var[] t, int[] out, Var live) {
            Var db = x.length == 3 ? t[2] : null;
            Var a = t[0] == null ? null : Trace.bind(new Conv2dGather(stride, pad, false, r), t[0], x[1]);
            if (t[1] == null) {
                return sum(a, gatheredBias(stride, pad, r, x, db, out, live));
            }
            boolean fuse = db != null && lead(db, x[2]) == lead(t[1], x[1]);
            Var b = filterTangent(stride, pad, r, x[0], x[1], t[1], fuse ? db : null);
            return fuse ? sum(a, b) : sum(a, sum(b, gatheredBias(stride, pad, r, x, db, out, live)));
        }

        /** {@code gather_r(conv2d(x, dw) (+ db))} for the weight w, db null or with dw's direction axes. */
        private static Var filterTangent(int stride, int pad, PoolOps.PoolRouting r, Var x, Var w, Var dw, Var db) {
            if (lead(dw, w) == 0) {
                return db != null ? Trace.bind(new Conv2dGather(stride, pad, true, r), x, dw, db)
                        : Trace.bind(new Conv2dGather(stride, pad, false, r), x, dw);
            }
            int k = directions("conv2d_gather", dw, w);
            int[] ws = w.shape();
            Var stacked = dw.reshape(k * ws[0], ws[1], ws[2], ws[3]);
            return splitStackedChannels(db != null
                    ? Trace.bind(new Conv2dGather(stride, pad, true, r), x, stacked, db.reshape(k * ws[0]))
                    : Trace.bind(new Conv2dGather(stride, pad, false, r), x, stacked), k);
        }

        /**
         * gather_r of the bias tangent db ({@code [lead..., O]}) over the convolution's output: db spread over the
         * pooled output {@code out} where every window routes somewhere, gated by {@code live} where r carries a
         * ReLU (live the pooling's output: positive exactly where r routes), else through the gather itself: a
         * convolution with zero filters and the bias db (a rare path: a bias's tangent alone, under a routing that
         * shuts windows, with no output to gate by).
         */
        private static Var gatheredBias(int stride, int pad, PoolOps.PoolRouting r, Var[] x, Var db, int[] out,
                Var live) {
            if (db == null) {
                return null;
            }
            if (r.routesEverywhere() || live != null) {
                Var spread = ConvPrimitives.Conv2dBias.addBias(null, db, x[2], out);
                return r.routesEverywhere() ? spread : Trace.bind(new ElementwisePrimitives.ReluGate(), spread, live);
            }
            int lead = lead(db, x[2]);
            int[] zs = Trace.concat(Arrays.copyOf(db.shape(), lead), x[1].shape());
            return filterTangent(stride, pad, r, x[0], x[1], Var.of(Tensor.zeros(x[1].value().dtype(), zs)), db);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return vjp(g, x, y, bias ? new boolean[] {true, true, true} : new boolean[] {true, true});
        }

        /**
         * The convolution's VJP of scatter_r(g): g's stacked channels split off ({@code [k, pre..., C, ph, pw]}), its
         * images as copies of r's, scattered, and joined back.
         */
        @Override
        public Var[] vjp(Var g, Var[] x, Var y, boolean[] needed) {
            int k = g.dim(-3) / routing.window().c();
            Var split = k == 1 ? g : splitStackedChannels(g, k);
            int[] out = routing.outShape();
            int[] in = routing.inShape();
            long copies = Shapes.size(split.shape()) / Shapes.size(out);
            Var s = Trace.bind(new MaxPool2dScatter(routing), split.reshape(Trace.concat(new int[] {(int) copies}, out)));
            int[] full = split.shape().clone();
            full[full.length - 2] = in[in.length - 2];
            full[full.length - 1] = in[in.length - 1];
            s = s.reshape(full);
            int[] joined = g.shape().clone();
            joined[joined.length - 2] = full[full.length - 2];
            joined[joined.length - 1] = full[full.length - 1];
            Var gz = k == 1 ? s : moveAxis(s, 0, s.rank() - 4).reshape(joined);
            Primitive inner = bias ? new ConvPrimitives.Conv2dBias(stride, pad)
                    : new ConvPrimitives.Conv2d(stride, pad);
            return inner.vjp(gz, x, null, needed);
        }
    }

    /** {@code y[p, o] = x[p, argmax_r[p, o]]} per plane p, for a constant routing r. Linear; gx = scatter_r(g). */
    record MaxPool2dGather(PoolOps.PoolRouting routing) implements PoolingPrimitives, Primitive.LinearUnary {
        public String name() {
            return "max_pool2d_gather";
        }

        public Tensor forward(Tensor... in) {
            return PoolOps.maxPool2dGather(in[0], routing);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new MaxPool2dScatter(routing), g));
        }
    }

    /**
     * {@code y = 0; y[p, argmax_r[p, o]] += x[p, o]}: the transpose of {@link MaxPool2dGather} (the backend's
     * max-pool backward). Linear; gx = gather_r(g).
     */
    record MaxPool2dScatter(PoolOps.PoolRouting routing) implements PoolingPrimitives, Primitive.LinearUnary {
        public String name() {
            return "max_pool2d_scatter";
        }

        public Tensor forward(Tensor... in) {
            return PoolOps.maxPool2dScatter(in[0], routing);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new MaxPool2dGather(routing), g));
        }
    }

    /**
     * {@code y = avg_pool2d(x)}: the mean over {@code k x k} windows (stride, zero padding counted in the divisor
     * {@code k*k}) of x {@code [..., C, H, W]}. Linear; gx = {@link AvgPool2dBackward}(g).
     */
    record AvgPool2d(int k, int stride, int pad) implements PoolingPrimitives, Primitive.LinearUnary {
        public String name() {
            return "avg_pool2d";
        }

        public Tensor forward(Tensor... in) {
            return PoolOps.avgPool2d(in[0], k, stride, pad);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new AvgPool2dBackward(x[0].dim(-2), x[0].dim(-1), k, stride, pad), g));
        }
    }

    /**
     * The transpose of {@link AvgPool2d} for inputs of spatial size {@code h x width}: each g spread evenly
     * ({@code / k*k}) over its window. Linear; its transpose is avg_pool2d.
     */
    record AvgPool2dBackward(int h, int width, int k, int stride, int pad)
            implements PoolingPrimitives, Primitive.LinearUnary {
        public String name() {
            return "avg_pool2d_backward";
        }

        public Tensor forward(Tensor... in) {
            return PoolOps.avgPool2dBackward(in[0], h, width, k, stride, pad);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new AvgPool2d(k, stride, pad), g));
        }
    }
}
