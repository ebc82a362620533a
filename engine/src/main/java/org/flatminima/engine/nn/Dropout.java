package org.flatminima.engine.nn;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.Dropout(p)}: in {@link Mode#TRAIN} each element is zeroed with probability {@code p} and the
 * others are scaled by {@code 1 / (1 - p)} ("inverted" dropout, so the expected output is the input); in
 * {@link Mode#EVAL} the identity. No parameters, any input shape.
 *
 * <p>The training-mode mask is drawn from {@link ParamView#noise()}: a function of the forward pass's noise seed
 * and of this layer's position in the network, so a training step is reproducible and a resumed run draws the
 * masks an uninterrupted one would have. A training-mode pass without a noise seed is an error (never a silent
 * identity). Differentiation treats the mask as a constant: the layer is {@code y = m * x}.
 *
 * <p>Curvature ({@link LayerCurvature}): in {@link Mode#EVAL} the layer is the identity, so it is piecewise
 * linear with a diagonal Jacobian and transparent to the exact per-point methods (exact-ggn, exact-hbp), as
 * eval-mode batch norm is affine. In {@link Mode#TRAIN} they refuse it ({@link #whyPointsCoupled}): the loss is
 * a random function, one mask per forward pass.
 */
public record Dropout(double p) implements Module, LayerCurvature {
    public Dropout {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
    }

    @Override
    public int[] outputShape(int[] input) {
        return input.clone();
    }

    @Override
    public Var forward(Var input, ParamView params) {
        if (params.mode() == Mode.EVAL || p == 0) {
            return input;
        }
        return input.mul(Var.of(mask(params.noise(), input.value())));
    }

    /**
     * The training-mode mask for an input like {@code x}: each element independently 0 with probability p, else
     * {@code 1 / (1 - p)} (all zeros when p = 1, as PyTorch), drawn in row-major order from {@code rnd}.
     */
    Tensor mask(SplittableRandom rnd, Tensor x) {
        int[] shape = x.shape();
        long n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        double[] m = new double[Math.toIntExact(n)];
        double keep = p == 1 ? 0 : 1 / (1 - p);
        for (int i = 0; i < m.length; i++) {
            m[i] = rnd.nextDouble() < p ? 0 : keep;
        }
        return Tensor.of(x.dtype(), m, shape);
    }

    /** The identity in {@link Mode#EVAL}; {@code y = m * x} with a constant mask in {@link Mode#TRAIN}. */
    @Override
    public Form form() {
        return Form.PIECEWISE_LINEAR;
    }

    @Override
    public String whyPointsCoupled(Mode mode) {
        return mode == Mode.EVAL || p == 0 ? null : "is in training mode: dropout draws a new random mask in every "
                + "forward pass, so the loss is a random function; use net.withMode(Mode.EVAL) (dropout is then the "
                + "identity, as PyTorch's model.eval())";
    }

    /** Elementwise in both modes. */
    @Override
    public boolean diagonalJacobian(Mode mode) {
        return true;
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
