package org.flatminima.experiments.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.engine.nn.AvgPool2d;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.MaxPool2d;
import org.flatminima.engine.nn.Module;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.ShapeMismatchException;
import org.flatminima.engine.nn.Sigmoid;
import org.flatminima.engine.nn.Softplus;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.experiments.MemoryBudget;

/**
 * A model architecture written as one string (the {@code --arch} of {@code flatminima analyze} and
 * {@code train}), mapped onto the engine's {@code nn} layers with PyTorch's {@code nn.Sequential} names and
 * shapes, so that a PyTorch {@code state_dict} of the same model loads as is.
 *
 * <ul>
 *   <li>{@code mlp:IN-H1-...-OUT}: {@code Linear(IN,H1), ReLU, Linear(H1,H2), ReLU, ..., Linear(Hk,OUT)} at
 *       module indices 0, 1, 2, ... (the linear layers are {@code 0.}, {@code 2.}, {@code 4.}, ...). Inputs are
 *       flattened first; that flatten is not a module.</li>
 *   <li>{@code affine:IN-OUT}: the same as {@code mlp:IN-OUT}, one {@code Linear} at index 0.</li>
 *   <li>{@code seq:CxHxW:L1,L2,...}: images of C channels, H rows and W columns, and the layers
 *       {@code conv(OUT,K)} / {@code conv(OUT,K,stride=S,pad=P)} (Conv2d, square kernel, bias),
 *       {@code relu}, {@code tanh}, {@code sigmoid}, {@code softplus}, {@code maxpool(K)} / {@code maxpool(K,stride=S)},
 *       {@code avgpool(K)} / {@code avgpool(K,stride=S)} (stride defaults to K, as PyTorch), {@code flatten},
 *       {@code linear(OUT)}, {@code batchnorm} (BatchNorm1d on {@code [N, F]}, BatchNorm2d on
 *       {@code [N, C, H, W]}). Layer {@code i} (0-based) has module index {@code i}. Input channels and
 *       features are inferred by propagating the shape through the layers.</li>
 * </ul>
 *
 * <p>Spaces around tokens are ignored. A spec that does not parse, or whose shapes do not fit, is a
 * {@link SpecException} with one line naming the layer or token and what was expected. {@link #toString()} is
 * the canonical form (no spaces, default keyword arguments left out), which parses to an equal spec.
 */
public final class ModelSpec {

    /** The three forms of a spec. */
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
    }

    private static final String FORMS = "mlp:IN-H1-...-OUT, affine:IN-OUT or seq:CxHxW:L1,L2,...";
    private static final String LAYERS = "conv(OUT,K), conv(OUT,K,stride=S,pad=P), relu, tanh, sigmoid, softplus, "
            + "maxpool(K), maxpool(K,stride=S), avgpool(K), flatten, linear(OUT), batchnorm";

    private final Kind kind;
    private final int[] sampleShape;
    private final List<Layer> layers;
    private final List<Module> modules;
    private final List<int[]> outputShapes;
    private final String canonical;

    private ModelSpec(Kind kind, int[] sampleShape, List<Layer> layers, List<Module> modules,
            List<int[]> outputShapes, String canonical) {
        this.kind = kind;
        this.sampleShape = sampleShape;
        this.layers = List.copyOf(layers);
        this.modules = List.copyOf(modules);
        this.outputShapes = List.copyOf(outputShapes);
        this.canonical = canonical;
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
        if (spec == null || spec.isBlank()) {
            throw new SpecException(spec == null ? "" : spec, "empty; expected " + FORMS);
        }
        int colon = spec.indexOf(':');
        if (colon < 0) {
            throw new SpecException(spec, "no kind prefix; expected " + FORMS + ", e.g. mlp:784-512-10");
        }
        String kind = spec.substring(0, colon).strip();
        String rest = spec.substring(colon + 1);
        return switch (kind) {
            case "mlp" -> sizes(spec, Kind.MLP, rest, budget);
            case "affine" -> sizes(spec, Kind.AFFINE, rest, budget);
            case "seq" -> seq(spec, rest, budget);
            default -> throw new SpecException(spec, "unknown kind '" + kind + "'; expected " + FORMS);
        };
    }

    private static ModelSpec sizes(String spec, Kind kind, String rest, long budget) {
        String form = kind == Kind.MLP ? "mlp:IN-H1-...-OUT, e.g. mlp:784-512-10" : "affine:IN-OUT, e.g. affine:784-10";
        String[] parts = rest.split("-", -1);
        if (kind == Kind.MLP && parts.length < 2 || kind == Kind.AFFINE && parts.length != 2) {
            throw new SpecException(spec, (kind == Kind.MLP ? "an mlp needs at least IN and OUT"
                    : "affine needs exactly IN and OUT") + " (" + parts.length + " size" + (parts.length == 1 ? "" : "s")
                    + " given); expected " + form);
        }
        int[] s = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            s[i] = positive(spec, parts[i], "size " + i, form);
        }
        List<Layer> layers = new ArrayList<>();
        List<Module> modules = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        for (int i = 0; i + 1 < s.length; i++) {
            if (i > 0) {
                layers.add(new Layer.Relu());
                modules.add(new ReLU());
                shapes.add(new int[] {s[i]});
            }
            layers.add(new Layer.Linear(s[i + 1]));
            modules.add(new Linear(s[i], s[i + 1]));
            shapes.add(new int[] {s[i + 1]});
        }
        StringBuilder c = new StringBuilder(kind == Kind.MLP ? "mlp:" : "affine:");
        for (int i = 0; i < s.length; i++) {
            c.append(i == 0 ? "" : "-").append(s[i]);
        }
        ModelSizes.checkParameters(spec, modules, budget);
        return new ModelSpec(kind, new int[] {s[0]}, layers, modules, shapes, c.toString());
    }

    private static ModelSpec seq(String spec, String rest, long budget) {
        int colon = rest.indexOf(':');
        if (colon < 0) {
            throw new SpecException(spec, "seq needs an input shape and layers: seq:CxHxW:L1,L2,..., "
                    + "e.g. seq:1x28x28:flatten,linear(10)");
        }
        String shapeText = rest.substring(0, colon).strip();
        String[] dims = shapeText.split("x", -1);
        if (dims.length != 3) {
            throw new SpecException(spec, "input shape '" + shapeText + "' must be CxHxW (channels x height x width), "
                    + "e.g. 1x28x28");
        }
        int[] sample = new int[3];
        for (int d = 0; d < 3; d++) {
            sample[d] = positive(spec, dims[d], "input shape '" + shapeText + "'",
                    "CxHxW with positive integers, e.g. 1x28x28");
        }
        List<String> tokens = splitLayers(spec, rest.substring(colon + 1));
        List<Layer> layers = new ArrayList<>();
        List<Module> modules = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        int[] shape = batched(sample);
        for (int i = 0; i < tokens.size(); i++) {
            String where = "layer " + i + " '" + tokens.get(i) + "'";
            Layer layer = layer(spec, where, tokens.get(i));
            Module m = module(spec, where, layer, shape);
            long values = ModelSizes.perSample(shape);
            if (layer instanceof Layer.Flatten && values > Integer.MAX_VALUE) {
                throw new SpecException(spec, where + ": gives " + MemoryBudget.count(values) + " features per "
                        + "sample, more than one dimension holds (" + MemoryBudget.count(Integer.MAX_VALUE) + ")");
            }
            try {
                shape = m.outputShape(shape);
            } catch (ShapeMismatchException e) {
                throw new SpecException(spec, where + ": " + e.getMessage());
            }
            ModelSizes.checkOutput(spec, where, shape, budget);
            layers.add(layer);
            modules.add(m);
            shapes.add(Arrays.copyOfRange(shape, 1, shape.length));
        }
        if (shape.length != 2) {
            throw new SpecException(spec, "the last layer gives " + show(shape) + "; a classifier must end in "
                    + "[N, classes], e.g. with flatten,linear(10)");
        }
        ModelSizes.checkParameters(spec, modules, budget);
        StringBuilder c = new StringBuilder("seq:").append(sample[0]).append('x').append(sample[1]).append('x')
                .append(sample[2]).append(':');
        for (int i = 0; i < layers.size(); i++) {
            c.append(i == 0 ? "" : ",").append(layers.get(i));
        }
        return new ModelSpec(Kind.SEQ, sample, layers, modules, shapes, c.toString());
    }

    /** Splits the layer list at top-level commas (commas inside parentheses separate arguments). */
    private static List<String> splitLayers(String spec, String text) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            char ch = i < text.length() ? text.charAt(i) : ',';
            if (ch == '(') {
                depth++;
                if (depth > 1) {
                    throw new SpecException(spec, "nested '(' in layer " + out.size() + " '"
                            + text.substring(start).strip() + "'; expected one of " + LAYERS);
                }
            } else if (ch == ')') {
                depth--;
                if (depth < 0) {
                    throw new SpecException(spec, "')' without '(' in layer " + out.size() + " '"
                            + text.substring(start, i + 1).strip() + "'");
                }
            } else if (ch == ',' && depth == 0) {
                String t = text.substring(start, Math.min(i, text.length())).strip();
                if (t.isEmpty()) {
                    throw new SpecException(spec, "layer " + out.size() + " is empty (two commas, or a comma at "
                            + "the start or end); expected one of " + LAYERS);
                }
                out.add(t);
                start = i + 1;
            }
        }
        if (depth != 0) {
            throw new SpecException(spec, "'(' without ')' in layer " + out.size() + " '"
                    + text.substring(start).strip() + "'");
        }
        return out;
    }

    private record Args(List<String> positional, Map<String, String> keywords) {
    }

    /** Parses one layer token such as {@code conv(32,3,pad=1)} or {@code relu}. */
    private static Layer layer(String spec, String where, String token) {
        int open = token.indexOf('(');
        String name = (open < 0 ? token : token.substring(0, open)).strip();
        Args args = null;
        if (open >= 0) {
            int close = token.indexOf(')');
            if (close != token.length() - 1) {
                throw new SpecException(spec, where + ": unexpected text after ')'");
            }
            args = args(spec, where, token.substring(open + 1, close));
        }
        return switch (name) {
            case "conv" -> {
                String form = "conv needs (OUT,K) or (OUT,K,stride=S,pad=P), e.g. conv(32,3)";
                Args a = need(spec, where, args, 2, List.of("stride", "pad"), form);
                int out = positive(spec, a.positional().get(0), where + ": OUT", form);
                int k = positive(spec, a.positional().get(1), where + ": K", form);
                int stride = a.keywords().containsKey("stride")
                        ? positive(spec, a.keywords().get("stride"), where + ": stride", form) : 1;
                int pad = a.keywords().containsKey("pad")
                        ? nonNegative(spec, a.keywords().get("pad"), where + ": pad", form) : 0;
                yield new Layer.Conv(out, k, stride, pad);
            }
            case "maxpool", "avgpool" -> {
                String form = name + " needs (K) or (K,stride=S), e.g. " + name + "(2)";
                Args a = need(spec, where, args, 1, List.of("stride"), form);
                int k = positive(spec, a.positional().get(0), where + ": K", form);
                int stride = a.keywords().containsKey("stride")
                        ? positive(spec, a.keywords().get("stride"), where + ": stride", form) : k;
                yield name.equals("maxpool") ? new Layer.MaxPool(k, stride) : new Layer.AvgPool(k, stride);
            }
            case "linear" -> {
                String form = "linear needs (OUT), e.g. linear(10)";
                Args a = need(spec, where, args, 1, List.of(), form);
                yield new Layer.Linear(positive(spec, a.positional().get(0), where + ": OUT", form));
            }
            case "relu", "tanh", "sigmoid", "softplus", "flatten", "batchnorm" -> {
                if (args != null) {
                    throw new SpecException(spec, where + ": " + name + " takes no arguments; write " + name);
                }
                yield switch (name) {
                    case "relu" -> new Layer.Relu();
                    case "tanh" -> new Layer.Tanh();
                    case "sigmoid" -> new Layer.Sigmoid();
                    case "softplus" -> new Layer.Softplus();
                    case "flatten" -> new Layer.Flatten();
                    default -> new Layer.BatchNorm();
                };
            }
            default -> {
                String lower = name.toLowerCase(Locale.ROOT);
                String hint = !lower.equals(name) && List.of("conv", "maxpool", "avgpool", "linear", "relu", "tanh",
                        "sigmoid", "softplus", "flatten", "batchnorm").contains(lower) ? " (layer names are lower case: " + lower + ")" : "";
                throw new SpecException(spec, where + ": unknown layer '" + name + "'" + hint + "; expected one of "
                        + LAYERS);
            }
        };
    }

    private static Args args(String spec, String where, String inside) {
        List<String> positional = new ArrayList<>();
        Map<String, String> keywords = new LinkedHashMap<>();
        if (inside.isBlank()) {
            return new Args(positional, keywords);
        }
        for (String part : inside.split(",", -1)) {
            String p = part.strip();
            if (p.isEmpty()) {
                throw new SpecException(spec, where + ": empty argument");
            }
            int eq = p.indexOf('=');
            if (eq < 0) {
                if (!keywords.isEmpty()) {
                    throw new SpecException(spec, where + ": positional argument '" + p + "' after a keyword argument");
                }
                positional.add(p);
            } else {
                String key = p.substring(0, eq).strip();
                if (keywords.put(key, p.substring(eq + 1).strip()) != null) {
                    throw new SpecException(spec, where + ": '" + key + "' given twice");
                }
            }
        }
        return new Args(positional, keywords);
    }

    private static Args need(String spec, String where, Args args, int positional, List<String> allowed,
            String form) {
        if (args == null || args.positional().size() != positional) {
            throw new SpecException(spec, where + ": " + form);
        }
        for (String k : args.keywords().keySet()) {
            if (!allowed.contains(k)) {
                throw new SpecException(spec, where + ": unknown argument '" + k + "='; " + form);
            }
        }
        return args;
    }

    private static int positive(String spec, String text, String what, String form) {
        int v = integer(spec, text, what, form);
        if (v <= 0) {
            throw new SpecException(spec, what + " must be a positive integer, got '" + text.strip() + "'; expected "
                    + form);
        }
        return v;
    }

    private static int nonNegative(String spec, String text, String what, String form) {
        int v = integer(spec, text, what, form);
        if (v < 0) {
            throw new SpecException(spec, what + " must be >= 0, got '" + text.strip() + "'; expected " + form);
        }
        return v;
    }

    private static int integer(String spec, String text, String what, String form) {
        String t = text.strip();
        if (!t.matches("-?[0-9]+")) {
            throw new SpecException(spec, what + " is not an integer: '" + t + "'; expected " + form);
        }
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new SpecException(spec, what + " is too large: '" + t + "'; expected " + form);
        }
    }

    /** The nn module for {@code layer} given the shape of its input (batch axis first). */
    private static Module module(String spec, String where, Layer layer, int[] in) {
        return switch (layer) {
            case Layer.Conv c -> {
                image(spec, where, "conv", in);
                yield new Conv2d(in[1], c.out(), c.kernel(), c.stride(), c.pad(), true);
            }
            case Layer.MaxPool p -> {
                image(spec, where, "maxpool", in);
                yield new MaxPool2d(p.kernel(), p.stride(), 0);
            }
            case Layer.AvgPool p -> {
                image(spec, where, "avgpool", in);
                yield new AvgPool2d(p.kernel(), p.stride(), 0);
            }
            case Layer.Linear l -> {
                if (in.length != 2) {
                    throw new SpecException(spec, where + ": linear needs a flat input [N, F], got " + show(in)
                            + "; put flatten before it");
                }
                yield new Linear(in[1], l.out());
            }
            case Layer.BatchNorm b -> in.length == 4 ? BatchNorm.batchNorm2d(in[1]) : BatchNorm.batchNorm1d(in[1]);
            case Layer.Relu r -> new ReLU();
            case Layer.Tanh t -> new Tanh();
            case Layer.Sigmoid t -> new Sigmoid();
            case Layer.Softplus t -> new Softplus();
            case Layer.Flatten f -> new Flatten();
        };
    }

    private static void image(String spec, String where, String name, int[] in) {
        if (in.length != 4) {
            throw new SpecException(spec, where + ": " + name + " needs an image input [N, C, H, W], got " + show(in)
                    + " (after a flatten or linear layer)");
        }
    }

    private static int[] batched(int[] sample) {
        int[] s = new int[sample.length + 1];
        s[0] = 1;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

    /** A batched shape with the batch axis written N: {@code [N, 32, 14, 14]}. */
    private static String show(int[] batched) {
        StringBuilder b = new StringBuilder("[N");
        for (int d = 1; d < batched.length; d++) {
            b.append(", ").append(batched[d]);
        }
        return b.append(']').toString();
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
