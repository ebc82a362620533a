package org.flatminima.experiments.models;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.engine.nn.Module;
import org.flatminima.engine.nn.ShapeMismatchException;
import org.flatminima.experiments.MemoryBudget;

/**
 * The text side of {@link ModelSpec}: splits a spec into its kind, sizes, options and layer tokens, checks every
 * number, and hands the layers to {@link LayerBuilder} (modules and shapes) or a name to {@link Architectures}.
 * Every error is a one-line {@link SpecException} naming the token and what was expected.
 */
final class SpecParser {
    private SpecParser() {
    }

    static final String FORMS = "mlp:IN-H1-...-OUT, affine:IN-OUT or seq:CxHxW:L1,L2,...";
    static final String LAYERS = "conv(OUT,K), conv(OUT,K,stride=S,pad=P), relu, tanh, sigmoid, softplus, "
            + "maxpool(K), maxpool(K,stride=S), avgpool(K), flatten, linear(OUT), batchnorm, dropout(P), zeropad(P)";
    private static final String MLP_FORM = "mlp:IN-H1-...-OUT[,bn][,dropout=P], e.g. mlp:784-512x2-10,bn";

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
            case "mlp" -> sizes(spec, ModelSpec.Kind.MLP, rest, budget);
            case "affine" -> sizes(spec, ModelSpec.Kind.AFFINE, rest, budget);
            case "seq" -> seq(spec, rest, budget);
            default -> Architectures.expand(spec, kind, rest, budget);
        };
    }

    private static ModelSpec sizes(String spec, ModelSpec.Kind kind, String rest, long budget) {
        boolean mlp = kind == ModelSpec.Kind.MLP;
        String form = mlp ? MLP_FORM : "affine:IN-OUT, e.g. affine:784-10";
        String[] items = rest.split(",", -1);
        boolean bn = false;
        Double dropout = null;
        for (int i = 1; i < items.length; i++) {
            String o = items[i].strip();
            int eq = o.indexOf('=');
            String key = (eq < 0 ? o : o.substring(0, eq)).strip();
            if (!mlp) {
                throw new SpecException(spec, "affine takes no options ('" + o + "'); expected " + form);
            }
            if (key.equals("bn")) {
                if (eq >= 0 || bn) {
                    throw new SpecException(spec, (bn ? "given twice" : "bn takes no value") + " ('" + o + "'); "
                            + "mlp options are bn and dropout=P: " + form);
                }
                bn = true;
            } else if (key.equals("dropout")) {
                if (eq < 0 || dropout != null) {
                    throw new SpecException(spec, (eq < 0 ? "dropout needs =P" : "given twice") + " ('" + o + "'); "
                            + "mlp options are bn and dropout=P: " + form);
                }
                dropout = probability(spec, o.substring(eq + 1), "option '" + o + "'", form);
            } else {
                throw new SpecException(spec, "unknown option ('" + o + "'); mlp options are bn and dropout=P: "
                        + form);
            }
        }
        List<Integer> sizes = new ArrayList<>();
        String[] parts = items[0].split("-", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].strip();
            int x = p.indexOf('x');
            if (mlp && x > 0 && i > 0 && i < parts.length - 1) {
                int width = positive(spec, p.substring(0, x), "size " + i + " '" + p + "'", form);
                int times = positive(spec, p.substring(x + 1), "size " + i + " '" + p + "' (repeat count)", form);
                for (int t = 0; t < times; t++) {
                    sizes.add(width);
                }
            } else {
                sizes.add(positive(spec, p, "size " + i, form));
            }
        }
        if (mlp && sizes.size() < 2 || !mlp && sizes.size() != 2) {
            throw new SpecException(spec, (mlp ? "an mlp needs at least IN and OUT" : "affine needs exactly IN and OUT")
                    + " (" + sizes.size() + " size" + (sizes.size() == 1 ? "" : "s") + " given); expected " + form);
        }
        List<ModelSpec.Layer> layers = new ArrayList<>();
        for (int i = 1; i < sizes.size(); i++) {
            if (i > 1) {
                if (bn) {
                    layers.add(new ModelSpec.Layer.BatchNorm());
                }
                layers.add(new ModelSpec.Layer.Relu());
                if (dropout != null) {
                    layers.add(new ModelSpec.Layer.Dropout(dropout));
                }
            }
            layers.add(new ModelSpec.Layer.Linear(sizes.get(i)));
        }
        StringBuilder c = new StringBuilder(mlp ? "mlp:" : "affine:");
        for (int i = 0; i < sizes.size(); i++) {
            c.append(i == 0 ? "" : "-").append(sizes.get(i));
        }
        c.append(bn ? ",bn" : "").append(dropout != null ? ",dropout=" + plain(dropout) : "");
        LayerBuilder.Built b = LayerBuilder.build(spec, new int[] {sizes.getFirst()}, layers, List.of(), budget);
        return new ModelSpec(kind, new int[] {sizes.getFirst()}, layers, b.modules(), b.shapes(), c.toString(), null);
    }

    private static ModelSpec seq(String spec, String rest, long budget) {
        int colon = rest.indexOf(':');
        if (colon < 0) {
            throw new SpecException(spec, "seq needs an input shape and layers: seq:CxHxW:L1,L2,..., "
                    + "e.g. seq:1x28x28:flatten,linear(10)");
        }
        int[] sample = imageShape(spec, rest.substring(0, colon));
        List<String> tokens = splitLayers(spec, rest.substring(colon + 1));
        List<ModelSpec.Layer> layers = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            layers.add(layer(spec, where(i, tokens.get(i)), tokens.get(i)));
        }
        LayerBuilder.Built b = LayerBuilder.build(spec, sample, layers, tokens, budget);
        StringBuilder c = new StringBuilder("seq:").append(sample[0]).append('x').append(sample[1]).append('x')
                .append(sample[2]).append(':');
        for (int i = 0; i < layers.size(); i++) {
            c.append(i == 0 ? "" : ",").append(layers.get(i));
        }
        return new ModelSpec(ModelSpec.Kind.SEQ, sample, layers, b.modules(), b.shapes(), c.toString(), null);
    }

    static String where(int i, String token) {
        return "layer " + i + " '" + token + "'";
    }

    /** {@code CxHxW} with positive integers. */
    static int[] imageShape(String spec, String text) {
        String shapeText = text.strip();
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
        return sample;
    }

    /** Splits a list at top-level commas (commas inside parentheses separate arguments). */
    static List<String> splitLayers(String spec, String text) {
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

    /** Positional and keyword arguments inside parentheses. */
    record Args(List<String> positional, Map<String, String> keywords) {
    }

    /** Parses one layer token such as {@code conv(32,3,pad=1)} or {@code relu}. */
    private static ModelSpec.Layer layer(String spec, String where, String token) {
        int open = token.indexOf('(');
        String name = (open < 0 ? token : token.substring(0, open)).strip();
        Args args = open < 0 ? null : args(spec, where, token, open);
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
                yield new ModelSpec.Layer.Conv(out, k, stride, pad);
            }
            case "maxpool", "avgpool" -> {
                String form = name + " needs (K) or (K,stride=S), e.g. " + name + "(2)";
                Args a = need(spec, where, args, 1, List.of("stride"), form);
                int k = positive(spec, a.positional().get(0), where + ": K", form);
                int stride = a.keywords().containsKey("stride")
                        ? positive(spec, a.keywords().get("stride"), where + ": stride", form) : k;
                yield name.equals("maxpool") ? new ModelSpec.Layer.MaxPool(k, stride)
                        : new ModelSpec.Layer.AvgPool(k, stride);
            }
            case "linear" -> {
                String form = "linear needs (OUT), e.g. linear(10)";
                Args a = need(spec, where, args, 1, List.of(), form);
                yield new ModelSpec.Layer.Linear(positive(spec, a.positional().get(0), where + ": OUT", form));
            }
            case "dropout" -> {
                String form = "dropout needs (P) with 0 <= P <= 1, e.g. dropout(0.5)";
                Args a = need(spec, where, args, 1, List.of(), form);
                yield new ModelSpec.Layer.Dropout(probability(spec, a.positional().get(0), where + ": P", form));
            }
            case "zeropad" -> {
                String form = "zeropad needs (P), P >= 0 zeros on each side, e.g. zeropad(1)";
                Args a = need(spec, where, args, 1, List.of(), form);
                yield new ModelSpec.Layer.ZeroPad(nonNegative(spec, a.positional().get(0), where + ": P", form));
            }
            case "relu", "tanh", "sigmoid", "softplus", "flatten", "batchnorm" -> {
                if (args != null) {
                    throw new SpecException(spec, where + ": " + name + " takes no arguments; write " + name);
                }
                yield switch (name) {
                    case "relu" -> new ModelSpec.Layer.Relu();
                    case "tanh" -> new ModelSpec.Layer.Tanh();
                    case "sigmoid" -> new ModelSpec.Layer.Sigmoid();
                    case "softplus" -> new ModelSpec.Layer.Softplus();
                    case "flatten" -> new ModelSpec.Layer.Flatten();
                    default -> new ModelSpec.Layer.BatchNorm();
                };
            }
            default -> {
                List<String> names = List.of("conv", "maxpool", "avgpool", "linear", "relu", "tanh", "sigmoid",
                        "softplus", "flatten", "batchnorm", "dropout", "zeropad");
                String lower = name.toLowerCase(Locale.ROOT);
                String hint = !lower.equals(name) && names.contains(lower) ? " (layer names are lower case: " + lower
                        + ")" : "";
                throw new SpecException(spec, where + ": unknown layer '" + name + "'" + hint + "; expected one of "
                        + LAYERS);
            }
        };
    }

    /** The arguments of {@code token} whose '(' is at {@code open}; the token must end with the matching ')'. */
    static Args args(String spec, String where, String token, int open) {
        int close = token.indexOf(')');
        if (close != token.length() - 1) {
            throw new SpecException(spec, where + ": unexpected text after ')'");
        }
        String inside = token.substring(open + 1, close);
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

    static Args need(String spec, String where, Args args, int positional, List<String> allowed, String form) {
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

    static int positive(String spec, String text, String what, String form) {
        int v = integer(spec, text, what, form);
        if (v <= 0) {
            throw new SpecException(spec, what + " must be a positive integer, got '" + text.strip() + "'; expected "
                    + form);
        }
        return v;
    }

    static int nonNegative(String spec, String text, String what, String form) {
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

    /** A probability written as a plain decimal ({@code 0.5}, {@code .25}, {@code 1}) in [0, 1]. */
    static double probability(String spec, String text, String what, String form) {
        String t = text.strip();
        if (!t.matches("[0-9]*\\.?[0-9]+|[0-9]+\\.")) {
            throw new SpecException(spec, what + " is not a decimal number: '" + t + "'; expected " + form);
        }
        double p = Double.parseDouble(t);
        if (p > 1) {
            throw new SpecException(spec, what + " must be between 0 and 1, got '" + t + "'; expected " + form);
        }
        return p;
    }

    /** The shortest plain decimal of {@code v}: 0.5, 1, 0.0001 (never an exponent). */
    static String plain(double v) {
        String s = BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        return s.equals("0.0") ? "0" : s;
    }

    /** A batched shape with the batch axis written N: {@code [N, 32, 14, 14]}. */
    static String show(int[] batched) {
        StringBuilder b = new StringBuilder("[N");
        for (int d = 1; d < batched.length; d++) {
            b.append(", ").append(batched[d]);
        }
        return b.append(']').toString();
    }

    /** Applies {@code m} to {@code shape}, as a spec error naming {@code where} if it does not fit. */
    static int[] apply(String spec, String where, Module m, int[] shape) {
        try {
            return m.outputShape(shape);
        } catch (ShapeMismatchException e) {
            throw new SpecException(spec, where + ": " + e.getMessage());
        }
    }

    /** The batched shape {@code [1, ...sample]}. */
    static int[] batched(int[] sample) {
        int[] s = new int[sample.length + 1];
        s[0] = 1;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

}
