package org.flatminima.experiments.models;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.EditDistance;

/**
 * The paper's architectures by name, as written in the authors' code (github.com/daniellengyel/
 * deep_generalizability, {@code margin_flatness/nets/Nets.py} and the older {@code deep_generalizability/nets/Nets.py}),
 * each expanded to an ordinary {@link ModelSpec} for a given input shape and class count. A named spec is
 * {@code NAME[(KEY=VALUE,...)]:CxHxW-CLASSES}, e.g. {@code lenet:1x28x28-10} or
 * {@code simplenet(width=256,layers=8):3x32x32-10}; its {@link ModelSpec#toString()} is the written-out
 * expansion (so the two spellings are equal specs) and {@link ModelSpec#named()} the name as given.
 *
 * <ul>
 *   <li>{@code lenet} ({@code LeNet}, both files): {@code conv(6,5), relu, maxpool(2), conv(16,5), relu, maxpool(2),
 *       flatten, linear(120), relu, linear(84), relu, linear(CLASSES), relu}: the authors' LeNet applies a ReLU to
 *       its logits ({@code relu5}), so the logits are never negative. Their {@code fc1} takes
 *       {@code 16 (H-12)/4 (W-12)/4} features; here it takes the flattened size, which is the same whenever their
 *       code runs (H - 12 and W - 12 multiples of 4: 28x28 and 32x32).</li>
 *   <li>{@code keskar-c3} ({@code KeskarC3}, margin_flatness): two blocks {@code conv(24,5,stride=2,pad=Pc),
 *       batchnorm, relu, zeropad(Pp), maxpool(3,stride=2)} with {@code Pc = floor((H+3)/2) + 1 - H mod 2} and
 *       {@code Pp = floor((H+1)/2) + 1 - H mod 2} (their {@code F.pad} with zeros, then the pooling without
 *       padding; both keep the image H x W), then {@code flatten, linear(192), batchnorm, relu, dropout(0.5),
 *       linear(86), batchnorm, relu, dropout(0.5), linear(CLASSES)}. Square images only: their code pads the width
 *       by the height's padding and the height by the width's.</li>
 *   <li>{@code simplenet(width=W,layers=L)} ({@code SimpleNet}, both files): {@code mlp:IN-W-...-W-CLASSES} with L
 *       hidden layers of width W and ReLU ({@code fc_input}, L - 1 {@code layers}, {@code fc_final}), IN = C H W
 *       (their data is vectorised for it). Defaults: L = 8 (the paper's SimpleNet), W = 256 (the width in the
 *       authors' {@code experiment.py}). Their newer file also has {@code dropout_p} (default 0, not offered
 *       here).</li>
 *   <li>{@code simplenet-bn(width=W)} ({@code BatchNormSimpleNet}): {@code mlp:IN-W-W-W-W-W-CLASSES,bn}, five
 *       hidden layers {@code relu(bn(fc(x)))}; default W = 512 ({@code deep_generalizability/nets/Nets.py}; the
 *       newer file defaults to 256 and takes a width).</li>
 * </ul>
 *
 * <p>Parameter names are those of {@code nn.Sequential} (module indices), not the authors' attribute names
 * ({@code conv1}, {@code bn1}, {@code fc1}, ...): their modules in forward order map one to one onto the indices
 * of the modules with parameters; {@code ModelSpec#describe()} lists them.
 */
public final class Architectures {
    private Architectures() {
    }

    /** The names, in the order they are listed in errors. */
    public static final List<String> NAMES = List.of("lenet", "keskar-c3", "simplenet", "simplenet-bn");

    private static final String FORM = "NAME:CxHxW-CLASSES, e.g. lenet:1x28x28-10, keskar-c3:3x32x32-10, "
            + "simplenet(width=256,layers=8):1x28x28-10, simplenet-bn:1x28x28-10";

    /** The spec text that {@code name(args):shape-classes} stands for. */
    static ModelSpec expand(String spec, String head, String rest, long budget) {
        int open = head.indexOf('(');
        String name = (open < 0 ? head : head.substring(0, open)).strip();
        if (!NAMES.contains(name)) {
            List<String> known = List.of("mlp", "affine", "seq", "lenet", "keskar-c3", "simplenet", "simplenet-bn");
            String near = known.stream().min(Comparator.comparingInt(n -> EditDistance.between(n, name))).orElseThrow();
            boolean close = EditDistance.between(near, name) <= 2 || name.length() >= 3 && near.startsWith(name);
            String hint = close ? " (did you mean '" + near + "'?)" : "";
            throw new SpecException(spec, "unknown kind '" + name + "'" + hint + "; expected " + SpecParser.FORMS
                    + ", or a named architecture " + String.join(", ", NAMES) + " (" + FORM + ")");
        }
        String where = "'" + head.strip() + "'";
        SpecParser.Args args = open < 0 ? new SpecParser.Args(List.of(), Map.of())
                : SpecParser.args(spec, where, head.strip(), head.strip().indexOf('('));
        List<String> allowed = switch (name) {
            case "simplenet" -> List.of("width", "layers");
            case "simplenet-bn" -> List.of("width");
            default -> List.of();
        };
        String argForm = name + (allowed.isEmpty() ? " takes no arguments" : " takes " + String.join(", ",
                allowed.stream().map(k -> k + "=N").toList()));
        if (!args.positional().isEmpty()) {
            throw new SpecException(spec, where + ": positional argument '" + args.positional().getFirst() + "'; "
                    + argForm);
        }
        for (String k : args.keywords().keySet()) {
            if (!allowed.contains(k)) {
                throw new SpecException(spec, where + ": unknown argument '" + k + "='; " + argForm);
            }
        }
        String tail = rest.strip();
        int dash = tail.lastIndexOf('-');
        if (dash < 0) {
            throw new SpecException(spec, name + " needs the input shape and the class count: " + name
                    + ":CxHxW-CLASSES, e.g. " + name + ":1x28x28-10");
        }
        int[] image = SpecParser.imageShape(spec, tail.substring(0, dash));
        int classes = SpecParser.positive(spec, tail.substring(dash + 1), "class count", name + ":CxHxW-CLASSES");
        String expanded = switch (name) {
            case "lenet" -> lenet(image, classes, 6, 16, 120, 84);
            case "keskar-c3" -> {
                if (image[1] != image[2]) {
                    throw new SpecException(spec, "keskar-c3 needs a square image (HxH), got " + image[1] + "x"
                            + image[2] + ": the authors' KeskarC3 pads the width by the height's padding");
                }
                yield keskarC3(image, classes, 24, 192, 86, 0.5);
            }
            case "simplenet" -> simpleNet(image, classes, arg(spec, where, args, "width", 256),
                    arg(spec, where, args, "layers", 8));
            default -> simpleNetBn(image, classes, arg(spec, where, args, "width", 512), 5);
        };
        ModelSpec m;
        try {
            m = SpecParser.parse(expanded, budget);
        } catch (SpecException e) {
            throw new SpecException(spec, "expands to '" + expanded + "', which "
                    + e.getMessage().substring(("spec '" + expanded + "': ").length()));
        }
        return new ModelSpec(m.kind(), m.sampleShape(), m.layers(), m.module().layers(), m.outputShapes(),
                m.toString(), spec.strip().replace(" ", ""));
    }

    private static int arg(String spec, String where, SpecParser.Args args, String key, int fallback) {
        String v = args.keywords().get(key);
        return v == null ? fallback : SpecParser.positive(spec, v, where + ": " + key, key + "=N with N > 0");
    }

    /** The authors' LeNet with the given widths (theirs: 6, 16, 120, 84), ReLU on the logits included. */
    static String lenet(int[] image, int classes, int c1, int c2, int f1, int f2) {
        return seq(image) + "conv(" + c1 + ",5),relu,maxpool(2),conv(" + c2 + ",5),relu,maxpool(2),flatten,linear("
                + f1 + "),relu,linear(" + f2 + "),relu,linear(" + classes + "),relu";
    }

    /** The authors' KeskarC3 with the given widths (theirs: 24 filters, 192, 86, dropout 0.5), square images. */
    static String keskarC3(int[] image, int classes, int filters, int f1, int f2, double p) {
        int h = image[1];
        int convPad = (h + 3) / 2 + 1 - h % 2;
        int poolPad = (h + 1) / 2 + 1 - h % 2;
        String block = "conv(" + filters + ",5,stride=2,pad=" + convPad + "),batchnorm,relu,zeropad(" + poolPad
                + "),maxpool(3,stride=2)";
        String drop = "dropout(" + SpecParser.plain(p) + ")";
        return seq(image) + block + "," + block + ",flatten,linear(" + f1 + "),batchnorm,relu," + drop + ",linear("
                + f2 + "),batchnorm,relu," + drop + ",linear(" + classes + ")";
    }

    /** The authors' SimpleNet: {@code layers} hidden layers of {@code width} with ReLU, flattened input. */
    static String simpleNet(int[] image, int classes, int width, int layers) {
        return "mlp:" + image[0] * image[1] * image[2] + "-" + width + "x" + layers + "-" + classes;
    }

    /** The authors' BatchNormSimpleNet: {@code layers} (theirs: 5) hidden layers relu(bn(fc(x))). */
    static String simpleNetBn(int[] image, int classes, int width, int layers) {
        return simpleNet(image, classes, width, layers) + ",bn";
    }

    private static String seq(int[] image) {
        return "seq:" + image[0] + "x" + image[1] + "x" + image[2] + ":";
    }
}
