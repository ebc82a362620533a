package org.flatminima.engine.curvature;

import java.util.SplittableRandom;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;

/**
 * Hutchinson's stochastic trace estimator with Rademacher probes: {@code tr H = E[z . H z]} for {@code z} with
 * independent +-1 entries. Probes are drawn in blocks and pushed through one batched HVP pass each
 * ({@link HessianOperator#applyBatch}). The variance of one sample is {@code 2 (||H||_F^2 - sum_i H_ii^2)}; see
 * docs/curvature.md.
 *
 * <p>Also the Hessian diagonal by the same probes, {@code diag H = E[z (.) H z]} (Bekas, Kokiopoulou and Saad),
 * with per-entry standard errors: {@link #diagonal}.
 */
public final class Hutchinson {
    private Hutchinson() {
    }

    /**
     * How long Hutchinson's loop runs. It stops after the first block at which at least {@code minProbes} probes
     * have been used and {@code stderr / |mean| <= targetRelativeStderr}, or when {@code maxProbes} probes have
     * been used, whichever comes first. A target of 0 runs the whole budget.
     *
     * @param seed seed of the {@link SplittableRandom} that draws the probes (same seed, same probes)
     * @param targetRelativeStderr the relative standard error to stop at (e.g. 0.01), 0 for "never early"
     * @param minProbes probes to use before the target may stop the loop (at least 2)
     * @param maxProbes the probe budget (Hessian-vector products), at least 1
     * @param block probes per batched HVP pass. A pass of 10 costs 0.7x ten single HVPs on an MLP (W2 of
     *     docs/PERFORMANCE.md) but about 1x on a CNN, and its memory grows with the block (ten f64 tangents of
     *     every activation; {@link HessianOperator#applyBatch} splits a block that would not fit its budget)
     */
    public record Options(long seed, double targetRelativeStderr, int minProbes, int maxProbes, int block) {
        public Options {
            if (!(targetRelativeStderr >= 0)) {
                throw new IllegalArgumentException("targetRelativeStderr must be >= 0, got " + targetRelativeStderr);
            }
            if (minProbes < 2) {
                throw new IllegalArgumentException("minProbes must be >= 2 (a standard error needs two samples), got "
                        + minProbes);
            }
            if (maxProbes < 1) {
                throw new IllegalArgumentException("maxProbes must be >= 1, got " + maxProbes);
            }
            Probes.checkBlock(block);
        }

        /** Seed 0, target relative error 1%, at least 10 and at most 1000 probes, 16 probes per pass. */
        public static Options defaults() {
            return new Options(0, 0.01, 10, 1000, 16);
        }

        /** Exactly {@code probes} probes (no early stop). */
        public static Options budget(int probes, long seed) {
            return new Options(seed, 0, 2, probes, 16);
        }

        public Options withSeed(long s) {
            return new Options(s, targetRelativeStderr, minProbes, maxProbes, block);
        }

        public Options withTarget(double relativeStderr) {
            return new Options(seed, relativeStderr, minProbes, maxProbes, block);
        }

        public Options withMinProbes(int m) {
            return new Options(seed, targetRelativeStderr, m, maxProbes, block);
        }

        public Options withMaxProbes(int m) {
            return new Options(seed, targetRelativeStderr, minProbes, m, block);
        }

        public Options withBlock(int b) {
            return new Options(seed, targetRelativeStderr, minProbes, maxProbes, b);
        }
    }

    /**
     * Estimates {@code tr H}. Returns the mean of the samples {@code z_j . H z_j}, its standard error (sample
     * standard deviation over {@code sqrt(m)}; NaN for a single probe), the number of probes {@code m}, and the
     * method {@code hutchinson}.
     */
    public static TraceResult trace(HessianOperator op, Options o) {
        SplittableRandom rnd = new SplittableRandom(o.seed());
        int p = op.dim();
        Welford w = new Welford();
        while (w.n < o.maxProbes()) {
            int k = Math.min(o.block(), o.maxProbes() - (int) w.n);
            double[] samples;
            try (Scope s = Scope.open()) {
                Tensor z = Probes.rademacher(op.dtype(), rnd, k, p);
                samples = Probes.rowDots(z, op.applyBatch(z));
            }
            for (double x : samples) {
                w.add(x);
            }
            if (o.targetRelativeStderr() > 0 && w.n >= o.minProbes()
                    && w.stderr() <= o.targetRelativeStderr() * Math.abs(w.mean)) {
                break;
            }
        }
        return new TraceResult(w.mean, "hutchinson", w.stderr(), (int) w.n);
    }

    /**
     * An estimate of {@code diag H}: per entry the mean of {@code z_j,i (H z_j)_i} over {@code probes} Rademacher
     * probes, with its standard error (sample standard deviation over {@code sqrt(probes)}). Entry {@code i} has
     * variance {@code sum_{l != i} H_il^2} per probe: exact where the row is diagonal, noisy where it is not.
     */
    public static DiagonalEstimate diagonal(HessianOperator op, int probes, long seed, int block) {
        if (probes < 2) {
            throw new IllegalArgumentException("the diagonal estimator needs at least 2 probes, got " + probes);
        }
        Probes.checkBlock(block);
        SplittableRandom rnd = new SplittableRandom(seed);
        int p = op.dim();
        double[] mean = new double[p];
        double[] m2 = new double[p];
        int n = 0;
        while (n < probes) {
            int k = Math.min(block, probes - n);
            double[] bSum;
            double[] bSq;
            try (Scope s = Scope.open()) {
                Tensor z = Probes.rademacher(op.dtype(), rnd, k, p);
                Tensor hz = op.applyBatch(z);
                bSum = TensorOps.sum(TensorOps.mul(z, hz), 0, false).toDoubleArray();
                bSq = TensorOps.sum(TensorOps.mul(hz, hz), 0, false).toDoubleArray(); // (z_i (Hz)_i)^2 = (Hz)_i^2
            }
            // Chan et al.'s pairwise update: merge the block's (count, mean, M2) into the running ones
            int tot = n + k;
            for (int i = 0; i < p; i++) {
                double bMean = bSum[i] / k;
                double bM2 = Math.max(0, bSq[i] - bSum[i] * bMean);
                double d = bMean - mean[i];
                mean[i] += d * k / tot;
                m2[i] += bM2 + d * d * ((double) n * k / tot);
            }
            n = tot;
        }
        double[] se = new double[p];
        for (int i = 0; i < p; i++) {
            se[i] = Math.sqrt(m2[i] / (n - 1) / n);
        }
        return new DiagonalEstimate(mean, se, n);
    }

    /** Running mean and sum of squared deviations (Welford). */
    static final class Welford {
        long n;
        double mean;
        double m2;

        void add(double x) {
            n++;
            double d = x - mean;
            mean += d / n;
            m2 += d * (x - mean);
        }

        double variance() {
            return n < 2 ? Double.NaN : m2 / (n - 1);
        }

        double stderr() {
            return Math.sqrt(variance() / n);
        }
    }
}
