package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSetsTest {

    @TempDir
    Path tmp;

    @Test
    void cacheLocationPrecedence() {
        Path home = Path.of("/home/u");
        assertThat(DataSets.Locations.fromEnvironment(Map.of(), home).cache())
                .isEqualTo(Path.of("/home/u/.cache/flatminima"));
        assertThat(DataSets.Locations.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), home).cache())
                .isEqualTo(Path.of("/x/flatminima"));
        assertThat(DataSets.Locations.fromEnvironment(Map.of("XDG_CACHE_HOME", "relative"), home).cache())
                .as("XDG says to ignore relative paths").isEqualTo(Path.of("/home/u/.cache/flatminima"));
        DataSets.Locations l = DataSets.Locations.fromEnvironment(
                Map.of("XDG_CACHE_HOME", "/x", "FLATMINIMA_CACHE", "/c", "FLATMINIMA_FASHION_DIR", "/f"), home);
        assertThat(l.cache()).isEqualTo(Path.of("/c"));
        assertThat(l.mnistDir()).isEqualTo(Path.of("/c/mnist"));
        assertThat(l.fashionSearchDir()).isEqualTo(Path.of("/f"));
        assertThat(l.withCache(Path.of("/o")).cache()).isEqualTo(Path.of("/o"));
        assertThat(l.withCache(null).cache()).isEqualTo(Path.of("/c"));
        assertThat(DataSets.Locations.fromEnvironment(Map.of(), home).fashionSearchDir())
                .isEqualTo(DataSets.FASHION_DEBIAN_DIR);
    }

    /** Writes a Fashion-like directory of gzip IDX files with n training and m test points. */
    static void writeIdxDir(Path dir, int n, int m) throws IOException {
        Files.createDirectories(dir);
        Idx.writeImages(dir.resolve("train-images-idx3-ubyte.gz"), IdxTest.randomImages(n, 28, 28, 1), true);
        Idx.writeLabels(dir.resolve("train-labels-idx1-ubyte.gz"), new int[n], true);
        Idx.writeImages(dir.resolve("t10k-images-idx3-ubyte.gz"), IdxTest.randomImages(m, 28, 28, 2), true);
        int[] lab = new int[m];
        java.util.Arrays.fill(lab, 9);
        Idx.writeLabels(dir.resolve("t10k-labels-idx1-ubyte.gz"), lab, true);
    }

    @Test
    void loadsFashionFromANamedDirectory() throws IOException {
        Path f = tmp.resolve("fashion");
        writeIdxDir(f, 4, 3);
        DataSets sets = new DataSets(new DataSets.Locations(tmp.resolve("cache"), f, null));
        Dataset test = sets.load("fashion-mnist", DataSets.Split.TEST);
        assertThat(test.labels()).containsExactly(9, 9, 9);
        assertThat(test.name()).isEqualTo("fashion-mnist/test");
        DataSets.Status s = sets.list().get(2);
        assertThat(s.available()).isTrue();
        assertThat(s.train()).isEqualTo(4);
        assertThat(s.test()).isEqualTo(3);
        assertThat(s.location()).isEqualTo(f.toString());
    }

    @Test
    void missingSetsSayHowToGetThem() {
        DataSets sets = new DataSets(new DataSets.Locations(tmp.resolve("cache"), tmp.resolve("nofashion"), null));
        assertThatThrownBy(() -> sets.load("mnist", DataSets.Split.TRAIN)).isInstanceOf(UserException.class)
                .hasMessageContaining("train-images-idx3-ubyte[.gz] is not in " + tmp.resolve("cache/mnist"))
                .hasMessageContaining("flatminima data fetch mnist");
        assertThatThrownBy(() -> sets.load("fashion-mnist", DataSets.Split.TEST))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("apt-get install dataset-fashion-mnist")
                .hasMessageContaining("--fashion-dir");
        assertThatThrownBy(() -> sets.load("cifar-10", DataSets.Split.TEST))
                .isInstanceOf(UserException.class).hasMessageContaining("--cifar-dir");
        assertThatThrownBy(() -> sets.load("imagenet", DataSets.Split.TEST))
                .isInstanceOf(UserException.class)
                .hasMessage("unknown data set 'imagenet': use one of embedded, mnist, fashion-mnist, cifar-10");
        for (DataSets.Status s : sets.list().subList(1, 4)) {
            assertThat(s.available()).as(s.name()).isFalse();
            assertThat(s.howToGet()).isNotBlank();
        }
    }

    @Test
    void aBrokenFileIsReportedNotThrownByList() throws IOException {
        Path f = tmp.resolve("fashion");
        writeIdxDir(f, 4, 3);
        Files.write(f.resolve("t10k-labels-idx1-ubyte.gz"), "junk".getBytes());
        DataSets sets = new DataSets(new DataSets.Locations(tmp.resolve("cache"), f, null));
        DataSets.Status s = sets.list().get(2);
        assertThat(s.available()).isFalse();
        assertThat(s.problem()).contains("t10k-labels-idx1-ubyte.gz: not an IDX file");
        assertThatThrownBy(() -> sets.load("fashion-mnist", DataSets.Split.TEST))
                .isInstanceOf(DataFileException.class).hasMessageContaining("not an IDX file");
    }

    @Test
    void wrongSizeOfAFetchedMnistFileIsReported() throws IOException {
        Path m = tmp.resolve("cache/mnist");
        Files.createDirectories(m);
        for (String n : MnistFetcherTest.NAMES) {
            Files.write(m.resolve(n), MnistFetcherTest.fakeFiles().get(n));
        }
        DataSets.Status s = new DataSets(new DataSets.Locations(tmp.resolve("cache"), null, null)).list().get(1);
        assertThat(s.available()).isFalse();
        assertThat(s.problem()).contains("has 2368 bytes, expected 47040016");
    }

    /** The real Fashion-MNIST of the Debian package, when installed (apt-get install dataset-fashion-mnist). */
    @Test
    void realFashionMnistWhenInstalled() {
        assumeTrue(Files.isRegularFile(DataSets.FASHION_DEBIAN_DIR.resolve("t10k-labels-idx1-ubyte.gz")),
                "dataset-fashion-mnist is not installed");
        DataSets sets = new DataSets(new DataSets.Locations(tmp, null, null));
        Dataset test = sets.load("fashion-mnist", DataSets.Split.TEST);
        assertThat(test.size()).isEqualTo(10_000);
        assertThat(test.rows()).isEqualTo(28);
        assertThat(test.classCounts()).containsOnly(1000);
        assertThat(test.first(5).labels()).containsExactly(9, 2, 1, 1, 6);
        DataSets.Status s = sets.list().get(2);
        assertThat(s.available()).isTrue();
        assertThat(s.train()).isEqualTo(60_000);
    }
}
