package org.flatminima.experiments.reproduce;

import java.util.List;
import java.util.Objects;
import org.flatminima.experiments.UserException;

/**
 * What the user changed in E2/E3's configurations on the command line: {@code reproduce --data} ({@link
 * DataOverride}), {@code --arch} ({@link ArchOverride}), {@code --standardize} ({@link Standardize}),
 * {@code --epochs}, and in every experiment's configuration {@code --seeds}. Made from {@link #NONE} with the
 * {@code with...} methods, each of which checks its value.
 *
 * @param data the data sets E2/E3 run on instead of their own (canonical names; empty: their own)
 * @param archs the models E2/E3 train instead of their own (ModelSpec strings, checked; empty: their own)
 * @param standardize how E2/E3 scale their inputs instead of their own way; null: their own
 * @param epochs E2's and E3's training epochs instead of their configurations'; 0: their own
 * @param seeds the networks every experiment trains (its seeds) instead of its configuration's; 0: its own
 */
public record Overrides(List<String> data, List<String> archs, Standardize standardize, int epochs, int seeds) {

    /** Nothing overridden. */
    public static final Overrides NONE = new Overrides(List.of(), List.of(), null, 0, 0);

    /** The experiments that take {@code --epochs}. */
    public static final List<String> EPOCHS_EXPERIMENTS = List.of("E2", "E3");

    /** Checks {@code data} ({@link DataOverride#names}) and {@code archs} ({@link ArchOverride#specs}); null: empty. */
    public Overrides {
        data = data == null || data.isEmpty() ? List.of() : DataOverride.names(data);
        archs = archs == null || archs.isEmpty() ? List.of() : ArchOverride.specs(archs);
        if (epochs < 0) {
            throw new UserException("--epochs " + epochs + " is negative: give a number of epochs >= 1");
        }
        if (seeds < 0) {
            throw new UserException("--seeds " + seeds + " is negative: give a number of seeds >= 1");
        }
    }

    /** These overrides with E2/E3 on {@code names} (empty: their own). */
    public Overrides withData(List<String> names) {
        return new Overrides(names, archs, standardize, epochs, seeds);
    }

    /** These overrides with E2/E3 training {@code specs} (empty: their own). */
    public Overrides withArchs(List<String> specs) {
        return new Overrides(data, specs, standardize, epochs, seeds);
    }

    /** These overrides with E2/E3's inputs scaled by {@code s} (null: their own way). */
    public Overrides withStandardize(Standardize s) {
        return new Overrides(data, archs, s, epochs, seeds);
    }

    /** These overrides with E2 training for {@code n} epochs ({@code n >= 1}; 0: its own). */
    public Overrides withEpochs(int n) {
        if (n < 0) {
            throw new UserException("--epochs " + n + " is negative: give a number of epochs >= 1");
        }
        return new Overrides(data, archs, standardize, n, seeds);
    }

    /** These overrides with every experiment training {@code n} seeds ({@code n >= 1}; 0: its own). */
    public Overrides withSeeds(int n) {
        return new Overrides(data, archs, standardize, epochs, n);
    }

    /** Whether nothing is overridden. */
    public boolean isEmpty() {
        return data.isEmpty() && archs.isEmpty() && standardize == null && epochs == 0 && seeds == 0;
    }

    /**
     * A configuration whose input scaling and training length can be changed ({@code --standardize},
     * {@code --epochs}).
     *
     * @param <C> the configuration's type
     */
    public interface Trainable<C> {
        /** This configuration with its inputs scaled by {@code s}. */
        C withStandardize(Standardize s);

        /**
         * This configuration training for {@code n} epochs; an experiment not in {@link #EPOCHS_EXPERIMENTS} is
         * never asked.
         */
        default C withEpochs(int n) {
            throw new IllegalStateException(getClass().getSimpleName() + " does not take --epochs");
        }
    }

    /**
     * A configuration whose number of seeds can be changed ({@code --seeds}): every experiment's. Seed k's run seed
     * is derived from the master seed and k alone, so the first seeds of a run with more seeds are the same networks.
     *
     * @param <C> the configuration's type
     */
    public interface Seeded<C> {
        /** This configuration training {@code n >= 1} seeds. */
        C withSeeds(int n);
    }

    /**
     * {@code config} with the standardisation, epochs and seeds of {@code o} that apply to experiment {@code id}.
     */
    @SuppressWarnings("unchecked")
    static <C> C applyTraining(C config, String id, Overrides o) {
        Objects.requireNonNull(o);
        C c = config;
        if (o.standardize != null && Standardize.EXPERIMENTS.contains(id)) {
            c = ((Trainable<C>) trainable(c)).withStandardize(o.standardize);
        }
        if (o.epochs > 0 && EPOCHS_EXPERIMENTS.contains(id)) {
            c = ((Trainable<C>) trainable(c)).withEpochs(o.epochs);
        }
        if (o.seeds > 0) {
            if (!(c instanceof Seeded<?> s)) {
                throw new IllegalStateException(c.getClass().getName() + " does not implement Overrides.Seeded");
            }
            c = ((Seeded<C>) s).withSeeds(o.seeds);
        }
        return c;
    }

    private static Trainable<?> trainable(Object config) {
        if (config instanceof Trainable<?> t) {
            return t;
        }
        throw new IllegalStateException(config.getClass().getName() + " does not implement Overrides.Trainable");
    }
}
