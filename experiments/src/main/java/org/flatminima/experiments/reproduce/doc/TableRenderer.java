package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders one kind of Markdown table of docs/REPRODUCTION.md from result files that {@code flatminima reproduce},
 * {@code sweep} or {@code rank} wrote. The number formatting is fixed here, in code, so the same files always give the
 * same table. A missing file or column is a {@link org.flatminima.experiments.UserException} with one line naming it.
 */
public interface TableRenderer {

    /** The id written in the marker, {@code <!-- table: ID source: PATH -->}. */
    String id();

    /** One line saying what the table shows (for the command's help and errors). */
    String description();

    /** The files this renderer reads inside the marker's source directory (what {@code --from} copies). */
    List<String> files();

    /** The options the marker must carry ({@code KEY: VALUE}). */
    default Set<String> requiredOptions() {
        return Set.of();
    }

    /** The options the marker may carry besides the required ones. */
    default Set<String> optionalOptions() {
        return Set.of();
    }

    /**
     * The Markdown table (lines separated by {@code \n}) from the files in directory {@code source}, with the marker's
     * {@code options} (already checked against {@link #requiredOptions} and {@link #optionalOptions}).
     */
    String render(Path source, Map<String, String> options) throws IOException;
}
