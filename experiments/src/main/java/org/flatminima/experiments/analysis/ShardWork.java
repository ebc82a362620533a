package org.flatminima.experiments.analysis;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.HessianOperator;
import org.flatminima.engine.curvature.Hutchinson;
import org.flatminima.engine.curvature.TraceBreakdown;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.measures.Margins;
import org.flatminima.experiments.measures.ModelMargins;
import org.flatminima.experiments.train.Passes;

/** The per-point work of one shard ({@link Analysis#analyzePoints}), chunk by chunk. */
final class ShardWork {
    private ShardWork() {
    }

    /**
     * The shard of the points {@code xPart} (points {@code offset ..} of the data set) for {@code net} in eval
     * mode. Each chunk is computed on its own (forward and input-gradient passes of at most
     * {@link Passes#pointsPerPass(Network, Tensor, int)} points, one exact breakdown when the plan asks for one),
     * so a chunk's values do not depend on the shard around it.
     */
    static Analysis.Shard analyze(Network net, Tensor theta, Tensor xPart, int[] labelsPart, int offset,
                                  Analysis.Options o) {
        int n = labelsPart.length;
        int chunk = o.chunk();
        if (xPart.dim(0) != n) {
            throw new IllegalArgumentException(n + " labels for " + xPart.dim(0) + " points");
        }
        if (offset < 0 || offset % chunk != 0) {
            throw new IllegalArgumentException("a shard starts at a multiple of the chunk (" + chunk + " points), "
                    + "got point " + offset);
        }
        Plan plan = Plan.of(net, o);
        double[] loss = new double[n];
        int[] predicted = new int[n];
        double[] out = new double[n];
        double[] soft = new double[n];
        double[] in = new double[n];
        double[] traces = plan.pointMethod() == null ? null : new double[n];
        String traceMethod = plan.pointMethod() == Curvature.Method.HUTCHINSON ? "hutchinson" : null;
        int chunks = (n + chunk - 1) / chunk;
        double[][] sums = plan.traceFromShards() ? new double[chunks][] : null;
        String sumMethod = plan.traceFromShards() ? plan.exact().label() : null;
        long passes = 0;
        double maxAbsLogit = 0;
        // the forward and input-gradient passes of a chunk, a bounded number of points at a time
        int pass = o.pointsPerPass() > 0 ? o.pointsPerPass() : Passes.pointsPerPass(net, theta, chunk);
        for (int k = 0; k < chunks; k++) {
            int from = k * chunk;
            int to = Math.min(n, from + chunk);
            for (int a = from; a < to; a += pass) {
                int b = Math.min(to, a + pass);
                try (Scope s = Scope.open()) {
                    Tensor xb = xPart.slice(0, a, b).contiguous();
                    int[] yb = Arrays.copyOfRange(labelsPart, a, b);
                    Tensor z = net.logits(Var.of(theta), xb).value();
                    for (double v : z.toDoubleArray()) {
                        maxAbsLogit = Double.isNaN(v) || Double.isNaN(maxAbsLogit) ? Double.NaN
                                : Math.max(maxAbsLogit, Math.abs(v));
                    }
                    double[] lb = TensorOps.softmaxCrossEntropy(z, yb)[0].toDoubleArray();
                    Margins.Columns m = Margins.of(z, yb);
                    double[] im = ModelMargins.inputMargins(net, theta, xb, yb, m);
                    System.arraycopy(lb, 0, loss, a, b - a);
                    System.arraycopy(m.predicted(), 0, predicted, a, b - a);
                    System.arraycopy(m.output(), 0, out, a, b - a);
                    System.arraycopy(m.softmax(), 0, soft, a, b - a);
                    System.arraycopy(im, 0, in, a, b - a);
                }
            }
            try (Scope s = Scope.open()) {
                Tensor xb = xPart.slice(0, from, to).contiguous();
                int[] yb = Arrays.copyOfRange(labelsPart, from, to);
                if (plan.traceFromShards()) {
                    TraceBreakdown b = Curvature.of(net, theta, xb, yb).breakdown(plan.exact(), true);
                    if (!b.hasPoints()) {
                        throw new IllegalStateException(b.method() + " gave no per-point traces");
                    }
                    sums[k] = columnSums(b.perPointParam(), b.params().size());
                    passes += b.passes();
                    sumMethod = b.method();
                    if (plan.exactPointTraces()) {
                        System.arraycopy(b.perPoint(), 0, traces, from, to - from);
                        traceMethod = b.method();
                    }
                }
            }
            if (plan.pointMethod() == Curvature.Method.HUTCHINSON) {
                for (int i = from; i < to; i++) {
                    traces[i] = hutchinsonPointTrace(net, theta, xPart, labelsPart[i], i, offset + i,
                            Hutchinson.Options.defaults());
                }
            }
        }
        Analysis.TraceSums ts = sums == null ? null : new Analysis.TraceSums(sumMethod, sums, passes);
        return new Analysis.Shard(offset, net.parameterCount(), theta.dtype(), chunk, labelsPart.clone(), predicted,
                loss, traces, traceMethod, out, soft, in, maxAbsLogit, ts);
    }

    /** Per column e, the sum of {@code rows[i][e]} over the rows in order. */
    private static double[] columnSums(double[][] rows, int columns) {
        double[] s = new double[columns];
        for (double[] row : rows) {
            for (int e = 0; e < columns; e++) {
                s[e] += row[e];
            }
        }
        return s;
    }

    /**
     * Point {@code local}'s own trace by Hutchinson with {@code o}, its probes drawn as
     * {@code PerPointHutchinson.batched} draws those of point {@code global} of the whole data set: the same value
     * whatever shard the point is in.
     */
    private static double hutchinsonPointTrace(Network net, Tensor theta, Tensor x, int label, int local, long global,
                                               Hutchinson.Options o) {
        long seed = itemGenerator(o.seed(), global).nextLong();
        try (Scope s = Scope.open()) {
            HessianOperator op = new HessianOperator(
                    net.lossFunction(x.slice(0, local, local + 1).contiguous(), new int[] {label}), theta);
            return Hutchinson.trace(op, o.withSeed(seed)).value();
        }
    }

    /**
     * Item {@code i}'s generator of the family seeded by {@code seed}, as the engine's per-point Hutchinson
     * derives it (its {@code Probes.forItem} is package-private); AnalysisShardsTest checks that the per-point
     * values equal {@code Curvature.perPointTraces(HUTCHINSON)}'s bit for bit.
     */
    static SplittableRandom itemGenerator(long seed, long i) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L);
    }
}
