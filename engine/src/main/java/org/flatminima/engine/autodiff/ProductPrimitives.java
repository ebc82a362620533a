package org.flatminima.engine.autodiff;

import static org.flatminima.engine.autodiff.Rules.*;

import java.util.Arrays;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.ImageOps;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.UnaryOp;

/**
 * The bilinear products: the matrix product and the 2-D convolution (NCHW, square stride and padding)
 * with its two transposes, each a primitive of its own so that every VJP stays differentiable.
 *
 * <p>A record declared in this file that implements this interface is a registered primitive: the
 * interface is sealed without a {@code permits} clause, so Java permits exactly the records of this file, and
 * {@link Primitive} permits the files. Notation in the comments: {@code x, a, b} inputs, {@code y} output,
 * {@code dx} a tangent, {@code g} the output cotangent.
 */
public sealed interface ProductPrimitives extends Primitive {
    // ------------------------------------------------------------------ matrix product

    /**
     * {@code y = a @ b} (rank >= 2, batch axes broadcast). Bilinear: dy = da b + a db, both products in one
     * buffer ({@link MatMulAdd} of two products); ga = g b^T, gb = a^T g (summed over batch axes that b lacks,
     * centrally, or by one GEMM when b is a matrix).
     */
    record MatMul() implements ProductPrimitives, Primitive.Bilinear, Primitive.Broadcasting,
            Primitive.CotangentInPlace, Primitive.TangentWithValue {
        public String name() {
            return "matmul";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.matmul(in[0], in[1]);
        }

        /**
         * {@code a @ b} and {@code a @ db} in one GEMM ({@link TensorOps#matmulWithTangent}) where a is a constant
         * matrix and b a matrix with few columns: a weight gradient {@code x^T g} with the tangents of g.
         */
        @Override
        public Tensor[] forwardWithTangent(Tensor[] x, Tensor[] t, int[] batch) {
            return t[0] != null || t[1] == null ? null : TensorOps.matmulWithTangent(x[0], x[1], null, t[1], null);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return MatMulAdd.tangent(x, t, 1, null);
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
            } else if (b.rank() == 2) {
                // a batch of a folds into the rows of one GEMM (the sum over the batch of a_i^T g_i)
                Var a2 = a.rank() > 2 ? a.reshape(-1, a.dim(-1)) : a;
                Var g2 = g.rank() > 2 ? g.reshape(-1, g.dim(-1)) : g;
                gb = transposedCotangent(b.value()) ? g2.mT().matmul(a2).mT() : a2.mT().matmul(g2);
            } else {
                gb = a.mT().matmul(g);
            }
            return cts(ga, gb);
        }

        /**
         * b's cotangent written into {@code into} when b is a matrix: the product {@link #vjp} makes, {@code a^T g}
         * into a row-major {@code into}, or {@code g^T a} into the transpose of a transposed one (a weight's range
         * of the flat cotangent, seen through {@code W^T}). Not a's, nor b's with a batch, nor a layout the rule's
         * product does not match (the rule computes those).
         */
        @Override
        public boolean vjpInto(int i, Tensor g, Tensor[] x, Tensor out, Tensor into, boolean accumulate) {
            return i == 1 && matrixCotangentInto(g, x[0], x[1], into, accumulate);
        }

        /** {@link #vjpInto} for the right operand {@code b} of a product with output cotangent {@code g}. */
        static boolean matrixCotangentInto(Tensor g, Tensor a, Tensor b, Tensor into, boolean accumulate) {
            if (b.rank() != 2) {
                return false;
            }
            Tensor a2 = a.rank() > 2 ? a.reshape(-1, a.dim(-1)) : a;
            Tensor g2 = g.rank() > 2 ? g.reshape(-1, g.dim(-1)) : g;
            if (transposedCotangent(b)) {
                Tensor intoT = into.transpose(0, 1);
                if (!intoT.isContiguous()) {
                    return false;
                }
                TensorOps.matmulInto(g2.transpose(0, 1), a2, intoT, accumulate);
                return true;
            }
            if (!into.isContiguous()) {
                return false;
            }
            TensorOps.matmulInto(a2.transpose(0, 1), g2, into, accumulate);
            return true;
        }

        /** Below this many columns of {@code b}, its cotangent stays {@code a^T g} (see below). */
        static final int MIN_TRANSPOSED_ROWS = 64;

        /**
         * True for a transposed view of a row-major matrix (as {@code W^T} in {@code x @ W^T}) with at least
         * {@link #MIN_TRANSPOSED_ROWS} columns. Its cotangent is then computed as {@code (g^T a)^T}, a transposed
         * view in the same layout, so that the transpose back to {@code W}'s cotangent is row-major again and
         * assembling the parameters' cotangent is a plain copy instead of a strided one. The same product
         * either way; only its shape as a GEMM differs: {@code g^T a} has as many rows as {@code b} has
         * columns, and a product with few rows and a transposed A is the slower way for BLAS
         * (docs/PERFORMANCE.md, issue 17's per-op overhead), while the strided copy it would save is small.
         */
        static boolean transposedCotangent(Tensor b) {
            long[] s = b.strides();
            return b.dim(0) > 1 && b.dim(1) >= MIN_TRANSPOSED_ROWS && s[0] == 1 && s[1] >= b.dim(0);
        }
    }

    /**
     * {@code y = a1 @ b1 + ... + an @ bn + c} ({@code products} = n; {@code c}, present when {@code addend},
     * broadcast to the products' common shape), inputs {@code (a1, b1, ..., an, bn[, c])}: a linear layer's
     * {@code x W^T + b} (PyTorch's {@code addmm}) and the tangents of products, in one output buffer: c copied into
     * it (or the first product written) and every further product accumulated onto it by its GEMMs
     * ({@link TensorOps#matmulSum}), instead of a product and then a copy and an addition into a second buffer.
     * Linear in c and bilinear in each pair: dy = sum of (dai bi + ai dbi) + dc, itself one such sum, so the tangent
     * of a layer is one buffer as well; gai and gbi as {@link MatMul}, gc = g (summed back to c's shape centrally,
     * as every broadcast).
     */
    record MatMulAdd(int products, boolean addend) implements ProductPrimitives, Primitive.Broadcasting,
            Primitive.CotangentInPlace, Primitive.TangentWithValue {
        public MatMulAdd {
            if (products < 1 || products == 1 && !addend) {
                throw new IllegalArgumentException("matmul_add sums one product and an addend, or more products, got "
                        + products + (addend ? " and an addend" : " without an addend"));
            }
        }

        /** {@code a @ b + c}. */
        public MatMulAdd() {
            this(1, true);
        }

        public String name() {
            return products == 1 ? "matmul_add" : "matmul_sum";
        }

        public Tensor forward(Tensor... in) {
            Tensor[] a = new Tensor[products];
            Tensor[] b = new Tensor[products];
            for (int i = 0; i < products; i++) {
                a[i] = in[2 * i];
                b[i] = in[2 * i + 1];
            }
            return TensorOps.matmulSum(a, b, addend ? in[2 * products] : null);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return tangent(x, t, products, addend ? t[2 * products] : null);
        }

        /**
         * A linear layer's {@code x W^T + b} and its tangent {@code x dW^T + db} in one GEMM
         * ({@link TensorOps#matmulWithTangent}) where the input x is a constant (a first layer's data) and the layer
         * has few outputs; one product and its addend only.
         */
        @Override
        public Tensor[] forwardWithTangent(Tensor[] x, Tensor[] t, int[] batch) {
            return products != 1 || t[0] != null || t[1] == null ? null
                    : TensorOps.matmulWithTangent(x[0], x[1], addend ? x[2] : null, t[1], addend ? t[2] : null);
        }

        /**
         * The tangent of {@code x[0] @ x[1] + ... + x[2n-2] @ x[2n-1]} (n = products) plus the addend's tangent
         * {@code c} (null: zero): each pair contributes {@code t[2i] @ x[2i+1]} and {@code x[2i] @ t[2i+1]} where
         * its tangents are not zero, all summed onto c in one buffer ({@link #sum}).
         */
        static Var tangent(Var[] x, Var[] t, int products, Var c) {
            java.util.List<Var> terms = new java.util.ArrayList<>();
            for (int i = 0; i < products; i++) {
                if (t[2 * i] != null) {
                    terms.add(t[2 * i]);
                    terms.add(x[2 * i + 1]);
                }
                if (t[2 * i + 1] != null) {
                    terms.add(x[2 * i]);
                    terms.add(t[2 * i + 1]);
                }
            }
            return sum(terms.toArray(Var[]::new), c);
        }

        /**
         * {@code terms[0] @ terms[1] + terms[2] @ terms[3] + ... + c} as one primitive where the products share one
         * shape and c broadcasts to it; otherwise one product at a time, each onto the sum before it. Null for no
         * products and a null c.
         */
        static Var sum(Var[] terms, Var c) {
            int n = terms.length / 2;
            if (n == 0) {
                return c;
            }
            int[] shape = productShape(terms[0], terms[1]);
            boolean same = true;
            for (int i = 1; i < n && same; i++) {
                same = Arrays.equals(productShape(terms[2 * i], terms[2 * i + 1]), shape);
            }
            if (!same) {
                Var acc = c;
                for (int i = 0; i < n; i++) {
                    acc = sum(new Var[] {terms[2 * i], terms[2 * i + 1]}, acc);
                }
                return acc;
            }
            boolean fits = c != null && Arrays.equals(TensorOps.broadcastShapes(c.shape(), shape), shape);
            if (fits) {
                Var[] in = Arrays.copyOf(terms, 2 * n + 1);
                in[2 * n] = c;
                return Trace.bind(new MatMulAdd(n, true), in);
            }
            Var y = n == 1 ? Trace.bind(new MatMul(), terms) : Trace.bind(new MatMulAdd(n, false), terms);
            return c == null ? y : y.add(c);
        }

        private static int[] productShape(Var a, Var b) {
            int[] batch = TensorOps.broadcastShapes(Arrays.copyOf(a.shape(), a.rank() - 2),
                    Arrays.copyOf(b.shape(), b.rank() - 2));
            return Trace.concat(batch, new int[] {a.dim(-2), b.dim(-1)});
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            boolean[] all = new boolean[x.length];
            Arrays.fill(all, true);
            return vjp(g, x, y, all);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y, boolean[] needed) {
            Var[] cts = new Var[x.length];
            for (int i = 0; i < products; i++) {
                Var[] ab = new MatMul().vjp(g, new Var[] {x[2 * i], x[2 * i + 1]}, y,
                        new boolean[] {needed[2 * i], needed[2 * i + 1]});
                cts[2 * i] = ab[0];
                cts[2 * i + 1] = ab[1];
            }
            if (addend && needed[2 * products]) {
                cts[2 * products] = g;
            }
            return cts;
        }

        /** The right operand of a product as {@link MatMul#vjpInto} (a linear layer's {@code W^T}). */
        @Override
        public boolean vjpInto(int i, Tensor g, Tensor[] x, Tensor out, Tensor into, boolean accumulate) {
            return i < 2 * products && i % 2 == 1 && MatMul.matrixCotangentInto(g, x[i - 1], x[i], into, accumulate);
        }
    }

    /**
     * {@code y = relu(a @ b + c)}, inputs {@code (a, b, c)}: a linear layer and its ReLU ({@code Sequential} binds it
     * for a {@code Linear} followed by a {@code ReLU}), the ReLU written by the product's last store where the GEMM
     * can ({@link TensorOps#matmulAddRelu}), so the layer's pre-activation is never stored nor passed over. The bits
     * of {@link MatMulAdd} then {@link ElementwisePrimitives.Relu}, and their rules, since ReLU's read only its output:
     * dy = gate(dz, y) with dz {@link MatMulAdd}'s tangent; the cotangent of z is gate(g, y), then {@link MatMulAdd}'s
     * VJP ({@link Primitive.Epilogue}: the backward pass gates once for the in-place weight cotangent and the rule).
     */
    record MatMulAddRelu() implements ProductPrimitives, Primitive.Broadcasting, Primitive.Epilogue,
            Primitive.TangentWithValue {
        public String name() {
            return "matmul_add_relu";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.matmulAddRelu(in[0], in[1], in[2]);
        }

        public Primitive inner() {
            return new MatMulAdd();
        }

        public Var innerCotangent(Var g, Var y) {
            return Trace.bind(new ElementwisePrimitives.ReluGate(), g, y);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var dz = MatMulAdd.tangent(x, t, 1, t[2]);
            return dz == null ? null : Trace.bind(new ElementwisePrimitives.ReluGate(), dz, y);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return vjp(g, x, y, new boolean[] {true, true, true});
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y, boolean[] needed) {
            return inner().vjp(innerCotangent(g, y), x, y, needed);
        }

        /**
         * {@link MatMulAdd}'s value and tangent in one GEMM where it makes them (a first layer's, whose input is the
         * data), then the ReLU of the value and the tangent gated by it, as the rules do.
         */
        @Override
        public Tensor[] forwardWithTangent(Tensor[] x, Tensor[] t, int[] batch) {
            Tensor[] zt = new MatMulAdd().forwardWithTangent(x, t, batch);
            if (zt == null) {
                return null;
            }
            Tensor y = TensorOps.unary(UnaryOp.RELU, zt[0]);
            return new Tensor[] {y, TensorOps.gate(zt[1], y)};
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
    record Conv2d(int stride, int pad) implements ProductPrimitives, Primitive.Bilinear {
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
    record Conv2dBias(int stride, int pad) implements ProductPrimitives {
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
    record Conv2dInputGrad(int h, int width, int stride, int pad) implements ProductPrimitives, Primitive.Bilinear {
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
    record Conv2dWeightGrad(int kh, int kw, int stride, int pad) implements ProductPrimitives, Primitive.Bilinear {
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
            int k = directions(p.name(), dg, x);
            int[] one = Arrays.copyOfRange(dg.shape(), 1, dg.rank());
            int m = Math.toIntExact(org.flatminima.kernels.Shapes.size(one));
            Var flat = dg.reshape(k * m);
            int[] w = {dg.dim(-3), x.dim(-3), kh, kw};
            int size = w[0] * w[1] * kh * kw;
            Var[] parts = new Var[k];
            int[] offsets = new int[k];
            int[][] shapes = new int[k][];
            for (int i = 0; i < k; i++) {
                parts[i] = Trace.bind(p, x, flat.view(i * m, one));
                offsets[i] = i * size;
                shapes[i] = w;
            }
            Var stacked = Trace.bind(new ViewPrimitives.EmbedMany(offsets, shapes, k * size), parts);
            return stacked.reshape(k, w[0], w[1], kh, kw);
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
