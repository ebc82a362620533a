package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flatminima analyze} on smooth {@code seq:} models (tanh, sigmoid, softplus) with random weights: the trace
 * method is exact-hbp under {@code --trace auto} and {@code --trace exact}, its whole-data trace and per-point
 * traces equal exact-hvp computed here on the same weights and points (f64, 1e-10 relative), two shards write the
 * same bytes as one, and a model whose exact-hbp needs many backward passes gets one note on stderr.
 */
class AnalyzeSmoothCommandTest {
    /** Three chunks of 1,000 points, the last one partial. */
    static final int N = 2500;
    static final double TOL = 1e-10;

    /** tanh above the first convolution, sigmoid above the second (its residual needs 18 columns). */
    static final String CNN = "seq:1x28x28:avgpool(4),conv(2,3),tanh,conv(2,3),sigmoid,flatten,linear(10)";
    static final String MLP = "seq:1x28x28:avgpool(4),flatten,linear(8),sigmoid,linear(6),softplus,linear(10)";

    @TempDir
    static Path dir;

    static Path images;
    static Path labels;

    @BeforeAll
    static void files() throws IOException {
        IdxFiles f = IdxFiles.random(dir, N, 29, 3);
        images = f.images();
        labels = f.labels();
    }

    /** Weights of {@code arch}: the default initialisation with seed {@code seed}, saved as a state_dict. */
    private static Path weights(String arch, long seed) throws IOException {
        return IdxFiles.weights(dir, "w" + Integer.toHexString(arch.hashCode()) + "-" + seed + ".safetensors", arch,
                seed);
    }

    private static List<String> args(String arch, Path w, String tag, String... extra) {
        List<String> a = new ArrayList<>(List.of("analyze", "--images", images.toString(), "--labels",
                labels.toString(), "--arch", arch, "--weights", w.toString(), "--dtype", "f64",
                "--per-point", dir.resolve(tag + ".csv").toString(), "--json", dir.resolve(tag + ".json").toString()));
        a.addAll(Arrays.asList(extra));
        return a;
    }

    /** Runs analyze; returns the per-point CSV and the JSON. */
    private static List<String> run(String arch, Path w, String tag, String... extra) throws IOException {
        CliRun r = CliRun.main(args(arch, w, tag, extra).toArray(String[]::new));
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.errLines()).as("no note for a cheap exact-hbp").isEmpty();
        return List.of(Files.readString(dir.resolve(tag + ".csv")), Files.readString(dir.resolve(tag + ".json")));
    }

    private static double[] traces(String csv) {
        return csv.lines().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[4])).toArray();
    }

    private static void close(String what, double actual, double expected) {
        assertThat(Math.abs(actual - expected)).as("%s: %s against %s", what, actual, expected)
                .isLessThanOrEqualTo(TOL * Math.abs(expected));
    }

    /** The points and labels analyze reads, through the same reader. */
    private static Dataset data(int limit) {
        return Dataset.readIdx("data", images, labels, 10, limit).as(DType.F64).as(Dataset.Layout.IMAGES)
                .first(limit);
    }

    /** exact-hvp on the same weights: the whole-data trace of {@code data}, then each listed point's own trace. */
    private static double[] exactHvp(String arch, Path w, Dataset d, int[] points) throws IOException {
        Network net = ModelSpec.parse(arch).network();
        Tensor theta = Weights.load(w, net, DType.F64);
        Tensor x = d.images();
        int[] y = d.labels();
        double[] out = new double[points.length + 1];
        out[0] = Curvature.of(net, theta, x, y).breakdown(Curvature.Method.EXACT_HVP, false).total();
        for (int k = 0; k < points.length; k++) {
            int i = points[k];
            out[k + 1] = Curvature.of(net, theta, x.slice(0, i, i + 1).contiguous(), new int[] {y[i]})
                    .breakdown(Curvature.Method.EXACT_HVP, false).total();
        }
        return out;
    }

    @Test
    void autoAndExactTakeExactHbpAndAgreeWithExactHvpWholeDataAndPerPoint() throws IOException {
        int n = 30;
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        for (String arch : List.of(CNN, MLP)) {
            Path w = weights(arch, 5);
            List<String> auto = run(arch, w, "auto", "--limit", Integer.toString(n), "--trace", "auto");
            List<String> exact = run(arch, w, "exact", "--limit", Integer.toString(n), "--trace", "exact");
            assertThat(exact).isEqualTo(auto);
            JsonNode trace = new ObjectMapper().readTree(auto.get(1)).get("trace");
            assertThat(trace.get("method").asText()).isEqualTo("exact-hbp");
            assertThat(trace.get("stderr").asDouble()).isZero();
            double[] perPoint = traces(auto.get(0));
            assertThat(perPoint).hasSize(n);
            double[] ref = exactHvp(arch, w, data(n), all);
            close(arch + " whole-data trace", trace.get("value").asDouble(), ref[0]);
            for (int i = 0; i < n; i++) {
                close(arch + " point " + i, perPoint[i], ref[i + 1]);
            }
            // the whole-data trace is the mean of the points' own (the loss is their mean)
            close(arch + " mean of the points", Arrays.stream(perPoint).average().orElseThrow(), ref[0]);
        }
    }

    @Test
    void twoShardsWriteTheSameBytesAsOne() throws IOException {
        Path w = weights(CNN, 8);
        List<String> one = run(CNN, w, "one");
        List<String> two = run(CNN, w, "two", "--shards", "2");
        assertThat(two).isEqualTo(one);
        assertThat(new ObjectMapper().readTree(one.get(1)).at("/trace/method").asText()).isEqualTo("exact-hbp");
        // points of every chunk against exact-hvp
        int[] some = {0, 999, 1000, 1999, 2000, 2499};
        double[] ref = exactHvp(CNN, w, data(N), new int[0]);
        double[] perPoint = traces(one.get(0));
        assertThat(perPoint).hasSize(N);
        close("whole-data trace", new ObjectMapper().readTree(one.get(1)).at("/trace/value").asDouble(), ref[0]);
        Network net = ModelSpec.parse(CNN).network();
        Tensor theta = Weights.load(w, net, DType.F64);
        Dataset d = data(N);
        Tensor x = d.images();
        int[] y = d.labels();
        for (int i : some) {
            double expected = Curvature.of(net, theta, x.slice(0, i, i + 1).contiguous(), new int[] {y[i]})
                    .breakdown(Curvature.Method.EXACT_HVP, false).total();
            close("point " + i, perPoint[i], expected);
        }
    }

    @Test
    void manyBackwardPassesGetOneNoteNamingHutchinson() throws IOException {
        // the second tanh's input is 4 x 10 x 10 units above a convolution: 1 + 9 + 400 passes per batch
        String arch = "seq:1x28x28:avgpool(2),conv(4,3),tanh,conv(4,3),tanh,flatten,linear(10)";
        Path w = weights(arch, 3);
        for (String mode : List.of("auto", "exact")) {
            CliRun r = CliRun.main(args(arch, w, "note", "--limit", "3", "--trace", mode).toArray(String[]::new));
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.errLines()).containsExactly("flatminima: note: the exact trace (exact-hbp) takes 410 backward "
                    + "passes per batch of points (one per class, plus one per unit of a smooth activation's input "
                    + "whose second-derivative term cannot be carried down as a diagonal); --trace hutchinson is a "
                    + "cheaper estimate");
            assertThat(Files.readString(dir.resolve("note.json"))).contains("\"method\" : \"exact-hbp\"");
        }
        CliRun h = CliRun.main(args(arch, w, "hutch", "--limit", "3", "--trace", "hutchinson")
                .toArray(String[]::new));
        assertThat(h.status()).as(h.err()).isZero();
        assertThat(h.errLines()).isEmpty();
        // a ReLU network takes exact-ggn: no note however large
        String relu = arch.replace("tanh", "relu");
        CliRun g = CliRun.main(args(relu, weights(relu, 3), "relu", "--limit", "3").toArray(String[]::new));
        assertThat(g.status()).as(g.err()).isZero();
        assertThat(g.errLines()).isEmpty();
        assertThat(AnalyzeCommand.hbpNote(ModelSpec.parse(CNN).network())).isNull();
    }
}
