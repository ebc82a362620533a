package org.flatminima.engine.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.PoolAfterConv;
import org.flatminima.engine.autodiff.Var;

/**
 * {@code torch.nn.Sequential}: applies its layers in order. Layer {@code i}'s parameters are named
 * {@code i + "." + name} ({@code "0.weight"}, {@code "0.bias"}, {@code "2.weight"}, ...); every layer takes an
 * index, including those without parameters (activations, {@link Flatten}), exactly as in PyTorch. A shape error
 * inside names the layer's index path ({@code layer 4}, or {@code layer 3.1} inside a nested Sequential).
 */
public record Sequential(List<Module> layers) implements Module {
    public Sequential {
        layers = List.copyOf(layers);
    }

    /** A Sequential of the given layers. */
    public static Sequential of(Module... layers) {
        return new Sequential(List.of(layers));
    }

    /**
     * {@code Linear(s0, s1), ReLU(), Linear(s1, s2), ReLU(), ..., Linear(s_{k-1}, s_k)}: the architecture of the
     * {@code mlp:s0-s1-...-sk} spec (the linear layers are at indices 0, 2, 4, ...). Two sizes give one affine
     * layer.
     */
    public static Sequential mlp(int... sizes) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least an input and an output size, got "
                    + Arrays.toString(sizes));
        }
        List<Module> l = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            if (i > 0) {
                l.add(new ReLU());
            }
            l.add(new Linear(sizes[i], sizes[i + 1]));
        }
        return new Sequential(l);
    }

    @Override
    public List<Module> children() {
        return layers;
    }

    @Override
    public int[] outputShape(int[] input) {
        int[] s = input.clone();
        for (int i = 0; i < layers.size(); i++) {
            try {
                s = layers.get(i).outputShape(s);
            } catch (ShapeMismatchException e) {
                throw e.inside(i);
            }
        }
        return s;
    }

    @Override
    public Var forward(Var input, ParamView params) {
        Var x = input;
        for (int i = 0; i < layers.size(); i++) {
            try {
                int pool = poolAfterConv(i, params);
                if (pool > i) {
                    int first = i;
                    int[] s = x.shape();
                    for (; i <= pool; i++) {
                        s = layers.get(i).outputShape(s); // the written order's shape errors, at their layers
                    }
                    i = pool;
                    x = convThenPool(first, pool, x, params);
                } else if (zeroPaddedPoolAfterRelu(i, params)) {
                    ZeroPad2d zp = (ZeroPad2d) layers.get(i + 1);
                    MaxPool2d mp = (MaxPool2d) layers.get(i + 2);
                    mp.outputShape(zp.outputShape(x.shape())); // the written order's shape errors
                    x = x.maxPool2d(mp.kernel(), mp.stride(), zp.pad());
                    x = params.child(i).forward(layers.get(i), x);
                    i += 2;
                } else if (reluAfterLinear(i, params)) {
                    x = ((Linear) layers.get(i)).forwardWithRelu(x, params.child(i));
                    i++;
                } else if (poolsBeforeRelu(i, params)) {
                    x = params.child(i + 1).forward(layers.get(i + 1), x);
                    i++;
                    x = params.child(i - 1).forward(layers.get(i - 1), x);
                } else {
                    x = params.child(i).forward(layers.get(i), x);
                }
            } catch (ShapeMismatchException e) {
                throw e.inside(i);
            }
        }
        return x;
    }

    /**
     * The index of the {@link MaxPool2d} that layer i, a {@link Conv2d}, runs as one primitive with
     * ({@link Conv2d#forwardWithMaxPool}), or -1: right after it, after a {@link ReLU}, or after a ReLU and a
     * {@link ZeroPad2d} when the pooling has no padding of its own. The ReLU, if any, then runs after the pooling
     * ({@link #poolsBeforeRelu}, {@link #zeroPaddedPoolAfterRelu}: the same bits), and the convolution's output, the
     * largest activation of a CNN, is pooled chunk by chunk while in cache, never stored whole. The same values and
     * derivatives to the bit ({@code ConvPoolTest}). Not done when a {@link LayerHook} watches modules: it observes
     * the convolution's output, which must then exist.
     */
    private int poolAfterConv(int i, ParamView params) {
        if (!(layers.get(i) instanceof Conv2d) || params.watchesModules()) {
            return -1;
        }
        if (i + 1 < layers.size() && layers.get(i + 1) instanceof MaxPool2d) {
            return i + 1;
        }
        if (poolsBeforeRelu(i + 1, params)) {
            return i + 2;
        }
        return zeroPaddedPoolAfterRelu(i + 1, params) ? i + 3 : -1;
    }

    /**
     * Layers {@code first} (a {@link Conv2d}) to {@code pool} as {@link #poolAfterConv} describes, the ReLU (if any)
     * taken into the primitive: carried by the pooling's routing ({@link PoolAfterConv}), it is no pass of its own.
     */
    private Var convThenPool(int first, int pool, Var x, ParamView params) {
        MaxPool2d mp = (MaxPool2d) layers.get(pool);
        int pad = mp.pad() + (layers.get(pool - 1) instanceof ZeroPad2d zp ? zp.pad() : 0);
        PoolAfterConv p = PoolAfterConv.max(mp.kernel(), mp.stride(), pad);
        return ((Conv2d) layers.get(first)).forwardWithMaxPool(x, params.child(first),
                pool == first + 1 ? p : p.thenRelu());
    }

    /**
     * Whether layers i and i+1, a {@link Linear} with bias and a {@link ReLU}, run as one primitive
     * ({@link Linear#forwardWithRelu}): the ReLU written by the product's last store, so the layer's pre-activation is
     * neither stored nor passed over again. The same values and derivatives to the bit ({@code LinearReluTest}). Not
     * done when a {@link LayerHook} watches modules: it observes a linear layer's output, which must then exist.
     */
    private boolean reluAfterLinear(int i, ParamView params) {
        return i + 1 < layers.size() && layers.get(i) instanceof Linear l && l.bias()
                && layers.get(i + 1) instanceof ReLU && !params.watchesModules();
    }

    /**
     * Whether layers i and i+1, a {@link ReLU} then a {@link MaxPool2d}, run in the other order. Max pooling
     * commutes with ReLU: the maximum of ReLUs is the ReLU of the maximum (padding never wins, so every window
     * has a real element), and the derivatives agree too, the gradient of a window going to its first maximum
     * when that is positive and nowhere otherwise, either way. Pooling first makes the ReLU, its tangents and its
     * backward gate act on the pooled map (a quarter of the size for 2x2 windows) instead of the convolution's
     * output, the largest activation of a CNN; values, gradients and HVPs are the same to the bit
     * ({@code ReluPoolOrderTest}; for inputs without NaN). Not done when a {@link LayerHook} watches each module's
     * output, which must then be the ReLU's.
     */
    private boolean poolsBeforeRelu(int i, ParamView params) {
        return i + 1 < layers.size() && layers.get(i) instanceof ReLU && layers.get(i + 1) instanceof MaxPool2d
                && !params.watchesEveryModule();
    }

    /**
     * Whether layers i to i+2 are a {@link ReLU}, a {@link ZeroPad2d} and a {@link MaxPool2d} without padding of
     * its own (the authors' KeskarC3 pads this way), run as one max pooling with -infinity padding of the ReLU's
     * input, then the ReLU. Max pooling of a ReLU's output over zero padding is the ReLU of the max pooling over
     * -infinity padding: a window with a real element has a maximum of ReLUs that is at least every padding zero,
     * a window wholly in the padding gives 0 (the ReLU of -infinity); the derivatives agree as in
     * {@link #poolsBeforeRelu}, since a window whose maximum is 0 passes no gradient either way. The padded map
     * (and its adjoint) is never made: for KeskarC3's 24x58x58 maps around 28x28 images, four times the ReLU's
     * output. Bit for bit the same ({@code ReluPoolOrderTest}); not done under a {@link LayerHook} that watches
     * every module.
     */
    private boolean zeroPaddedPoolAfterRelu(int i, ParamView params) {
        return i + 2 < layers.size() && layers.get(i) instanceof ReLU && layers.get(i + 1) instanceof ZeroPad2d zp
                && zp.pad() > 0 && layers.get(i + 2) instanceof MaxPool2d mp && mp.pad() == 0
                && !params.watchesEveryModule();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Sequential(");
        for (int i = 0; i < layers.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(i).append(": ").append(layers.get(i));
        }
        return b.append(')').toString();
    }
}
