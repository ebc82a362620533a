package org.flatminima.sweeps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.Idx;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
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
        SplittableRandom rnd = new SplittableRandom(23);
        byte[] px = new byte[N * 28 * 28];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (rnd.nextInt(3) == 0 ? rnd.nextInt(256) : 0);
        }
        int[] y = new int[N];
        for (int i = 0; i < N; i++) {
            y[i] = rnd.nextInt(10);
        }
        images = dir.resolve("images.idx");
        labels = dir.resolve("labels.idx");
        Idx.writeImages(images, new Idx.Images(N, 28, 28, px), false);
        Idx.writeLabels(labels, y, false);
        Network mlp = ModelSpec.parse("mlp:784-12-10").network();
        weights = dir.resolve("mlp.safetensors");
        Weights.save(weights, mlp, mlp.initParams(DType.F64, 5), Map.of("format", "pt"));
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
