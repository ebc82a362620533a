package org.flatminima.experiments.analysis;

import java.util.List;
import org.flatminima.engine.curvature.TraceResult;

/** {@link Analysis#combine}: the result from shards in order and the whole-data part. */
final class Combine {
    private Combine() {
    }

    static Analysis.Result of(List<Analysis.Shard> shards, Analysis.WholeData whole) {
        check(shards, whole);
        Analysis.Shard first = shards.getFirst();
        int n = shards.getLast().to();
        int[] labels = new int[n];
        int[] predicted = new int[n];
        double[] loss = new double[n];
        double[] out = new double[n];
        double[] soft = new double[n];
        double[] in = new double[n];
        double[] traces = first.trace() == null ? null : new double[n];
        double maxAbsLogit = 0;
        for (Analysis.Shard s : shards) {
            int at = s.from();
            int m = s.labels().length;
            System.arraycopy(s.labels(), 0, labels, at, m);
            System.arraycopy(s.predicted(), 0, predicted, at, m);
            System.arraycopy(s.loss(), 0, loss, at, m);
            System.arraycopy(s.outputMargin(), 0, out, at, m);
            System.arraycopy(s.softmaxMargin(), 0, soft, at, m);
            System.arraycopy(s.inputMargin(), 0, in, at, m);
            if (traces != null) {
                System.arraycopy(s.trace(), 0, traces, at, m);
            }
            double v = s.maxAbsLogit();
            maxAbsLogit = Double.isNaN(v) || Double.isNaN(maxAbsLogit) ? Double.NaN : Math.max(maxAbsLogit, v);
        }
        double meanLoss = 0;
        int correct = 0;
        for (int i = 0; i < n; i++) {
            meanLoss += loss[i] / n;
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        TraceResult trace = whole.trace() != null ? whole.trace() : summedTrace(shards, n);
        Analysis.PerPoint pp = new Analysis.PerPoint(labels, predicted, loss, traces, first.traceMethod(), out, soft,
                in);
        return new Analysis.Result(first.params(), n, meanLoss, correct / (double) n, trace,
                whole.eigenvalues().clone(), pp, Analysis.summary(out), Analysis.summary(soft), Analysis.summary(in),
                first.dtype(), maxAbsLogit);
    }

    /**
     * The mean over the points of their own exact traces: per parameter tensor the chunks' sums added in chunk
     * order, divided by N, then added over the tensors in order.
     */
    private static TraceResult summedTrace(List<Analysis.Shard> shards, int n) {
        double[] perParam = null;
        long passes = 0;
        for (Analysis.Shard s : shards) {
            for (double[] chunk : s.traceSums().perChunk()) {
                if (perParam == null) {
                    perParam = new double[chunk.length];
                }
                for (int e = 0; e < chunk.length; e++) {
                    perParam[e] += chunk[e];
                }
            }
            passes += s.traceSums().passes();
        }
        double total = 0;
        if (perParam != null) {
            for (int e = 0; e < perParam.length; e++) {
                perParam[e] /= Math.max(n, 1);
                total += perParam[e];
            }
        }
        return TraceResult.exact(total, shards.getFirst().traceSums().method(), (int) Math.min(Integer.MAX_VALUE,
                passes));
    }

    /** Refuses shards that do not tile the data from point 0 in whole chunks, or that disagree. */
    private static void check(List<Analysis.Shard> shards, Analysis.WholeData whole) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("no shards to combine");
        }
        Analysis.Shard first = shards.getFirst();
        int at = 0;
        for (int i = 0; i < shards.size(); i++) {
            Analysis.Shard s = shards.get(i);
            if (s.from() != at) {
                throw new IllegalArgumentException("shard " + i + " starts at point " + s.from() + ", expected " + at
                        + ": pass the shards in order, none missing");
            }
            if (i < shards.size() - 1 && s.labels().length % s.chunk() != 0) {
                throw new IllegalArgumentException("shard " + i + " holds " + s.labels().length + " points, not whole "
                        + "chunks of " + s.chunk() + ": only the last shard may end in a partial chunk");
            }
            if (s.params() != first.params() || s.dtype() != first.dtype() || s.chunk() != first.chunk()
                    || (s.trace() == null) != (first.trace() == null)
                    || !java.util.Objects.equals(s.traceMethod(), first.traceMethod())
                    || (s.traceSums() == null) != (first.traceSums() == null)) {
                throw new IllegalArgumentException("shard " + i + " was computed with other options or another model "
                        + "than shard 0");
            }
            at = s.to();
        }
        if ((whole.trace() == null) == (first.traceSums() == null)) {
            throw new IllegalArgumentException(whole.trace() == null
                    ? "the whole-data trace is missing: the shards carry no trace sums, so wholeData must compute it"
                    : "the trace is given twice: by the shards' sums and by wholeData");
        }
    }
}
