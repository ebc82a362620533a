package org.flatminima.engine.curvature;

import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.Scope;
import org.flatminima.engine.IndexOps;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.nn.LayerCurvature;
import org.flatminima.engine.nn.LayerTape;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.engine.nn.SampleSquares;
import org.flatminima.engine.nn.Taps;
import org.flatminima.kernels.DType;

/**
 * {@code exact-hbp}: the exact diagonal of the Hessian of the mean softmax cross-entropy, and each point's own
 * Hessian trace, for sequential networks whose layers declare a {@link LayerCurvature} rule (Linear, Conv2d,
 * pooling, Flatten, eval-mode batch norm, ReLU, LeakyReLU, and the smooth activations tanh, sigmoid, softplus), by
 * Hessian backpropagation (Dangel, Harmeling and Hennig, AISTATS 2020). The derivation is in docs/curvature-exact.md.
 *
 * <p>For point n, let {@code H_k} be the Hessian of its loss with respect to the output of layer k. Then
 * {@code H_L = S S^T} at the logits ({@code S = [s_1 .. s_{C-1}]}, the factor of {@link LogitFactor}) and
 * {@code H_{k-1} = J_k^T H_k J_k + diag(r_k)}, with {@code r_k} the residual of layer k ({@link
 * LayerCurvature#residual}: {@code f''(x) g} for an activation, zero for piecewise-linear layers). Unrolled,
 * {@code H_k = sum_c (J^T s_c)(J^T s_c)^T + sum_{j > k} sum_u r_{j,u} (J^T e_u)(J^T e_u)^T}, the Jacobians J being
 * those from layer k's output to the logits, resp. to layer j's input. Every layer with parameters is linear in each
 * single one of its weights, so the diagonal of its weight Hessian is {@code diag(J_theta^T H_k J_theta)}: a
 * weighted sum of squared per-sample gradients, one per column above. Each column is one backward pass for every
 * point of a batch at once ({@link LayerTape}); its squares are summed by the layers' own per-sample rules
 * ({@link SampleSquares#add(Tensor, Tensor)}, with the signed weight {@code r_{j,u}} per point). The result is
 * exact: no column is dropped and no term is approximated.
 *
 * <p>Cost per batch of points: one forward pass, one backward pass for the gradient, C - 1 backward passes from
 * the logits, and for every layer j with a residual, one backward pass per unit of its input (columns whose weight is
 * zero for every point of the batch are skipped), each running from layer j down to the first layer with
 * parameters only. Where the layer below j has parameters (an activation after Linear or Conv2d), that layer
 * takes the diagonal term in closed form ({@link SampleSquares#addDiagonal}), and the columns start below it;
 * where it is the first layer with parameters, the residual costs no backward pass at all. Where the layers further
 * down allow it, the term is carried down as a diagonal instead of its columns ({@link #carried}): an MLP with two
 * hidden smooth layers needs no residual column. {@link #passesPerBatch} gives the count before computing.
 */
public final class HessianBackprop {
    private HessianBackprop() {
    }

    /**
     * Whether residual terms are carried down as diagonals where the layers allow it ({@link #carried}); a test
     * turns it off to compare with the columns.
     */
    static boolean carryDiagonal = true;

    /** Activation elements (inputs plus outputs of every layer) per batch when the batch size is picked. */
    private static final long BATCH_ACTIVATIONS = 1L << 22;

    /**
     * Why exact-hbp does not apply to {@code net}, or null if it does: every layer must declare a
     * {@link LayerCurvature} rule and keep the points independent in the network's mode (training-mode batch
     * norm does not).
     */
    public static String whyNot(Network net) {
        return ExactTraces.check(net, true);
    }

    /**
     * The exact-hbp trace, per parameter tensor, per layer and per point (always included).
     *
     * @param batch points per batch; 0 picks one that bounds the layer inputs and outputs of a batch (about 2^22
     *     elements)
     * @throws IllegalArgumentException naming the layer and the reason if exact-hbp does not apply ({@link #whyNot})
     */
    public static TraceBreakdown exactHbp(Network net, Tensor theta, Tensor x, int[] labels, int batch) {
        refuseUnlessApplies(net);
        return run(net, theta, x, labels, batch, null);
    }

    /**
     * The exact diagonal of the Hessian of the mean loss, {@code [P]} in {@code theta}'s dtype.
     *
     * @param batch points per batch; 0 picks one
     * @throws IllegalArgumentException as {@link #exactHbp}
     */
    public static Tensor exactHbpDiagonal(Network net, Tensor theta, Tensor x, int[] labels, int batch) {
        refuseUnlessApplies(net);
        Tensor diag = Tensor.zeros(theta.dtype(), net.parameterCount());
        run(net, theta, x, labels, batch, diag);
        return diag;
    }

    /**
     * The backward passes exact-hbp makes per batch of points on {@code net}, known before computing: 1 for the
     * gradient, C for the loss columns, and for every layer with a residual whose term can be neither taken whole
     * nor carried down as a diagonal, one per unit of that layer's input. This is the count {@link #exactHbp} reports
     * for a batch ({@link TraceBreakdown#passes()}) unless a unit's residual vanishes at every point of the batch
     * (e.g. under a max pooling that passes no gradient to it), whose column is skipped: it is exact for smooth
     * activations whose output reaches the logits through layers that keep every gradient, and an upper bound
     * otherwise. The cost of one pass grows with the batch and the layers it crosses; this counts passes only.
     * Decided from the layers' structure on one zero-valued point (one forward pass, no backward pass).
     *
     * @param sampleShape the shape of one input point (without the batch axis), e.g. {@code net.sampleShape()}
     * @throws IllegalArgumentException as {@link #exactHbp}
     */
    public static long passesPerBatch(Network net, int[] sampleShape) {
        refuseUnlessApplies(net);
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = 1;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        try (Scope scope = Scope.open()) {
            Tensor theta = Tensor.zeros(DType.F64, net.parameterCount());
            List<LayerTape.Layer> tape = LayerTape.record(net, theta, Tensor.zeros(theta.dtype(), shape));
            SampleSquares[] accs = new SampleSquares[tape.size()];
            int first = -1;
            for (int i = 0; i < tape.size(); i++) {
                LayerTape.Layer l = tape.get(i);
                if (!l.site().module().parameters().isEmpty()) {
                    first = first < 0 ? i : first;
                    accs[i] = ExactTraces.sampleSquares(net, l.site(), l.input(), null, 0);
                }
            }
            if (first < 0) {
                return 0;
            }
            int c = net.classes();
            double[][] p = new double[1][c];
            Arrays.fill(p[0], 1.0 / c);
            Tensor[] residual = residuals(tape, first, p, new int[1], theta);
            long passes = 1 + LogitFactor.columns(c);
            for (int j = first + 1; j < tape.size(); j++) {
                if (residual[j] != null) {
                    passes += columnsNeeded(tape, accs, first, j, residual[j]);
                }
            }
            return passes;
        }
    }

    /**
     * The residual columns layer j's term needs (before skipping those that vanish at every point): none if the
     * layer below is the first with parameters or the term can be carried ({@link #carried}), else one per unit.
     * Changes nothing.
     */
    private static long columnsNeeded(List<LayerTape.Layer> tape, SampleSquares[] accs, int first, int j,
            Tensor residual) {
        int below = j - 1;
        if (accs[below] != null && below == first
                || carryDiagonal && carried(tape, accs, first, below, residual, false)) {
            return 0;
        }
        int m = residual.dim(0);
        return residual.size() / Math.max(m, 1);
    }

    private static void refuseUnlessApplies(Network net) {
        String why = whyNot(net);
        if (why != null) {
            throw new IllegalArgumentException("exact-hbp refused: " + why);
        }
    }

    private static TraceBreakdown run(Network net, Tensor theta, Tensor x, int[] labels, int batch, Tensor diag) {
        int n = x.rank() == 0 ? 0 : x.dim(0);
        ExactTraces.checkLabels(net, n, labels);
        if (batch <= 0) {
            long perPoint = 1;
            for (Taps.Site s : Taps.layers(net, 1)) {
                perPoint += ExactTraces.sizeOf(s.outputShape()) + ExactTraces.sizeOf(s.inputShape());
            }
            batch = (int) Math.max(1, Math.min(Math.max(n, 1), BATCH_ACTIVATIONS / perPoint));
        }
        double[][] pp = new double[n][net.layout().entries().size()];
        long passes = 0;
        for (int b0 = 0; b0 < n; b0 += batch) {
            int m = Math.min(batch, n - b0);
            try (Scope scope = Scope.open()) {
                passes += batch(net, theta, x.slice(0, b0, b0 + m), Arrays.copyOfRange(labels, b0, b0 + m), diag,
                        pp, b0);
            }
        }
        if (diag != null && n > 0) {
            TensorOps.assign(diag, TensorOps.scale(diag, 1.0 / n));
        }
        return ExactTraces.fromPoints("exact-hbp", net, pp, passes);
    }

    /** One batch: adds each point's squares into {@code pp[b0 + i]} (and the diagonal); returns the passes. */
    private static long batch(Network net, Tensor theta, Tensor xb, int[] labels, Tensor diag, double[][] pp,
            int b0) {
        List<LayerTape.Layer> tape = LayerTape.record(net, theta, xb);
        int layers = tape.size();
        int m = labels.length;
        SampleSquares[] accs = new SampleSquares[layers];
        int first = -1;
        for (int i = 0; i < layers; i++) {
            LayerTape.Layer l = tape.get(i);
            if (!l.site().module().parameters().isEmpty()) {
                first = first < 0 ? i : first;
                accs[i] = ExactTraces.sampleSquares(net, l.site(), l.input(), diag,
                        LogitFactor.columns(net.classes()));
            }
        }
        if (first < 0) {
            return 0;
        }
        int c = net.classes();
        double[] z = tape.get(layers - 1).output().toDoubleArray();
        double[][] p = new double[m][c];
        for (int i = 0; i < m; i++) {
            ExactTraces.softmax(z, i * c, c, p[i]);
        }
        Tensor[] residual = residuals(tape, first, p, labels, theta);
        long passes = 1;
        double[] seed = new double[m * c];
        for (int k = 0; k < LogitFactor.columns(c); k++) {
            LogitFactor.column(p, k, seed);
            try (Scope col = Scope.open()) {
                down(tape, accs, first, layers - 1, Tensor.of(theta.dtype(), seed, m, c), null);
            }
            passes++;
        }
        for (int j = first + 1; j < layers; j++) {
            if (residual[j] != null) {
                passes += residualColumns(tape, accs, first, j, residual[j]);
            }
        }
        List<ParameterLayout.Entry> params = net.layout().entries();
        for (int i = first; i < layers; i++) {
            if (accs[i] != null) {
                double[][] sums = accs[i].finish();
                int[] idx = ExactTraces.paramIndices(params, tape.get(i).site());
                for (int k = 0; k < idx.length; k++) {
                    for (int j = 0; j < m; j++) {
                        pp[b0 + j][idx[k]] += sums[k][j];
                    }
                }
            }
        }
        return passes;
    }

    /**
     * One backward pass with the gradient of each point's own loss ({@code p - e_y} at the logits), asking every
     * layer above the first one with parameters for its residual; null where a layer has none.
     */
    private static Tensor[] residuals(List<LayerTape.Layer> tape, int first, double[][] p, int[] labels,
            Tensor theta) {
        int m = labels.length;
        int c = p.length == 0 ? 0 : p[0].length;
        double[] g0 = new double[m * c];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < c; j++) {
                g0[i * c + j] = p[i][j] - (j == labels[i] ? 1 : 0);
            }
        }
        Tensor g = Tensor.of(theta.dtype(), g0, m, c);
        Tensor[] r = new Tensor[tape.size()];
        for (int i = tape.size() - 1; i > first; i--) {
            LayerTape.Layer l = tape.get(i);
            r[i] = ((LayerCurvature) l.site().module()).residual(l.input(), g);
            if (i > first + 1) {
                g = l.pull(g);
            }
        }
        return r;
    }

    /**
     * The residual {@code diag(r)} of layer j, entering at the output of layer j - 1. If that layer has parameters,
     * it takes the diagonal term whole ({@link SampleSquares#addDiagonal}); the term goes further down as its unit
     * columns: for every unit u of layer j's input, the seed {@code e_u} (for every point), whose squares count with
     * weight {@code r_{n,u}} at point n. Returns the backward passes made (one per column).
     */
    private static long residualColumns(List<LayerTape.Layer> tape, SampleSquares[] accs, int first, int j,
            Tensor residual) {
        int below = j - 1;
        boolean direct = accs[below] != null;
        if (direct) {
            accs[below].addDiagonal(residual);
            if (below == first) {
                return 0;
            }
        }
        if (carryDiagonal && carried(tape, accs, first, below, residual, true)) {
            return 0;
        }
        int[] shape = residual.shape();
        int m = shape[0];
        int units = Math.toIntExact(residual.size() / Math.max(m, 1));
        double[] r = residual.contiguous().toDoubleArray();
        int[] unit = new int[m];
        double[] w = new double[m];
        long passes = 0;
        for (int u = 0; u < units; u++) {
            boolean any = false;
            for (int i = 0; i < m; i++) {
                w[i] = r[i * units + u];
                any |= w[i] != 0;
            }
            if (!any) {
                continue;
            }
            Arrays.fill(unit, u);
            try (Scope col = Scope.open()) {
                Tensor seed = IndexOps.oneHot(unit, units, residual.dtype()).reshape(shape);
                Tensor weight = Tensor.of(residual.dtype(), w, m);
                if (direct) {
                    down(tape, accs, first, below - 1, tape.get(below).pull(seed), weight);
                } else {
                    down(tape, accs, first, below, seed, weight);
                }
            }
            passes++;
        }
        return passes;
    }

    /**
     * Carries the diagonal term {@code diag(r)} at the output of layer {@code below} down to the first layer with
     * parameters without columns, if the layers in between allow it: through a layer with a diagonal Jacobian D
     * the term becomes {@code diag(D^2 r)} (still the whole term); through one layer with a squared pullback J it
     * becomes a term whose diagonal alone is known, {@code diag(J^T diag(r) J)}, which the layers with parameters
     * below may take only if their squares need only the diagonal ({@link SampleSquares#diagonalSuffices}), and
     * only through further diagonal Jacobians (whose {@code D M D} has the diagonal {@code D^2 diag(M)}). Returns
     * whether it can, adding the terms (not at {@code below} itself) only if it can and {@code add}.
     */
    private static boolean carried(List<LayerTape.Layer> tape, SampleSquares[] accs, int first, int below,
            Tensor r, boolean add) {
        int[] sites = new int[below - first];
        Tensor[] terms = new Tensor[below - first];
        int hits = 0;
        boolean onlyDiagonal = false;
        Tensor d = r;
        for (int i = below; ; i--) {
            LayerTape.Layer l = tape.get(i);
            if (i < below && accs[i] != null) {
                if (onlyDiagonal && !accs[i].diagonalSuffices()) {
                    return false;
                }
                sites[hits] = i;
                terms[hits++] = d;
            }
            if (i == first) {
                break;
            }
            LayerCurvature lc = (LayerCurvature) l.site().module();
            Tensor sq;
            if (lc.diagonalJacobian(l.params().mode())) {
                Tensor jd = l.pull(Tensor.full(d.dtype(), 1, l.output().shape()));
                d = TensorOps.mul(d.contiguous().reshape(l.input().shape()), TensorOps.mul(jd, jd));
            } else if (!onlyDiagonal && (sq = lc.squaredPullback(d, name -> l.parameter(name))) != null) {
                d = sq;
                onlyDiagonal = true;
            } else {
                return false;
            }
        }
        for (int k = 0; add && k < hits; k++) {
            accs[sites[k]].addDiagonal(terms[k]);
        }
        return true;
    }

    /**
     * Carries the cotangent {@code g} at the output of layer {@code from} down to the first layer with
     * parameters, feeding it (with {@code weight}) to the per-sample rule of every layer with parameters on the
     * way.
     */
    private static void down(List<LayerTape.Layer> tape, SampleSquares[] accs, int first, int from, Tensor g,
            Tensor weight) {
        for (int i = from; ; i--) {
            if (accs[i] != null) {
                accs[i].add(g, weight);
            }
            if (i == first) {
                return;
            }
            g = tape.get(i).pull(g);
        }
    }
}
