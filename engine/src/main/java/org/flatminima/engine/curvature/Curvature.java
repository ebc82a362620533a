package org.flatminima.engine.curvature;

import java.util.Locale;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;

/**
 * The second-order toolkit for one model at one point on one data set: the Hessian of the mean cross-entropy
 * {@code L(theta) = (1/N) sum_n l_n(theta)} as a whole, per layer, per point, and its spectrum. One entry point
 * over the methods of this package:
 *
 * <ul>
 *   <li>{@link #trace(Method)}: {@code closed-form} (affine classifiers), {@code exact-ggn} (networks piecewise
 *       linear in each weight), {@code exact-hbp} (Hessian backpropagation: also smooth activations),
 *       {@code exact-hvp} (P batched HVPs, small models), {@code hutchinson},
 *       {@code hutch++}; {@link Method#AUTO} takes the cheapest exact method the model allows, else Hutchinson
 *       to a 1% relative standard error.</li>
 *   <li>{@link #breakdown(Method, boolean)}: an exact trace by parameter tensor, by layer and by point.</li>
 *   <li>{@link #perPointTraces(Method)}: each point's own loss-Hessian trace, exact where the model allows it,
 *       else our batched Hutchinson per point.</li>
 *   <li>{@link #diagonal(Method)}, {@link #topEigenvalues(int)} (Lanczos), {@link #density} (stochastic
 *       Lanczos quadrature), {@link #dense()}.</li>
 * </ul>
 * The model is used in the mode it is in; for a network with batch norm or dropout use eval mode, as the paper's
 * authors did (PyHessian calls {@code model.eval()}): batch norm is then affine and dropout the identity, and the
 * exact methods apply. Training-mode batch norm couples the points and training-mode dropout makes the loss a
 * random function; the exact per-point methods refuse both.
 */
public final class Curvature {

    /** How to compute a trace. */
    public enum Method {
        AUTO("auto"), CLOSED_FORM("closed-form"), EXACT_GGN("exact-ggn"), EXACT_HBP("exact-hbp"),
        EXACT_HVP("exact-hvp"), HUTCHINSON("hutchinson"), HUTCH_PLUS_PLUS("hutch++");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        /** The name used in results and on the command line. */
        public String label() {
            return label;
        }

        /**
         * Parses a label ("auto", "closed-form", "exact-ggn", "exact-hbp", "exact-hvp", "hutchinson", "hutch++";
         * also "exact").
         */
        public static Method parse(String s) {
            String k = s.toLowerCase(Locale.ROOT).trim();
            if (k.equals("exact")) {
                return AUTO;
            }
            for (Method m : values()) {
                if (m.label.equals(k)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown trace method '" + s
                    + "': use auto, closed-form, exact-ggn, exact-hbp, exact-hvp, hutchinson or hutch++");
        }
    }

    /** Default probe budget of Hutch++ when asked for by name. */
    public static final int HUTCH_PLUS_PLUS_PRODUCTS = 150;

    private final Network net;
    private final Tensor theta;
    private final Tensor x;
    private final int[] labels;

    private Curvature(Network net, Tensor theta, Tensor x, int[] labels) {
        if (x.dim(0) != labels.length) {
            throw new IllegalArgumentException(labels.length + " labels for " + x.dim(0) + " points");
        }
        this.net = net;
        this.theta = theta;
        this.x = x;
        this.labels = labels.clone();
    }

    /** The toolkit for {@code net} at {@code theta} on the points {@code x} with {@code labels}. */
    public static Curvature of(Network net, Tensor theta, Tensor x, int[] labels) {
        return new Curvature(net, theta, x, labels);
    }

    /** The Hessian of the mean loss as an operator (exact HVPs). */
    public HessianOperator hessian() {
        return new HessianOperator(net.lossFunction(x, labels), theta);
    }

    /**
     * The cheapest exact method for this model: closed-form (affine classifiers), exact-ggn (piecewise linear in
     * each weight), exact-hbp (any network of layers with a curvature rule, e.g. with tanh, sigmoid or softplus),
     * or null when none applies (training-mode batch norm or dropout, a layer without a rule); the callers then
     * fall back to exact-hvp or Hutchinson. Every layer of the paper's architectures (LeNet with its ReLU on the
     * logits, KeskarC3 with batch norm on convolutions, zero padding and dropout, SimpleNet, BatchNormSimpleNet)
     * is piecewise linear in eval mode, so exact-ggn applies to all of them.
     */
    public Method bestExact() {
        if (ExactTraces.isAffine(net)) {
            return Method.CLOSED_FORM;
        }
        if (ExactTraces.whyNotPiecewiseLinear(net) == null) {
            return Method.EXACT_GGN;
        }
        return HessianBackprop.whyNot(net) == null ? Method.EXACT_HBP : null;
    }

    /** {@link #trace(Method, Hutchinson.Options)} with Hutchinson's defaults (1% relative standard error). */
    public TraceResult trace(Method m) {
        return trace(m, Hutchinson.Options.defaults());
    }

    /** The trace of the Hessian of the mean loss by method {@code m}. */
    public TraceResult trace(Method m, Hutchinson.Options hutchinson) {
        Method use = m == Method.AUTO ? (bestExact() != null ? bestExact() : Method.HUTCHINSON) : m;
        return switch (use) {
            case CLOSED_FORM, EXACT_GGN, EXACT_HBP, EXACT_HVP -> breakdown(use, false).toTraceResult();
            case HUTCHINSON -> Hutchinson.trace(hessian(), hutchinson);
            case HUTCH_PLUS_PLUS -> HutchPlusPlus.trace(hessian(), HUTCH_PLUS_PLUS_PRODUCTS, hutchinson.seed());
            case AUTO -> throw new AssertionError();
        };
    }

    /**
     * An exact trace broken down by parameter tensor and layer, and by point when {@code perPoint} (closed-form,
     * exact-ggn and exact-hbp always include the points). AUTO takes {@link #bestExact()}, else exact-hvp (P HVPs,
     * per point P more each: small models only). A method the model does not allow is refused with the reason.
     */
    public TraceBreakdown breakdown(Method m, boolean perPoint) {
        return breakdown(m, perPoint, null);
    }

    /**
     * Sees the forward passes a breakdown makes anyway, so that a caller who also wants the logits (margins, say)
     * need not run the network again: called once per batch of points, in order, with the batch's first point
     * (an index into this object's points), its logits {@code [m, classes]} and the input of the network's last
     * layer with parameters {@code [m, ...]}. Both tensors live only during the call (copy what you keep).
     */
    @FunctionalInterface
    public interface ForwardObserver {
        void batch(int from, Tensor logits, Tensor lastInput);
    }

    /**
     * {@link #breakdown(Method, boolean)}, showing its forward passes to {@code seen} where the method makes
     * them per batch of points: exact-ggn does (every point once); the other methods never call it.
     */
    public TraceBreakdown breakdown(Method m, boolean perPoint, ForwardObserver seen) {
        Method use = m == Method.AUTO ? (bestExact() != null ? bestExact() : Method.EXACT_HVP) : m;
        return switch (use) {
            case CLOSED_FORM -> {
                if (!ExactTraces.isAffine(net)) {
                    throw new IllegalArgumentException("closed-form needs an affine classifier (a single Linear layer); "
                            + "use exact-ggn or exact-hvp");
                }
                yield ExactTraces.closedForm(net, theta, x, labels);
            }
            case EXACT_GGN -> ExactTraces.exactGgn(net, theta, x, labels, 0, seen);
            case EXACT_HBP -> HessianBackprop.exactHbp(net, theta, x, labels, 0);
            case EXACT_HVP -> ExactTraces.exactHvp(net, theta, x, labels, perPoint);
            default -> throw new IllegalArgumentException(use.label() + " is not an exact method: a breakdown needs "
                    + "closed-form, exact-ggn, exact-hbp or exact-hvp");
        };
    }

    /**
     * Each point's own loss-Hessian trace: exact (closed-form / exact-ggn / exact-hbp, or exact-hvp when asked
     * for) where possible; with AUTO on a model that allows none of the first three, our batched Hutchinson per
     * point with {@code hutchinson}'s options.
     */
    public PerPointHutchinson.PerPointTraces perPointTraces(Method m, Hutchinson.Options hutchinson) {
        Method use = m == Method.AUTO ? (bestExact() != null ? bestExact() : Method.HUTCHINSON) : m;
        if (use == Method.HUTCHINSON) {
            return PerPointHutchinson.batched(PerPointHutchinson.pointLosses(net, x, labels), labels.length, theta,
                    hutchinson);
        }
        if (use == Method.HUTCH_PLUS_PLUS) {
            throw new IllegalArgumentException("per-point traces by hutch++ are not offered: use hutchinson or an exact method");
        }
        TraceBreakdown b = breakdown(use, true);
        double[] v = b.perPoint();
        return new PerPointHutchinson.PerPointTraces(v, new double[v.length], new int[v.length], b.method());
    }

    /** {@link #perPointTraces(Method, Hutchinson.Options)} with Hutchinson's defaults. */
    public PerPointHutchinson.PerPointTraces perPointTraces(Method m) {
        return perPointTraces(m, Hutchinson.Options.defaults());
    }

    /**
     * The Hessian diagonal: exact through the GGN identity where it holds, by Hessian backpropagation with
     * {@code EXACT_HBP} (AUTO's choice on smooth networks), by P HVPs with {@code EXACT_HVP}, else (AUTO when no
     * exact method applies, or HUTCHINSON) the Hutchinson-style estimate with 100 probes.
     */
    public Tensor diagonal(Method m) {
        Method best = bestExact();
        Method use = m == Method.AUTO ? (best == null ? Method.HUTCHINSON
                : best == Method.EXACT_HBP ? best : Method.EXACT_GGN) : m;
        return switch (use) {
            case CLOSED_FORM, EXACT_GGN -> ExactTraces.exactGgnDiagonal(net, theta, x, labels, 1000);
            case EXACT_HBP -> HessianBackprop.exactHbpDiagonal(net, theta, x, labels, 0);
            case EXACT_HVP -> ExactTraces.hvpDiagonal(hessian());
            case HUTCHINSON -> Tensor.of(theta.dtype(), Hutchinson.diagonal(hessian(), 100, 0, 16).values(), theta.dim(0));
            default -> throw new IllegalArgumentException("the diagonal is offered by exact-ggn, exact-hbp, exact-hvp "
                    + "or hutchinson");
        };
    }

    /** The top-k eigenvalues (largest first) and eigenvectors of the Hessian of the mean loss, by Lanczos. */
    public Eigenpairs topEigenvalues(int k) {
        return Lanczos.topK(hessian(), k);
    }

    /** The spectral density by stochastic Lanczos quadrature. */
    public SpectralDensity density(SpectralDensity.Options o) {
        return SpectralDensity.estimate(hessian(), o);
    }

    /** The dense Hessian {@code [P, P]} (small models only). */
    public Tensor dense() {
        return hessian().dense();
    }
}
