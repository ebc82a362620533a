package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10Test {

    @TempDir
    Path dir;

    /** {@code n} records with label (seed + i) % 10 and random pixels. */
    static byte[] records(int n, int seed) {
        byte[] b = new byte[n * 3073];
        new SplittableRandom(seed).nextBytes(b);
        for (int i = 0; i < n; i++) {
            b[i * 3073] = (byte) ((seed + i) % 10);
        }
        return b;
    }

    @Test
    void readsRecordsChannelMajor() throws IOException {
        byte[] content = records(3, 4);
        Path f = dir.resolve("test_batch.bin");
        Files.write(f, content);
        Dataset d = Cifar10.read("c", f);
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.labels()).containsExactly(4, 5, 6);
        assertThat(d.channels()).isEqualTo(3);
        // record 2, green channel (1024 bytes in), row 5, column 7
        int offset = 2 * 3073 + 1 + 1024 + 5 * 32 + 7;
        Tensor t = d.images();
        assertThat(t.shape()).containsExactly(3, 3, 32, 32);
        assertThat(t.get(2, 1, 5, 7)).isEqualTo((float) ((content[offset] & 0xFF) / 255.0));
        // gzip is recognised by content
        Path gz = dir.resolve("test_batch.bin.z");
        Files.write(gz, IdxTest.gzip(content));
        assertThat(Cifar10.read("c", gz).labels()).containsExactly(4, 5, 6);
    }

    @Test
    void readsASplitFromTheDirectory() throws IOException {
        for (int k = 0; k < 5; k++) {
            Files.write(dir.resolve(Cifar10.TRAIN_FILES.get(k)), records(2, k));
        }
        Files.write(dir.resolve(Cifar10.TEST_FILE), records(1, 9));
        Dataset train = Cifar10.read(dir, true);
        assertThat(train.labels()).containsExactly(0, 1, 1, 2, 2, 3, 3, 4, 4, 5);
        assertThat(Cifar10.read(dir, false).labels()).containsExactly(9);
        DataSets sets = new DataSets(new DataSets.Locations(dir.resolve("cache"), null, dir));
        assertThat(sets.load("cifar-10", DataSets.Split.TRAIN).size()).isEqualTo(10);
        DataSets.Status s = sets.list().get(3);
        assertThat(s.available()).isTrue();
        assertThat(s.train()).isEqualTo(10);
        assertThat(s.test()).isEqualTo(1);
    }

    @Test
    void badFiles() throws IOException {
        Path empty = dir.resolve("empty.bin");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> Cifar10.read("c", empty)).isInstanceOf(DataFileException.class)
                .hasMessage(empty + ": empty file (0 bytes): expected CIFAR-10 records of 3073 bytes");
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(records(2, 0), 3073 + 100));
        assertThatThrownBy(() -> Cifar10.read("c", cut)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(cut + ": 3173 bytes is not a whole number of 3073-byte CIFAR-10 records "
                        + "(1 records and 100 bytes more)");
        byte[] bad = records(3, 0);
        bad[2 * 3073] = 10;
        Path lab = dir.resolve("label.bin");
        Files.write(lab, bad);
        assertThatThrownBy(() -> Cifar10.read("c", lab)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(lab + ": label 10 of record 2 is out of range 0..9");
        assertThatThrownBy(() -> Cifar10.read("c", dir.resolve("none.bin")))
                .hasMessage(dir.resolve("none.bin") + ": file not found");
    }
}
