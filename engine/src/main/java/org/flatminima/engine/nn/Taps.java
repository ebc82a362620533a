package org.flatminima.engine.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;

/**
 * Per-sample cotangents at the output of every parametrised layer, and the input of each such layer, from one
 * forward pass and any number of cheap backward passes.
 *
 * <p>How: the forward pass runs with a {@link LayerHook#parametrised} hook that, after each module with parameters of
 * its own (Linear, Conv2d, BatchNorm), records the module's input and returns {@code output + tap}, where {@code tap}
 * is a zero tensor of the output's shape (the modules between run as without a hook: a max pooling before the ReLU
 * written ahead of it, see {@link Sequential}). The taps are the inputs of a reverse-mode recording
 * ({@link Autodiff#vjpN}), so the cotangent of tap i for a seed {@code u} at the logits is exactly
 * {@code (d logits / d output_i)^T u}, the cotangent at that layer's output; adding zero changes no value. The
 * parameters are constants of the recording, so a backward pass computes no parameter gradients: only the cotangents
 * that flow between layers. When the points of a batch do not interact (no training-mode batch normalisation), row n
 * of every cotangent depends only on row n of the seed, so one backward pass gives every point's own cotangents. From
 * a layer's input {@code a} and output cotangent {@code g}, per-sample parameter gradients follow in closed form (for
 * Linear, {@code g_n a_n^T} and {@code g_n}).
 */
public final class Taps {
    private Taps() {
    }

    /**
     * A layer of a network: its index path ({@code "0"}, {@code "3.1"}; {@code ""} for a root
     * layer), the module, and its input and output shapes for a batch of the size given to {@link #sites} or
     * {@link #layers}.
     */
    public record Site(String path, Module module, int[] inputShape, int[] outputShape) {
        public Site {
            inputShape = inputShape.clone();
            outputShape = outputShape.clone();
        }

        @Override
        public int[] inputShape() {
            return inputShape.clone();
        }

        @Override
        public int[] outputShape() {
            return outputShape.clone();
        }

        /** The full name of this layer's parameter {@code local} ({@code "2.weight"} for path 2). */
        public String param(String local) {
            return path.isEmpty() ? local : path + "." + local;
        }
    }

    /** One recorded forward pass: the logits, the sites, each site's input, and the pullback to the sites. */
    public record Tapped(Tensor logits, List<Site> sites, List<Tensor> inputs,
            Function<Tensor, List<Tensor>> pullback) {
    }

    /**
     * The layers with parameters of their own, in forward order, with their shapes for a batch of {@code n}
     * points (the sites of {@link #record}).
     */
    public static List<Site> sites(Network net, int n) {
        return layers(net, n).stream().filter(s -> !s.module().parameters().isEmpty()).toList();
    }

    /**
     * Every leaf layer (every module but the containers), in forward order, with its shapes for a batch of
     * {@code n} points. Walks the module tree as {@link Sequential#forward} runs it (Sequential is the only
     * container).
     */
    public static List<Site> layers(Network net, int n) {
        int[] in = new int[net.sampleShape().length + 1];
        in[0] = n;
        System.arraycopy(net.sampleShape(), 0, in, 1, in.length - 1);
        List<Site> out = new ArrayList<>();
        walk("", net.module(), in, out);
        return out;
    }

    private static int[] walk(String path, Module m, int[] in, List<Site> out) {
        if (m instanceof Sequential s) {
            int[] x = in;
            for (int i = 0; i < s.layers().size(); i++) {
                x = walk(path.isEmpty() ? String.valueOf(i) : path + "." + i, s.layers().get(i), x, out);
            }
            return x;
        }
        int[] y = m.outputShape(in);
        out.add(new Site(path, m, in, y));
        return y;
    }

    /**
     * Runs {@code net} on {@code x} at {@code theta} with a tap after every parametrised layer. The returned
     * pullback maps a seed {@code [N, classes]} at the logits to the cotangents at the sites' outputs (one
     * tensor per site, of its output shape); it may be called any number of times (one backward pass each).
     * The logits, inputs and cotangents are in {@code theta}'s dtype.
     */
    public static Tapped record(Network net, Tensor theta, Tensor x) {
        int n = x.rank() == 0 ? 0 : x.dim(0);
        List<Site> sites = sites(net, n);
        Var[] taps = new Var[sites.size()];
        for (int i = 0; i < taps.length; i++) {
            taps[i] = Var.of(Tensor.zeros(theta.dtype(), sites.get(i).outputShape()));
        }
        Tensor[] inputs = new Tensor[sites.size()];
        Var thetaConst = Var.of(theta);
        Autodiff.Pullback pb = Autodiff.vjpN(t -> {
            int[] next = {0};
            return net.logits(thetaConst, x, LayerHook.parametrised((path, module, input, output) -> {
                int i = next[0]++;
                Site s = sites.get(i);
                if (!s.path().equals(path) || !Arrays.equals(s.outputShape(), output.shape())) {
                    throw new IllegalStateException("tap " + i + ": expected layer " + s.path() + " with output "
                            + Arrays.toString(s.outputShape()) + ", the forward pass gave layer " + path + " with "
                            + Arrays.toString(output.shape()));
                }
                inputs[i] = input.value();
                return output.add(t[i]);
            }));
        }, taps);
        Tensor logits = pb.value().value();
        Function<Tensor, List<Tensor>> back = seed -> {
            Var[] g = pb.pullback().apply(Var.of(seed));
            List<Tensor> r = new ArrayList<>(g.length);
            for (Var gi : g) {
                r.add(gi.value());
            }
            return r;
        };
        return new Tapped(logits, List.copyOf(sites), Arrays.asList(inputs), back);
    }
}
