package org.flatminima.engine.autodiff;

import static org.flatminima.engine.autodiff.Rules.*;

import java.util.Arrays;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.UnaryOp;

/**
 * The matrix products: the product, a sum of products onto an addend (a linear layer), and the forms with a ReLU or
 * a ReLU's gate in the product's store; each a primitive of its own so that every VJP stays differentiable (the
 * convolutions are {@link ConvPrimitives}).
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
}
