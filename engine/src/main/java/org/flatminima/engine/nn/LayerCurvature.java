package org.flatminima.engine.nn;

import java.util.function.Function;
import org.flatminima.engine.Tensor;

/**
 * What the exact curvature methods ({@code org.flatminima.engine.curvature.ExactTraces}) need from a layer,
 * declared by the layer itself: they walk a network's layers through this interface only, so a new layer
 * (e.g. Dropout, or a new activation) plugs in by implementing it, with no edit to the curvature code.
 *
 * <p>exact-ggn backpropagates C seed vectors per point from the logits to the output of every layer with
 * parameters ({@link Taps}: reverse mode through each layer's own {@link Module#forward}, so no layer writes its
 * Jacobian by hand) and forms each point's squared parameter gradients from that layer's input and output
 * cotangent. For that it asks each layer:
 * <ul>
 *   <li>{@link #form()}: piecewise linear in its input and in each of its own parameters (then, if every layer
 *       is, {@code diag(H) = diag(GGN)} almost everywhere), or a smooth elementwise activation;</li>
 *   <li>{@link #whyPointsCoupled}: whether the points of a batch stay independent through the layer in a mode
 *       (training-mode batch norm couples them, so the loss is no sum of per-point terms);</li>
 *   <li>{@link #sampleSquares}, for a layer with parameters: the squares of its per-sample parameter gradients
 *       over the backward passes of a batch, per point and (optionally) summed into the diagonal.</li>
 * </ul>
 *
 * <p>Hessian backpropagation (exact-hbp: exact diagonals for smooth activations, docs/curvature-exact.md) asks one more
 * thing: {@link #residual}, the second-derivative term a layer adds to the Hessian with respect to its input. An
 * elementwise activation {@code y = f(x)} adds {@code diag(f''(x) g)} (g the loss gradient at its output);
 * piecewise-linear layers add nothing (the default). The residual's unit columns then pass through the layers
 * below as the C seeds of exact-ggn do, and reach {@link #sampleSquares} with a signed weight per point
 * ({@link SampleSquares#add(Tensor, Tensor)}). Where the structure allows, a diagonal term is carried instead of
 * its columns: through layers with a {@link #diagonalJacobian} unchanged in form, and through one layer with a
 * {@link #squaredPullback} to the layers below whose rule needs only the diagonal
 * ({@link SampleSquares#diagonalSuffices}).
 */
public interface LayerCurvature {

    /** How a layer's output depends on its input and on each single one of its own parameters. */
    enum Form {
        /**
         * Piecewise linear in the input and in each single parameter (affine maps, ReLU, LeakyReLU, max and
         * average pooling, Flatten, zero padding, eval-mode batch norm and dropout): second derivatives along
         * single weights vanish almost everywhere.
         */
        PIECEWISE_LINEAR,
        /**
         * An elementwise activation with a nonzero second derivative (tanh, sigmoid, softplus), which declares it
         * through {@link #residual}.
         */
        SMOOTH_ELEMENTWISE
    }

    /** How this layer's output depends on its input and its own parameters (see {@link Form}). */
    Form form();

    /**
     * Why the points of a batch do not stay independent through this layer in {@code mode}, as the end of a
     * sentence that starts with the layer's name (e.g. {@code "is in training mode: ..."}), or null if they do
     * (the default).
     */
    default String whyPointsCoupled(Mode mode) {
        return null;
    }

    /**
     * For a layer with parameters: the accumulator of its per-sample squared parameter gradients over the
     * backward passes of one batch.
     *
     * @throws IllegalArgumentException if the rule does not cover this input (the message says why)
     * @throws UnsupportedOperationException for a layer without parameters (the default)
     */
    default SampleSquares sampleSquares(SampleSquares.Batch batch) {
        throw new UnsupportedOperationException(this + " has no parameters, so no per-sample gradients");
    }

    /**
     * The residual term of Hessian backpropagation at this layer, for one batch: the second derivatives of the
     * layer's output, contracted with the loss gradient at the output, with respect to its input. For an
     * elementwise activation {@code y = f(x)} it is the diagonal matrix {@code diag(f''(x) g)}, returned as its
     * diagonal {@code f''(x) g} in the input's shape {@code [m, ...]}: row n is point n's own term.
     *
     * @param input the layer's input {@code [m, ...]}
     * @param gradOutput the gradient of each point's loss with respect to the layer's output, of the output's shape
     * @return the diagonal of the residual, or null when it vanishes (almost everywhere): the default, right for
     *     every {@link Form#PIECEWISE_LINEAR} layer
     */
    default Tensor residual(Tensor input, Tensor gradOutput) {
        return null;
    }

    /**
     * Whether, in {@code mode}, the layer's Jacobian with respect to its input is diagonal: the output unit at
     * flat position k of a point depends on the input unit at flat position k only (elementwise activations,
     * Flatten, eval-mode batch norm). A diagonal Hessian term then stays diagonal through the layer. False by
     * default.
     */
    default boolean diagonalJacobian(Mode mode) {
        return false;
    }

    /**
     * For a layer whose Jacobian with respect to its input is one matrix J for every point (Linear): the diagonal
     * of {@code J^T diag(r_n) J} for every point n, from the diagonal terms {@code r [m, ...output]}, as
     * {@code [m, ...input]}; null when the layer does not declare it (the default).
     *
     * @param params the layer's parameters by local name ({@code "weight"})
     */
    default Tensor squaredPullback(Tensor r, Function<String, Tensor> params) {
        return null;
    }
}
