package org.flatminima.experiments.reproduce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.models.ModelSpec;

/**
 * {@code reproduce --arch SPEC} (repeatable): the models of an experiment's configuration replaced by the user's
 * ({@link ModelSpec} strings, the authors' architectures included: {@code lenet:1x28x28-10}). Applies to the
 * experiments of {@link #EXPERIMENTS} (see {@link ScaledExperiment#overrideArchs}), whose configurations are
 * {@link Archable}: E2 keeps its affine model (claim (2)'s closed form) and trains each given spec instead of its
 * other models; E3 trains the one given spec in every run. Applied before {@code --data}
 * ({@link DataOverride}), whose adaptation then gives the specs the data's input shape; without {@code --data} a
 * spec must fit the configuration's data sets as given.
 */
public final class ArchOverride {

    /** The experiments that take {@code --arch}. */
    public static final List<String> EXPERIMENTS = List.of("E2", "E3");

    /** Every data set of {@link DataSets#NAMES} has this many classes. */
    static final int CLASSES = 10;

    private ArchOverride() {
    }

    /**
     * A configuration whose models can be replaced by the user's.
     *
     * @param <C> the configuration's type
     */
    public interface Archable<C> {
        /**
         * This configuration training {@code specs} (checked by {@link #specs}); a number of specs the
         * experiment cannot take is a {@link UserException}.
         */
        C withArchs(List<String> specs);

        /** The models this configuration trains (ModelSpec strings). */
        List<String> models();

        /** The data sets these models run on. */
        List<String> dataSets();
    }

    /**
     * The specs given to {@code --arch}, stripped and parsed: one that does not parse, or is given twice, or none,
     * is a one-line {@link UserException}.
     */
    public static List<String> specs(List<String> given) {
        List<String> out = new ArrayList<>();
        for (String g : given) {
            String s = g == null ? "" : g.strip();
            if (s.isEmpty()) {
                throw new UserException("--arch is empty: give a model spec, e.g. --arch lenet:1x28x28-10 "
                        + "(forms in docs/models.md)");
            }
            try {
                ModelSpec.parse(s);
            } catch (UserException | IllegalArgumentException e) {
                throw new UserException("--arch " + s + " does not parse (" + e.getMessage()
                        + "); see docs/models.md for the spec forms");
            }
            if (out.contains(s)) {
                throw new UserException("--arch " + s + " is given twice: give each model once");
            }
            out.add(s);
        }
        return List.copyOf(out);
    }

    /**
     * {@code config} training {@code specs} (none: {@code config} itself), through {@link Archable#withArchs}.
     */
    @SuppressWarnings("unchecked")
    static <C> C applyTo(C config, List<String> specs) {
        if (specs.isEmpty()) {
            return config;
        }
        if (config instanceof Archable<?> a) {
            return (C) a.withArchs(List.copyOf(specs));
        }
        throw new IllegalStateException(config.getClass().getName() + " does not implement ArchOverride.Archable");
    }

    /**
     * Checks that every model of {@code config} takes the images of every one of its data sets and has
     * {@link #CLASSES} outputs: a one-line {@link UserException} naming the first model that does not (after
     * {@code --data}, whose adaptation makes them fit, this only finds the class count).
     */
    static void checkFits(Archable<?> config) {
        for (String arch : config.models()) {
            ModelSpec m = ModelSpec.parse(arch);
            if (m.classes() != CLASSES) {
                throw new UserException("--arch " + arch + " has " + m.classes() + " outputs but the data sets have "
                        + CLASSES + " classes: end the spec with -" + CLASSES);
            }
            for (String data : config.dataSets()) {
                int[] shape = DataSets.imageShape(data);
                if (!DataOverride.fits(m.sampleShape(), shape)) {
                    String images = shape[0] + "x" + shape[1] + "x" + shape[2];
                    throw new UserException("--arch " + arch + " takes inputs of shape "
                            + Arrays.toString(m.sampleShape()) + " but " + DataSets.canonical(data) + " has " + images
                            + " images: give a spec for " + images + ", or add --data to adapt it");
                }
            }
        }
    }
}
