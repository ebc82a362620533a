package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.Tensor;
import org.flatminima.experiments.UserException;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CIFAR-10 reader on files and a tarball in the official layout, and where {@link DataSets} finds them. */
class Cifar10FilesTest {

    @TempDir
    Path tmp;

    /** Checks every pixel and label of {@code d} against the batch contents {@code first..first+files-1}. */
    private static void assertMatches(Dataset d, int first, int files, int perFile) {
        assertThat(d.size()).isEqualTo(files * perFile);
        assertThat(new int[] {d.channels(), d.rows(), d.cols()}).containsExactly(3, 32, 32);
        Tensor x = d.as(DType.F64).as(Dataset.Layout.IMAGES).images();
        assertThat(x.shape()).containsExactly(files * perFile, 3, 32, 32);
        double[] v = x.toDoubleArray();
        for (int f = 0; f < files; f++) {
            byte[] b = CifarFiles.batch(first + f, perFile);
            for (int r = 0; r < perFile; r++) {
                int point = f * perFile + r;
                assertThat(d.labels()[point]).isEqualTo((first + f + r) % 10);
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < 32; y++) {
                        for (int xx = 0; xx < 32; xx++) {
                            // documented layout: label, then the red, green and blue planes, each row-major
                            int raw = b[r * 3073 + 1 + c * 1024 + y * 32 + xx] & 0xFF;
                            double got = v[((point * 3 + c) * 32 + y) * 32 + xx];
                            if (got != raw / 255.0) {
                                throw new AssertionError("point " + point + " channel " + c + " (" + y + ", " + xx
                                        + "): " + got + " != " + raw + "/255");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void readsEveryPixelInPlaneOrderScaledTo01FromDirectoryAndTarball() throws IOException {
        Path dir = CifarFiles.writeDir(tmp.resolve("cifar-10-batches-bin"), 4);
        assertMatches(Cifar10.read(dir, true), 0, 5, 4);
        assertMatches(Cifar10.read(dir, false), 5, 1, 4);
        Path tgz = CifarFiles.writeTarball(tmp.resolve("cifar-10-binary.tar.gz"), 4);
        assertMatches(Cifar10.readTarball(tgz, true), 0, 5, 4);
        assertMatches(Cifar10.readTarball(tgz, false), 5, 1, 4);
        assertThat(Cifar10.tarballSizes(tgz)).containsOnlyKeys(Cifar10.allFiles())
                .allSatisfy((k, v) -> assertThat(v).isEqualTo(4L * 3073));
    }

    @Test
    void cifarDirTakesTheDirectoryItsParentOrTheTarballAndTheAliasCifar10() throws IOException {
        Path parent = tmp.resolve("copy");
        CifarFiles.writeDir(parent.resolve("cifar-10-batches-bin"), 3);
        Path tgz = CifarFiles.writeTarball(tmp.resolve("t/cifar-10-binary.tar.gz"), 2);
        Path cache = tmp.resolve("cache");
        for (Path given : List.of(parent.resolve("cifar-10-batches-bin"), parent, tgz, tgz.getParent())) {
            DataSets sets = new DataSets(new DataSets.Locations(cache, null, given));
            int per = given.startsWith(parent) ? 3 : 2;
            assertMatches(sets.load("cifar10", DataSets.Split.TEST), 5, 1, per);
            assertThat(sets.load(" CIFAR-10 ", DataSets.Split.TRAIN, 7).size()).isEqualTo(7);
            DataSets.Status s = sets.list().get(3);
            assertThat(s.available()).as(given.toString()).isTrue();
            assertThat(s.train()).isEqualTo(5 * per);
            assertThat(s.test()).isEqualTo(per);
            assertThat(s.location()).isEqualTo(given.startsWith(parent)
                    ? parent.resolve("cifar-10-batches-bin").toString() : tgz.toString());
        }
        // without --cifar-dir: the cache's cifar-10 (where 'data fetch cifar10' puts it)
        DataSets none = new DataSets(new DataSets.Locations(cache, null, null));
        assertThatThrownBy(() -> none.load("cifar10", DataSets.Split.TEST)).isInstanceOf(UserException.class)
                .hasMessage("cifar-10 is not available: " + cache.resolve("cifar-10") + " does not exist; "
                        + none.howToGetCifar());
        assertThat(none.howToGetCifar()).contains("flatminima data fetch cifar10", "--cifar-dir");
        assertThat(none.list().get(3).problem()).isEqualTo(cache.resolve("cifar-10")
                + " does not exist (no --cifar-dir given)");
        CifarFiles.writeDir(cache.resolve("cifar-10"), 1);
        assertMatches(none.load("cifar10", DataSets.Split.TRAIN), 0, 5, 1);
        assertThat(DataSets.canonical("Cifar10")).isEqualTo(DataSets.CIFAR);
        assertThat(DataSets.imageShape("cifar10")).containsExactly(3, 32, 32);
        assertThat(DataSets.imageShape("mnist")).containsExactly(1, 28, 28);
    }

    @Test
    void aDamagedTarballIsOneLineNamingIt() throws IOException {
        byte[] good = CifarFiles.tarball(2);
        Path cut = tmp.resolve("cut.tar.gz");
        Files.write(cut, Arrays.copyOf(good, good.length / 2));
        assertThatThrownBy(() -> Cifar10.readTarball(cut, false)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(cut + ": ").hasMessageNotContaining("\n");
        DataSets.Status s = new DataSets(new DataSets.Locations(tmp, null, cut)).list().get(3);
        assertThat(s.available()).isFalse();
        assertThat(s.problem()).startsWith(cut + ": ");
        // a tarball without the test batch
        java.util.Map<String, byte[]> some = new java.util.LinkedHashMap<>();
        some.put("cifar-10-batches-bin/data_batch_1.bin", CifarFiles.batch(0, 1));
        Path partial = tmp.resolve("partial.tar.gz");
        Files.write(partial, TestTar.tgz(some));
        assertThatThrownBy(() -> Cifar10.readTarball(partial, false)).isInstanceOf(DataFileException.class)
                .hasMessage(partial + ": has no cifar-10-batches-bin/test_batch.bin: not the binary version of "
                        + "CIFAR-10 (cifar-10-binary.tar.gz)");
        assertThat(new DataSets(new DataSets.Locations(tmp, null, partial)).list().get(3).problem())
                .startsWith("missing data_batch_2.bin, ");
        // a record cut short inside the tarball
        some.put("cifar-10-batches-bin/test_batch.bin", Arrays.copyOf(CifarFiles.batch(5, 1), 3000));
        Files.write(partial, TestTar.tgz(some));
        assertThatThrownBy(() -> Cifar10.readTarball(partial, false)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(partial + "!cifar-10-batches-bin/test_batch.bin: 3000 bytes is not a whole "
                        + "number of 3073-byte CIFAR-10 records");
    }

    @Test
    void batchNamesAreTakenFromTheReleaseDirectoryOrTheTopOnly() {
        List<String> all = Cifar10.allFiles();
        assertThat(Cifar10.batchName("cifar-10-batches-bin/test_batch.bin", all)).isEqualTo("test_batch.bin");
        assertThat(Cifar10.batchName("./cifar-10-batches-bin/data_batch_3.bin", all)).isEqualTo("data_batch_3.bin");
        assertThat(Cifar10.batchName("data_batch_1.bin", all)).isEqualTo("data_batch_1.bin");
        assertThat(Cifar10.batchName("other/test_batch.bin", all)).isNull();
        assertThat(Cifar10.batchName("cifar-10-batches-bin/readme.html", all)).isNull();
    }
}
