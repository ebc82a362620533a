package org.flatminima.experiments.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.engine.nn.Module;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.experiments.MemoryBudget;

/**
 * A model architecture written as one string (the {@code --arch} of {@code flatminima analyze} and
 * {@code train}), mapped onto the engine's {@code nn} layers with PyTorch's {@code nn.Sequential} names and
 * shapes, so that a PyTorch {@code state_dict} of the same model loads as is.
 *
 * <ul>
 *   <li>{@code mlp:IN-H1-...-OUT}: {@code Linear(IN,H1), ReLU, Linear(H1,H2), ReLU, ..., Linear(Hk,OUT)} at
 *       module indices 0, 1, 2, ... (the linear layers are {@code 0.}, {@code 2.}, {@code 4.}, ...). Inputs are
 *       flattened first; that flatten is not a module. A hidden size may be written {@code WxK} for K hidden
 *       layers of width W ({@code mlp:784-512x5-10}; the canonical form writes them out). Options after the
 *       sizes: {@code ,bn} puts a {@code BatchNorm1d} between each hidden Linear and its ReLU
 *       ({@code relu(bn(fc(x)))}, as the authors' BatchNormSimpleNet), {@code ,dropout=P} a {@code Dropout(P)}
 *       after each hidden ReLU; e.g. {@code mlp:784-512x5-10,bn} or {@code mlp:784-100-100-10,dropout=0.5}.
 *       Every module takes an index, so with {@code bn} the linear layers are {@code 0.}, {@code 3.},
 *       {@code 6.}, ... and the batch norms {@code 1.}, {@code 4.}, ...</li>
 *   <li>{@code affine:IN-OUT}: the same as {@code mlp:IN-OUT}, one {@code Linear} at index 0.</li>
 *   <li>{@code seq:CxHxW:L1,L2,...}: images of C channels, H rows and W columns, and the layers
 *       {@code conv(OUT,K)} / {@code conv(OUT,K,stride=S,pad=P)} (Conv2d, square kernel, bias),
 *       {@code relu}, {@code tanh}, {@code sigmoid}, {@code softplus}, {@code maxpool(K)} / {@code maxpool(K,stride=S)},
 *       {@code avgpool(K)} / {@code avgpool(K,stride=S)} (stride defaults to K, as PyTorch), {@code flatten},
 *       {@code linear(OUT)}, {@code batchnorm} (BatchNorm1d on {@code [N, F]}, BatchNorm2d on
 *       {@code [N, C, H, W]}), {@code dropout(P)} (Dropout: a random mask in training mode, the identity in eval
 *       mode) and {@code zeropad(P)} (ZeroPad2d: P zeros on each side). Layer {@code i} (0-based) has module
 *       index {@code i}. Input channels and features are inferred by propagating the shape through the
 *       layers.</li>
 *   <li>A named architecture of the paper's authors, {@code NAME[(KEY=VALUE,...)]:CxHxW-CLASSES}:
 *       {@code lenet}, {@code keskar-c3}, {@code simplenet(width=W,layers=L)}, {@code simplenet-bn(width=W)}
 *       (see {@link Architectures}); it expands to one of the forms above, which is its canonical form.</li>
 * </ul>
 *
 * <p>Spaces around tokens are ignored. A spec that does not parse, or whose shapes do not fit, is a
 * {@link SpecException} with one line naming the layer or token and what was expected (an unknown kind with a
 * did-you-mean hint). {@link #toString()} is the canonical form (no spaces, default keyword arguments left out),
 * which parses to an equal spec. Parsing is {@link SpecParser}'s, the modules and shapes {@link LayerBuilder}'s.
 */
public final class ModelSpec {

    /** The three forms of a spec (a named architecture expands to one of them). */
    public enum Kind {
        MLP, AFFINE, SEQ
    }

    /** One layer of a spec as written (before shapes are known); {@link #toString()} is its canonical text. */
    public sealed interface Layer {
        /** {@code conv(OUT,K,stride=S,pad=P)}: Conv2d with OUT output channels and a K x K kernel. */
        record Conv(int out, int kernel, int stride, int pad) implements Layer {
            @Override
            public String toString() {
                return "conv(" + out + "," + kernel + (stride != 1 ? ",stride=" + stride : "")
                        + (pad != 0 ? ",pad=" + pad : "") + ")";
            }
        }

        /** {@code relu}. */
        record Relu() implements Layer {
            @Override
            public String toString() {
                return "relu";
            }
        }

        /** {@code tanh}. */
        record Tanh() implements Layer {
            @Override
            public String toString() {
                return "tanh";
            }
        }

        /** {@code sigmoid}. */
        record Sigmoid() implements Layer {
            @Override
            public String toString() {
                return "sigmoid";
            }
        }

        /** {@code softplus}: PyTorch's {@code nn.Softplus()} (beta 1). */
        record Softplus() implements Layer {
            @Override
            public String toString() {
                return "softplus";
            }
        }

        /** {@code maxpool(K,stride=S)}: MaxPool2d, no padding. */
        record MaxPool(int kernel, int stride) implements Layer {
            @Override
            public String toString() {
                return "maxpool(" + kernel + (stride != kernel ? ",stride=" + stride : "") + ")";
            }
        }

        /** {@code avgpool(K,stride=S)}: AvgPool2d, no padding. */
        record AvgPool(int kernel, int stride) implements Layer {
            @Override
            public String toString() {
                return "avgpool(" + kernel + (stride != kernel ? ",stride=" + stride : "") + ")";
            }
        }

        /** {@code flatten}: {@code [N, d1, d2, ...] -> [N, d1*d2*...]}. */
        record Flatten() implements Layer {
            @Override
            public String toString() {
                return "flatten";
            }
        }

        /** {@code linear(OUT)}: Linear with OUT output features and bias. */
        record Linear(int out) implements Layer {
            @Override
            public String toString() {
                return "linear(" + out + ")";
            }
        }

        /** {@code batchnorm}: BatchNorm1d or BatchNorm2d by the rank of its input. */
        record BatchNorm() implements Layer {
            @Override
            public String toString() {
                return "batchnorm";
            }
        }

        /** {@code dropout(P)}: {@code nn.Dropout(p=P)} (a random mask in training mode, the identity in eval mode). */
        record Dropout(double p) implements Layer {
            @Override
            public String toString() {
                return "dropout(" + SpecParser.plain(p) + ")";
            }
        }

        /** {@code zeropad(P)}: {@code nn.ZeroPad2d(P)}, P zeros on each of the four sides of every channel. */
        record ZeroPad(int pad) implements Layer {
            @Override
            public String toString() {
                return "zeropad(" + pad + ")";
            }
        }
    }

    private final Kind kind;
    private final int[] sampleShape;
    private final List<Layer> layers;
    private final List<Module> modules;
    private final List<int[]> outputShapes;
    private final String canonical;
    private final String named;

    ModelSpec(Kind kind, int[] sampleShape, List<Layer> layers, List<Module> modules,
            List<int[]> outputShapes, String canonical, String named) {
        this.kind = kind;
        this.sampleShape = sampleShape;
        this.layers = List.copyOf(layers);
        this.modules = List.copyOf(modules);
        this.outputShapes = List.copyOf(outputShapes);
        this.canonical = canonical;
        this.named = named;
    }

    // ------------------------------------------------------------------ parsing

    /**
     * Parses a spec and checks its shapes.
     *
     * @throws SpecException (one line) if it does not parse, or a layer cannot take its input's shape, or the
     *     model does not end in {@code [N, classes]}
     */
    public static ModelSpec parse(String spec) {
        return parse(spec, MemoryBudget.tensorBytes());
    }

    /** {@link #parse(String)} for a JVM that can give tensors {@code budget} bytes (tests). */
    static ModelSpec parse(String spec, long budget) {
        return SpecParser.parse(spec, budget);
    }

    // ------------------------------------------------------------------ the model

    /** Which of the three forms this spec was written in. */
    public Kind kind() {
        return kind;
    }

    /** The shape of one input sample: {@code [IN]} for mlp/affine, {@code [C, H, W]} for seq. */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** The layers in module-index order (for mlp/affine: Linear and ReLU layers as written out above). */
    public List<Layer> layers() {
        return layers;
    }

    /** The output shape of each layer for one sample (no batch axis), in module-index order. */
    public List<int[]> outputShapes() {
        return outputShapes.stream().map(int[]::clone).toList();
    }

    /** Number of classes (the width of the model's output). */
    public int classes() {
        return outputShapes.getLast()[0];
    }

    /** The engine module: a {@link Sequential} whose layer {@code i} is this spec's layer {@code i}. */
    public Sequential module() {
        return new Sequential(modules);
    }

    /** A new engine {@link Network} of this architecture (in training mode, buffers at their initial values). */
    public Network network() {
        return new Network(module(), sampleShape);
    }

    /**
     * A listing like PyTorch's {@code print(model)}: each module with its index, its per-sample output shape and
     * its parameters' names and shapes, then the input shape and P.
     */
    public String describe() {
        Network net = network();
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (var e : net.layout().entries()) {
            String owner = e.name().substring(0, e.name().lastIndexOf('.'));
            params.computeIfAbsent(owner, k -> new ArrayList<>()).add(e.name() + " " + Arrays.toString(e.shape()));
        }
        net.layout().bufferShapes().forEach((name, shape) -> params
                .computeIfAbsent(name.substring(0, name.lastIndexOf('.')), k -> new ArrayList<>())
                .add(name + " " + Arrays.toString(shape) + " (buffer)"));
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            rows.add(new String[] {"(" + i + "): " + modules.get(i), Arrays.toString(outputShapes.get(i)),
                String.join(", ", params.getOrDefault(Integer.toString(i), List.of()))});
        }
        int w0 = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        int w1 = rows.stream().mapToInt(r -> r[1].length()).max().orElse(0);
        StringBuilder b = new StringBuilder();
        b.append(canonical).append('\n');
        b.append("Sequential(").append(kind == Kind.SEQ ? "" : "  # input flattened to " + sampleShape[0])
                .append('\n');
        for (String[] r : rows) {
            b.append("  ").append(pad(r[0], w0)).append("  -> ").append(pad(r[1], w1));
            if (!r[2].isEmpty()) {
                b.append("  ").append(r[2]);
            }
            b.append('\n');
        }
        b.append(")\n");
        b.append("input ").append(Arrays.toString(sampleShape)).append(", ").append(String.format(Locale.ROOT,
                "%,d", net.parameterCount())).append(" parameters\n");
        return b.toString();
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(w - s.length());
    }

    /**
     * The named architecture this spec was written as (e.g. {@code lenet:1x28x28-10}), or null when it was written
     * out; {@link #toString()} is always the written-out canonical form.
     */
    public String named() {
        return named;
    }

    /** The canonical spec text: parses to an equal spec. */
    @Override
    public String toString() {
        return canonical;
    }

    /** Specs are equal when their canonical texts are. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec s && s.canonical.equals(canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode();
    }
}
