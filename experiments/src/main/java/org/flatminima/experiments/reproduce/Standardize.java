package org.flatminima.experiments.reproduce;

import java.util.List;
import java.util.Locale;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.Dataset;

/**
 * How E2 and E3 scale their inputs ({@code reproduce --standardize}). The experiments' own configurations use the
 * pixels divided by 255 ({@link #NONE}); the authors standardised MNIST with {@code transforms.Normalize((0.1307,),
 * (0.3081,))}, one mean and one deviation for every pixel ({@link #GLOBAL}), which for deep ReLU networks with
 * PyTorch's default initialisation decides whether they leave chance at all (docs/REPRODUCTION.md, "The authors'
 * architectures"). The statistics come from the training points an experiment trains on and are applied
 * unchanged to its test points.
 */
public enum Standardize {
    /** Pixels / 255, in [0, 1]. */
    NONE("none"),
    /** (pixel / 255 - m) / s with one mean m and population deviation s over every pixel of the training points. */
    GLOBAL("global"),
    /** Each pixel position standardised by its own mean and deviation over the training points. */
    PER_PIXEL("per-pixel");

    /** The experiments that take {@code --standardize}. */
    public static final List<String> EXPERIMENTS = List.of("E2", "E3");

    private final String label;

    Standardize(String label) {
        this.label = label;
    }

    /** The name on the command line and in the recorded configuration. */
    public String label() {
        return label;
    }

    /** The value named {@code s} (case-insensitive); anything else is a one-line {@link UserException}. */
    public static Standardize parse(String s) {
        String t = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        for (Standardize v : values()) {
            if (v.label.equals(t)) {
                return v;
            }
        }
        throw new UserException("--standardize " + s + " is not known: give none, global (the authors' one mean "
                + "and deviation) or per-pixel");
    }

    /**
     * {@code train} and {@code test} scaled this way, the statistics computed on {@code train}: {@code [train,
     * test]}.
     */
    public Dataset[] apply(Dataset train, Dataset test) {
        Dataset.Standardization s = switch (this) {
            case NONE -> null;
            case GLOBAL -> Dataset.Standardization.ofAllPixels(train);
            case PER_PIXEL -> Dataset.Standardization.of(train);
        };
        return s == null ? new Dataset[] {train, test} : new Dataset[] {train.standardized(s), test.standardized(s)};
    }

    @Override
    public String toString() {
        return label;
    }
}
