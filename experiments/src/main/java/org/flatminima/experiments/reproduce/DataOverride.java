package org.flatminima.experiments.reproduce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.models.ModelSpec;

/**
 * {@code reproduce --data NAME[,NAME...]}: the data sets of an experiment's configuration replaced by the user's,
 * and its models adapted to their image shape. Applies to the experiments of {@link #EXPERIMENTS} (see
 * {@link ScaledExperiment#overrideData}), whose configurations are {@link Adaptable}: they replace their data sets
 * and pass every model specification through the adaptation below. A model whose input does not fit the data gets the data's input: {@code mlp:784-...} and
 * {@code affine:784-...} become {@code mlp:3072-...} for CIFAR-10, {@code seq:1x28x28:...} becomes
 * {@code seq:3x32x32:...} (its layers infer their sizes), and the authors' architectures
 * ({@code NAME[(KEY=N,...)]:CxHxW-CLASSES}, docs/models.md) take the data's shape: {@code lenet:1x28x28-10} becomes
 * {@code lenet:3x32x32-10}; any other model that does not fit is one line naming the model and the data.
 */
public final class DataOverride {

    /** The experiments that take {@code --data}. */
    public static final List<String> EXPERIMENTS = List.of("E2", "E3");

    private static final Pattern DENSE = Pattern.compile("(mlp|affine):(\\d+)(.*)", Pattern.DOTALL);
    private static final Pattern SEQ = Pattern.compile("seq:(\\d+)x(\\d+)x(\\d+):(.*)", Pattern.DOTALL);
    /** A named architecture: its head (name and keywords), the image shape, the class count. */
    private static final Pattern NAMED = Pattern.compile("([a-z][a-z0-9-]*(?:\\([^)]*\\))?):\\s*(\\d+)x(\\d+)x(\\d+)"
            + "\\s*-\\s*(\\d+)", Pattern.DOTALL);

    private DataOverride() {
    }

    /**
     * A configuration that is not a record (E2's builder-made {@link E2Config}) and takes other data sets itself:
     * {@link #applyTo} calls it instead of rebuilding a record.
     *
     * @param <C> the configuration's type
     */
    public interface Adaptable<C> {
        /** This configuration on data sets {@code names}, every model specification passed through {@code adapt}. */
        C withData(List<String> names, java.util.function.UnaryOperator<String> adapt);
    }

    /**
     * {@code config} on {@code names}: through {@link Adaptable#withData} when it is {@link Adaptable}, {@code names}
     * must share one shape.
     */
    @SuppressWarnings("unchecked")
    public static <C> C applyTo(C config, List<String> names) {
        if (config instanceof Adaptable<?> a) {
            String shapeOf = commonShape(names);
            return (C) a.withData(List.copyOf(names), arch -> adaptArch(arch, shapeOf));
        }
        throw new IllegalStateException(config.getClass().getName() + " does not implement DataOverride.Adaptable");
    }

    /**
     * The names given to {@code --data}, each checked and made canonical ({@link DataSets#canonical}); an unknown
     * or repeated one, or none, is a {@link UserException}.
     */
    public static List<String> names(List<String> given) {
        List<String> out = new ArrayList<>();
        for (String g : given) {
            String n = DataSets.canonical(g);
            if (!DataSets.NAMES.contains(n)) {
                throw new UserException("--data: unknown data set '" + g.strip() + "': use one of "
                        + String.join(", ", DataSets.NAMES) + " (or cifar10)");
            }
            if (out.contains(n)) {
                throw new UserException("--data names " + n + " twice: give each data set once");
            }
            out.add(n);
        }
        if (out.isEmpty()) {
            throw new UserException("--data is empty: name a data set, e.g. --data cifar10");
        }
        return List.copyOf(out);
    }

    /**
     * {@code arch} taking the images of data set {@code data}: unchanged when it fits, else with its input replaced
     * (see the class comment); a model that cannot be adapted is a one-line {@link UserException} naming both.
     */
    public static String adaptArch(String arch, String data) {
        int[] shape = DataSets.imageShape(data);
        String name = DataSets.canonical(data);
        if (fits(ModelSpec.parse(arch).sampleShape(), shape)) {
            return arch;
        }
        int features = shape[0] * shape[1] * shape[2];
        Matcher dense = DENSE.matcher(arch);
        Matcher seq = SEQ.matcher(arch);
        Matcher named = NAMED.matcher(arch.strip());
        String images = shape[0] + "x" + shape[1] + "x" + shape[2];
        String adapted = dense.matches() ? dense.group(1) + ":" + features + dense.group(3)
                : seq.matches() ? "seq:" + images + ":" + seq.group(4)
                : named.matches() && !named.group(1).startsWith("seq")
                        ? named.group(1) + ":" + images + "-" + named.group(5) : null;
        if (adapted == null) {
            throw new UserException("model " + arch + " takes inputs of shape "
                    + Arrays.toString(ModelSpec.parse(arch).sampleShape()) + " but " + name + " has " + images
                    + " images, and only mlp:, affine:, seq: and named models are adapted: choose another --data");
        }
        try {
            ModelSpec.parse(adapted).network();
        } catch (UserException | IllegalArgumentException e) {
            throw new UserException("model " + arch + " does not fit " + name + "'s " + images + " images as "
                    + adapted + " (" + e.getMessage() + "): choose another --data");
        }
        return adapted;
    }

    /**
     * Whether a model taking samples of shape {@code in} takes images of shape {@code shape} ({@code [C, H, W]}):
     * a flat input of C H W values, or exactly that image shape.
     */
    static boolean fits(int[] in, int[] shape) {
        long values = 1;
        for (int d : in) {
            values *= d;
        }
        return values == (long) shape[0] * shape[1] * shape[2]
                && (in.length != 3 || Arrays.equals(in, shape));
    }

    /** The one data set whose shape every name shares (the first); mixed shapes are a {@link UserException}. */
    private static String commonShape(List<String> names) {
        int[] first = DataSets.imageShape(names.getFirst());
        for (String n : names) {
            if (!Arrays.equals(DataSets.imageShape(n), first)) {
                throw new UserException("--data " + String.join(",", names) + " mixes image shapes ("
                        + names.getFirst() + ": " + Arrays.toString(first) + ", " + n + ": "
                        + Arrays.toString(DataSets.imageShape(n)) + "); one model takes one shape: run them "
                        + "separately");
            }
        }
        return names.getFirst();
    }
}
