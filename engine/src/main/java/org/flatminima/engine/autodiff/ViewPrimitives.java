package org.flatminima.engine.autodiff;

import static org.flatminima.engine.autodiff.Rules.*;

import java.util.Arrays;
import org.flatminima.engine.IndexOps;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;

/**
 * The shape and view primitives, all linear: permute, reshape, the flat views of a parameter vector and their
 * adjoints (embed), broadcasting and its adjoint (expand, sum_to). A tangent with leading direction axes is
 * handled by {@code applyToTangent}, which applies the view over those axes.
 *
 * <p>A record declared in this file that implements this interface is a registered primitive: the
 * interface is sealed without a {@code permits} clause, so Java permits exactly the records of this file, and
 * {@link Primitive} permits the files. Notation in the comments: {@code x, a, b} inputs, {@code y} output,
 * {@code dx} a tangent, {@code g} the output cotangent.
 */
public sealed interface ViewPrimitives extends Primitive {
    // ------------------------------------------------------------------ shapes and views (all linear)

    /** {@code y = x.permute(perm)} (a view). Linear; gx = g permuted back. */
    record Permute(int[] perm) implements ViewPrimitives, Primitive.LinearUnary {
        public String name() {
            return "permute";
        }

        public Tensor forward(Tensor... in) {
            return in[0].permute(perm);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            if (l == 0) {
                return Trace.bind(this, t);
            }
            int[] p = new int[l + perm.length];
            for (int i = 0; i < l; i++) {
                p[i] = i;
            }
            for (int i = 0; i < perm.length; i++) {
                p[l + i] = perm[i] + l;
            }
            return t.permute(p);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            int[] inv = new int[perm.length];
            for (int i = 0; i < perm.length; i++) {
                inv[perm[i]] = i;
            }
            return cts(g.permute(inv));
        }
    }

    /** {@code y = x.reshape(shape)}. Linear; gx = g reshaped back. */
    record Reshape(int[] shape) implements ViewPrimitives, Primitive.LinearUnary {
        public String name() {
            return "reshape";
        }

        public Tensor forward(Tensor... in) {
            return in[0].reshape(shape);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            return l == 0 ? Trace.bind(this, t) : t.reshape(Trace.concat(leadDims(t, l), shape));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.reshape(x[0].shape()));
        }
    }

    /** {@code y = x[offset : offset + size(shape)]} of a rank-1 x, viewed in {@code shape}. Linear; gx = embed(g). */
    record FlatView(int offset, int[] shape) implements ViewPrimitives, Primitive.LinearUnary {
        public String name() {
            return "flat_view";
        }

        /** Acts on the last axis: leading axes (directions of a batched tangent) are kept. */
        public Tensor forward(Tensor... in) {
            Tensor x = in[0];
            if (x.rank() < 1) {
                throw new IllegalArgumentException("flat_view takes a vector, got a scalar");
            }
            int n = Math.toIntExact(org.flatminima.kernels.Shapes.size(shape));
            int[] lead = Arrays.copyOf(x.shape(), x.rank() - 1);
            return x.slice(-1, offset, offset + n).reshape(Trace.concat(lead, shape));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new Embed(offset, x[0].dim(-1), shape.length), g));
        }
    }

    /** {@code y = zeros(length); y[offset : offset + size(x)] = x.flatten()}: the adjoint of {@link FlatView}. */
    record Embed(int offset, int length, int viewRank) implements ViewPrimitives, Primitive.LinearUnary {
        /** Embeds the whole input (no leading axes). */
        public Embed(int offset, int length) {
            this(offset, length, -1);
        }

        public String name() {
            return "embed";
        }

        /** The trailing {@code viewRank} axes are embedded; leading axes (batched directions) are kept. */
        private int lead(Tensor x) {
            return viewRank < 0 ? 0 : x.rank() - viewRank;
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = Rules.lead(t, x);
            return l == 0 ? Trace.bind(this, t) : Trace.bind(new Embed(offset, length, x.rank()), t);
        }

        public Tensor forward(Tensor... in) {
            Tensor x = in[0];
            int l = lead(x);
            int[] leadDims = Arrays.copyOf(x.shape(), l);
            int rows = Math.toIntExact(org.flatminima.kernels.Shapes.size(leadDims));
            Tensor flat = l == 0 ? IndexOps.embed(x, offset, length)
                    : IndexOps.embedRows(x.contiguous().reshape(rows, -1), offset, length);
            return flat.reshape(Trace.concat(leadDims, new int[] {length}));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            int[] xs = x[0].shape();
            int l = viewRank < 0 ? 0 : xs.length - viewRank;
            return cts(g.view(offset, Arrays.copyOfRange(xs, l, xs.length)));
        }
    }

    /**
     * {@code y = zeros(length); y[offset_i : offset_i + size_i] = x_i.flatten()} for k inputs whose ranges are
     * disjoint: the cotangent of a flat parameter vector assembled once from the cotangents of its views, instead
     * of one length-P {@link Embed} and one length-P addition per view. Linear in every input; its transpose gives
     * input i the view {@code g[offset_i : ...]} in {@code shapes_i}. Inputs may carry the same leading axes
     * (directions of a batched tangent) in front of their view shapes ({@code viewRanks}), which the output keeps.
     */
    record EmbedMany(int[] offsets, int[][] shapes, int length) implements ViewPrimitives {
        public String name() {
            return "embed_many";
        }

        public Tensor forward(Tensor... in) {
            int l = in[0].rank() - shapes[0].length;
            int[] leadDims = Arrays.copyOf(in[0].shape(), l);
            int rows = Math.toIntExact(org.flatminima.kernels.Shapes.size(leadDims));
            for (int i = 0; i < in.length; i++) {
                if (in[i].rank() - shapes[i].length != l) {
                    throw new IllegalArgumentException("embed_many: input " + i + " has shape "
                            + Arrays.toString(in[i].shape()) + ", not " + Arrays.toString(leadDims) + " + "
                            + Arrays.toString(shapes[i]));
                }
            }
            return IndexOps.embedRowsMany(in, offsets, rows, length)
                    .reshape(Trace.concat(leadDims, new int[] {length}));
        }

        /** Linear: the same assembly of the non-zero tangents (a zero tangent's range stays zero). */
        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            int k = 0;
            for (Var v : t) {
                k += v == null ? 0 : 1;
            }
            int[] o = new int[k];
            int[][] sh = new int[k][];
            Var[] ts = new Var[k];
            for (int i = 0, j = 0; i < t.length; i++) {
                if (t[i] != null) {
                    o[j] = offsets[i];
                    sh[j] = shapes[i];
                    ts[j++] = t[i];
                }
            }
            return Trace.bind(new EmbedMany(o, sh, length), ts);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            Var[] r = new Var[offsets.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = g.view(offsets[i], shapes[i]);
            }
            return r;
        }

        /** True when the ranges {@code [offset_i, offset_i + size(shape_i))} are disjoint and inside the vector. */
        static boolean disjoint(int[] offsets, int[][] shapes, int length) {
            Integer[] order = new Integer[offsets.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Integer.compare(offsets[a], offsets[b]));
            long end = 0;
            for (int i : order) {
                if (offsets[i] < end) {
                    return false;
                }
                end = offsets[i] + org.flatminima.kernels.Shapes.size(shapes[i]);
            }
            return end <= length;
        }
    }

    /** {@code y = x} broadcast to {@code shape} (a view). Linear; gx = sumTo(g, shape of x). */
    record Expand(int[] shape) implements ViewPrimitives, Primitive.LinearUnary {
        public String name() {
            return "expand";
        }

        public Tensor forward(Tensor... in) {
            return in[0].expand(shape);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            if (l == 0) {
                return Trace.bind(this, t);
            }
            int[] xs = x.shape();
            int[] lifted = new int[l + shape.length];
            Arrays.fill(lifted, 1);
            System.arraycopy(t.shape(), 0, lifted, 0, l);
            System.arraycopy(xs, 0, lifted, lifted.length - xs.length, xs.length);
            return t.reshape(lifted).expand(Trace.concat(leadDims(t, l), shape));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.sumTo(x[0].shape()));
        }
    }

    /** {@code y = x} summed down to {@code shape} (the adjoint of broadcasting). Linear; gx = expand(g). */
    record SumTo(int[] shape) implements ViewPrimitives, Primitive.LinearUnary {
        public String name() {
            return "sum_to";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.sumTo(in[0], shape);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            if (l == 0) {
                return Trace.bind(this, t);
            }
            Var r = t;
            for (int i = 0; i < x.rank() - shape.length; i++) {
                r = r.sum(l, false); // the data axes that broadcasting added
            }
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == 1 && r.dim(l + i) != 1) {
                    r = r.sum(l + i, true);
                }
            }
            return r;
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.expand(x[0].shape()));
        }
    }
}
