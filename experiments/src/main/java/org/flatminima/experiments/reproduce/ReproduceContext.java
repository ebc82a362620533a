package org.flatminima.experiments.reproduce;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.kernels.DType;

/**
 * What every experiment runs with.
 *
 * @param outDir the reproduction's output directory (each experiment writes under {@code outDir/<id>/})
 * @param seed the master seed: initialisation, batch order and point subsets derive from it
 * @param scale quick or full
 * @param dataSets where data sets are found
 * @param dtype the floating-point type of the computations (float64 for the exactness comparisons)
 * @param progress where progress is reported
 * @param overrides what {@code reproduce --data}, {@code --arch}, {@code --standardize} and {@code --epochs} change
 *     in E2/E3's configurations ({@link Overrides#NONE}: nothing)
 */
public record ReproduceContext(Path outDir, long seed, Scale scale, DataSets dataSets, DType dtype,
                               Progress progress, Overrides overrides) {

    /** Null overrides: {@link Overrides#NONE}. */
    public ReproduceContext {
        overrides = overrides == null ? Overrides.NONE : overrides;
    }

    /** A context with E2/E3 on {@code data} (see {@link DataOverride#names}; null or empty: their own). */
    public ReproduceContext(Path outDir, long seed, Scale scale, DataSets dataSets, DType dtype, Progress progress,
                            List<String> data) {
        this(outDir, seed, scale, dataSets, dtype, progress, Overrides.NONE.withData(data));
    }

    /** A context without overrides. */
    public ReproduceContext(Path outDir, long seed, Scale scale, DataSets dataSets, DType dtype, Progress progress) {
        this(outDir, seed, scale, dataSets, dtype, progress, Overrides.NONE);
    }

    /** {@code reproduce --data}: the data sets of {@link DataOverride#EXPERIMENTS} (empty: their own). */
    public List<String> data() {
        return overrides.data();
    }

    /** {@code reproduce --arch}: the models of {@link ArchOverride#EXPERIMENTS} (empty: their own). */
    public List<String> archs() {
        return overrides.archs();
    }

    /** The same context running E2/E3 on {@code names} (see {@link DataOverride#names}; empty: their own). */
    public ReproduceContext withData(List<String> names) {
        return new ReproduceContext(outDir, seed, scale, dataSets, dtype, progress, overrides.withData(names));
    }

    /** The same context with E2/E3 training {@code specs} (see {@link ArchOverride#specs}; empty: their own). */
    public ReproduceContext withArchs(List<String> specs) {
        return new ReproduceContext(outDir, seed, scale, dataSets, dtype, progress, overrides.withArchs(specs));
    }

    /** The same context with {@code o} as its overrides. */
    public ReproduceContext withOverrides(Overrides o) {
        return new ReproduceContext(outDir, seed, scale, dataSets, dtype, progress, o);
    }

    /** The directory of experiment {@code id}, created if missing. */
    public Path dir(String id) {
        Path d = outDir.resolve(id);
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    /**
     * A split of data set {@code name} in {@link #dtype()} with images laid out as the models expect
     * ({@code [N, C, H, W]}, pixels scaled to [0, 1]); its first {@code n} points when {@code n > 0}.
     */
    public Dataset data(String name, DataSets.Split split, int n) {
        Dataset d = dataSets.load(name, split).as(dtype).as(Dataset.Layout.IMAGES);
        return n > 0 && n < d.size() ? d.first(n) : d;
    }
}
