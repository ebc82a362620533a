package org.flatminima.engine.nn;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.Window2d;

/**
 * {@code torch.nn.Conv2d} with square kernels and equal stride and zero padding on both axes: images
 * {@code [N, C, H, W]} to {@code [N, O, H', W']} with {@code H' = floor((H + 2 pad - k) / stride) + 1};
 * {@code weight [O, C, k, k]}, {@code bias [O]}; cross-correlation, as PyTorch. Initialisation: weight and bias
 * {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))} with {@code fan_in = C k k} (see {@link Init}).
 */
public record Conv2d(int in, int out, int kernel, int stride, int pad, boolean bias) implements Module,
        LayerCurvature {
    public Conv2d {
        if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || pad < 0) {
            throw new IllegalArgumentException("Conv2d needs positive channels, kernel and stride and pad >= 0, got "
                    + "in=" + in + ", out=" + out + ", kernel=" + kernel + ", stride=" + stride + ", pad=" + pad);
        }
    }

    /** Stride 1, no padding, with bias (PyTorch's defaults). */
    public Conv2d(int in, int out, int kernel) {
        this(in, out, kernel, 1, 0, true);
    }

    @Override
    public List<ParamSpec> parameters() {
        ParamSpec w = new ParamSpec("weight", new int[] {out, in, kernel, kernel});
        return bias ? List.of(w, new ParamSpec("bias", new int[] {out})) : List.of(w);
    }

    @Override
    public int[] outputShape(int[] input) {
        if (input.length != 4 || input[1] != in) {
            throw new ShapeMismatchException(toString(), "expected input shape [N, " + in + ", H, W], got "
                    + Arrays.toString(input));
        }
        int h = Pooling.outSize(input[2], kernel, stride, pad);
        int w = Pooling.outSize(input[3], kernel, stride, pad);
        if (h < 1 || w < 1) {
            throw new ShapeMismatchException(toString(), "input " + Arrays.toString(input)
                    + " is smaller than the kernel " + kernel + "x" + kernel + " (with padding " + pad + ")");
        }
        return new int[] {input[0], out, h, w};
    }

    @Override
    public Var forward(Var input, ParamView params) {
        outputShape(input.shape());
        return bias ? input.conv2d(params.get("weight"), params.get("bias"), stride, pad)
                : input.conv2d(params.get("weight"), stride, pad);
    }

    @Override
    public double[] initialValues(String name, SplittableRandom rnd) {
        int fanIn = in * kernel * kernel;
        return switch (name) {
            case "weight" -> Init.uniform(rnd, out * fanIn, Init.defaultBound(fanIn));
            case "bias" -> Init.uniform(rnd, out, Init.defaultBound(fanIn));
            default -> Module.super.initialValues(name, rnd);
        };
    }

    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    @Override
    public SampleSquares sampleSquares(SampleSquares.Batch batch) {
        return new Squares(this, batch);
    }

    /**
     * The per-sample weight gradient is {@code G_n = g_n cols_n^T} ({@code g_n [O, L]}, {@code cols_n [C k k, L]}
     * the unfolded input); its squared Frobenius norm needs the matrix, so one GEMM per sample and pass
     * ({@code O L C k k} multiply-adds, the size of that sample's share of the weight-gradient GEMM). The unfolded
     * batch is kept across the passes when it has at most {@link SampleSquares.Batch#keepElements} elements, else
     * unfolded again per pass. Bias: {@code sum_l g_{n,:,l}}.
     */
    private static final class Squares implements SampleSquares {
        /** Bound on the per-sample weight gradients of one chunk of a pass's GEMM (elements times 4). */
        private static final long CHUNK_ELEMENTS = 1L << 24;

        private final Conv2d cv;
        private final Tensor a;
        private final int m;
        private final Window2d one;
        private final Tensor cols;
        private final double[] wNorm;
        private final SquareSums bias;
        private final Tensor dw;
        private final Tensor db;

        Squares(Conv2d cv, SampleSquares.Batch batch) {
            this.cv = cv;
            this.a = batch.input().contiguous();
            this.m = a.dim(0);
            this.one = window(1);
            long colsSize = (long) m * one.colRows() * one.colCols();
            this.cols = colsSize <= batch.keepElements() ? unfold(0, m) : null;
            this.wNorm = new double[m];
            this.bias = cv.bias() ? new SquareSums(a, m, cv.out()) : null;
            this.dw = batch.diagonal(0);
            this.db = cv.bias() ? batch.diagonal(1) : null;
        }

        private Window2d window(int count) {
            return Window2d.square(count, a.dim(1), a.dim(2), a.dim(3), cv.kernel(), cv.stride(), cv.pad());
        }

        /** im2col of images {@code [from, from + count)}: {@code [count, C k k, L]}. */
        private Tensor unfold(int from, int count) {
            Window2d g = window(count);
            Tensor c = Tensor.zeros(a.dtype(), count, g.colRows(), g.colCols());
            Engine.backend().im2col(a.dtype(), g, a.segment().asSlice(from * g.imageSize() * a.dtype().byteSize()),
                    c.segment());
            return c;
        }

        @Override
        public void add(Tensor g, Tensor weight) {
            Tensor g3 = g.contiguous().reshape(m, cv.out(), one.colCols());
            if (bias != null) {
                bias.add(TensorOps.sum(g3, 2, false), weight);
            }
            accumulate(g3, weight, false);
        }

        /**
         * {@code diag(r)} at the output: the unit column {@code (o, l)} has per-sample weight gradient
         * {@code e_o cols_{:,l}^T}, so the weighted squares sum to {@code r_n (cols_n^2)^T} ({@code [O, C k k]}), one
         * GEMM per sample instead of one per column; bias {@code sum_l r_{n,o,l}}.
         */
        @Override
        public void addDiagonal(Tensor r) {
            Tensor r3 = r.contiguous().reshape(m, cv.out(), one.colCols());
            if (bias != null) {
                bias.addRaw(TensorOps.sum(r3, 2, false));
            }
            accumulate(r3, null, true);
        }

        /**
         * Adds each sample's squared weight gradient {@code (g_n cols_n^T)^2} times its weight, or with
         * {@code diagonal} the term {@code g_n (cols_n^2)^T} of a diagonal {@code g}, chunk by chunk of samples.
         */
        private void accumulate(Tensor g3, Tensor weight, boolean diagonal) {
            int l = one.colCols();
            int chunk = (int) Math.max(1, Math.min(m, CHUNK_ELEMENTS / 4 / ((long) one.colRows() * l)));
            for (int i0 = 0; i0 < m; i0 += chunk) {
                int k = Math.min(chunk, m - i0);
                try (Scope s = Scope.open()) {
                    Tensor c = cols != null ? cols.slice(0, i0, i0 + k) : unfold(i0, k);
                    Tensor gk = g3.slice(0, i0, i0 + k);
                    Tensor sq = diagonal ? TensorOps.matmul(gk, SquareSums.square(c).transpose(1, 2))
                            : SquareSums.weighted(SquareSums.square(TensorOps.matmul(gk, c.transpose(1, 2))),
                                    weight == null ? null : weight.slice(0, i0, i0 + k)); // [k, O, Ckk]
                    double[] r = SquareSums.rowSums(sq);
                    for (int i = 0; i < k; i++) {
                        wNorm[i0 + i] += r[i];
                    }
                    if (dw != null) {
                        SquareSums.addInto(dw, TensorOps.sum(sq, 0, false));
                    }
                }
            }
        }

        @Override
        public double[][] finish() {
            return bias == null ? new double[][] {wNorm} : new double[][] {wNorm, bias.finish(db)};
        }
    }

    @Override
    public String toString() {
        return "Conv2d(" + in + ", " + out + ", kernel_size=" + kernel + ", stride=" + stride + ", padding=" + pad
                + ", bias=" + bias + ")";
    }
}
