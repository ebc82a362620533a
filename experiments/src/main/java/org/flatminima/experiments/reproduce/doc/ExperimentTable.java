package org.flatminima.experiments.reproduce.doc;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.flatminima.experiments.reproduce.Reproduction;

/**
 * A table of one experiment of {@code flatminima reproduce}: it reads some of the experiment's CSV files (none, one or
 * several) and its {@code done.json} (whose scale the required option {@code scale} is checked against), so the
 * renderers of E1 to E5 differ only in their id, description, files and {@link #render}.
 */
abstract class ExperimentTable implements TableRenderer {
    private final String id;
    private final String description;
    private final List<String> files;

    /** A table with id {@code id} that reads the CSV files {@code csvs} and {@code done.json}. */
    ExperimentTable(String id, String description, String... csvs) {
        this.id = id;
        this.description = description;
        List<String> all = new ArrayList<>(List.of(csvs));
        all.add(Reproduction.MARKER);
        this.files = List.copyOf(all);
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final List<String> files() {
        return files;
    }

    @Override
    public final Set<String> requiredOptions() {
        return Set.of("scale");
    }
}
