package org.flatminima.engine.optim;

import static org.flatminima.engine.TensorOps.add;
import static org.flatminima.engine.TensorOps.div;
import static org.flatminima.engine.TensorOps.mul;
import static org.flatminima.engine.TensorOps.scale;
import static org.flatminima.engine.TensorOps.sub;
import static org.flatminima.engine.TensorOps.unary;

import org.flatminima.engine.Tensor;
import org.flatminima.kernels.UnaryOp;

/**
 * Adam, step for step as PyTorch's {@code torch.optim.Adam} (amsgrad = False, foreach = False, not
 * capturable), and AdamW ({@code torch.optim.AdamW}) with decoupled weight decay. At step {@code t = 1, 2, ...}
 * with parameters {@code p}, gradient {@code g}, learning rate {@code lr}, betas {@code b1, b2}, {@code eps},
 * weight decay {@code wd}; {@code m} and {@code v} start at zero:
 * <pre>
 *   g  = g + wd * p                          (Adam, if wd != 0: L2 penalty in the gradient)
 *   p  = p * (1 - lr * wd)                   (AdamW instead: decoupled decay)
 *   m  = m + (1 - b1) * (g - m)              (PyTorch's lerp; = b1 m + (1 - b1) g)
 *   v  = b2 * v + (1 - b2) * g * g
 *   c1 = 1 - b1^t,  c2 = 1 - b2^t            (bias corrections, in double precision)
 *   p' = p - (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps)
 * </pre>
 * {@code m} and {@code v} are the states {@code "exp_avg"} and {@code "exp_avg_sq"}. Note that {@code eps} is
 * added after dividing by {@code sqrt(c2)}, as in PyTorch (not to {@code sqrt(v)} as in the paper's
 * Algorithm 1, which differs early in training).
 */
public final class Adam extends BufferedOptimizer {

    /** State name of the first-moment estimate m. */
    public static final String EXP_AVG = "exp_avg";
    /** State name of the second-moment estimate v. */
    public static final String EXP_AVG_SQ = "exp_avg_sq";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;

    private Adam(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(lr, EXP_AVG, EXP_AVG_SQ);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        if (!(eps >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("eps and weight decay must be >= 0, got " + eps + ", " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    /** Adam with L2 weight decay added to the gradient (PyTorch's {@code Adam(weight_decay=wd)}). */
    public Adam(double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(lr, beta1, beta2, eps, weightDecay, false);
    }

    /** Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(double lr) {
        this(lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** AdamW: weight decay decoupled from the gradient ({@code p *= 1 - lr * wd} before the Adam step). */
    public static Adam adamW(double lr, double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, true);
    }

    /** AdamW with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static Adam adamW(double lr) {
        return adamW(lr, 0.9, 0.999, 1e-8, 0.01);
    }

    /** Decay rate b1 of the first-moment estimate. */
    public double beta1() {
        return beta1;
    }

    /** Decay rate b2 of the second-moment estimate. */
    public double beta2() {
        return beta2;
    }

    /** The eps added to the denominator. */
    public double eps() {
        return eps;
    }

    /** Weight decay: an L2 coefficient (Adam) or the decoupled rate (AdamW). */
    public double weightDecay() {
        return weightDecay;
    }

    /** True for AdamW (decoupled weight decay). */
    public boolean decoupled() {
        return decoupled;
    }

    @Override
    Tensor update(Tensor p, Tensor g, long t) {
        double lr = learningRate();
        if (weightDecay != 0) {
            if (decoupled) {
                p = scale(p, 1 - lr * weightDecay);
            } else {
                g = add(g, scale(p, weightDecay));
            }
        }
        Tensor m = buffer(EXP_AVG);
        Tensor v = buffer(EXP_AVG_SQ);
        if (m == null || v == null) {
            Tensor zero = Tensor.zerosLike(p);
            m = createBuffer(EXP_AVG, zero);
            v = createBuffer(EXP_AVG_SQ, zero);
        }
        overwrite(m, add(m, scale(sub(g, m), 1 - beta1)));
        overwrite(v, add(scale(v, beta2), mul(scale(g, 1 - beta2), g)));
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        double stepSize = lr / c1;
        Tensor denom = unary(UnaryOp.ADD_SCALAR,
                div(unary(UnaryOp.SQRT, v), Tensor.scalar(p.dtype(), Math.sqrt(c2))), eps);
        return sub(p, div(scale(m, stepSize), denom));
    }

    @Override
    public String toString() {
        return (decoupled ? "AdamW" : "Adam") + "(lr=" + learningRate() + ", betas=(" + beta1 + ", " + beta2
                + "), eps=" + eps + ", weight_decay=" + weightDecay + ")";
    }
}
