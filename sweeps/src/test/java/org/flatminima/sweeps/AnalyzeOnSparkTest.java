package org.flatminima.sweeps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.flatminima.cli.IdxFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flatminima analyze --master URL --shards N}: the shards run as Spark tasks, each reading its own points and
 * loading the weights; and {@code --shards N} alone, on threads of this process. The outputs are the bytes of the
 * one-shard analysis.
 */
class AnalyzeOnSparkTest {
    /** Three chunks of 1,000 points, the last one partial. */
    static final int N = 2500;

    @TempDir
    static Path dir;

    static Path images;
    static Path labels;
    static Path weights;

    @BeforeAll
    static void files() throws IOException {
        IdxFiles f = IdxFiles.random(dir, N, 23, 3);
        images = f.images();
        labels = f.labels();
        weights = IdxFiles.weights(dir, "mlp.safetensors", "mlp:784-12-10", 5);
    }

    /** The per-point CSV, the JSON and standard output of one analysis with {@code extra} options. */
    private static List<String> outputs(String tag, String... extra) throws IOException {
        Path csv = dir.resolve(tag + ".csv");
        Path json = dir.resolve(tag + ".json");
        List<String> args = new ArrayList<>(List.of("analyze", "--images", images.toString(), "--labels",
                labels.toString(), "--arch", "mlp:784-12-10", "--weights", weights.toString(), "--dtype", "f64",
                "--eigenvalues", "2", "--per-point", csv.toString(), "--json", json.toString()));
        args.addAll(List.of(extra));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertThat(r.status()).as(r.err()).isZero();
        return List.of(Files.readString(csv), Files.readString(json), r.out());
    }

    @Test
    void shardsOnSparkAndOnThreadsGiveTheBytesOfOneShard() throws IOException {
        List<String> one = outputs("one");
        assertThat(one.get(0).lines().count()).isEqualTo(N + 1);
        assertThat(one.get(1)).contains("\"method\" : \"exact-ggn\"");
        assertThat(outputs("embedded2", "--shards", "2")).isEqualTo(one);
        assertThat(outputs("master3", "--master", "local[2]", "--shards", "3")).isEqualTo(one);
        assertThat(outputs("masterDefault", "--master", "local[2]")).isEqualTo(one);
    }
}
