package org.flatminima.sweeps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flatminima sweep} as a user runs it: a tiny sweep end to end, and the mistakes a user can make. */
class SweepCommandTest {
    @TempDir
    Path dir;

    private Path spec(String yaml) throws IOException {
        Path p = dir.resolve("spec.yaml");
        Files.writeString(p, yaml);
        return p;
    }

    private static final String TINY = """
            name: tiny
            dataset: embedded
            train_points: 300
            test_points: 200
            arch: affine:784-10
            momentum: 0
            batch_size: 50
            epochs: 2
            checkpoint_at: [4]
            measures: all
            measure_train_points: 100
            measure_test_points: 100
            grid:
              lr: [0.05, 0.2]
            seeds: [0, 1]
            """;

    @Test
    void aTinySweepWritesItsTableRankingAndReport() throws IOException {
        Path out = dir.resolve("out");
        Cli r = Cli.run("sweep", spec(TINY).toString(), "--out", out.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("sweep: 4 runs (0 finished before, 4 run now, 0 diverged)");
        assertThat(r.err()).contains("sweep: 4/4 runs done");
        assertThat(Files.readString(out.resolve("sweep.yaml"))).contains("name: tiny");
        assertThat(Files.readAllLines(out.resolve("table.csv"))).hasSize(1 + 4 * 2);
        assertThat(Files.readString(out.resolve("rank.md"))).contains("runs: 4 (finished 4, diverged 0)");
        assertThat(Files.readString(out.resolve("report.html"))).contains("<img");
        assertThat(out.resolve("table.parquet")).isDirectory();
        try (var s = Files.list(out.resolve("runs"))) {
            assertThat(s.count()).isEqualTo(4);
        }

        Cli again = Cli.run("sweep", out.resolve("sweep.yaml").toString(), "--out", out.toString());
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out()).contains("(4 finished before, 0 run now, 0 diverged)");
    }

    @Test
    void dryRunListsTheRunsAndWritesNothing() throws IOException {
        Path out = dir.resolve("out");
        Cli r = Cli.run("sweep", spec(TINY).toString(), "--out", out.toString(),
                "--dry-run");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).hasSize(4).allMatch(l -> l.matches("[0-9a-f]{12}  \\{.*lr: .*seed: .*\\}"));
        assertThat(out).doesNotExist();
    }

    @Test
    void badSpecificationsAndMastersAreOneLineStatusTwoAndWriteNothing() throws IOException {
        Path out = dir.resolve("out");
        List<String[]> cases = List.of(
                new String[] {TINY.replace("epochs: 2", "epohcs: 2"), "epohcs"},
                new String[] {TINY.replace("lr: [0.05, 0.2]", "lr: [0.05, fast]"), "lr"},
                new String[] {TINY.replace("lr: [0.05, 0.2]", "lr: []"), "lr"},
                new String[] {TINY.replace("dataset: embedded", "dataset: cifar-10")
                        .replace("affine:784-10", "affine:3072-10"), "cifar-10"});
        for (String[] c : cases) {
            Cli r = Cli.run("sweep", spec(c[0]).toString(), "--out", out.toString());
            assertThat(r.status()).as(c[1] + ": " + r.err()).isEqualTo(2);
            assertThat(r.errLines()).as(r.err()).hasSize(1);
            assertThat(r.err()).contains(c[1]);
            assertThat(out).as(c[1]).doesNotExist();
        }
        Cli unreachable = Cli.run("sweep", spec(TINY).toString(), "--out", out.toString(), "--master",
                "spark://127.0.0.1:1");
        assertThat(unreachable.status()).isEqualTo(2);
        assertThat(unreachable.errLines()).hasSize(1);
        assertThat(unreachable.err()).contains("cannot reach the Spark master spark://127.0.0.1:1")
                .contains("drop --master");
        assertThat(out).doesNotExist();
        Cli noOut = Cli.run("sweep", spec(TINY).toString());
        assertThat(noOut.status()).isEqualTo(2);
        assertThat(noOut.err()).contains("--out");
        Cli missing = Cli.run("sweep", dir.resolve("nope.yaml").toString(), "--out", out.toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.errLines()).hasSize(1);
        assertThat(out).doesNotExist();
    }
}
