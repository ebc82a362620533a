package org.flatminima.engine.curvature;

import java.util.ArrayList;
import java.util.List;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.LayerCurvature;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.engine.nn.SampleSquares;
import org.flatminima.engine.nn.Taps;

/**
 * Exact Hessian traces and diagonals of the mean softmax cross-entropy of a {@link Network}
 * ({@link Network#lossFunction}) at a flat parameter vector {@code theta}, over inputs {@code x [N, ...]} with
 * integer labels. Three methods (the math is in docs/curvature-exact.md):
 * <ul>
 *   <li>{@code closed-form} ({@link #closedForm}), for the affine classifier (one Linear layer):
 *       {@code tr H_n = (||x_n||^2 + 1)(1 - ||p_n||^2)}.</li>
 *   <li>{@code exact-ggn} ({@link #exactGgn}, {@link #exactGgnDiagonal}), for networks piecewise linear in each
 *       single weight (Linear, Conv2d, ReLU, LeakyReLU, MaxPool2d, AvgPool2d, Flatten, eval-mode BatchNorm):
 *       there {@code diag(H) = diag(GGN)} almost everywhere, computed with C - 1 backward passes per batch of
 *       points (C = classes) and per-sample squared gradient norms. Refused, with the reason, for other networks. The
 *       layers say what this needs through {@link LayerCurvature}; this class switches over no layer type.</li>
 *   <li>{@code exact-hvp} ({@link #exactHvp}, {@link #hvpDiagonal}): {@code e_i . H e_i} for every basis vector
 *       through batched Hessian-vector products; P products (N P for per-point traces): small models, checks.</li>
 * </ul>
 * Networks with smooth activations have their exact method in {@link HessianBackprop} ({@code exact-hbp}). Results
 * are doubles; the computation runs in {@code theta}'s dtype on the current backend.
 */
public final class ExactTraces {
    private ExactTraces() {
    }

    /** Basis vectors per batched HVP pass in exact-hvp. */
    static final int HVP_BLOCK = 32;

    /** Activation elements (inputs plus outputs of the parametrised layers) per batch when exact-ggn picks it. */
    private static final long GGN_BATCH_ACTIVATIONS = 1L << 22;

    /**
     * Elements a layer's per-sample rule may keep across the backward passes (the unfolded input of a convolution);
     * a test lowers it to exercise recomputation.
     */
    static long colsCacheElements = 1L << 24;

    // ------------------------------------------------------------------ closed form

    /** Whether {@code net} is an affine classifier: one Linear layer, optionally after Flatten layers. */
    public static boolean isAffine(Network net) {
        List<Taps.Site> layers = Taps.layers(net, 1);
        if (layers.isEmpty() || !(layers.getLast().module() instanceof Linear)) {
            return false;
        }
        return layers.subList(0, layers.size() - 1).stream().allMatch(l -> l.module() instanceof Flatten);
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
     * Why exact-ggn does not apply to {@code net}, or null if it does: every layer must be piecewise linear in its
     * input and each of its own weights and keep the points independent in the network's mode
     * ({@link LayerCurvature}: Linear, Conv2d, ReLU, LeakyReLU, MaxPool2d, AvgPool2d, Flatten, ZeroPad2d, or
     * BatchNorm and Dropout in {@link Mode#EVAL}).
     */
    public static String whyNotPiecewiseLinear(Network net) {
        return check(net, false);
    }

    static String check(Network net, boolean allowSmooth) {
        for (Taps.Site l : Taps.layers(net, 1)) {
            String where = where(l);
            if (!(l.module() instanceof LayerCurvature lc)) {
                return where + " declares no curvature rule (it does not implement LayerCurvature); use exact-hvp "
                        + "(small models) or hutchinson";
            }
            String coupled = lc.whyPointsCoupled(net.mode());
            if (coupled != null) {
                return where + " " + coupled;
            }
            if (lc.form() == LayerCurvature.Form.SMOOTH_ELEMENTWISE && !allowSmooth) {
                return where + " is a smooth activation: the network is not piecewise linear in each single weight, "
                        + "so the logits have nonzero second derivatives along single weights and diag(H) != "
                        + "diag(GGN); use exact-hvp (small models) or hutchinson";
            }
        }
        return null;
    }

    static String where(Taps.Site l) {
        return "layer " + (l.path().isEmpty() ? "(root)" : l.path()) + " " + l.module();
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
     * s_{n,c})^2} for any factor {@code S_n = [s_{n,1} ..]} of the cross-entropy's Hessian at the logits,
     * {@code diag(p_n) - p_n p_n^T = S_n S_n^T}; {@link LogitFactor} gives one with C - 1 columns. Per batch of
     * points: one tapped forward pass, C - 1 backward passes from the seeds {@code S_c} (row n = {@code s_{n,c}})
     * to every parametrised layer's output, and
     * per-sample squared gradient norms from each layer's input and output cotangent. Each batch runs in its own
     * {@link Scope}. Per-point traces are always included.
     *
     * @param batch points per batch; 0 picks one that bounds the layer inputs and outputs of a batch (about 2^22
     *     elements; the backward passes' temporaries are a few times that)
     * @throws IllegalArgumentException naming the layer and the reason if the network is not piecewise linear in
     *     each weight ({@link #whyNotPiecewiseLinear})
     */
    public static TraceBreakdown exactGgn(Network net, Tensor theta, Tensor x, int[] labels, int batch) {
        return exactGgn(net, theta, x, labels, batch, null);
    }

    /**
     * {@link #exactGgn(Network, Tensor, Tensor, int[], int)}, showing each batch's forward pass to {@code seen}
     * (null: to nobody).
     */
    public static TraceBreakdown exactGgn(Network net, Tensor theta, Tensor x, int[] labels, int batch,
            Curvature.ForwardObserver seen) {
        refuseUnlessPiecewiseLinear(net);
        return ggn(net, theta, x, labels, batch, null, seen);
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
        ggn(net, theta, x, labels, batch, diag, null);
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
        return ggn(net, theta, x, labels, batch, diag, null);
    }

    private static TraceBreakdown ggn(Network net, Tensor theta, Tensor x, int[] labels, int batch, Tensor diag,
            Curvature.ForwardObserver seen) {
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
                Taps.Tapped tp = Taps.record(net, theta, xb);
                if (seen != null) {
                    seen.batch(b0, tp.logits(), tp.inputs().get(tp.inputs().size() - 1));
                }
                List<SampleSquares> accs = new ArrayList<>();
                for (int i = 0; i < tp.sites().size(); i++) {
                    accs.add(sampleSquares(net, tp.sites().get(i), tp.inputs().get(i), diag,
                            LogitFactor.columns(c)));
                }
                double[] z = tp.logits().toDoubleArray();
                double[][] p = new double[m][c];
                for (int i = 0; i < m; i++) {
                    softmax(z, i * c, c, p[i]);
                }
                double[] seed = new double[m * c];
                for (int k = 0; k < LogitFactor.columns(c); k++) {
                    LogitFactor.column(p, k, seed);
                    try (Scope cls = Scope.open()) {
                        List<Tensor> g = tp.pullback().apply(Tensor.of(theta.dtype(), seed, m, c));
                        for (int i = 0; i < accs.size(); i++) {
                            accs.get(i).add(g.get(i));
                        }
                    }
                    passes++;
                }
                for (int i = 0; i < accs.size(); i++) {
                    double[][] sums = accs.get(i).finish();
                    int[] idx = paramIndices(params, tp.sites().get(i));
                    for (int k = 0; k < idx.length; k++) {
                        for (int j = 0; j < m; j++) {
                            pp[b0 + j][idx[k]] += sums[k][j];
                        }
                    }
                }
            }
        }
        if (diag != null && n > 0) {
            TensorOps.assign(diag, TensorOps.scale(diag, 1.0 / n));
        }
        return fromPoints("exact-ggn", net, pp, passes);
    }

    static long sizeOf(int[] s) {
        long r = 1;
        for (int d : s) {
            r *= d;
        }
        return r;
    }

    /**
     * The per-sample rule of a site's layer for one batch, with views of the diagonal if one is wanted, told that
     * at least {@code passes} backward passes will follow.
     */
    static SampleSquares sampleSquares(Network net, Taps.Site site, Tensor input, Tensor diag, int passes) {
        List<Tensor> views = new ArrayList<>();
        if (diag != null) {
            List<ParameterLayout.Entry> params = net.layout().entries();
            for (int e : paramIndices(params, site)) {
                views.add(diag.slice(0, params.get(e).offset(), params.get(e).end()).reshape(params.get(e).shape()));
            }
        }
        SampleSquares.Batch batch = new SampleSquares.Batch(input, name -> net.buffers().get(site.param(name)),
                views, colsCacheElements, passes);
        try {
            return ((LayerCurvature) site.module()).sampleSquares(batch);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where(site) + ": " + e.getMessage(), e);
        }
    }

    /** The indices in {@code params} of a site's parameters, in the layer's order. */
    static int[] paramIndices(List<ParameterLayout.Entry> params, Taps.Site site) {
        return site.module().parameters().stream().mapToInt(p -> indexOf(params, site.param(p.name()))).toArray();
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

    static TraceBreakdown fromPoints(String method, Network net, double[][] pp, long passes) {
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
    static void softmax(double[] z, int off, int c, double[] p) {
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

    static void checkLabels(Network net, int n, int[] labels) {
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
}
