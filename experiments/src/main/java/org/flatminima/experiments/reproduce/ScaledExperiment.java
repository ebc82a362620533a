package org.flatminima.experiments.reproduce;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.flatminima.experiments.data.DataSets;

/**
 * What E1-E5 share: an identifier and a title, a configuration record for each scale (or one fixed record at
 * every scale, for tests), and the configuration map that the report prints and that the reuse markers and
 * checkpoint stores compare. Each experiment writes its own map ({@link #describe}): its keys and their order are
 * part of what a finished run is matched against, so they change only when the configuration really does.
 *
 * @param <C> the experiment's configuration record
 */
abstract class ScaledExperiment<C> implements Experiment, Reproduction.DataNeeds {
    private final String id;
    private final String title;
    private final C fixed;
    private final Supplier<C> quick;
    private final Supplier<C> full;
    private List<String> dataOverride = List.of();
    private List<String> archOverride = List.of();
    private Overrides training = Overrides.NONE;

    /**
     * @param fixed the configuration at every scale, or null for {@code quick} and {@code full} by scale
     */
    ScaledExperiment(String id, String title, C fixed, Supplier<C> quick, Supplier<C> full) {
        this.id = id;
        this.title = title;
        this.fixed = fixed;
        this.quick = quick;
        this.full = full;
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final String title() {
        return title;
    }

    /**
     * The configuration at {@code scale}, with the models of {@link #overrideArchs} and then the data sets of
     * {@link #overrideData} when set (so the report, the reuse markers and the checkpoint stores see them); a given
     * model that does not fit the data it runs on is a {@link org.flatminima.experiments.UserException}.
     */
    final C cfg(Scale scale) {
        C c = fixed != null ? fixed : scale == Scale.FULL ? full.get() : quick.get();
        c = ArchOverride.applyTo(c, archOverride);
        c = dataOverride.isEmpty() ? c : DataOverride.applyTo(c, dataOverride);
        c = Overrides.applyTraining(c, id, training);
        if (!archOverride.isEmpty() && c instanceof ArchOverride.Archable<?> a) {
            ArchOverride.checkFits(a);
        }
        return c;
    }

    /**
     * Trains {@code specs} instead of the configuration's models ({@code reproduce --arch}, checked by
     * {@link ArchOverride#specs}; empty: the configuration's own). Only for experiments of
     * {@link ArchOverride#EXPERIMENTS}, whose configurations are {@link ArchOverride.Archable}.
     */
    final void overrideArchs(List<String> specs) {
        if (!specs.isEmpty() && !ArchOverride.EXPERIMENTS.contains(id)) {
            throw new IllegalStateException(id + " does not take --arch");
        }
        archOverride = List.copyOf(specs);
    }

    /** The models of {@link #overrideArchs} (empty when the configuration's own are trained). */
    final List<String> archOverride() {
        return archOverride;
    }

    /**
     * Runs on {@code names} instead of the configuration's data sets ({@code reproduce --data}; empty: the
     * configuration's own), with the models adapted to their images ({@link DataOverride}). Only for experiments
     * of {@link DataOverride#EXPERIMENTS}, whose configurations are records following its convention or
     * {@link DataOverride.Adaptable}.
     */
    final void overrideData(List<String> names) {
        if (!names.isEmpty() && !DataOverride.EXPERIMENTS.contains(id)) {
            throw new IllegalStateException(id + " does not take --data");
        }
        dataOverride = List.copyOf(names);
    }

    /**
     * Scales the inputs and sets the training length as {@code o} says ({@code reproduce --standardize} for the
     * experiments of {@link Standardize#EXPERIMENTS}, {@code --epochs} for those of
     * {@link Overrides#EPOCHS_EXPERIMENTS}; its data sets and models are given by {@link #overrideData} and
     * {@link #overrideArchs}).
     */
    final void overrideTraining(Overrides o) {
        training = o;
    }

    /** The data sets of {@link #overrideData} (empty when the configuration's own are used). */
    final List<String> dataOverride() {
        return dataOverride;
    }

    @Override
    public final Map<String, Object> config(Scale scale) {
        Map<String, Object> m = new LinkedHashMap<>();
        describe(cfg(scale), m);
        return m;
    }

    /** Puts {@code c} into {@code m}, in report order (JSON-serialisable values). */
    abstract void describe(C c, Map<String, Object> m);

    /** The data sets among {@code names} that may be missing: all but the embedded subset, which always ships. */
    static List<String> installable(List<String> names) {
        return names.stream().filter(n -> !n.equals(DataSets.EMBEDDED)).toList();
    }
}
