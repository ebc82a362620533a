package org.flatminima.engine.nn;

import java.util.ArrayList;
import java.util.List;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;

/**
 * One forward pass of a network recorded leaf layer by leaf layer: each layer's input, output, and the pullback
 * of its output with respect to its input (the parameters are constants), so that a cotangent can enter at any
 * layer's output and be carried down through the layers below, as often as wanted. Hessian backpropagation
 * ({@code org.flatminima.engine.curvature.HessianBackprop}) starts its residual columns inside the network this
 * way; {@link Taps} can only start at the logits.
 *
 * <p>Every layer's pullback is reverse mode through the layer's own {@link Module#forward}: no layer writes its
 * Jacobian by hand. When the points of a batch do not interact, row n of a pulled-back cotangent depends only on
 * row n of the cotangent given.
 */
public final class LayerTape {
    private LayerTape() {
    }

    /**
     * One leaf layer of the recorded pass: where it is, its input and output, its pullback, and the view of its
     * parameters (constants), mode and buffers it ran with.
     */
    public record Layer(Taps.Site site, Tensor input, Tensor output, Autodiff.Pullback pullback, ParamView params) {

        /** The value of this layer's parameter {@code local} (e.g. {@code "weight"}), in its declared shape. */
        public Tensor parameter(String local) {
            return params.get(local).value();
        }

        /** The cotangent at this layer's input for the cotangent {@code g} at its output (one backward pass). */
        public Tensor pull(Tensor g) {
            return pullback.pullback().apply(Var.of(g))[0].value();
        }
    }

    /**
     * Runs {@code net} on {@code x} at {@code theta} layer by layer in the network's mode, recording every leaf
     * layer ({@link Taps#layers}, forward order). Values are in {@code theta}'s dtype; the network's buffers are
     * read, never changed.
     */
    public static List<Layer> record(Network net, Tensor theta, Tensor x) {
        int n = x.rank() == 0 ? 0 : x.dim(0);
        Tensor a = net.prepare(x, theta.dtype());
        ParamView root = net.layout().root(Var.of(theta), net.mode(), net.buffers(), null);
        List<Layer> out = new ArrayList<>();
        for (Taps.Site s : Taps.layers(net, n)) {
            ParamView view = root;
            if (!s.path().isEmpty()) {
                for (String i : s.path().split("\\.")) {
                    view = view.child(Integer.parseInt(i));
                }
            }
            ParamView v = view;
            Autodiff.Pullback pb = Autodiff.vjp(in -> s.module().forward(in, v), Var.of(a));
            Tensor y = pb.value().value();
            out.add(new Layer(s, a, y, pb, v));
            a = y;
        }
        return List.copyOf(out);
    }
}
