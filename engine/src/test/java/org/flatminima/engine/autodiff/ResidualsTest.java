package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import static org.flatminima.engine.CountingBackend.counted;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.CountingBackend;
import org.junit.jupiter.api.Test;

/**
 * Residuals are used: a forward keeps what its rules need (max pooling's routing, the argmax mask of a max,
 * the cross-entropy's softmax probabilities), so one Hessian-vector product calls each of those kernels once,
 * in its forward, instead of again in the JVP and the VJP rules. Counted on a backend that records every
 * kernel call. That the values stay exact is the generic checker's and {@link HessianTest}'s job.
 */
class ResidualsTest {

    static final int[] LABELS = {1, 3};

    /** conv 3x3 (1 -> 3 channels, pad 1), ReLU, max pool 2, linear 27 -> 4, cross-entropy; 2 images 6x6. */
    static Function<Var, Var> cnn(Var x) {
        return th -> {
            Var w1 = th.view(0, 3, 1, 3, 3);
            Var w2 = th.view(27, 27, 4);
            Var h = x.conv2d(w1, 1, 1).relu().maxPool2d(2, 2, 0).reshape(2, 27);
            return h.matmul(w2).crossEntropy(LABELS);
        };
    }

    static final int CNN_PARAMS = 27 + 27 * 4;

    @Test
    void oneMaxPoolingAndOneSoftmaxPerHvp() {
        SplittableRandom rnd = new SplittableRandom(3);
        Function<Var, Var> f = cnn(Numeric.normal(rnd, 2, 1, 6, 6));
        Var theta = Numeric.normal(rnd, CNN_PARAMS);
        Var v = Numeric.normal(rnd, CNN_PARAMS);
        CountingBackend hvp = counted(() -> Autodiff.hvp(f, theta, v));
        assertThat(hvp.count("maxPool2d")).as("max poolings per HVP, kernel calls %s", hvp).isEqualTo(1);
        assertThat(hvp.count("softmax", "logSoftmax", "softmaxCrossEntropy"))
                .as("softmaxes per HVP, kernel calls %s", hvp).isEqualTo(1);
        // the routing is used: the tangent is gathered and the cotangent and its tangent scattered
        assertThat(hvp.count("maxPool2dBackward")).isEqualTo(2);

        CountingBackend batched = counted(() -> Autodiff.hvpBatch(f, theta, Numeric.normal(rnd, 3, CNN_PARAMS)));
        assertThat(batched.count("maxPool2d")).as("max poolings per batched HVP").isEqualTo(1);
        assertThat(batched.count("softmax", "logSoftmax", "softmaxCrossEntropy")).isEqualTo(1);

        CountingBackend grad = counted(() -> Autodiff.grad(f, theta));
        assertThat(grad.count("maxPool2d")).as("max poolings per gradient").isEqualTo(1);
        assertThat(grad.count("softmax", "logSoftmax", "softmaxCrossEntropy")).as("softmaxes per gradient")
                .isEqualTo(1);
    }

    @Test
    void oneArgmaxPerHvpOfAMax() {
        SplittableRandom rnd = new SplittableRandom(4);
        Function<Var, Var> f = th -> th.reshape(3, 4).max(1, false).square().sum();
        Var theta = Numeric.normal(rnd, 12);
        CountingBackend hvp = counted(() -> Autodiff.hvp(f, theta, Numeric.normal(rnd, 12)));
        assertThat(hvp.count("argmax")).as("argmax masks per HVP, kernel calls %s", hvp).isEqualTo(1);
    }

    /**
     * A forward that nothing differentiates keeps no residuals: the cross-entropy computes its losses without the
     * probabilities, max pooling its values without the routing and a max no argmax mask, and each gives the bits
     * of the forward that keeps them (the value of a gradient's forward).
     */
    @Test
    void aForwardThatNothingDifferentiatesKeepsNoResiduals() {
        SplittableRandom rnd = new SplittableRandom(6);
        Function<Var, Var> f = cnn(Numeric.normal(rnd, 2, 1, 6, 6));
        Var theta = Numeric.normal(rnd, CNN_PARAMS);
        Var[] plain = new Var[1];
        CountingBackend forward = counted(() -> plain[0] = f.apply(theta));
        assertThat(forward.count("softmaxCrossEntropy", "softmax")).as("kernel calls %s", forward).isZero();
        assertThat(forward.count("crossEntropy")).as("kernel calls %s", forward).isEqualTo(1);
        assertThat(forward.count("maxPool2d")).as("kernel calls %s", forward).isZero();
        assertThat(forward.count("maxPool2dValues")).as("kernel calls %s", forward).isEqualTo(1);
        double traced = Autodiff.valueAndGrad(f, theta).value().value().item();
        assertThat(Double.doubleToLongBits(plain[0].value().item())).as("%s against %s", plain[0].value().item(),
                traced).isEqualTo(Double.doubleToLongBits(traced));

        Function<Var, Var> m = th -> th.reshape(3, 4).max(1, false).square().sum();
        Var x = Numeric.normal(rnd, 12);
        CountingBackend max = counted(() -> plain[0] = m.apply(x));
        assertThat(max.count("argmax")).as("kernel calls %s", max).isZero();
        assertThat(plain[0].value().item()).isEqualTo(Autodiff.valueAndGrad(m, x).value().value().item());
    }

    /** Reverse-over-reverse differentiates the residual softmax probabilities too: H v of the CNN both ways. */
    @Test
    void reverseOverReverseAgreesWithForwardOverReverse() {
        SplittableRandom rnd = new SplittableRandom(5);
        Function<Var, Var> f = cnn(Numeric.normal(rnd, 2, 1, 6, 6));
        // small weights: the softmax is far from saturated, so its curvature (diag(p) - p p^T) counts
        Var theta = Numeric.uniform(rnd, -0.3, 0.3, CNN_PARAMS);
        Var v = Numeric.normal(rnd, CNN_PARAMS);
        double[] fwd = Autodiff.hvp(f, theta, v).value().toDoubleArray();
        double[] rev = Autodiff.grad(t -> Autodiff.grad(f, t).mul(v).sum(), theta).value().toDoubleArray();
        double[] fd = Numeric.fdDirectional(a -> Autodiff.grad(f, a[0]).value().toDoubleArray(),
                new Var[] {theta}, new Var[] {v});
        assertThat(Numeric.relErr(fwd, rev)).isLessThan(1e-12);
        assertThat(Numeric.relErr(fwd, fd)).isLessThan(1e-6);
    }
}
