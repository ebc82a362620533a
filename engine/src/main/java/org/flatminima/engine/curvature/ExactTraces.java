package org.flatminima.engine.curvature;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.AvgPool2d;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.LeakyReLU;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.MaxPool2d;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Module;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.Sigmoid;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.engine.nn.Taps;
import org.flatminima.kernels.Window2d;

/**
 * Exact Hessian traces and diagonals of the mean softmax cross-entropy of a {@link Network}
 * ({@link Network#lossFunction}) at a flat parameter vector {@code theta}, over inputs {@code x [N, ...]} with
 * integer labels. Three methods (the math is in docs/curvature.md):
 * <ul>
 *   <li>{@code closed-form} ({@link #closedForm}), for the affine classifier (one Linear layer):
 *       {@code tr H_n = (||x_n||^2 + 1)(1 - ||p_n||^2)}.</li>
 *   <li>{@code exact-ggn} ({@link #exactGgn}, {@link #exactGgnDiagonal}), for networks piecewise linear in each
 *       single weight (Linear, Conv2d, ReLU, LeakyReLU, MaxPool2d, AvgPool2d, Flatten, eval-mode BatchNorm):
 *       there {@code diag(H) = diag(GGN)} almost everywhere, computed with C backward passes per batch of points
 *       (C = classes) and per-sample squared gradient norms. Refused, with the reason, for other networks.</li>
 *   <li>{@code exact-hvp} ({@link #exactHvp}, {@link #hvpDiagonal}): {@code e_i . H e_i} for every basis vector
 *       through batched Hessian-vector products; P products (N P for per-point traces): small models, checks.</li>
 * </ul>
 * Results are doubles; the computation runs in {@code theta}'s dtype on the current backend.
 */
public final class ExactTraces {
    private ExactTraces() {
    }

    /** Basis vectors per batched HVP pass in exact-hvp. */
    static final int HVP_BLOCK = 32;

    /** Activation elements (inputs plus outputs of the parametrised layers) per batch when exact-ggn picks it. */
    private static final long GGN_BATCH_ACTIVATIONS = 1L << 22;

    /** Largest unfolded (im2col) batch kept across the class passes, and the chunk bound for the conv GEMMs. */
    private static final long GGN_BATCH_ELEMENTS = 1L << 24;

    /** Largest unfolded batch kept across the class passes (elements); a test lowers it to exercise re-unfolding. */
    static long colsCacheElements = GGN_BATCH_ELEMENTS;

    // ------------------------------------------------------------------ closed form

    /** Whether {@code net} is an affine classifier: one Linear layer, optionally after Flatten layers. */
    public static boolean isAffine(Network net) {
        List<Module> leaves = new ArrayList<>();
        leaves(net.module(), leaves);
        if (leaves.isEmpty() || !(leaves.getLast() instanceof Linear)) {
            return false;
        }
        for (int i = 0; i < leaves.size() - 1; i++) {
            if (!(leaves.get(i) instanceof Flatten)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code closed-form}: for the affine classifier {@code z = W x + b}, the Hessian of point n's loss is
     * {@code (diag(p_n) - p_n p_n^T) (x) [x_n; 1][x_n; 1]^T}, so its trace splits into {@code ||x_n||^2 (1 -
     * ||p_n||^2)} on the weight and {@code 1 - ||p_n||^2} on the bias; {@code tr H} is their mean over the points.
     * Per-point traces are always included. Labels are checked but do not enter (the Hessian of the
     * cross-entropy does not depend on them).
     *
     * @throws IllegalArgumentException if the network is not affine ({@link #isAffine})
     */
    public static TraceBreakdown closedForm(Network net, Tensor theta, Tensor x, int[] labels) {
        if (!isAffine(net)) {
            throw new IllegalArgumentException("closed-form needs an affine classifier (one Linear layer, e.g. "
                    + "Sequential.mlp(D, C)), got " + net.module() + "; use exact-ggn or exact-hvp");
        }
        checkLabels(net, x.dim(0), labels);
        Taps.Site site = Taps.sites(net, x.dim(0)).getFirst();
        Linear lin = (Linear) site.module();
        List<ParameterLayout.Entry> params = net.layout().entries();
        int w = indexOf(params, site.param("weight"));
        int b = lin.bias() ? indexOf(params, site.param("bias")) : -1;
        int n = x.dim(0);
        int c = net.classes();
        double[] z = net.logits(Var.of(theta), x).value().toDoubleArray();
        double[] xs = x.contiguous().reshape(n, -1).toDoubleArray();
        int d = xs.length / Math.max(n, 1);
        double[][] pp = new double[n][params.size()];
        double[] p = new double[c];
        for (int i = 0; i < n; i++) {
            softmax(z, i * c, c, p);
            double q = 1;
            for (double pc : p) {
                q -= pc * pc;
            }
            double xx = 0;
            for (int j = 0; j < d; j++) {
                xx += xs[i * d + j] * xs[i * d + j];
            }
            pp[i][w] = xx * q;
            if (b >= 0) {
                pp[i][b] = q;
            }
        }
        return fromPoints("closed-form", net, pp, 0);
    }

    // ------------------------------------------------------------------ exact-ggn

    /**
     * Why exact-ggn does not apply to {@code net}, or null if it does: every layer must be Linear, Conv2d, ReLU,
     * LeakyReLU, MaxPool2d, AvgPool2d, Flatten, or BatchNorm in {@link Mode#EVAL}.
     */
    public static String whyNotPiecewiseLinear(Network net) {
        return check(net, false);
    }

    private static String check(Network net, boolean allowSmooth) {
        List<String> paths = new ArrayList<>();
        List<Module> leaves = new ArrayList<>();
        leaves(net.module(), "", paths, leaves);
        for (int i = 0; i < leaves.size(); i++) {
            String where = "layer " + (paths.get(i).isEmpty() ? "(root)" : paths.get(i)) + " " + leaves.get(i);
            String why = switch (leaves.get(i)) {
                case Linear l -> null;
                case Conv2d cv -> null;
                case ReLU r -> null;
                case LeakyReLU r -> null;
                case MaxPool2d m -> null;
                case AvgPool2d a -> null;
                case Flatten f -> null;
                case BatchNorm bn -> net.mode() == Mode.EVAL ? null : where + " is in training mode: the batch "
                        + "statistics couple the points and make the output nonlinear in its weights, so the loss "
                        + "is not a sum of per-point terms and diag(H) != diag(GGN); use net.withMode(Mode.EVAL), "
                        + "exact-hvp (small models) or hutchinson";
                case Tanh t -> allowSmooth ? null : smooth(where);
                case Sigmoid s -> allowSmooth ? null : smooth(where);
                case Sequential s -> throw new IllegalStateException("unreachable: leaves are not containers");
            };
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    private static String smooth(String where) {
        return where + " is a smooth activation: the network is not piecewise linear in each single weight, so "
                + "the logits have nonzero second derivatives along single weights and diag(H) != diag(GGN); use "
                + "exact-hvp (small models) or hutchinson";
    }

    /**
     * {@code exact-ggn} trace, per parameter tensor, per layer and per point, processing the points in batches
     * sized by the model (see {@link #exactGgn(Network, Tensor, Tensor, int[], int)}).
     */
    public static TraceBreakdown exactGgn(Network net, Tensor theta, Tensor x, int[] labels) {
        return exactGgn(net, theta, x, labels, 0);
    }

    /**
     * {@code exact-ggn}: for a network piecewise linear in each single weight, {@code diag(H_n) = sum_c (J_n^T
     * s_{n,c})^2} with {@code s_c = sqrt(p_c)(e_c - p)}. Per batch of points: one tapped forward pass, C backward
     * passes from the seeds {@code S_c} (row n = {@code s_{n,c}}) to every parametrised layer's output, and
     * per-sample squared gradient norms from each layer's input and output cotangent. Each batch runs in its own
     * {@link Scope}. Per-point traces are always included.
     *
     * @param batch points per batch; 0 picks one that bounds the layer inputs and outputs of a batch (about 2^22
     *     elements; the backward passes' temporaries are a few times that)
     * @throws IllegalArgumentException naming the layer and the reason if the network is not piecewise linear in
     *     each weight ({@link #whyNotPiecewiseLinear})
     */
    public static TraceBreakdown exactGgn(Network net, Tensor theta, Tensor x, int[] labels, int batch) {
        refuseUnlessPiecewiseLinear(net);
        return ggn(net, theta, x, labels, batch, null);
    }

    /**
     * The exact diagonal of the Hessian of the mean loss by the exact-ggn identity, shape {@code [P]} in
     * {@code theta}'s dtype: {@code (1/N) sum_n sum_c (J_n^T s_{n,c})^2} elementwise.
     *
     * @param batch points per batch; 0 picks one
     * @throws IllegalArgumentException as {@link #exactGgn}
     */
    public static Tensor exactGgnDiagonal(Network net, Tensor theta, Tensor x, int[] labels, int batch) {
        refuseUnlessPiecewiseLinear(net);
        Tensor diag = Tensor.zeros(theta.dtype(), net.parameterCount());
        ggn(net, theta, x, labels, batch, diag);
        return diag;
    }

    private static void refuseUnlessPiecewiseLinear(Network net) {
        String why = whyNotPiecewiseLinear(net);
        if (why != null) {
            throw new IllegalArgumentException("exact-ggn refused: " + why);
        }
    }

    /**
     * The generalised Gauss-Newton trace (and diagonal into {@code diag}, scaled by 1/N, if not null) without the
     * piecewise-linearity check: equal to the Hessian's only for the networks {@link #exactGgn} accepts. For
     * tests that show the difference on smooth networks. Training-mode batch norm is still refused (the
     * per-point decomposition itself fails there).
     */
    static TraceBreakdown ggnTrace(Network net, Tensor theta, Tensor x, int[] labels, int batch, Tensor diag) {
        String why = check(net, true);
        if (why != null) {
            throw new IllegalArgumentException("GGN refused: " + why);
        }
        return ggn(net, theta, x, labels, batch, diag);
    }

    private static TraceBreakdown ggn(Network net, Tensor theta, Tensor x, int[] labels, int batch, Tensor diag) {
        int n = x.rank() == 0 ? 0 : x.dim(0);
        checkLabels(net, n, labels);
        int c = net.classes();
        List<ParameterLayout.Entry> params = net.layout().entries();
        List<Taps.Site> sites1 = Taps.sites(net, 1);
        if (batch <= 0) {
            long perPoint = 1;
            for (Taps.Site s : sites1) {
                perPoint += sizeOf(s.outputShape()) + sizeOf(s.inputShape());
            }
            batch = (int) Math.max(1, Math.min(Math.max(n, 1), GGN_BATCH_ACTIVATIONS / perPoint));
        }
        double[][] pp = new double[n][params.size()];
        long passes = 0;
        for (int b0 = 0; b0 < n; b0 += batch) {
            int m = Math.min(batch, n - b0);
            try (Scope scope = Scope.open()) {
                Tensor xb = x.slice(0, b0, b0 + m);
                int[] yb = Arrays.copyOfRange(labels, b0, b0 + m);
                Taps.Tapped tp = Taps.record(net, theta, xb);
                List<LayerAcc> accs = new ArrayList<>();
                for (int i = 0; i < tp.sites().size(); i++) {
                    accs.add(accumulator(net, tp.sites().get(i), tp.inputs().get(i), params, diag));
                }
                double[] z = tp.logits().toDoubleArray();
                double[][] p = new double[m][c];
                for (int i = 0; i < m; i++) {
                    softmax(z, i * c, c, p[i]);
                }
                double[] seed = new double[m * c];
                for (int k = 0; k < c; k++) {
                    // row i of S_k is s_{i,k} = sqrt(p_ik) (e_k - p_i)
                    for (int i = 0; i < m; i++) {
                        double r = Math.sqrt(p[i][k]);
                        for (int j = 0; j < c; j++) {
                            seed[i * c + j] = r * ((j == k ? 1 : 0) - p[i][j]);
                        }
                    }
                    try (Scope cls = Scope.open()) {
                        List<Tensor> g = tp.pullback().apply(Tensor.of(theta.dtype(), seed, m, c));
                        for (int i = 0; i < accs.size(); i++) {
                            accs.get(i).add(g.get(i));
                        }
                    }
                    passes++;
                }
                for (LayerAcc a : accs) {
                    a.finish(pp, b0);
                }
            }
        }
        if (diag != null && n > 0) {
            TensorOps.assign(diag, TensorOps.scale(diag, 1.0 / n));
        }
        return fromPoints("exact-ggn", net, pp, passes);
    }

    private static long sizeOf(int[] s) {
        long r = 1;
        for (int d : s) {
            r *= d;
        }
        return r;
    }

    /**
     * Accumulates, over the C class passes of one batch, each point's squared per-sample gradient norm per
     * parameter tensor of one layer (and the diagonal, summed over the points, if asked).
     */
    private interface LayerAcc {
        /** One class pass: the cotangent at the layer's output, {@code [m, ...output]}. */
        void add(Tensor g);

        /** Adds the batch's per-point sums into rows {@code b0..} of {@code pp} (and the diagonal). */
        void finish(double[][] pp, int b0);
    }

    private static LayerAcc accumulator(Network net, Taps.Site site, Tensor a, List<ParameterLayout.Entry> params,
            Tensor diag) {
        int w = indexOf(params, site.param("weight"));
        return switch (site.module()) {
            case Linear lin -> {
                if (a.rank() != 2) {
                    throw new IllegalArgumentException("exact-ggn supports Linear layers on [N, in] inputs only; "
                            + "layer " + site.path() + " " + lin + " gets " + Arrays.toString(a.shape()));
                }
                yield new LinearAcc(a, w, lin.bias() ? indexOf(params, site.param("bias")) : -1, params, diag);
            }
            case Conv2d cv -> new ConvAcc(cv, a, w, cv.bias() ? indexOf(params, site.param("bias")) : -1, params,
                    diag);
            case BatchNorm bn -> new BatchNormAcc(net, site, bn, a, w, indexOf(params, site.param("bias")), params,
                    diag);
            default -> throw new IllegalStateException("no per-sample gradient rule for " + site.module());
        };
    }

    /** The diagonal's view on parameter tensor e, with that tensor's shape (null when no diagonal is wanted). */
    private static Tensor diagView(Tensor diag, ParameterLayout.Entry e) {
        return diag == null ? null : diag.slice(0, e.offset(), e.end()).reshape(e.shape());
    }

    /** {@code dst += src} in place (dst contiguous; src of the same shape, or reshaped to it). */
    private static void addInto(Tensor dst, Tensor src) {
        TensorOps.assign(dst, TensorOps.add(dst, src.contiguous().reshape(dst.shape())));
    }

    private static Tensor square(Tensor t) {
        return TensorOps.mul(t, t);
    }

    /** Sum over every axis but the first: {@code [m, ...] -> [m]} as doubles. */
    private static double[] rowSums(Tensor t) {
        return TensorOps.sum(t.contiguous().reshape(t.dim(0), -1), 1, false).toDoubleArray();
    }

    /**
     * Squares of a per-sample vector quantity u {@code [m, k]} summed over the class passes: the per-point sum is
     * the squared norm of that parameter's per-sample gradient; the column sum its diagonal contribution.
     */
    private static final class SquareSums {
        final Tensor acc;

        SquareSums(Tensor like, int m, int k) {
            acc = Tensor.zeros(like.dtype(), m, k);
        }

        void add(Tensor u) {
            addInto(acc, square(u));
        }

        void finish(double[][] pp, int b0, int e, Tensor diagView) {
            double[] s = rowSums(acc);
            for (int i = 0; i < s.length; i++) {
                pp[b0 + i][e] += s[i];
            }
            if (diagView != null) {
                addInto(diagView, TensorOps.sum(acc, 0, false));
            }
        }
    }

    /**
     * Linear {@code y = a W^T + b}: the per-sample weight gradient is {@code g_n a_n^T}, squared norm
     * {@code ||g_n||^2 ||a_n||^2}; bias {@code g_n}. Summed over classes, {@code G2 = sum_c g_c^2} serves both,
     * and the weight diagonal is {@code G2^T (a^2)}, one GEMM per batch.
     */
    private static final class LinearAcc implements LayerAcc {
        private final Tensor a;
        private final int w;
        private final int b;
        private final SquareSums g2;
        private final Tensor dw;
        private final Tensor db;

        LinearAcc(Tensor a, int w, int b, List<ParameterLayout.Entry> params, Tensor diag) {
            this.a = a;
            this.w = w;
            this.b = b;
            int out = params.get(w).shape()[0];
            this.g2 = new SquareSums(a, a.dim(0), out);
            this.dw = diagView(diag, params.get(w));
            this.db = b < 0 ? null : diagView(diag, params.get(b));
        }

        @Override
        public void add(Tensor g) {
            g2.add(g);
        }

        @Override
        public void finish(double[][] pp, int b0) {
            Tensor a2 = square(a);
            double[] gs = rowSums(g2.acc);
            double[] as = rowSums(a2);
            for (int i = 0; i < gs.length; i++) {
                pp[b0 + i][w] += gs[i] * as[i];
            }
            if (b >= 0) {
                g2.finish(pp, b0, b, db);
            }
            if (dw != null) {
                TensorOps.gemm2d(a.dtype(), g2.acc.transpose(0, 1), a2, dw, 1.0, 1.0);
            }
        }
    }

    /**
     * Conv2d: the per-sample weight gradient is {@code G_n = g_n cols_n^T} ({@code g_n [O, L]}, {@code cols_n
     * [C k k, L]} the unfolded input); its squared Frobenius norm needs the matrix, so one GEMM per sample and
     * class ({@code O L C k k} multiply-adds, the size of that sample's share of the weight-gradient GEMM). The
     * unfolded batch is kept across the class passes when it is small, else unfolded again per pass. Bias:
     * {@code sum_l g_{n,:,l}}.
     */
    private static final class ConvAcc implements LayerAcc {
        private final Conv2d cv;
        private final Tensor a;
        private final int w;
        private final int b;
        private final int m;
        private final Window2d one;
        private final Tensor cols;
        private final double[] wNorm;
        private final SquareSums bias;
        private final Tensor dw;
        private final Tensor db;

        ConvAcc(Conv2d cv, Tensor a, int w, int b, List<ParameterLayout.Entry> params, Tensor diag) {
            this.cv = cv;
            this.a = a.contiguous();
            this.w = w;
            this.b = b;
            this.m = a.dim(0);
            this.one = window(1);
            long colsSize = (long) m * one.colRows() * one.colCols();
            this.cols = colsSize <= colsCacheElements ? unfold(0, m) : null;
            this.wNorm = new double[m];
            this.bias = b < 0 ? null : new SquareSums(a, m, cv.out());
            this.dw = diagView(diag, params.get(w));
            this.db = b < 0 ? null : diagView(diag, params.get(b));
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
        public void add(Tensor g) {
            int o = cv.out();
            int l = one.colCols();
            Tensor g3 = g.contiguous().reshape(m, o, l);
            if (bias != null) {
                bias.add(TensorOps.sum(g3, 2, false));
            }
            int chunk = (int) Math.max(1, Math.min(m, GGN_BATCH_ELEMENTS / 4 / ((long) one.colRows() * l)));
            for (int i0 = 0; i0 < m; i0 += chunk) {
                int k = Math.min(chunk, m - i0);
                try (Scope s = Scope.open()) {
                    Tensor c = cols != null ? cols.slice(0, i0, i0 + k) : unfold(i0, k);
                    Tensor gw = TensorOps.matmul(g3.slice(0, i0, i0 + k), c.transpose(1, 2)); // [k, O, Ckk]
                    Tensor sq = square(gw);
                    double[] r = rowSums(sq);
                    for (int i = 0; i < k; i++) {
                        wNorm[i0 + i] += r[i];
                    }
                    if (dw != null) {
                        addInto(dw, TensorOps.sum(sq, 0, false));
                    }
                }
            }
        }

        @Override
        public void finish(double[][] pp, int b0) {
            for (int i = 0; i < m; i++) {
                pp[b0 + i][w] += wNorm[i];
            }
            if (bias != null) {
                bias.finish(pp, b0, b, db);
            }
        }
    }

    /**
     * Eval-mode BatchNorm {@code y = gamma xhat + beta}, {@code xhat = (a - running_mean) / sqrt(running_var +
     * eps)} per channel: per-sample gradients {@code sum_s g xhat} (weight) and {@code sum_s g} (bias) over the
     * positions s of a channel.
     */
    private static final class BatchNormAcc implements LayerAcc {
        private final int w;
        private final int b;
        private final Tensor xhat;
        private final int m;
        private final int ch;
        private final SquareSums gw;
        private final SquareSums gb;
        private final Tensor dw;
        private final Tensor db;

        BatchNormAcc(Network net, Taps.Site site, BatchNorm bn, Tensor a, int w, int b,
                List<ParameterLayout.Entry> params, Tensor diag) {
            this.w = w;
            this.b = b;
            this.m = a.dim(0);
            this.ch = bn.channels();
            double[] mean = net.buffers().get(site.param("running_mean")).toDoubleArray();
            double[] var = net.buffers().get(site.param("running_var")).toDoubleArray();
            double[] inv = new double[ch];
            for (int j = 0; j < ch; j++) {
                inv[j] = 1 / Math.sqrt(var[j] + bn.eps());
            }
            Tensor a3 = a.contiguous().reshape(m, ch, -1);
            this.xhat = TensorOps.mul(TensorOps.sub(a3, Tensor.of(a.dtype(), mean, ch, 1)),
                    Tensor.of(a.dtype(), inv, ch, 1));
            this.gw = new SquareSums(a, m, ch);
            this.gb = new SquareSums(a, m, ch);
            this.dw = diagView(diag, params.get(w));
            this.db = diagView(diag, params.get(b));
        }

        @Override
        public void add(Tensor g) {
            Tensor g3 = g.contiguous().reshape(m, ch, -1);
            gw.add(TensorOps.sum(TensorOps.mul(g3, xhat), 2, false));
            gb.add(TensorOps.sum(g3, 2, false));
        }

        @Override
        public void finish(double[][] pp, int b0) {
            gw.finish(pp, b0, w, dw);
            gb.finish(pp, b0, b, db);
        }
    }

    // ------------------------------------------------------------------ exact-hvp

    /**
     * {@code e_i . H e_i} for {@code i} in {@code [from, to)}, through batched HVPs of {@link #HVP_BLOCK} basis
     * vectors per pass: {@code to - from} Hessian-vector products. Returns the diagonal entries in order.
     */
    public static double[] hvpDiagonal(HessianOperator op, int from, int to) {
        int p = op.dim();
        if (from < 0 || to > p || from > to) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") of a Hessian of size " + p);
        }
        double[] d = new double[to - from];
        for (int j0 = from; j0 < to; j0 += HVP_BLOCK) {
            int k = Math.min(HVP_BLOCK, to - j0);
            try (Scope s = Scope.open()) {
                double[] e = new double[k * p];
                for (int r = 0; r < k; r++) {
                    e[r * p + j0 + r] = 1;
                }
                Tensor rows = op.applyBatch(Tensor.of(op.dtype(), e, k, p));
                for (int r = 0; r < k; r++) {
                    d[j0 - from + r] = rows.get(r, j0 + r);
                }
            }
        }
        return d;
    }

    /** The whole diagonal of {@code op} as {@code [P]} in its dtype, by {@link #hvpDiagonal}. */
    public static Tensor hvpDiagonal(HessianOperator op) {
        return Tensor.of(op.dtype(), hvpDiagonal(op, 0, op.dim()), op.dim());
    }

    /**
     * {@code exact-hvp}: the whole-data trace and its split by parameter tensor and layer from the diagonal of the
     * mean loss's Hessian ({@code P} HVPs); with {@code perPoint}, also each point's own trace from the Hessian of
     * the network's loss on that point alone ({@code N} more operators, {@code N P} HVPs). For small models and
     * for checking the other methods.
     */
    public static TraceBreakdown exactHvp(Network net, Tensor theta, Tensor x, int[] labels, boolean perPoint) {
        List<ParameterLayout.Entry> params = net.layout().entries();
        int p = net.parameterCount();
        double[] d = hvpDiagonal(new HessianOperator(net.lossFunction(x, labels), theta), 0, p);
        double[] perParam = byParam(params, d);
        double total = 0;
        for (double v : perParam) {
            total += v;
        }
        long passes = p;
        double[][] pp = null;
        if (perPoint) {
            int n = x.dim(0);
            pp = new double[n][];
            for (int i = 0; i < n; i++) {
                HessianOperator op = new HessianOperator(
                        net.lossFunction(x.slice(0, i, i + 1).contiguous(), new int[] {labels[i]}), theta);
                pp[i] = byParam(params, hvpDiagonal(op, 0, p));
                passes += p;
            }
        }
        return new TraceBreakdown("exact-hvp", params, net.layerRanges(), total, perParam, pp, passes);
    }

    private static double[] byParam(List<ParameterLayout.Entry> params, double[] diag) {
        double[] r = new double[params.size()];
        for (int e = 0; e < r.length; e++) {
            for (int i = params.get(e).offset(); i < params.get(e).end(); i++) {
                r[e] += diag[i];
            }
        }
        return r;
    }

    // ------------------------------------------------------------------ helpers

    private static TraceBreakdown fromPoints(String method, Network net, double[][] pp, long passes) {
        List<ParameterLayout.Entry> params = net.layout().entries();
        double[] perParam = new double[params.size()];
        for (double[] row : pp) {
            for (int e = 0; e < row.length; e++) {
                perParam[e] += row[e];
            }
        }
        double total = 0;
        for (int e = 0; e < perParam.length; e++) {
            perParam[e] /= Math.max(pp.length, 1);
            total += perParam[e];
        }
        return new TraceBreakdown(method, params, net.layerRanges(), total, perParam, pp, passes);
    }

    /** Softmax of {@code z[off, off + c)} into {@code p}, in double precision. */
    private static void softmax(double[] z, int off, int c, double[] p) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) {
            max = Math.max(max, z[off + j]);
        }
        double s = 0;
        for (int j = 0; j < c; j++) {
            p[j] = Math.exp(z[off + j] - max);
            s += p[j];
        }
        for (int j = 0; j < c; j++) {
            p[j] /= s;
        }
    }

    private static void checkLabels(Network net, int n, int[] labels) {
        if (labels.length != n) {
            throw new IllegalArgumentException(labels.length + " labels for " + n + " inputs");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= net.classes()) {
                throw new IllegalArgumentException("label " + labels[i] + " of point " + i + " is outside [0, "
                        + net.classes() + ")");
            }
        }
    }

    private static int indexOf(List<ParameterLayout.Entry> params, String name) {
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("no parameter " + name);
    }

    private static void leaves(Module m, List<Module> out) {
        leaves(m, "", new ArrayList<>(), out);
    }

    private static void leaves(Module m, String path, List<String> paths, List<Module> out) {
        if (m instanceof Sequential s) {
            for (int i = 0; i < s.layers().size(); i++) {
                leaves(s.layers().get(i), path.isEmpty() ? String.valueOf(i) : path + "." + i, paths, out);
            }
        } else {
            paths.add(path);
            out.add(m);
        }
    }
}
