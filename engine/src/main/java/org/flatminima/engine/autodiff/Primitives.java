package org.flatminima.engine.autodiff;

import java.util.Arrays;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.UnaryOp;

/**
 * The catalogue of primitives, one record each: parameters as record components, the forward computation,
 * and the rules that are not derived from a marker ({@link Primitive}). Notation in the comments: {@code x, a, b}
 * inputs, {@code y} output, {@code dx} a tangent, {@code g} the output cotangent.
 */
public final class Primitives {
    private Primitives() {
    }

    private static Var[] cts(Var... v) {
        return v;
    }

    /**
     * Leading direction axes of tangent {@code t} of primal {@code x} (0 for a single direction, 1 when a
     * batch of directions is pushed through at once).
     */
    private static int lead(Var t, Var x) {
        return t.rank() - x.rank();
    }

    private static int[] leadDims(Var t, int lead) {
        return Arrays.copyOf(t.shape(), lead);
    }

    /** Moves axis {@code from} of v to position {@code to}, keeping the order of the others. */
    private static Var moveAxis(Var v, int from, int to) {
        if (from == to) {
            return v;
        }
        int r = v.rank();
        int[] order = new int[r];
        java.util.List<Integer> rest = new java.util.ArrayList<>();
        for (int i = 0; i < r; i++) {
            if (i != from) {
                rest.add(i);
            }
        }
        rest.add(to, from);
        for (int i = 0; i < r; i++) {
            order[i] = rest.get(i);
        }
        return v.permute(order);
    }

    /** The number of directions of a tangent with one leading axis; more than one leading axis is refused. */
    private static int directions(String op, Var t, Var x) {
        int l = lead(t, x);
        if (l != 1) {
            throw new UnsupportedOperationException(op + ": tangents with " + l + " leading direction axes");
        }
        return t.dim(0);
    }

    /**
     * An image tensor {@code [pre..., k*c, h, w]} whose channels stack k directions (direction-major) as
     * {@code [k, pre..., c, h, w]}.
     */
    private static Var splitStackedChannels(Var r, int k) {
        int pre = r.rank() - 3;
        int[] split = Arrays.copyOf(r.shape(), r.rank() + 1);
        split[pre] = k;
        split[pre + 1] = r.dim(-3) / k;
        split[pre + 2] = r.dim(-2);
        split[pre + 3] = r.dim(-1);
        return moveAxis(r.reshape(split), pre, 0);
    }

    private static Var sum(Var a, Var b) {
        return a == null ? b : b == null ? a : a.add(b);
    }

    // ------------------------------------------------------------------ elementwise binary (broadcasting)

    /** {@code y = a + b}. dy = da + db; ga = g, gb = g. */
    public record Add() implements Primitive, Primitive.Broadcasting {
        public String name() {
            return "add";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.add(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0] == null ? t[1] : t[1] == null ? t[0] : t[0].add(t[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g, g);
        }
    }

    /** {@code y = a - b}. dy = da - db; ga = g, gb = -g. */
    public record Sub() implements Primitive, Primitive.Broadcasting {
        public String name() {
            return "sub";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.sub(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0] == null ? t[1].neg() : t[1] == null ? t[0] : t[0].sub(t[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g, g.neg());
        }
    }

    /** {@code y = a * b}. Bilinear: dy = da b + a db; ga = g b, gb = a g. */
    public record Mul() implements Primitive, Primitive.Bilinear, Primitive.Broadcasting {
        public String name() {
            return "mul";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.mul(in[0], in[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.mul(x[1]), x[0].mul(g));
        }
    }

    /** {@code y = a / b}. dy = (da - y db) / b; ga = g / b, gb = -g y / b. */
    public record Div() implements Primitive, Primitive.Broadcasting {
        public String name() {
            return "div";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.div(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var num = t[1] == null ? t[0] : t[0] == null ? y.mul(t[1]).neg() : t[0].sub(y.mul(t[1]));
            return num.div(x[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            Var ga = g.div(x[1]);
            return cts(ga, ga.mul(y).neg());
        }
    }

    // ------------------------------------------------------------------ elementwise unary

    /** {@code y = -x}. Linear; gx = -g. */
    public record Neg() implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "neg";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.NEG, in[0]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.neg());
        }
    }

    /** {@code y = c x} for a constant c. Linear; gx = c g. */
    public record Scale(double c) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "scale";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.scale(in[0], c);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.scale(c));
        }
    }

    /** {@code y = x^2}, f' = 2x. */
    public record Square() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "square";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SQUARE, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.scale(2);
        }
    }

    /** {@code y = sqrt x}, f' = 1 / (2y). */
    public record Sqrt() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "sqrt";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SQRT, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.pow(-1).scale(0.5);
        }
    }

    /** {@code y = e^x}, f' = y. */
    public record Exp() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "exp";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.EXP, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y;
        }
    }

    /** {@code y = ln x}, f' = 1/x. */
    public record Log() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "log";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.LOG, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.pow(-1);
        }
    }

    /** {@code y = x^p} for a constant p, f' = p x^(p-1). */
    public record Pow(double p) implements Primitive, Primitive.Elementwise {
        public String name() {
            return "pow";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.POW, in[0], p);
        }

        public Var derivative(Var x, Var y) {
            return x.pow(p - 1).scale(p);
        }
    }

    /** {@code y = max(x, 0)}, f' = [x > 0] (a constant: its own derivative is zero almost everywhere). */
    public record Relu() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "relu";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.RELU, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return Var.of(TensorOps.unary(UnaryOp.STEP, x.value()));
        }
    }

    /** {@code y = x > 0 ? x : s x}, f' = x > 0 ? 1 : s (a constant). */
    public record LeakyRelu(double slope) implements Primitive, Primitive.Elementwise {
        public String name() {
            return "leaky_relu";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.LEAKY_RELU, in[0], slope);
        }

        public Var derivative(Var x, Var y) {
            return Var.of(TensorOps.unary(UnaryOp.LEAKY_STEP, x.value(), slope));
        }
    }

    /** {@code y = tanh x}, f' = 1 - y^2. */
    public record Tanh() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "tanh";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.TANH, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.square().neg().add(1);
        }
    }

    /** {@code y = 1 / (1 + e^-x)}, f' = y (1 - y). */
    public record Sigmoid() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "sigmoid";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SIGMOID, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.mul(y.neg().add(1));
        }
    }

    /** {@code y = ln(1 + e^x)}, f' = sigmoid(x). */
    public record Softplus() implements Primitive, Primitive.Elementwise {
        public String name() {
            return "softplus";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SOFTPLUS, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.sigmoid();
        }
    }

    // ------------------------------------------------------------------ matrix product

    /**
     * {@code y = a @ b} (rank >= 2, batch axes broadcast). Bilinear: dy = da b + a db; ga = g b^T,
     * gb = a^T g (summed over batch axes that b lacks, centrally, or by one GEMM when b is a matrix).
     */
    public record MatMul() implements Primitive, Primitive.Bilinear, Primitive.Broadcasting {
        public String name() {
            return "matmul";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.matmul(in[0], in[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return vjp(g, x, y, new boolean[] {true, true});
        }

        /** Skips the matrix product of an input that is a constant (e.g. the data in {@code x @ W^T}). */
        @Override
        public Var[] vjp(Var g, Var[] x, Var y, boolean[] needed) {
            Var a = x[0];
            Var b = x[1];
            Var ga = needed[0] ? g.matmul(b.mT()) : null;
            Var gb = null;
            if (!needed[1]) {
                gb = null;
            } else if (b.rank() == 2 && a.rank() > 2) {
                // sum over the batch of a_i^T g_i = one GEMM on a folded batch
                gb = a.reshape(-1, a.dim(-1)).mT().matmul(g.reshape(-1, g.dim(-1)));
            } else {
                gb = a.mT().matmul(g);
            }
            return cts(ga, gb);
        }
    }

    // ------------------------------------------------------------------ shapes and views (all linear)

    /** {@code y = x.permute(perm)} (a view). Linear; gx = g permuted back. */
    public record Permute(int[] perm) implements Primitive, Primitive.LinearUnary {
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
    public record Reshape(int[] shape) implements Primitive, Primitive.LinearUnary {
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
    public record FlatView(int offset, int[] shape) implements Primitive, Primitive.LinearUnary {
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
    public record Embed(int offset, int length, int viewRank) implements Primitive, Primitive.LinearUnary {
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
            int l = Primitives.lead(t, x);
            return l == 0 ? Trace.bind(this, t) : Trace.bind(new Embed(offset, length, x.rank()), t);
        }

        public Tensor forward(Tensor... in) {
            Tensor x = in[0];
            int l = lead(x);
            int[] leadDims = Arrays.copyOf(x.shape(), l);
            int rows = Math.toIntExact(org.flatminima.kernels.Shapes.size(leadDims));
            Tensor flat = l == 0 ? TensorOps.embed(x, offset, length)
                    : TensorOps.embedRows(x.contiguous().reshape(rows, -1), offset, length);
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
    public record EmbedMany(int[] offsets, int[][] shapes, int length) implements Primitive {
        public String name() {
            return "embed_many";
        }

        public Tensor forward(Tensor... in) {
            int l = in[0].rank() - shapes[0].length;
            int[] leadDims = Arrays.copyOf(in[0].shape(), l);
            int rows = Math.toIntExact(org.flatminima.kernels.Shapes.size(leadDims));
            Tensor y = Tensor.zeros(in[0].dtype(), Trace.concat(leadDims, new int[] {length}));
            Tensor y2 = y.reshape(rows, length);
            for (int i = 0; i < in.length; i++) {
                if (in[i].rank() - shapes[i].length != l) {
                    throw new IllegalArgumentException("embed_many: input " + i + " has shape "
                            + Arrays.toString(in[i].shape()) + ", not " + Arrays.toString(leadDims) + " + "
                            + Arrays.toString(shapes[i]));
                }
                TensorOps.copyRowsInto(in[i].contiguous().reshape(rows, -1), y2, offsets[i]);
            }
            return y;
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
    public record Expand(int[] shape) implements Primitive, Primitive.LinearUnary {
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
    public record SumTo(int[] shape) implements Primitive, Primitive.LinearUnary {
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

    // ------------------------------------------------------------------ reductions

    private static Var keepAxis(Var g, int axis, boolean keepDim) {
        if (keepDim) {
            return g;
        }
        int[] s = g.shape();
        int[] k = new int[s.length + 1];
        for (int i = 0, j = 0; i < k.length; i++) {
            k[i] = i == axis ? 1 : s[j++];
        }
        return g.reshape(k);
    }

    /** {@code y = sum of x along axis}. Linear; gx = g broadcast along the axis. */
    public record Sum(int axis, boolean keepDim) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "sum";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.sum(in[0], axis, keepDim);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            int l = lead(t, x);
            return l == 0 ? Trace.bind(this, t) : t.sum(axis + l, keepDim);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(keepAxis(g, axis, keepDim).expand(x[0].shape()));
        }
    }

    /**
     * {@code y = max of x along axis}. With m the one-hot mask of the first maximum (a constant):
     * dy = sum(m dx, axis); gx = m g (broadcast along the axis).
     */
    public record Max(int axis, boolean keepDim) implements Primitive {
        public String name() {
            return "max";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.reduce(ReduceOp.MAX, in[0], axis, keepDim);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            int l = lead(t[0], x[0]);
            return t[0].mul(Var.of(TensorOps.argmaxMask(x[0].value(), axis))).sum(axis + l, keepDim);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            Var mask = Var.of(TensorOps.argmaxMask(x[0].value(), axis));
            return cts(keepAxis(g, axis, keepDim).mul(mask));
        }
    }

    /** {@code y[r] = x[r, labels[r]]} for x {@code [rows, cols]}. Linear; gx = scatter(g). */
    public record Gather(int[] labels) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "gather";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.gatherCols(in[0], labels);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            if (lead(t, x) == 0) {
                return Trace.bind(this, t);
            }
            Var onehot = Var.of(TensorOps.oneHot(labels, x.dim(1), x.dtype()));
            return t.mul(onehot).sum(-1, false);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.scatter(labels, x[0].dim(1)));
        }
    }

    /** {@code y = zeros(rows, cols); y[r, labels[r]] = x[r]}: the adjoint of {@link Gather}. Linear; gx = gather(g). */
    public record Scatter(int[] labels, int cols) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "scatter";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.scatterCols(in[0], labels, cols);
        }

        @Override
        public Var applyToTangent(Var t, Var x) {
            if (lead(t, x) == 0) {
                return Trace.bind(this, t);
            }
            Var onehot = Var.of(TensorOps.oneHot(labels, cols, x.dtype()));
            return t.reshape(Trace.concat(t.shape(), new int[] {1})).mul(onehot);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.gather(labels));
        }
    }

    // ------------------------------------------------------------------ softmax family (last axis)

    /** {@code y = softmax(x)}. dy = y (dx - sum(y dx)); gx = y (g - sum(g y)), sums over the last axis. */
    public record Softmax() implements Primitive {
        public String name() {
            return "softmax";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.softmax(in[0]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return y.mul(t[0].sub(y.mul(t[0]).sum(-1, true)));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(y.mul(g.sub(g.mul(y).sum(-1, true))));
        }
    }

    /** {@code y = log_softmax(x)}, p = e^y. dy = dx - sum(p dx); gx = g - p sum(g), sums over the last axis. */
    public record LogSoftmax() implements Primitive {
        public String name() {
            return "log_softmax";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.logSoftmax(in[0]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0].sub(y.exp().mul(t[0]).sum(-1, true));
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.sub(y.exp().mul(g.sum(-1, true))));
        }
    }

    /**
     * {@code y = (1/N) sum_r (logsumexp(z_r) - z_r[labels[r]])} for logits z {@code [N, C]} (rank-0 output).
     * With p = softmax(z) (differentiable) and e the one-hot labels (a constant): dy = sum((p - e) dz) / N;
     * gz = (p - e) g / N. The JVP of this VJP is therefore (diag(p) - p p^T) dz g / N, through softmax's JVP.
     */
    public record SoftmaxCrossEntropy(int[] labels) implements Primitive {
        public String name() {
            return "softmax_cross_entropy";
        }

        public Tensor forward(Tensor... in) {
            Tensor loss = TensorOps.softmaxCrossEntropy(in[0], labels)[0];
            return TensorOps.scale(TensorOps.sumAll(loss), 1.0 / labels.length);
        }

        private Var residual(Var z) {
            Var e = Var.of(TensorOps.oneHot(labels, z.dim(1), z.dtype()));
            return z.softmax().sub(e);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            int l = lead(t[0], x[0]);
            Var prod = residual(x[0]).mul(t[0]);
            Var total = l == 0 ? prod.sum() : prod.reshape(Trace.concat(leadDims(t[0], l), new int[] {-1})).sum(-1, false);
            return total.scale(1.0 / labels.length);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(residual(x[0]).mul(g.scale(1.0 / labels.length)));
        }
    }

    // ------------------------------------------------------------------ convolution (NCHW, square stride/padding)

    /**
     * {@code y = conv2d(x, w)}: {@code y[b, o, oy, ox] = sum_{c,i,j} w[o, c, i, j] x[b, c, oy*s - p + i,
     * ox*s - p + j]} (cross-correlation, zero padding p, stride s), x {@code [..., C, H, W]}, w
     * {@code [O, C, kh, kw]}. Bilinear: dy = conv2d(dx, w) + conv2d(x, dw). The two transposes are primitives
     * of their own, so the VJP is differentiable: gx = {@link Conv2dInputGrad}(g, w) (a transposed
     * convolution, col2im of w^T g), gw = {@link Conv2dWeightGrad}(x, g) (the correlation of g with x).
     */
    public record Conv2d(int stride, int pad) implements Primitive, Primitive.Bilinear {
        public String name() {
            return "conv2d";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.conv2d(in[0], in[1], stride, pad);
        }

        /**
         * Bilinear: {@code conv2d(dx, w) + conv2d(x, dw)}. A direction axis on dx folds into the batch; on dw
         * ({@code [k, O, C, kh, kw]}) the k filter banks are stacked into one of {@code k*O} filters, so the k
         * products are one convolution, and the {@code k*O} output channels are split back.
         */
        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var a = t[0] == null ? null : Trace.bind(this, t[0], x[1]);
            Var b = null;
            if (t[1] != null) {
                if (lead(t[1], x[1]) == 0) {
                    b = Trace.bind(this, x[0], t[1]);
                } else {
                    int k = directions(name(), t[1], x[1]);
                    int[] ws = x[1].shape();
                    Var r = Trace.bind(this, x[0], t[1].reshape(k * ws[0], ws[1], ws[2], ws[3]));
                    b = splitStackedChannels(r, k);
                }
            }
            return sum(a, b);
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
     * {@code y = conv2d_input_grad(g, w)}: the transpose of {@link Conv2d} in x, for inputs of spatial size
     * {@code h x width}, so that {@code <conv2d(x, w), g> = <x, y>}. Bilinear in (g, w). Its own transposes,
     * from {@code <y, c> = <g, conv2d(c, w)> = <w, conv2d_weight_grad(c, g)>}: gg = conv2d(c, w),
     * gw = conv2d_weight_grad(c, g).
     */
    public record Conv2dInputGrad(int h, int width, int stride, int pad) implements Primitive, Primitive.Bilinear {
        public String name() {
            return "conv2d_input_grad";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.conv2dInputGrad(in[0], in[1], h, width, stride, pad);
        }

        /**
         * Bilinear. A direction axis on dg folds into the batch; on dw the k weights are stacked along the input
         * channels ({@code [O, k*C, kh, kw]}), one transposed convolution gives {@code k*C} channels, split back.
         */
        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var a = t[0] == null ? null : Trace.bind(this, t[0], x[1]);
            Var b = null;
            if (t[1] != null) {
                if (lead(t[1], x[1]) == 0) {
                    b = Trace.bind(this, x[0], t[1]);
                } else {
                    int k = directions(name(), t[1], x[1]);
                    int[] ws = x[1].shape();
                    Var stacked = moveAxis(t[1], 0, 1).reshape(ws[0], k * ws[1], ws[2], ws[3]);
                    b = splitStackedChannels(Trace.bind(this, x[0], stacked), k);
                }
            }
            return sum(a, b);
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
    public record Conv2dWeightGrad(int kh, int kw, int stride, int pad) implements Primitive, Primitive.Bilinear {
        public String name() {
            return "conv2d_weight_grad";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.conv2dWeightGrad(in[0], in[1], kh, kw, stride, pad);
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
                if (lead(t[1], x[1]) == 0) {
                    b = Trace.bind(this, x[0], t[1]);
                } else {
                    int k = directions(name(), t[1], x[1]);
                    int pre = x[1].rank() - 3;
                    int[] gs = x[1].shape();
                    int[] stackedShape = Arrays.copyOf(gs, gs.length);
                    stackedShape[pre] = k * gs[pre];
                    Var r = Trace.bind(this, x[0], moveAxis(t[1], 0, pre).reshape(stackedShape)); // [k*O, C, kh, kw]
                    b = r.reshape(k, gs[pre], r.dim(1), kh, kw);
                }
            }
            return sum(a, b);
        }

        @Override
        public Var[] vjp(Var c, Var[] x, Var y) {
            Var xs = x[0];
            Var g = x[1];
            return cts(Trace.bind(new Conv2dInputGrad(xs.dim(-2), xs.dim(-1), stride, pad), g, c),
                    Trace.bind(new Conv2d(stride, pad), xs, c));
        }
    }

    // ------------------------------------------------------------------ pooling (square windows)

    /**
     * {@code y = max_pool2d(x)} over {@code k x k} windows (stride, -infinity padding) of x {@code [..., C, H, W]}.
     * With the routing r (the first argmax of each window, as PyTorch, computed from the value of x and held
     * constant: it is piecewise constant in x), y = gather_r(x), so max pooling is linear in x for a fixed
     * routing: dy = {@link MaxPool2dGather}_r(dx), gx = {@link MaxPool2dScatter}_r(g); those two are each
     * other's transposes, so the rules are differentiable to any order.
     */
    public record MaxPool2d(int k, int stride, int pad) implements Primitive {
        public String name() {
            return "max_pool2d";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.maxPool2d(in[0], k, stride, pad);
        }

        private TensorOps.PoolRouting routing(Var x) {
            return TensorOps.maxPool2dRouting(x.value(), k, stride, pad);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return Trace.bind(new MaxPool2dGather(routing(x[0])), t[0]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new MaxPool2dScatter(routing(x[0])), g));
        }
    }

    /** {@code y[p, o] = x[p, argmax_r[p, o]]} per plane p, for a constant routing r. Linear; gx = scatter_r(g). */
    public record MaxPool2dGather(TensorOps.PoolRouting routing) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "max_pool2d_gather";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.maxPool2dGather(in[0], routing);
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
    public record MaxPool2dScatter(TensorOps.PoolRouting routing) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "max_pool2d_scatter";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.maxPool2dScatter(in[0], routing);
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
    public record AvgPool2d(int k, int stride, int pad) implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "avg_pool2d";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.avgPool2d(in[0], k, stride, pad);
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
    public record AvgPool2dBackward(int h, int width, int k, int stride, int pad)
            implements Primitive, Primitive.LinearUnary {
        public String name() {
            return "avg_pool2d_backward";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.avgPool2dBackward(in[0], h, width, k, stride, pad);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new AvgPool2d(k, stride, pad), g));
        }
    }
}
