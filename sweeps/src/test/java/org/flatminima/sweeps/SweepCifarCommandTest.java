package org.flatminima.sweeps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flatminima sweep --cifar-dir}: a sweep on CIFAR-10 files in the official format (4 records a file). */
class SweepCifarCommandTest {
    @TempDir
    Path dir;

    /** The six batch files: each record one label byte, then 3,072 pixel bytes. */
    private Path cifarFiles() throws IOException {
        Path d = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        List<String> names = List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin", "test_batch.bin");
        for (int k = 0; k < names.size(); k++) {
            byte[] b = new byte[4 * 3073];
            new SplittableRandom(k).nextBytes(b);
            for (int r = 0; r < 4; r++) {
                b[r * 3073] = (byte) ((k + r) % 10);
            }
            Files.write(d.resolve(names.get(k)), b);
        }
        return d;
    }

    @Test
    void aSweepOnCifar10ReadsTheNamedCopyOnItsExecutors() throws IOException {
        Path cifar = cifarFiles();
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, """
                name: cifar
                dataset: cifar10
                train_points: 20
                test_points: 4
                arch: affine:3072-10
                batch_size: 10
                epochs: 1
                measures: [trace]
                seeds: [0, 1]
                """);
        Path out = dir.resolve("out");
        Cli missing = Cli.run("sweep", spec.toString(), "--out", out.toString(), "--cifar-dir",
                dir.resolve("none").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.errLines()).hasSize(1);
        assertThat(missing.errLines().getFirst()).contains("dataset cifar-10 is not available on this machine",
                dir.resolve("none") + " does not exist");
        assertThat(out).doesNotExist();

        Cli r = Cli.run("sweep", spec.toString(), "--out", out.toString(), "--cifar-dir", cifar.toString(),
                "--threads", "1");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("sweep: 2 runs (0 finished before, 2 run now, 0 diverged)");
        List<String> table = Files.readAllLines(out.resolve("table.csv"));
        assertThat(table).hasSize(1 + 2);
        int col = List.of(table.getFirst().split(",")).indexOf("dataset");
        assertThat(table.subList(1, 3)).allSatisfy(l -> assertThat(l.split(",")[col]).isEqualTo("cifar-10"));
        assertThat(Cli.run("sweep", "--help").out()).contains("--cifar-dir");
    }
}
