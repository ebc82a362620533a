package org.flatminima.engine.autodiff;

import java.util.Arrays;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;

/**
 * Functions of {@link Var}s composed from primitives (no rules of their own, so every derivative of any order is
 * right by construction): batch normalisation in training and evaluation mode, and the plain (not
 * differentiable) update of its running statistics, all with PyTorch's conventions.
 *
 * <p>Layout: the channel axis is axis 1, as PyTorch's {@code BatchNorm1d} ({@code [N, C]} or {@code [N, C, L]})
 * and {@code BatchNorm2d} ({@code [N, C, H, W]}); statistics are taken over every other axis.
 */
public final class Functional {
    /** PyTorch's default {@code eps} of batch normalisation. */
    public static final double BN_EPS = 1e-5;
    /** PyTorch's default {@code momentum} of the running statistics. */
    public static final double BN_MOMENTUM = 0.1;

    private Functional() {
    }

    private static void checkChannels(String op, int[] xs, int[]... per) {
        if (xs.length < 2) {
            throw new IllegalArgumentException(op + " needs x [N, C, ...], got shape " + Arrays.toString(xs));
        }
        for (int[] p : per) {
            if (p != null && (p.length != 1 || p[0] != xs[1])) {
                throw new IllegalArgumentException(op + ": per-channel parameters must be [" + xs[1] + "], got "
                        + Arrays.toString(p));
            }
        }
    }

    /** {@code [1, C, 1, ...]} of x's rank: how a per-channel vector broadcasts against x. */
    private static int[] channelShape(int rank, int c) {
        int[] s = new int[rank];
        Arrays.fill(s, 1);
        s[1] = c;
        return s;
    }

    /** The mean over every axis but 1, keeping the dimensions ({@code [1, C, 1, ...]}). */
    private static Var channelMean(Var x) {
        Var m = x;
        for (int a = 0; a < x.rank(); a++) {
            if (a != 1) {
                m = m.mean(a, true);
            }
        }
        return m;
    }

    /**
     * Batch normalisation in training mode: {@code y = gamma * (x - mu) / sqrt(var + eps) + beta} with mu and
     * the biased variance {@code var = mean((x - mu)^2)} taken over the batch (every axis but the channel axis
     * 1). It is composed of mean, sub, mul and {@code pow(-0.5)}, so its JVP, VJP and HVP (including the
     * dependence of mu and var on x, which a hand-written rule can get wrong at second order) follow from
     * theirs. {@code gamma} and {@code beta} are {@code [C]}; either may be null (no scale, no shift).
     */
    public static Var batchNorm(Var x, Var gamma, Var beta, double eps) {
        checkChannels("batchNorm", x.shape(), gamma == null ? null : gamma.shape(), beta == null ? null : beta.shape());
        Var centred = x.sub(channelMean(x));
        Var var = channelMean(centred.square());
        Var y = centred.mul(var.add(eps).pow(-0.5));
        return affine(y, gamma, beta);
    }

    /** {@link #batchNorm(Var, Var, Var, double)} with {@code eps = 1e-5}. */
    public static Var batchNorm(Var x, Var gamma, Var beta) {
        return batchNorm(x, gamma, beta, BN_EPS);
    }

    /**
     * Batch normalisation in evaluation mode: {@code y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta}
     * with the running statistics ({@code [C]}) as constants, so y is affine in x.
     */
    public static Var batchNormEval(Var x, Tensor runningMean, Tensor runningVar, Var gamma, Var beta, double eps) {
        checkChannels("batchNormEval", x.shape(), runningMean.shape(), runningVar.shape(),
                gamma == null ? null : gamma.shape(), beta == null ? null : beta.shape());
        int[] cs = channelShape(x.rank(), x.dim(1));
        Tensor inv = TensorOps.unary(org.flatminima.kernels.UnaryOp.POW,
                TensorOps.add(runningVar, Tensor.scalar(runningVar.dtype(), eps)), -0.5);
        Var y = x.sub(Var.of(runningMean.reshape(cs))).mul(Var.of(inv.reshape(cs)));
        return affine(y, gamma, beta);
    }

    private static Var affine(Var y, Var gamma, Var beta) {
        int[] cs = channelShape(y.rank(), y.dim(1));
        Var r = gamma == null ? y : y.mul(gamma.reshape(cs));
        return beta == null ? r : r.add(beta.reshape(cs));
    }

    /** Running statistics of batch normalisation, {@code [C]} each. */
    public record RunningStats(Tensor mean, Tensor var) {
    }

    /**
     * The running-statistics update of training-mode batch normalisation, as PyTorch: {@code mean' = (1 - m) mean
     * + m mu}, {@code var' = (1 - m) var + m s^2} with the batch mean mu and the UNBIASED batch variance
     * {@code s^2 = sum((x - mu)^2) / (n - 1)} over the {@code n} values per channel (the normalisation itself
     * uses the biased one). Plain tensors, not differentiable; returns new tensors.
     */
    public static RunningStats updateRunningStats(RunningStats running, Tensor x, double momentum) {
        checkChannels("updateRunningStats", x.shape(), running.mean().shape(), running.var().shape());
        int c = x.dim(1);
        long n = x.size() / c;
        if (n < 2) {
            throw new IllegalArgumentException("updateRunningStats: the unbiased variance needs at least 2 values per"
                    + " channel, got " + n + " (batch shape " + Arrays.toString(x.shape()) + ")");
        }
        Tensor sum = x;
        for (int a = x.rank() - 1; a >= 0; a--) {
            if (a != 1) {
                sum = TensorOps.sum(sum, a, true);
            }
        }
        Tensor mu = TensorOps.scale(sum, 1.0 / n);
        Tensor sq = TensorOps.unary(org.flatminima.kernels.UnaryOp.SQUARE, TensorOps.sub(x, mu));
        for (int a = x.rank() - 1; a >= 0; a--) {
            if (a != 1) {
                sq = TensorOps.sum(sq, a, true);
            }
        }
        Tensor unbiased = TensorOps.scale(sq, 1.0 / (n - 1)).reshape(c);
        Tensor mean = TensorOps.add(TensorOps.scale(running.mean(), 1 - momentum),
                TensorOps.scale(mu.reshape(c), momentum));
        Tensor var = TensorOps.add(TensorOps.scale(running.var(), 1 - momentum), TensorOps.scale(unbiased, momentum));
        return new RunningStats(mean, var);
    }
}
