package org.flatminima.experiments.analysis;

import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.Lanczos;
import org.flatminima.engine.curvature.SymmetricOperator;
import org.flatminima.engine.curvature.TraceResult;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.kernels.DType;

/**
 * What {@code flatminima analyze} measures for a model on a data set: loss, accuracy, the Hessian trace of the
 * mean loss, its top eigenvalues, and per point the loss, the trace of the point's own loss Hessian and three
 * margins (output, softmax, input-space). The model is evaluated in eval mode (batch norm's running statistics).
 *
 * <p><b>Shards.</b> The work over points is done in chunks of {@link #CHUNK} points, grouped into shards of whole
 * chunks (the last chunk may be shorter) that may run anywhere: {@link #analyzeRange} (or {@link #analyzePoints}
 * for a task holding only its own points) computes a {@link Shard}: its per-point columns and, when the whole-data
 * trace is exact and separable over points (closed-form, exact-ggn: the mean of the points' own traces), the
 * per-chunk sums it is made of ({@link TraceSums}). {@link #wholeData} computes, in one place, what needs all
 * points at once: the top eigenvalues (Lanczos) and a whole-data trace that does not split (Hutchinson, exact-hvp).
 * {@link #combine} assembles the {@link Result}. Every value is computed within one chunk, or from the per-point
 * columns in point order, or from the per-chunk sums in chunk order, so any split of the chunks into shards gives
 * the same result, bit for bit on one backend; {@link #run} is that with shards run one after the other.
 */
public final class Analysis {
    private Analysis() {
    }

    /** Point-wise work is done in chunks of this many points (inside scopes). */
    public static final int CHUNK = 1000;

    /** How to compute the whole-data trace: auto, exact or hutchinson. */
    public enum TraceMode {
        /** The cheapest exact method the model allows, else Hutchinson to a 1% relative standard error. */
        AUTO,
        /** Closed form or exact-ggn where the model allows it, else exact-hvp (P HVPs: small models). */
        EXACT,
        /** Hutchinson to a 1% relative standard error (at most 1,000 probes). */
        HUTCHINSON;

        public static TraceMode parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "auto" -> AUTO;
                case "exact" -> EXACT;
                case "hutchinson" -> HUTCHINSON;
                default -> throw new IllegalArgumentException("unknown --trace '" + s + "': use auto, exact or hutchinson");
            };
        }
    }

    /**
     * What an analysis computes: the whole-data trace's mode, how many top eigenvalues, whether per-point traces.
     * Immutable and serializable (a distributed analysis ships it with its tasks). Start from {@link #defaults()}.
     */
    public static final class Options implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        private final TraceMode trace;
        private final int eigenvalues;
        private final boolean perPointTraces;
        private final int chunk;
        private final int pass;

        private Options(TraceMode trace, int eigenvalues, boolean perPointTraces, int chunk, int pass) {
            this.trace = trace;
            this.eigenvalues = eigenvalues;
            this.perPointTraces = perPointTraces;
            this.chunk = chunk;
            this.pass = pass;
        }

        /** Trace AUTO, no eigenvalues, no per-point traces, chunks of {@link #CHUNK} points. */
        public static Options defaults() {
            return new Options(TraceMode.AUTO, 0, false, CHUNK, 0);
        }

        /** These options with the whole-data trace's mode {@code mode}. */
        public Options trace(TraceMode mode) {
            return new Options(java.util.Objects.requireNonNull(mode, "mode"), eigenvalues, perPointTraces, chunk, pass);
        }

        /** These options with {@code k} top eigenvalues of the Hessian of the mean loss (0 for none). */
        public Options eigenvalues(int k) {
            if (k < 0) {
                throw new IllegalArgumentException("eigenvalues must be >= 0, got " + k);
            }
            return new Options(trace, k, perPointTraces, chunk, pass);
        }

        /** These options with or without each point's own trace (exact where possible, else Hutchinson). */
        public Options perPointTraces(boolean on) {
            return new Options(trace, eigenvalues, on, chunk, pass);
        }

        /** These options with chunks of {@code points} points (tests use small chunks on few points). */
        Options chunk(int points) {
            if (points < 1) {
                throw new IllegalArgumentException("chunk must be >= 1, got " + points);
            }
            return new Options(trace, eigenvalues, perPointTraces, points, pass);
        }

        /**
         * These options with forward and input-gradient passes of {@code points} points within a chunk (tests);
         * 0, the default, picks them by the model ({@code Passes.pointsPerPass}).
         */
        Options pointsPerPass(int points) {
            if (points < 0) {
                throw new IllegalArgumentException("points per pass must be >= 0, got " + points);
            }
            return new Options(trace, eigenvalues, perPointTraces, chunk, points);
        }

        /** Points per forward pass within a chunk, or 0 when picked by the model. */
        int pointsPerPass() {
            return pass;
        }

        /** The whole-data trace's mode. */
        public TraceMode traceMode() {
            return trace;
        }

        /** How many top eigenvalues. */
        public int eigenvalues() {
            return eigenvalues;
        }

        /** Whether each point's own trace is computed. */
        public boolean perPointTraces() {
            return perPointTraces;
        }

        /** Points per chunk ({@link #CHUNK} unless a test changed it). */
        public int chunk() {
            return chunk;
        }
    }

    /** A shard's points: indices {@code [from, to)} of the data set. */
    public record Range(int from, int to) implements Serializable {
        public Range {
            if (from < 0 || to < from) {
                throw new IllegalArgumentException("bad range [" + from + ", " + to + ")");
            }
        }

        /** How many points. */
        public int size() {
            return to - from;
        }
    }

    /**
     * For a whole-data trace that is the mean of the points' own traces (closed-form, exact-ggn): per chunk of a
     * shard, in order, the sum over the chunk's points (in order) of each point's own trace on each parameter
     * tensor ({@code perChunk[k][e]}, e in the model's parameter order).
     *
     * @param method the exact method ({@code closed-form}, {@code exact-ggn})
     * @param perChunk {@code [chunks][parameter tensors]}
     * @param passes the backward passes the method spent on the shard (0 for the closed form)
     */
    public record TraceSums(String method, double[][] perChunk, long passes) implements Serializable {
    }

    /**
     * The per-point work on one shard of the data: points {@code [from, to())}, whole chunks of {@code chunk}
     * points from a multiple of {@code chunk}. Serializable (a plain record of arrays, numbers and strings), to
     * be shipped from the executor that computed it to the driver that {@linkplain #combine combines} it.
     *
     * @param from the index of the shard's first point in the data set
     * @param params the model's parameter count
     * @param dtype the dtype of the computation
     * @param chunk points per chunk
     * @param labels the points' labels
     * @param predicted the predicted classes
     * @param loss the points' losses
     * @param trace the points' own traces, or null when not asked for
     * @param traceMethod how {@code trace} was computed ({@code closed-form}, {@code exact-ggn}, {@code hutchinson}),
     *     or null
     * @param outputMargin output margins
     * @param softmaxMargin softmax margins
     * @param inputMargin input-space margins
     * @param maxAbsLogit the largest |z| of the shard's logits (NaN when one is NaN; 0 for no points)
     * @param traceSums the shard's part of the whole-data trace, or null when that trace is computed by
     *     {@link #wholeData}
     */
    public record Shard(int from, int params, DType dtype, int chunk, int[] labels, int[] predicted, double[] loss,
                        double[] trace, String traceMethod, double[] outputMargin, double[] softmaxMargin,
                        double[] inputMargin, double maxAbsLogit, TraceSums traceSums) implements Serializable {

        /** One past the index of the shard's last point. */
        public int to() {
            return from + labels.length;
        }
    }

    /**
     * What {@link #wholeData} computed: the whole-data trace when it does not come from the shards (else null),
     * and the top eigenvalues (empty when none were asked for).
     */
    public record WholeData(TraceResult trace, double[] eigenvalues) {
    }

    /** The per-point columns. */
    public record PerPoint(int[] labels, int[] predicted, double[] loss, double[] trace, String traceMethod,
                           double[] outputMargin, double[] softmaxMargin, double[] inputMargin) {
    }

    /**
     * The result of an analysis. {@code maxAbsLogit} is the largest |z| of the network's outputs over the data
     * (NaN when an output is NaN); {@link #nonFiniteReason()} explains a NaN or infinite result.
     */
    public record Result(int params, int points, double loss, double accuracy, TraceResult trace,
                         double[] eigenvalues, PerPoint perPoint, Summary output, Summary softmax, Summary input,
                         DType dtype, double maxAbsLogit) {

        /** True when the trace, the loss, an eigenvalue or a margin statistic is NaN or infinite. */
        public boolean hasNonFinite() {
            boolean bad = !Double.isFinite(trace.value()) || !Double.isFinite(loss);
            for (double e : eigenvalues) {
                bad |= !Double.isFinite(e);
            }
            for (Summary s : new Summary[] {output, softmax, input}) {
                bad |= !Double.isFinite(s.mean()) || !Double.isFinite(s.min()) || !Double.isFinite(s.max());
            }
            return bad;
        }

        /**
         * Why a result is not finite (the weights are finite: {@code Weights.load} refuses others), or null when
         * every result is finite: the network's outputs are not finite, or they are so large that the loss or
         * its second derivatives overflow the dtype.
         */
        public String nonFiniteReason() {
            if (!hasNonFinite()) {
                return null;
            }
            String name = dtype == DType.F32 ? "f32" : "f64";
            if (!Double.isFinite(maxAbsLogit)) {
                return "the logits overflow: the network's outputs are not finite in " + name;
            }
            if (maxAbsLogit > Math.sqrt(dtype == DType.F32 ? Float.MAX_VALUE : Double.MAX_VALUE)) {
                return String.format(java.util.Locale.ROOT, "the logits overflow (max |z| = %.3g): second-order "
                        + "terms exceed the %s range", maxAbsLogit, name);
            }
            return String.format(java.util.Locale.ROOT, "an intermediate value overflows %s (max |z| = %.3g)", name,
                    maxAbsLogit);
        }
    }

    /**
     * What the top eigenvalues will cost, known before they are computed: at most {@code products} Hessian-vector
     * products (Lanczos steps), whose basis holds {@code bytes} of off-heap memory.
     */
    public record EigenCost(int k, int products, long params, long bytes) {

        /** The cost for {@code k} eigenvalues of a model of {@code params} parameters in {@code dtype}. */
        public static EigenCost of(int k, int params, DType dtype) {
            int m = Lanczos.steps(k, params, Lanczos.Options.DEFAULT);
            // the basis (m vectors) and the k eigenvectors assembled from it, each of P values; saturates
            double bytes = ((double) m + k) * params * dtype.byteSize();
            return new EigenCost(k, m, params, bytes >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) bytes);
        }
    }

    /** Hears about the long parts of an analysis (the command line shows a warning and a progress bar). */
    public interface Listener {
        /**
         * Called before the top eigenvalues are computed, with the cost and the measured time of one
         * Hessian-vector product (seconds).
         */
        default void eigenvaluesStart(EigenCost cost, double secondsPerProduct) {
        }

        /** Called after each Hessian-vector product of the eigenvalue computation ({@code done} so far). */
        default void eigenvalueProducts(long done) {
        }

        /** Called when the eigenvalues are done. */
        default void eigenvaluesEnd() {
        }
    }

    /** A listener that does nothing. */
    public static final Listener QUIET = new Listener() {
    };

    /**
     * Analyses {@code net} at {@code theta} on {@code x} ({@code [N, ...]}) with {@code labels}.
     *
     * @param eigenvalues how many top eigenvalues of the Hessian of the mean loss (0 for none)
     * @param perPointTraces whether to compute each point's own trace (exact where possible, else Hutchinson)
     */
    public static Result run(Network model, Tensor theta, Tensor x, int[] labels, TraceMode mode, int eigenvalues,
                             boolean perPointTraces) {
        return run(model, theta, x, labels, mode, eigenvalues, perPointTraces, QUIET);
    }

    /** {@link #run(Network, Tensor, Tensor, int[], TraceMode, int, boolean)}, telling {@code listener}. */
    public static Result run(Network model, Tensor theta, Tensor x, int[] labels, TraceMode mode, int eigenvalues,
                             boolean perPointTraces, Listener listener) {
        Options o = Options.defaults().trace(mode).eigenvalues(eigenvalues).perPointTraces(perPointTraces);
        return run(model, theta, x, labels, o, 1, listener);
    }

    /**
     * Analyses {@code model} at {@code theta} on {@code x} with {@code labels} as {@link #shardRanges}{@code (N,
     * shards)} shards, on up to one thread per core of this process ({@link ShardThreads}): {@link #analyzeRange}
     * on each, {@link #wholeData}, then {@link #combine}. The result does not depend on {@code shards}, to the bit.
     *
     * @param shards how many shards (at least 1; more than the chunks gives one shard per chunk)
     */
    public static Result run(Network model, Tensor theta, Tensor x, int[] labels, Options options, int shards,
                             Listener listener) {
        List<Range> ranges = shardRanges(labels.length, shards, options.chunk());
        List<Shard> parts = new ArrayList<>();
        if (ranges.size() == 1) {
            parts.add(analyzeRange(model, theta, x, labels, ranges.get(0).from(), ranges.get(0).to(), options));
        } else {
            parts.addAll(ShardThreads.run(ranges, r -> analyzeRange(model, theta, x, labels, r.from(), r.to(),
                    options)));
        }
        return combine(parts, wholeData(model, theta, x, labels, options, listener));
    }

    /**
     * The per-point work on the points {@code [from, to)} of {@code x} ({@code [N, ...]}) with {@code labels}:
     * {@link #analyzePoints} on that slice. {@code from} is a multiple of the chunk ({@link #CHUNK}), and so is
     * {@code to} unless it is N.
     */
    public static Shard analyzeRange(Network model, Tensor theta, Tensor x, int[] labels, int from, int to,
                                     Options options) {
        int n = labels.length;
        if (x.dim(0) != n) {
            throw new IllegalArgumentException(n + " labels for " + x.dim(0) + " points");
        }
        if (from < 0 || to > n || from > to || (to != n && to % options.chunk() != 0)) {
            throw new IllegalArgumentException("shard [" + from + ", " + to + ") of " + n + " points: its end must be "
                    + "a multiple of " + options.chunk() + " or the last point");
        }
        return analyzePoints(model, theta, x.slice(0, from, to), Arrays.copyOfRange(labels, from, to), from, options);
    }

    /**
     * The per-point work on {@code xPart} ({@code [M, ...]}), points {@code offset .. offset + M - 1} of the data
     * set, for a task that holds only its own points: chunk by chunk, each chunk's logits, losses, predictions,
     * margins, and, as {@code options} and the model ask, the points' own traces (exact, or Hutchinson with
     * point i's probes drawn from its index in the whole data set) and the chunk's sums for the whole-data trace
     * ({@link TraceSums}).
     *
     * @param offset the index of {@code xPart}'s first point in the whole data set, a multiple of the chunk
     */
    public static Shard analyzePoints(Network model, Tensor theta, Tensor xPart, int[] labelsPart, int offset,
                                      Options options) {
        return ShardWork.analyze(model.withMode(Mode.EVAL), theta, xPart, labelsPart, offset, options);
    }

    /**
     * What only the whole data gives, computed in one place (the driver of a distributed analysis): the top
     * eigenvalues of the Hessian of the mean loss (Lanczos), and the whole-data trace when it does not split
     * over points (Hutchinson, whose probes each see all points; exact-hvp, P products with the Hessian of the
     * mean loss). Nothing (an empty {@link WholeData}) when {@link #needsWholeData} is false.
     */
    public static WholeData wholeData(Network model, Tensor theta, Tensor x, int[] labels, Options options,
                                      Listener listener) {
        Network net = model.withMode(Mode.EVAL);
        Plan plan = Plan.of(net, options);
        if (!needsWholeData(net, options)) {
            return new WholeData(null, new double[0]);
        }
        Curvature c = Curvature.of(net, theta, x, labels);
        TraceResult trace = plan.wholeMethod() == null ? null : c.trace(plan.wholeMethod());
        double[] eig = new double[0];
        if (options.eigenvalues() > 0) {
            eig = topEigenvalues(c, options.eigenvalues(), listener);
        }
        return new WholeData(trace, eig);
    }

    /**
     * Whether {@link #wholeData} has anything to compute for {@code model} with {@code options}: eigenvalues are
     * asked for, or the whole-data trace does not come from the shards (see {@link TraceSums}).
     */
    public static boolean needsWholeData(Network model, Options options) {
        return options.eigenvalues() > 0 || Plan.of(model.withMode(Mode.EVAL), options).wholeMethod() != null;
    }

    /**
     * The result of an analysis from its shards, in order (contiguous from point 0, each but the last a whole
     * number of chunks), and its {@link WholeData}. The mean loss and accuracy are sums over the per-point
     * columns in point order, the margin summaries come from the whole columns, the largest |logit| is the
     * maximum of the shards', and a trace from the shards is {@code sum_e (sum over chunks in order of the
     * chunk's sum for parameter tensor e) / N}: none depends on how the chunks were split into shards.
     *
     * @throws IllegalArgumentException when the shards do not fit together or do not match {@code whole}
     */
    public static Result combine(List<Shard> shardsInOrder, WholeData whole) {
        return Combine.of(shardsInOrder, whole);
    }

    /**
     * Shards for {@code n} points: {@code [from, to)} ranges covering {@code [0, n)} in order, aligned to
     * {@link #CHUNK}, balanced (their chunk counts differ by at most one, the larger ones first). More shards
     * than chunks gives one shard per chunk; no points give one empty shard.
     *
     * @throws IllegalArgumentException when {@code shards < 1} or {@code n < 0}
     */
    public static List<Range> shardRanges(int n, int shards) {
        return shardRanges(n, shards, CHUNK);
    }

    /** {@link #shardRanges(int, int)} with chunks of {@code chunk} points. */
    static List<Range> shardRanges(int n, int shards, int chunk) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        }
        if (n < 0) {
            throw new IllegalArgumentException("points must be >= 0, got " + n);
        }
        int chunks = (int) ((n + (long) chunk - 1) / chunk);
        int k = Math.max(1, Math.min(shards, chunks));
        List<Range> out = new ArrayList<>(k);
        int c0 = 0;
        for (int i = 0; i < k; i++) {
            int c1 = c0 + chunks / k + (i < chunks % k ? 1 : 0);
            out.add(new Range((int) Math.min(n, (long) c0 * chunk), (int) Math.min(n, (long) c1 * chunk)));
            c0 = c1;
        }
        return List.copyOf(out);
    }

    /** The summary of a column, or one of NaN statistics when the column holds a NaN (see the reason). */
    static Summary summary(double[] column) {
        for (double v : column) {
            if (Double.isNaN(v)) {
                double nan = Double.NaN;
                return new Summary(column.length, nan, nan, nan, nan, nan, nan, nan, nan, nan, 0);
            }
        }
        return Summary.of(column);
    }

    /** The top {@code k} eigenvalues by Lanczos, timing one product first and counting products for {@code l}. */
    private static double[] topEigenvalues(Curvature c, int k, Listener l) {
        SymmetricOperator h = SymmetricOperator.of(c.hessian());
        long t0 = System.nanoTime();
        try (Scope s = Scope.open()) {
            h.apply(Tensor.normal(h.dtype(), new java.util.SplittableRandom(1), h.dim()));
        }
        l.eigenvaluesStart(EigenCost.of(k, h.dim(), h.dtype()), (System.nanoTime() - t0) / 1e9);
        long[] done = {0};
        SymmetricOperator counted = new SymmetricOperator() {
            @Override
            public int dim() {
                return h.dim();
            }

            @Override
            public DType dtype() {
                return h.dtype();
            }

            @Override
            public Tensor apply(Tensor v) {
                Tensor r = h.apply(v);
                l.eigenvalueProducts(++done[0]);
                return r;
            }

            @Override
            public Tensor applyBatch(Tensor vs) {
                Tensor r = h.applyBatch(vs);
                done[0] += vs.dim(0);
                l.eigenvalueProducts(done[0]);
                return r;
            }
        };
        try {
            return Lanczos.topK(counted, k, Lanczos.Options.DEFAULT).values();
        } finally {
            l.eigenvaluesEnd();
        }
    }
}
