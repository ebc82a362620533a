package org.flatminima.experiments.reproduce.doc;

import java.util.List;
import java.util.Set;

/**
 * A table of one experiment of {@code flatminima reproduce}: it reads one CSV file and the experiment's
 * {@code done.json} (whose scale the required option {@code scale} is checked against), so the renderers of E1, E4
 * and E5 differ only in their id, description, file and {@link #render}.
 */
abstract class ExperimentTable implements TableRenderer {
    private final String id;
    private final String description;
    private final String csv;

    ExperimentTable(String id, String description, String csv) {
        this.id = id;
        this.description = description;
        this.csv = csv;
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
        return List.of(csv, "done.json");
    }

    @Override
    public final Set<String> requiredOptions() {
        return Set.of("scale");
    }
}
