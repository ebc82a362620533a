package org.flatminima.engine.curvature;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Network;
import org.flatminima.kernels.Backend;

/**
 * Stochastic traces of each point's own loss Hessian ({@code tr d^2 l_i / d theta^2}, the loss of point i alone,
 * batch size 1), for where exact per-point traces are impossible, and the authors' estimator for comparison.
 *
 * <ul>
 *   <li>{@link #authors}: the paper's code (PyHessian's {@code trace}): Rademacher probes one at a time, at most
 *       100, stopping as soon as the running mean changes by a relative amount below 1e-3 between consecutive
 *       probes ({@link StoppingRule}). Kept as it was, noise included; run it in the dtype of {@code theta}
 *       (the authors ran PyTorch's default float32).
 *   <li>{@link #batched}: ours: {@link Hutchinson#trace} on each point's operator, many probes per batched pass,
 *       stopping at a relative standard error or a budget, with a standard error per point.
 * </ul>
 * Point i draws its probes from its own generator (derived from the seed and i), so a point's estimate does not
 * depend on which other points are estimated or in which order.
 */
public final class PerPointHutchinson {
    private PerPointHutchinson() {
    }

    /**
     * Per-point trace estimates.
     *
     * @param values the estimate for each point
     * @param stderr the sample standard error of each point's probes (standard deviation over sqrt(probes); NaN for
     *     one probe). For {@link #authors} this is only indicative: their stopping rule depends on the samples
     * @param probes the Hessian-vector products spent on each point
     * @param method {@code authors-hutchinson} or {@code hutchinson}
     */
    public record PerPointTraces(double[] values, double[] stderr, int[] probes, String method) {

        /** Total Hessian-vector products over all points. */
        public long totalProbes() {
            return Arrays.stream(probes).asLongStream().sum();
        }
    }

    /**
     * When the authors' loop stops, after probe m, with {@code mean_m} the running mean of the first m samples and
     * {@code mean_0 = 0}.
     */
    public enum StoppingRule {
        /**
         * The authors' vendored PyHessian ({@code margin_flatness/pyhessian/hessian.py}, {@code hessian.trace}):
         * {@code abs(mean_m - mean_{m-1}) / (mean_{m-1} + 1e-6) < tol}, with no absolute value in the
         * denominator, so a negative previous mean (below -1e-6) makes the ratio negative and stops the loop.
         */
        PYHESSIAN,
        /** {@code |mean_m - mean_{m-1}| / (|mean_{m-1}| + 1e-6) < tol}: the same test, symmetric in sign. */
        ABSOLUTE;

        /** Whether the loop stops at a running mean {@code mean} after the previous one {@code previous}. */
        public boolean met(double mean, double previous, double tolerance) {
            double denominator = (this == PYHESSIAN ? previous : Math.abs(previous)) + 1e-6;
            return Math.abs(mean - previous) / denominator < tolerance;
        }

        /**
         * The number of probes the loop uses on the sample sequence {@code x} (the first m after which the rule
         * is met, or {@code min(maxProbes, x.length)}).
         */
        public int stopsAfter(double[] x, int maxProbes, double tolerance) {
            double sum = 0;
            double previous = 0;
            int last = Math.min(maxProbes, x.length);
            for (int m = 1; m <= last; m++) {
                sum += x[m - 1];
                double mean = sum / m;
                if (met(mean, previous, tolerance)) {
                    return m;
                }
                previous = mean;
            }
            return last;
        }
    }

    /**
     * The authors' loop's settings.
     *
     * @param seed seed of the family of per-point generators
     * @param maxProbes the probe budget per point (the authors: 100, passed by their {@code get_point_traces})
     * @param tolerance the relative tolerance of the stopping rule (the authors: PyHessian's default 1e-3)
     * @param rule the stopping rule (the authors: {@link StoppingRule#PYHESSIAN})
     */
    public record AuthorsOptions(long seed, int maxProbes, double tolerance, StoppingRule rule) {
        public AuthorsOptions {
            if (maxProbes < 1) {
                throw new IllegalArgumentException("maxProbes must be >= 1, got " + maxProbes);
            }
            if (!(tolerance >= 0)) {
                throw new IllegalArgumentException("tolerance must be >= 0, got " + tolerance);
            }
            if (rule == null) {
                throw new IllegalArgumentException("rule must not be null");
            }
        }

        /** The paper's settings: at most 100 probes, relative tolerance 1e-3, PyHessian's rule; seed 0. */
        public static AuthorsOptions paper() {
            return new AuthorsOptions(0, 100, 1e-3, StoppingRule.PYHESSIAN);
        }

        public AuthorsOptions withSeed(long s) {
            return new AuthorsOptions(s, maxProbes, tolerance, rule);
        }

        public AuthorsOptions withRule(StoppingRule r) {
            return new AuthorsOptions(seed, maxProbes, tolerance, r);
        }
    }

    /**
     * One run of the authors' loop on one operator.
     *
     * @param value the mean of the samples
     * @param samples {@code z_j . H z_j} for each probe used, in order (its length is the probe count)
     */
    public record AuthorsRun(double value, double[] samples) {

        public int probes() {
            return samples.length;
        }
    }

    /** {@link #authorsLoop(HessianOperator, SplittableRandom, int, double, StoppingRule)} with the ABSOLUTE rule. */
    public static AuthorsRun authorsLoop(HessianOperator op, SplittableRandom rnd, int maxProbes, double tolerance) {
        return authorsLoop(op, rnd, maxProbes, tolerance, StoppingRule.ABSOLUTE);
    }

    /**
     * The authors' loop on one operator: draw a Rademacher {@code z}, one HVP, append {@code z . H z}; stop when
     * {@code rule} is met (see {@link StoppingRule}) or after {@code maxProbes} probes; the value is the mean of
     * the samples drawn (their {@code get_point_traces} takes {@code np.mean} of the list {@code trace} returns).
     * One unbatched HVP per probe, as in their code, in the operator's dtype.
     */
    public static AuthorsRun authorsLoop(HessianOperator op, SplittableRandom rnd, int maxProbes, double tolerance,
                                         StoppingRule rule) {
        double[] samples = new double[maxProbes];
        int p = op.dim();
        double sum = 0;
        double previous = 0;
        int m = 0;
        while (m < maxProbes) {
            double x;
            try (Scope s = Scope.open()) {
                Tensor z = Probes.rademacher(op.dtype(), rnd, 1, p).reshape(p);
                x = Probes.rowDots(z.reshape(1, p), op.apply(z).reshape(1, p))[0];
            }
            samples[m++] = x;
            sum += x;
            double mean = sum / m;
            if (rule.met(mean, previous, tolerance)) {
                break;
            }
            previous = mean;
        }
        return new AuthorsRun(sum / m, Arrays.copyOf(samples, m));
    }

    /**
     * The authors' per-point estimator for points {@code 0 .. n-1}: {@link #authorsLoop} on the Hessian of
     * {@code pointLoss.apply(i)} at {@code theta}, for each point, in {@code theta}'s dtype (for the authors'
     * float32, pass float32 parameters and a loss built on float32 inputs).
     *
     * @param pointLoss point i's own loss as a function of the flat parameters (e.g. {@link #pointLosses})
     */
    public static PerPointTraces authors(IntFunction<Function<Var, Var>> pointLoss, int n, Tensor theta,
            AuthorsOptions o) {
        double[] v = new double[n];
        double[] se = new double[n];
        int[] probes = new int[n];
        eachPoint(n, i -> {
            AuthorsRun run = authorsLoop(new HessianOperator(pointLoss.apply(i), theta), Probes.forItem(o.seed(), i),
                    o.maxProbes(), o.tolerance(), o.rule());
            Hutchinson.Welford w = new Hutchinson.Welford();
            for (double x : run.samples()) {
                w.add(x);
            }
            v[i] = run.value();
            se[i] = w.stderr();
            probes[i] = run.probes();
        });
        return new PerPointTraces(v, se, probes, "authors-hutchinson");
    }

    /**
     * Our per-point estimator: {@link Hutchinson#trace} with options {@code o} on each point's loss Hessian, with
     * point i's probes drawn from a generator derived from {@code o.seed()} and i.
     */
    public static PerPointTraces batched(IntFunction<Function<Var, Var>> pointLoss, int n, Tensor theta,
            Hutchinson.Options o) {
        double[] v = new double[n];
        double[] se = new double[n];
        int[] probes = new int[n];
        eachPoint(n, i -> {
            long pointSeed = Probes.forItem(o.seed(), i).nextLong();
            TraceResult r = Hutchinson.trace(new HessianOperator(pointLoss.apply(i), theta), o.withSeed(pointSeed));
            v[i] = r.value();
            se[i] = r.stderr();
            probes[i] = r.probes();
        });
        return new PerPointTraces(v, se, probes, "hutchinson");
    }

    /**
     * {@code body.accept(i)} for every point {@code i < n}, each in its own {@link Scope}, the points shared out in
     * contiguous groups among the current backend's threads ({@link Backend#runParts}; each group on one thread
     * with this backend, whose kernels run unsplit there). A point's numbers depend on its own generator only, and
     * the kernels give the same bits on any thread count, so the results are those of one thread in order.
     */
    private static void eachPoint(int n, IntConsumer body) {
        Backend be = Engine.backend();
        int groups = Math.max(1, Math.min(n, be.threads()));
        be.runParts(groups, g -> Engine.with(be, () -> {
            for (int i = (int) ((long) n * g / groups); i < (int) ((long) n * (g + 1) / groups); i++) {
                try (Scope s = Scope.open()) {
                    body.accept(i);
                }
            }
        }));
    }

    /**
     * Point i's own loss for a network and a data set: {@code theta -> net.loss(theta, x[i:i+1], [labels[i]])},
     * the mean cross-entropy of a batch of one, i.e. the point's loss.
     */
    public static IntFunction<Function<Var, Var>> pointLosses(Network net, Tensor x, int[] labels) {
        if (x.dim(0) != labels.length) {
            throw new IllegalArgumentException(labels.length + " labels for " + x.dim(0) + " inputs");
        }
        int[] y = labels.clone();
        return i -> net.lossFunction(x.slice(0, i, i + 1).contiguous(), new int[] {y[i]});
    }
}
