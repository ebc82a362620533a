package org.flatminima.experiments.analysis;

import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.Hutchinson;
import org.flatminima.engine.curvature.Lanczos;
import org.flatminima.engine.curvature.PerPointHutchinson;
import org.flatminima.engine.curvature.SymmetricOperator;
import org.flatminima.engine.curvature.TraceResult;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.measures.Margins;
import org.flatminima.experiments.measures.ModelMargins;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.kernels.DType;

/**
 * What {@code flatminima analyze} measures for a model on a data set: loss, accuracy, the Hessian trace of the
 * mean loss, its top eigenvalues, and per point the loss, the trace of the point's own loss Hessian and three
 * margins (output, softmax, input-space). The model is evaluated in eval mode (batch norm's running statistics).
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
        Network net = model.withMode(Mode.EVAL);
        int n = labels.length;
        double[] loss = new double[n];
        int[] predicted = new int[n];
        double[] out = new double[n];
        double[] soft = new double[n];
        double[] in = new double[n];
        double maxAbsLogit = 0;
        for (int from = 0; from < n; from += CHUNK) {
            int to = Math.min(n, from + CHUNK);
            try (Scope s = Scope.open()) {
                Tensor xb = x.slice(0, from, to).contiguous();
                int[] yb = java.util.Arrays.copyOfRange(labels, from, to);
                Tensor z = net.logits(Var.of(theta), xb).value();
                for (double v : z.toDoubleArray()) {
                    maxAbsLogit = Double.isNaN(v) || Double.isNaN(maxAbsLogit) ? Double.NaN
                            : Math.max(maxAbsLogit, Math.abs(v));
                }
                double[] lb = TensorOps.softmaxCrossEntropy(z, yb)[0].toDoubleArray();
                Margins.Columns m = Margins.of(z, yb);
                double[] im = ModelMargins.inputMargins(net, theta, xb, yb, m);
                System.arraycopy(lb, 0, loss, from, to - from);
                System.arraycopy(m.predicted(), 0, predicted, from, to - from);
                System.arraycopy(m.output(), 0, out, from, to - from);
                System.arraycopy(m.softmax(), 0, soft, from, to - from);
                System.arraycopy(im, 0, in, from, to - from);
            }
        }
        double meanLoss = 0;
        int correct = 0;
        for (int i = 0; i < n; i++) {
            meanLoss += loss[i] / n;
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        Curvature c = Curvature.of(net, theta, x, labels);
        Curvature.Method method = switch (mode) {
            case AUTO -> Curvature.Method.AUTO;
            case EXACT -> c.bestExact() != null ? c.bestExact() : Curvature.Method.EXACT_HVP;
            case HUTCHINSON -> Curvature.Method.HUTCHINSON;
        };
        TraceResult trace = c.trace(method);
        double[] eig = new double[0];
        if (eigenvalues > 0) {
            eig = topEigenvalues(c, eigenvalues, listener);
        }
        double[] pointTraces = null;
        String pointMethod = null;
        if (perPointTraces) {
            Curvature.Method pm = method == Curvature.Method.HUTCHINSON ? Curvature.Method.HUTCHINSON
                    : (c.bestExact() != null ? c.bestExact() : Curvature.Method.HUTCHINSON);
            PerPointHutchinson.PerPointTraces pt = c.perPointTraces(pm, Hutchinson.Options.defaults());
            pointTraces = pt.values();
            pointMethod = pt.method();
        }
        PerPoint pp = new PerPoint(labels.clone(), predicted, loss, pointTraces, pointMethod, out, soft, in);
        return new Result(net.parameterCount(), n, meanLoss, correct / (double) n, trace, eig, pp,
                summary(out), summary(soft), summary(in), theta.dtype(), maxAbsLogit);
    }

    /** The summary of a column, or one of NaN statistics when the column holds a NaN (see the reason). */
    private static Summary summary(double[] column) {
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
