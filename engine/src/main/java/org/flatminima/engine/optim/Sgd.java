package org.flatminima.engine.optim;

import static org.flatminima.engine.TensorOps.add;
import static org.flatminima.engine.TensorOps.scale;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, step for step as
 * PyTorch's {@code torch.optim.SGD} (foreach = False, maximize = False). With parameters {@code p}, gradient
 * {@code g}, learning rate {@code lr}, momentum {@code mu}, dampening {@code tau}, weight decay {@code wd}:
 * <pre>
 *   g  = g + wd * p                              (if wd != 0)
 *   b  = g                                       (first step, if mu != 0)
 *   b  = mu * b + (1 - tau) * g                  (later steps)
 *   d  = nesterov ? g + mu * b : b               (d = g if mu == 0)
 *   p' = p - lr * d
 * </pre>
 * The momentum buffer {@code b} is state {@code "momentum_buffer"}; it does not exist before the first step
 * (PyTorch's {@code None}). Note the first step uses {@code b = g} without dampening, as PyTorch does. The updates
 * of b and p are each one {@link TensorOps#axpby} pass, computed in double and rounded once to the element type
 * (in float64 the bits of a product and a sum; in float32 PyTorch rounds after each operation, so the two may
 * differ in the last bit).
 */
public final class Sgd extends BufferedOptimizer {

    /** State name of the momentum buffer. */
    public static final String MOMENTUM_BUFFER = "momentum_buffer";

    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;

    /**
     * SGD with every option.
     *
     * @param lr          learning rate (>= 0)
     * @param momentum    momentum factor mu (>= 0; 0 disables the buffer)
     * @param dampening   dampening tau of later steps (PyTorch's default 0)
     * @param weightDecay L2 coefficient added to the gradient (>= 0)
     * @param nesterov    Nesterov momentum; needs momentum > 0 and dampening 0, as in PyTorch
     */
    public Sgd(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(lr, MOMENTUM_BUFFER);
        if (!(momentum >= 0) || !(weightDecay >= 0) || Double.isNaN(dampening)) {
            throw new IllegalArgumentException("SGD needs momentum >= 0 and weight decay >= 0 (got momentum "
                    + momentum + ", dampening " + dampening + ", weight decay " + weightDecay + ")");
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum > 0 and zero dampening (got "
                    + "momentum " + momentum + ", dampening " + dampening + ")");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    /** {@code SGD(lr, momentum, dampening = 0, weightDecay, nesterov)}. */
    public Sgd(double lr, double momentum, double weightDecay, boolean nesterov) {
        this(lr, momentum, 0, weightDecay, nesterov);
    }

    /** Plain gradient descent: {@code p' = p - lr * g}. */
    public Sgd(double lr) {
        this(lr, 0, 0, 0, false);
    }

    /** The momentum factor mu. */
    public double momentum() {
        return momentum;
    }

    /** The dampening tau of later momentum steps. */
    public double dampening() {
        return dampening;
    }

    /** The L2 coefficient added to the gradient. */
    public double weightDecay() {
        return weightDecay;
    }

    /** True for Nesterov momentum. */
    public boolean nesterov() {
        return nesterov;
    }

    /** {@link #updateInPlace} on a copy of {@code p}: the same bits. */
    @Override
    Tensor update(Tensor p, Tensor g, long t) {
        Tensor q = p.copy();
        updateInPlace(q, g, t);
        return q;
    }

    /**
     * {@code p -= lr * d} in one pass over {@code p} ({@link TensorOps#axpby}), after the one pass that updates the
     * momentum buffer in place ({@code b = mu b + (1 - tau) d}, the same): two passes and no temporary for SGD with
     * momentum, where a product, then a sum, for each would be four passes and two temporaries.
     */
    @Override
    void updateInPlace(Tensor p, Tensor g, long t) {
        TensorOps.axpby(-learningRate(), direction(p, g), 1, p);
    }

    /** The step direction d of the class comment; advances the momentum buffer (in place). */
    private Tensor direction(Tensor p, Tensor g) {
        Tensor d = weightDecay != 0 ? add(g, scale(p, weightDecay)) : g;
        if (momentum != 0) {
            Tensor b = buffer(MOMENTUM_BUFFER);
            if (b == null) {
                b = createBuffer(MOMENTUM_BUFFER, d);
            } else {
                TensorOps.axpby(1 - dampening, d, momentum, b);
            }
            d = nesterov ? add(d, scale(b, momentum)) : b;
        }
        return d;
    }

    @Override
    public String toString() {
        return "SGD(lr=" + learningRate() + ", momentum=" + momentum + ", dampening=" + dampening
                + ", weight_decay=" + weightDecay + ", nesterov=" + nesterov + ")";
    }
}
