package org.flatminima.sweeps;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Spark home for {@code local-cluster[W,C,M]} masters in tests: Spark's workers start executor JVMs with
 * {@code $SPARK_HOME/jars/*} on their class path, so this links the test JVM's jars into
 * {@code target/spark-home/jars} (the surefire configuration points {@code SPARK_HOME} there) and writes the
 * {@code RELEASE} file that marks a binary distribution. Executors get the rest (flatminima's classes) through
 * {@code spark.executor.extraClassPath}: {@link #executorClassPath()}.
 */
final class LocalCluster {
    private LocalCluster() {
    }

    /** The test class path's entries (surefire is configured not to use a manifest-only jar in this module). */
    static List<String> classPath() {
        return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    }

    /** Creates {@code $SPARK_HOME} (idempotent) and returns it. */
    static synchronized Path sparkHome() throws IOException {
        String env = System.getenv("SPARK_HOME");
        if (env == null) {
            throw new IllegalStateException("SPARK_HOME is not set: the sweeps module's surefire configuration sets it");
        }
        Path home = Path.of(env);
        Path jars = home.resolve("jars");
        Files.createDirectories(jars);
        for (String entry : classPath()) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                Path link = jars.resolve(p.getFileName());
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
        }
        Files.writeString(home.resolve("RELEASE"), "Spark 4.2.0 (jars linked by flatminima's tests)\n");
        return home;
    }

    /** flatminima's own class directories (and anything else not a jar) for the executors. */
    static String executorClassPath() {
        List<String> dirs = new ArrayList<>();
        for (String entry : classPath()) {
            if (!entry.endsWith(".jar")) {
                dirs.add(entry);
            }
        }
        return String.join(File.pathSeparator, dirs);
    }
}
