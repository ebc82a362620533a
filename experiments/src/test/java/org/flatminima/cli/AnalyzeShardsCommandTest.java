package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code analyze --shards N}: the same output, byte for byte, for every N; a bad N is one line, status 2. */
class AnalyzeShardsCommandTest {
    /** Three chunks of 1,000 points, the last one partial. */
    static final int N = 2500;

    @TempDir
    static Path dir;

    static Path images;
    static Path labels;
    static Path weights;

    @BeforeAll
    static void files() throws IOException {
        IdxFiles f = IdxFiles.random(dir, N, 17, 4);
        images = f.images();
        labels = f.labels();
        weights = IdxFiles.weights(dir, "mlp.safetensors", "mlp:784-12-10", 3);
    }

    /** The command's outputs (the per-point CSV, the JSON and standard output) for {@code extra} options. */
    private static List<String> outputs(String tag, String... extra) throws IOException {
        Path csv = dir.resolve(tag + ".csv");
        Path json = dir.resolve(tag + ".json");
        List<String> args = new ArrayList<>(List.of("analyze", "--images", images.toString(), "--labels",
                labels.toString(), "--arch", "mlp:784-12-10", "--weights", weights.toString(), "--dtype", "f64",
                "--per-point", csv.toString(), "--json", json.toString()));
        args.addAll(Arrays.asList(extra));
        CliRun r = CliRun.main(args.toArray(String[]::new));
        assertThat(r.status()).as(r.err()).isZero();
        CliRun table = CliRun.main(args.subList(0, 9).toArray(String[]::new));
        assertThat(table.status()).as(table.err()).isZero();
        List<String> sharded = new ArrayList<>(args.subList(0, 9));
        sharded.addAll(Arrays.asList(extra));
        CliRun tableSharded = CliRun.main(sharded.toArray(String[]::new));
        assertThat(tableSharded.out()).isEqualTo(table.out());
        return List.of(Files.readString(csv), Files.readString(json), r.out(), tableSharded.out());
    }

    @Test
    void everyNumberOfShardsWritesTheSameBytes() throws IOException {
        List<String> one = outputs("one");
        assertThat(one.get(0).lines().count()).isEqualTo(N + 1);
        assertThat(one.get(1)).contains("\"method\" : \"exact-ggn\"").contains("\"points\" : " + N);
        assertThat(one.get(3)).contains("points    2,500");
        for (String n : new String[] {"1", "2", "3", "40"}) {
            List<String> sharded = outputs("shards" + n, "--shards", n);
            for (int i = 0; i < one.size(); i++) {
                assertThat(sharded.get(i)).as("--shards %s, output %d", n, i).isEqualTo(one.get(i));
            }
        }
    }

    @Test
    void aNumberOfShardsBelowOneIsOneLineWithStatusTwo() {
        for (String n : new String[] {"0", "-2"}) {
            CliRun r = CliRun.main("analyze", "--images", images.toString(), "--labels", labels.toString(), "--arch",
                    "mlp:784-12-10", "--weights", weights.toString(), "--shards", n);
            assertThat(r.status()).as(r.err()).isEqualTo(2);
            assertThat(r.errLines()).containsExactly("flatminima: --shards must be >= 1, got " + n);
        }
    }
}
