package org.flatminima.engine.nn;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.Linear}: {@code y = x W^T + b} with {@code weight W [out, in]} and {@code bias b [out]}.
 * Input {@code [..., in]} (rank at least 2: batch axes first), output {@code [..., out]}.
 * Initialisation: weight and bias {@code U(-1/sqrt(in), 1/sqrt(in))} (see {@link Init}).
 */
public record Linear(int in, int out, boolean bias) implements Module, LayerCurvature {
    public Linear {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear needs positive sizes, got in=" + in + ", out=" + out);
        }
    }

    /** A linear layer with bias. */
    public Linear(int in, int out) {
        this(in, out, true);
    }

    @Override
    public List<ParamSpec> parameters() {
        ParamSpec w = new ParamSpec("weight", new int[] {out, in});
        return bias ? List.of(w, new ParamSpec("bias", new int[] {out})) : List.of(w);
    }

    @Override
    public int[] outputShape(int[] input) {
        if (input.length < 2 || input[input.length - 1] != in) {
            throw new ShapeMismatchException(toString(), "expected input shape [N, " + in + "], got "
                    + Arrays.toString(input));
        }
        int[] o = input.clone();
        o[o.length - 1] = out;
        return o;
    }

    @Override
    public Var forward(Var input, ParamView params) {
        outputShape(input.shape());
        Var wt = params.get("weight").mT();
        return bias ? input.matmulAdd(wt, params.get("bias")) : input.matmul(wt);
    }

    /**
     * {@code relu(x W^T + b)}: this layer and a {@link ReLU} after it as one primitive
     * ({@link Var#matmulAddRelu}), as {@link Sequential} runs them; a layer with bias only.
     */
    Var forwardWithRelu(Var input, ParamView params) {
        if (!bias) {
            throw new IllegalStateException(this + ": forwardWithRelu needs a bias");
        }
        outputShape(input.shape());
        return input.matmulAddRelu(params.get("weight").mT(), params.get("bias"));
    }

    @Override
    public double[] initialValues(String name, SplittableRandom rnd) {
        return switch (name) {
            case "weight" -> Init.uniform(rnd, out * in, Init.defaultBound(in));
            case "bias" -> Init.uniform(rnd, out, Init.defaultBound(in));
            default -> Module.super.initialValues(name, rnd);
        };
    }

    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    /** {@code diag(W^T diag(r_n) W) = r_n (W * W)} on {@code [N, out]} terms; null on other ranks. */
    @Override
    public Tensor squaredPullback(Tensor r, java.util.function.Function<String, Tensor> params) {
        if (r.rank() != 2) {
            return null;
        }
        Tensor w = params.apply("weight");
        return TensorOps.matmul(r, TensorOps.mul(w, w));
    }

    /** Per-sample gradient squares on {@code [N, in]} inputs (see {@link Squares}). */
    @Override
    public SampleSquares sampleSquares(SampleSquares.Batch batch) {
        Tensor a = batch.input();
        if (a.rank() != 2) {
            throw new IllegalArgumentException("exact-ggn supports Linear layers on [N, in] inputs only, got "
                    + Arrays.toString(a.shape()));
        }
        return new Squares(a, out, bias, batch.diagonal(0), bias ? batch.diagonal(1) : null);
    }

    /**
     * {@code y = a W^T + b}: the per-sample weight gradient is {@code g_n a_n^T}, squared norm
     * {@code ||g_n||^2 ||a_n||^2}; bias {@code g_n}. Summed over the passes, {@code G2 = sum g^2} serves both,
     * and the weight diagonal is {@code G2^T (a^2)}, one GEMM per batch.
     */
    private static final class Squares implements SampleSquares {
        private final Tensor a;
        private final SquareSums g2;
        private final boolean bias;
        private final Tensor dw;
        private final Tensor db;

        Squares(Tensor a, int out, boolean bias, Tensor dw, Tensor db) {
            this.a = a;
            this.g2 = new SquareSums(a, a.dim(0), out);
            this.bias = bias;
            this.dw = dw;
            this.db = db;
        }

        @Override
        public void add(Tensor g, Tensor weight) {
            g2.add(g, weight);
        }

        /** The squares {@code w g^2} see only the diagonal of {@code sum w g g^T}. */
        @Override
        public boolean diagonalSuffices() {
            return true;
        }

        /** {@code diag(r)} at the output: the unit columns' weighted squares sum to r itself. */
        @Override
        public void addDiagonal(Tensor r) {
            g2.addRaw(r);
        }

        @Override
        public double[][] finish() {
            Tensor a2 = SquareSums.square(a);
            double[] gs = g2.finish(db);
            double[] as = SquareSums.rowSums(a2);
            double[] w = new double[gs.length];
            for (int i = 0; i < gs.length; i++) {
                w[i] = gs[i] * as[i];
            }
            if (dw != null) {
                TensorOps.gemm2d(a.dtype(), g2.acc.transpose(0, 1), a2, dw, 1.0, 1.0);
            }
            return bias ? new double[][] {w, gs} : new double[][] {w};
        }
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + in + ", out_features=" + out + ", bias=" + bias + ")";
    }
}
