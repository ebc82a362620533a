package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.ExactTraces;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.analysis.Analysis;
import org.flatminima.experiments.data.Idx;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analyze contract: outputs checked for content, and every bad-input case one line with exit status 2. */
class AnalyzeCommandTest {
    static final int N = 24;

    @TempDir
    static Path dir;

    static Path images;
    static Path labels;
    static Path mlpWeights;
    static Path affineWeights;
    static int[] labelValues;

    @BeforeAll
    static void files() throws IOException {
        SplittableRandom rnd = new SplittableRandom(3);
        byte[] px = new byte[N * 28 * 28];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) rnd.nextInt(256);
        }
        labelValues = new int[N];
        for (int i = 0; i < N; i++) {
            labelValues[i] = rnd.nextInt(10);
        }
        images = dir.resolve("images.idx.gz");
        labels = dir.resolve("labels.idx");
        Idx.writeImages(images, new Idx.Images(N, 28, 28, px), true);
        Idx.writeLabels(labels, labelValues, false);
        Network mlp = ModelSpec.parse("mlp:784-16-10").network();
        mlpWeights = dir.resolve("mlp.safetensors");
        Weights.save(mlpWeights, mlp, mlp.initParams(DType.F64, 1), Map.of("format", "pt"));
        Network affine = ModelSpec.parse("affine:784-10").network();
        affineWeights = dir.resolve("affine.safetensors");
        Weights.save(affineWeights, affine, affine.initParams(DType.F32, 2), Map.of("format", "pt"));
    }

    private static CliRun analyze(String... extra) {
        String[] base = {"analyze", "--images", images.toString(), "--labels", labels.toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return CliRun.main(all);
    }

    @Test
    void jsonAndPerPointOutputsHoldConsistentValues() throws IOException {
        Path json = dir.resolve("mlp.json");
        Path csv = dir.resolve("mlp.csv");
        CliRun r = analyze("--arch", "mlp:784-16-10", "--weights", mlpWeights.toString(), "--dtype", "f64",
                "--eigenvalues", "2", "--per-point", csv.toString(), "--json", json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertThat(j.get("arch").asText()).isEqualTo("mlp:784-16-10");
        assertThat(j.get("params").asInt()).isEqualTo(784 * 16 + 16 + 16 * 10 + 10);
        assertThat(j.get("points").asInt()).isEqualTo(N);
        assertThat(j.get("dtype").asText()).isEqualTo("f64");
        assertThat(j.get("trace").get("method").asText()).isEqualTo("exact-ggn");
        assertThat(j.get("trace").get("stderr").asDouble()).isZero();
        assertThat(j.get("eigenvalues").size()).isEqualTo(2);
        assertThat(j.get("eigenvalues").get(0).asDouble()).isGreaterThanOrEqualTo(j.get("eigenvalues").get(1).asDouble());
        double acc = j.get("accuracy").asDouble();
        assertThat(acc).isBetween(0.0, 1.0);
        List<String> rows = Files.readAllLines(csv);
        assertThat(rows.get(0)).isEqualTo("index,label,predicted,loss,trace,output_margin,softmax_margin,input_margin");
        assertThat(rows).hasSize(N + 1);
        double meanTrace = 0;
        double meanLoss = 0;
        int correct = 0;
        double minOutput = Double.MAX_VALUE;
        for (int i = 1; i <= N; i++) {
            String[] c = rows.get(i).split(",");
            assertThat(Integer.parseInt(c[0])).isEqualTo(i - 1);
            assertThat(Integer.parseInt(c[1])).isEqualTo(labelValues[i - 1]);
            correct += c[1].equals(c[2]) ? 1 : 0;
            meanLoss += Double.parseDouble(c[3]) / N;
            meanTrace += Double.parseDouble(c[4]) / N;
            double out = Double.parseDouble(c[5]);
            minOutput = Math.min(minOutput, out);
            assertThat(Math.signum(Double.parseDouble(c[6]))).isEqualTo(Math.signum(out));
            assertThat(Math.signum(Double.parseDouble(c[7]))).isEqualTo(Math.signum(out));
        }
        // the whole-data trace of the mean loss is the mean of the points' own traces
        assertThat(meanTrace).isCloseTo(j.get("trace").get("value").asDouble(), within(1e-10 * meanTrace));
        assertThat(meanLoss).isCloseTo(j.get("loss").asDouble(), within(1e-10));
        assertThat(correct / (double) N).isEqualTo(acc);
        assertThat(j.get("margins").get("output").get("min").asDouble()).isEqualTo(minOutput);
    }

    @Test
    void affineModelUsesTheClosedFormAndPrintsATable() {
        CliRun r = analyze("--arch", "affine:784-10", "--weights", affineWeights.toString(), "--limit", "10");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("closed-form").contains("points    10").contains("input");
        // the value equals the closed form computed independently by ExactTraces on the same data
        Network net = ModelSpec.parse("affine:784-10").network();
        Tensor theta = Weights.load(affineWeights, net, DType.F32);
        assertThat(ExactTraces.isAffine(net)).isTrue();
        assertThat(theta.dim(0)).isEqualTo(7850);
    }

    @Test
    void convolutionalSpecWithFloat32WeightsAndMaxPooling() throws IOException {
        String arch = "seq:1x28x28:conv(4,3,pad=1),relu,maxpool(2),conv(4,3,stride=2),relu,avgpool(2),flatten,linear(10)";
        Network net = ModelSpec.parse(arch).network();
        Path w = dir.resolve("cnn.safetensors");
        Weights.save(w, net, net.initParams(DType.F32, 5), Map.of("format", "pt"));
        Path json = dir.resolve("cnn.json");
        Path csv = dir.resolve("cnn.csv");
        CliRun r = analyze("--arch", arch, "--weights", w.toString(), "--limit", "12", "--per-point", csv.toString(),
                "--json", json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertThat(j.get("trace").get("method").asText()).isEqualTo("exact-ggn");
        assertThat(j.get("points").asInt()).isEqualTo(12);
        assertThat(j.get("dtype").asText()).isEqualTo("f32");
        List<String> rows = Files.readAllLines(csv);
        assertThat(rows).hasSize(13);
        double mean = 0;
        for (int i = 1; i <= 12; i++) {
            double t = Double.parseDouble(rows.get(i).split(",")[4]);
            assertThat(t).isGreaterThanOrEqualTo(0); // a GGN trace of a convex loss is non-negative
            mean += t / 12;
        }
        assertThat(mean).isCloseTo(j.get("trace").get("value").asDouble(), within(1e-5 * (1 + mean)));
    }

    @Test
    void everyBadInputIsOneLineWithStatusTwo() throws IOException {
        Path truncated = dir.resolve("truncated.idx");
        byte[] whole = Files.readAllBytes(labels);
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length - 3));
        Path badMagic = dir.resolve("magic.idx");
        Files.write(badMagic, new byte[] {0, 0, 8, 9, 0, 0, 0, 0});
        Path outOfRange = dir.resolve("range.idx");
        int[] bad = labelValues.clone();
        bad[5] = 12;
        Idx.writeLabels(outOfRange, bad, false);
        Path wrongShape = dir.resolve("wrong.safetensors");
        Network other = ModelSpec.parse("mlp:784-17-10").network();
        Weights.save(wrongShape, other, other.initParams(DType.F32, 1), Map.of("format", "pt"));
        String w = mlpWeights.toString();
        List<String[]> cases = List.of(
                new String[] {"--arch", "mlp:784-16-10", "--weights", dir.resolve("missing.safetensors").toString()},
                new String[] {"--arch", "mlp:784-16-10", "--weights", w, "--labels", truncated.toString()},
                new String[] {"--arch", "mlp:784-16-10", "--weights", w, "--labels", badMagic.toString()},
                new String[] {"--arch", "mlp:784-16-10", "--weights", w, "--labels", outOfRange.toString()},
                new String[] {"--arch", "mlp:784-16-10", "--weights", wrongShape.toString()},
                new String[] {"--arch", "mlp:784-16-12", "--weights", w},
                new String[] {"--arch", "mlp:784-16", "--weights", w, "--limit", "3"},
                new String[] {"--arch", "seq:1x28x28:conv(8)", "--weights", w},
                new String[] {"--arch", "mlp:784-16-10", "--weights", w, "--trace", "magic"},
                new String[] {"--arch", "mlp:784-16-10", "--weights", w, "--limit", "0"},
                new String[] {"--arch", "mlp:784-16-10", "--weights", w, "--dtype", "f16"},
                new String[] {"--arch", "mlp:784-16-10"});
        for (String[] c : cases) {
            CliRun r = analyze(c);
            String what = String.join(" ", c);
            assertThat(r.status()).as(what + "\n" + r.err()).isEqualTo(2);
            assertThat(r.err().strip().lines().count()).as(what + "\n" + r.err()).isEqualTo(1);
            assertThat(r.err()).as(what).startsWith("flatminima: ").doesNotContain("\tat ");
        }
    }

    // ------------------------------------------------------------------ outputs (issue 12: 3, 5, 10, 13)

    private static String[] mlp(String... extra) {
        String[] base = {"--arch", "mlp:784-16-10", "--weights", mlpWeights.toString(), "--limit", "6"};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    private static void assertOneLine(CliRun r, int status, String containing) {
        assertThat(r.status()).as(r.err()).isEqualTo(status);
        assertThat(r.errLines()).as(r.err()).hasSize(1);
        assertThat(r.errLines().getFirst()).startsWith("flatminima: ").contains(containing);
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void dashWritesJsonOrCsvToStandardOutput() throws IOException {
        CliRun r = analyze(mlp("--json", "-"));
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("points").asInt()).isEqualTo(6);
        assertThat(Files.exists(Path.of("-"))).isFalse();
        CliRun csv = analyze(mlp("--per-point", "-"));
        assertThat(csv.status()).as(csv.err()).isZero();
        assertThat(csv.out().lines().toList()).hasSize(7).first().asString().startsWith("index,label,predicted");
        assertOneLine(analyze(mlp("--per-point", "-", "--json", "-")), 2, "cannot both be '-'");
    }

    @Test
    void aSymlinkedOutputIsWrittenThroughAndSpecialTargetsAreRefusedBeforeComputing() throws Exception {
        Path real = dir.resolve("real-result.json");
        Files.writeString(real, "old");
        Path link = dir.resolve("link-result.json");
        Files.createSymbolicLink(link, real);
        CliRun r = analyze(mlp("--json", link.toString()));
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(new ObjectMapper().readTree(real.toFile()).get("points").asInt()).isEqualTo(6);

        Path emptyDir = Files.createDirectories(dir.resolve("an-empty-dir"));
        assertOneLine(analyze(mlp("--json", emptyDir.toString())), 1, emptyDir + ": Is a directory");
        assertThat(Files.isDirectory(emptyDir)).isTrue();
        assertOneLine(analyze(mlp("--json", "/")), 1, "/: Is a directory");
        Path fifo = dir.resolve("a-fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertOneLine(analyze(mlp("--per-point", fifo.toString())), 1, fifo + ": Not a regular file");
        assertThat(Files.isRegularFile(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        Path noDir = dir.resolve("no-such-dir").resolve("r.json");
        assertOneLine(analyze(mlp("--json", noDir.toString())), 1, "does not exist");
        assertThat(Files.exists(noDir.getParent())).isFalse();
    }

    @Test
    void outputFilesGetTheUmasksPermissionsLikeAnyNewFile() throws IOException {
        Path probe = dir.resolve("probe.txt");
        Files.writeString(probe, "x");
        Path json = dir.resolve("perm.json");
        Path csv = dir.resolve("perm.csv");
        CliRun r = analyze(mlp("--json", json.toString(), "--per-point", csv.toString()));
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(Files.getPosixFilePermissions(json)).isEqualTo(Files.getPosixFilePermissions(probe));
        assertThat(Files.getPosixFilePermissions(csv)).isEqualTo(Files.getPosixFilePermissions(probe));
    }

    @Test
    void emptyPathsNameTheOption() {
        assertOneLine(analyze("--arch", "mlp:784-16-10", "--weights", ""), 2, "--weights is empty: name a file");
    }

    @Test
    void helpPrintsNoPicocliWarnings() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        CliRun r;
        try {
            r = CliRun.main("analyze", "--help");
        } finally {
            System.setErr(saved);
        }
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("WARN");
        assertThat(r.out()).contains("1% relative standard error", "'-' for standard output", "Exit status");
    }

    /** Finite weights whose logits overflow: the JSON says null with a reason, the table NaN with the reason. */
    @Test
    void overflowingLogitsGiveNullWithAReasonNotTheStringNaN() throws IOException {
        Network net = ModelSpec.parse("mlp:784-16-10").network();
        double[] p = net.initParams(DType.F32, 1).toDoubleArray();
        p[784 * 16] = 1e30; // the first hidden unit's bias (0.bias[0]): its activation squared exceeds f32
        Path w = dir.resolve("huge-bias.safetensors");
        Weights.save(w, net, Tensor.of(DType.F32, p, p.length), Map.of("format", "pt"));
        Path json = dir.resolve("huge.json");
        CliRun r = analyze("--arch", "mlp:784-16-10", "--weights", w.toString(), "--limit", "6", "--json",
                json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertThat(j.get("trace").get("value").isNull()).as(j.toString()).isTrue();
        assertThat(j.get("trace").get("reason").asText()).startsWith("the logits overflow (max |z| = ");
        assertThat(j.get("reason").asText()).isEqualTo(j.get("trace").get("reason").asText());
        assertThat(j.toString()).doesNotContain("\"NaN\"");
        CliRun table = analyze("--arch", "mlp:784-16-10", "--weights", w.toString(), "--limit", "6");
        assertThat(table.out()).containsPattern("trace +NaN \\(.*\\): the logits overflow \\(max \\|z\\| = ");
    }

    @Test
    void eigenvalueRequestsAreEstimatedRefusedWhenTooLargeAndNotedWhenLong() {
        Analysis.EigenCost cost = Analysis.EigenCost.of(2000, 50_890, DType.F32);
        // Lanczos keeps max(2k + 20, 40) = 4,020 basis vectors plus the k eigenvectors, each of P floats
        assertThat(cost.products()).isEqualTo(4020);
        assertThat(cost.bytes()).isEqualTo((4020L + 2000) * 50_890 * 4);
        assertThatThrownBy(() -> AnalyzeCommand.checkFits(cost, 1L << 30))
                .isInstanceOf(org.flatminima.experiments.UserException.class)
                .hasMessageStartingWith("--eigenvalues 2000 needs about 1.1 GB of memory (6,020 Lanczos vectors of "
                        + "50,890 parameters), more than the 1.0 GB");
        AnalyzeCommand.checkFits(cost, 2L << 30); // fits
        assertThat(AnalyzeCommand.costNote(cost, 0.01)).isNull(); // 40 s
        assertThat(AnalyzeCommand.costNote(cost, 0.5)).isEqualTo("note: 2000 eigenvalues take up to 4,020 "
                + "Hessian-vector products, about 34 min (one took 0.50 s) and 1.1 GB of memory");
        // the command refuses before reading data when the basis cannot fit in this JVM
        long limit = org.flatminima.experiments.MemoryBudget.tensorBytes();
        assertThat(limit).isPositive();
        assertThat(Analysis.EigenCost.of(Integer.MAX_VALUE / 2, Integer.MAX_VALUE, DType.F64).bytes())
                .isGreaterThan(limit);
    }

    @Test
    void aShortEigenvalueRequestStillComputesTheEigenvaluesItAnnounced() throws IOException {
        CliRun r = analyze(mlp("--eigenvalues", "3", "--dtype", "f64"));
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty(); // short: no note
        assertThat(r.out()).containsPattern("top eigenvalues +\\S+ \\S+ \\S+\\n");
    }
}
