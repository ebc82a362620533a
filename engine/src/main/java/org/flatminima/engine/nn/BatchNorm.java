package org.flatminima.engine.nn;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Functional;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.BatchNorm1d} ({@code dims = 1}: input {@code [N, C]} or {@code [N, C, L]}) and
 * {@code torch.nn.BatchNorm2d} ({@code dims = 2}: input {@code [N, C, H, W]}) with PyTorch's defaults
 * ({@code eps = 1e-5}, {@code momentum = 0.1}, affine, tracking running statistics).
 *
 * <p>Parameters {@code weight [C]} (initially 1) and {@code bias [C]} (initially 0); buffers
 * {@code running_mean [C]} (0), {@code running_var [C]} (1) and {@code num_batches_tracked} (a scalar, 0). In
 * {@link Mode#TRAIN} the output uses the batch statistics (biased variance), a function of the whole batch,
 * differentiated as such; when the forward pass records buffer updates, the running statistics move by the
 * momentum towards the batch mean and the <em>unbiased</em> batch variance, as PyTorch. In {@link Mode#EVAL}
 * the running statistics are constants and the layer is affine.
 */
public record BatchNorm(int dims, int channels, double eps, double momentum) implements Module, LayerCurvature {
    public BatchNorm {
        if (dims != 1 && dims != 2 || channels <= 0) {
            throw new IllegalArgumentException("BatchNorm needs dims 1 or 2 and channels > 0, got dims=" + dims
                    + ", channels=" + channels);
        }
    }

    /** {@code BatchNorm1d(channels)} with PyTorch's defaults. */
    public static BatchNorm batchNorm1d(int channels) {
        return new BatchNorm(1, channels, Functional.BN_EPS, Functional.BN_MOMENTUM);
    }

    /** {@code BatchNorm2d(channels)} with PyTorch's defaults. */
    public static BatchNorm batchNorm2d(int channels) {
        return new BatchNorm(2, channels, Functional.BN_EPS, Functional.BN_MOMENTUM);
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(new ParamSpec("weight", new int[] {channels}), new ParamSpec("bias", new int[] {channels}));
    }

    @Override
    public List<ParamSpec> buffers() {
        return List.of(new ParamSpec("running_mean", new int[] {channels}),
                new ParamSpec("running_var", new int[] {channels}),
                new ParamSpec("num_batches_tracked", new int[] {}));
    }

    @Override
    public int[] outputShape(int[] input) {
        boolean rankOk = dims == 1 ? input.length == 2 || input.length == 3 : input.length == 4;
        if (!rankOk || input[1] != channels) {
            String want = dims == 1 ? "[N, " + channels + "] or [N, " + channels + ", L]"
                    : "[N, " + channels + ", H, W]";
            throw new ShapeMismatchException(toString(), "expected input shape " + want + ", got "
                    + Arrays.toString(input));
        }
        return input.clone();
    }

    @Override
    public Var forward(Var input, ParamView params) {
        outputShape(input.shape());
        Var gamma = params.get("weight");
        Var beta = params.get("bias");
        if (params.mode() == Mode.EVAL) {
            return Functional.batchNormEval(input, as(params.buffer("running_mean"), input),
                    as(params.buffer("running_var"), input), gamma, beta, eps);
        }
        if (params.updatesBuffers()) {
            Tensor x = input.value();
            var stats = Functional.updateRunningStats(new Functional.RunningStats(
                    as(params.buffer("running_mean"), input), as(params.buffer("running_var"), input)), x, momentum);
            Tensor n = params.buffer("num_batches_tracked");
            params.updateBuffer("running_mean", stats.mean().to(n.dtype()));
            params.updateBuffer("running_var", stats.var().to(n.dtype()));
            params.updateBuffer("num_batches_tracked", Tensor.scalar(n.dtype(), n.item() + 1));
        }
        return Functional.batchNorm(input, gamma, beta, eps);
    }

    private static Tensor as(Tensor t, Var like) {
        return t.dtype() == like.dtype() ? t : t.to(like.dtype());
    }

    @Override
    public double[] initialValues(String name, SplittableRandom rnd) {
        return switch (name) {
            case "weight" -> Init.constant(channels, 1);
            case "bias" -> Init.constant(channels, 0);
            default -> Module.super.initialValues(name, rnd);
        };
    }

    @Override
    public double[] initialBuffer(String name) {
        return switch (name) {
            case "running_mean" -> Init.constant(channels, 0);
            case "running_var" -> Init.constant(channels, 1);
            case "num_batches_tracked" -> new double[] {0};
            default -> Module.super.initialBuffer(name);
        };
    }

    /** Affine in its input and in each parameter in {@link Mode#EVAL}; training mode: {@link #whyPointsCoupled}. */
    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    @Override
    public String whyPointsCoupled(Mode mode) {
        return mode == Mode.EVAL ? null : "is in training mode: the batch statistics couple the points and make the "
                + "output nonlinear in its weights, so the loss is not a sum of per-point terms and diag(H) != "
                + "diag(GGN); use net.withMode(Mode.EVAL), exact-hvp (small models) or hutchinson";
    }

    /** In {@link Mode#EVAL}: a scale per channel. */
    @Override
    public boolean diagonalJacobian(Mode mode) {
        return mode == Mode.EVAL;
    }

    /** Per-sample gradient squares in {@link Mode#EVAL} (see {@link Squares}). */
    @Override
    public SampleSquares sampleSquares(SampleSquares.Batch batch) {
        return new Squares(this, batch);
    }

    /**
     * Eval mode: {@code y = gamma xhat + beta}, {@code xhat = (a - running_mean) / sqrt(running_var + eps)} per
     * channel; per-sample gradients {@code sum_s g xhat} (weight) and {@code sum_s g} (bias) over the positions s
     * of a channel.
     */
    private static final class Squares implements SampleSquares {
        private final Tensor xhat;
        private final int m;
        private final int ch;
        private final SquareSums gw;
        private final SquareSums gb;
        private final Tensor dw;
        private final Tensor db;

        Squares(BatchNorm bn, SampleSquares.Batch batch) {
            Tensor a = batch.input();
            this.m = a.dim(0);
            this.ch = bn.channels();
            double[] mean = batch.buffers().apply("running_mean").toDoubleArray();
            double[] var = batch.buffers().apply("running_var").toDoubleArray();
            double[] inv = new double[ch];
            for (int j = 0; j < ch; j++) {
                inv[j] = 1 / Math.sqrt(var[j] + bn.eps());
            }
            Tensor a3 = a.contiguous().reshape(m, ch, -1);
            this.xhat = TensorOps.mul(TensorOps.sub(a3, Tensor.of(a.dtype(), mean, ch, 1)),
                    Tensor.of(a.dtype(), inv, ch, 1));
            this.gw = new SquareSums(a, m, ch);
            this.gb = new SquareSums(a, m, ch);
            this.dw = batch.diagonal(0);
            this.db = batch.diagonal(1);
        }

        @Override
        public void add(Tensor g, Tensor weight) {
            Tensor g3 = g.contiguous().reshape(m, ch, -1);
            gw.add(TensorOps.sum(TensorOps.mul(g3, xhat), 2, false), weight);
            gb.add(TensorOps.sum(g3, 2, false), weight);
        }

        /**
         * {@code diag(r)} at the output: the unit column {@code (c, s)} has per-sample gradients {@code xhat_{c,s}}
         * (weight) and 1 (bias) on channel c, so the weighted squares sum to {@code sum_s r xhat^2} and
         * {@code sum_s r}.
         */
        @Override
        public void addDiagonal(Tensor r) {
            Tensor r3 = r.contiguous().reshape(m, ch, -1);
            gw.addRaw(TensorOps.sum(TensorOps.mul(r3, SquareSums.square(xhat)), 2, false));
            gb.addRaw(TensorOps.sum(r3, 2, false));
        }

        /** With one position per channel ({@code [N, C]} inputs): the squares see the diagonal only. */
        @Override
        public boolean diagonalSuffices() {
            return xhat.dim(2) == 1;
        }

        @Override
        public double[][] finish() {
            return new double[][] {gw.finish(dw), gb.finish(db)};
        }
    }

    @Override
    public String toString() {
        return "BatchNorm" + dims + "d(" + channels + ", eps=" + eps + ", momentum=" + momentum + ")";
    }
}
