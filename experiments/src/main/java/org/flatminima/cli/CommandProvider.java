package org.flatminima.cli;

import java.util.List;

/**
 * Subcommands a module above {@code experiments} adds to {@code flatminima} (found with {@link java.util.ServiceLoader}
 * when its jar is on the class path): the {@code sweeps} module adds {@code sweep}, which needs Apache Spark, without
 * the core command line depending on Spark.
 */
public interface CommandProvider {
    /** picocli command objects (annotated with {@code @Command}), added after the built-in subcommands. */
    List<Object> commands();
}
