package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.CifarFiles;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR-10 through the commands: data fetch/list, train and analyze with --data cifar10 and --cifar-dir. */
class CifarCommandsTest {

    static final int PER_FILE = 6;

    @TempDir
    Path tmp;

    private static void assertOneLineUserError(CliRun r, String... containing) {
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().getFirst()).startsWith("flatminima: ").contains(containing);
        assertThat(r.err()).doesNotContain("\tat ");
    }

    private static String row(String out, String name) {
        return out.lines().filter(l -> l.startsWith(name + " ")).findFirst().orElseThrow();
    }

    @Test
    void fetchOfACopyWhoseChecksumIsNotThePublishedOneWritesNothing() throws IOException {
        Path copy = CifarFiles.writeTarball(tmp.resolve("dl/cifar-10-binary.tar.gz"), PER_FILE);
        Path cache = tmp.resolve("cache");
        CliRun r = CliRun.main("data", "fetch", "cifar10", "--cache", cache.toString(), "--url",
                copy.toUri().toString());
        assertOneLineUserError(r, "cifar-10-binary.tar.gz from " + copy.toUri() + " has MD5 ",
                "expected c32a1d4ab5d03f1284b67883e8d87530", "--cifar-dir");
        try (Stream<Path> s = Files.walk(cache)) {
            assertThat(s.filter(p -> !p.equals(cache)).toList()).isEmpty();
        }
        assertOneLineUserError(CliRun.main("data", "fetch", "mnist", "--url", copy.toUri().toString()),
                "--url is for cifar10 only");
        assertOneLineUserError(CliRun.main("data", "fetch", "cifar10", "--cache", cache.toString(), "--url",
                "ftp://example.org/x.tar.gz"), "only http:, https: and file: URLs are supported");
        CliRun help = CliRun.main("data", "fetch", "--help");
        assertThat(help.out()).contains("cifar10", "c32a1d4ab5d03f1284b67883e8d87530", "--url");
    }

    @Test
    void listShowsACopyGivenAsTarballOrDirectoryAndTheCacheByDefault() throws IOException {
        Path tgz = CifarFiles.writeTarball(tmp.resolve("cifar-10-binary.tar.gz"), PER_FILE);
        CliRun r = CliRun.main("data", "list", "--cache", tmp.resolve("cache").toString(), "--cifar-dir",
                tgz.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(row(r.out(), "cifar-10").split("\\s+")).startsWith("cifar-10", "found", "30", "6");
        assertThat(row(r.out(), "cifar-10")).endsWith(tgz.toString());
        Path dir = CifarFiles.writeDir(tmp.resolve("cache/cifar-10"), PER_FILE);
        r = CliRun.main("data", "list", "--cache", tmp.resolve("cache").toString());
        assertThat(row(r.out(), "cifar-10").split("\\s+")).startsWith("cifar-10", "found", "30", "6", "0.1", "MB");
        assertThat(row(r.out(), "cifar-10")).endsWith(dir.toString());
        r = CliRun.main("data", "list", "--cache", tmp.resolve("empty").toString());
        assertThat(r.out()).contains("cifar-10: " + tmp.resolve("empty/cifar-10") + " does not exist (no "
                + "--cifar-dir given); get it with 'flatminima data fetch cifar10'");
    }

    @Test
    void trainOnCifar10AndAnalyzeTheModelOnTheTarball() throws IOException {
        Path dir = CifarFiles.writeDir(tmp.resolve("cifar-10-batches-bin"), PER_FILE);
        Path out = tmp.resolve("run");
        CliRun r = CliRun.main("train", "--data", "cifar10", "--cifar-dir", dir.toString(), "--arch",
                "seq:3x32x32:conv(2,3,pad=1),relu,maxpool(4),flatten,linear(10)", "--epochs", "2", "--batch-size",
                "10", "--log-every", "3", "--threads", "1", "--out", out.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("on cifar10 (30 points, 6 test), 6 steps of 10");
        assertThat(Files.readAllLines(out.resolve("metrics.csv"))).hasSize(1 + 2);
        assertThat(out.resolve("model.safetensors")).isRegularFile();

        // a model of the wrong input: one line naming both
        assertOneLineUserError(CliRun.main("train", "--data", "cifar10", "--cifar-dir", dir.toString(), "--arch",
                "mlp:784-8-10", "--out", tmp.resolve("run2").toString()),
                "model mlp:784-8-10 takes inputs of shape [784] but cifar-10/train has 3x32x32 images (3072 values)");
        assertOneLineUserError(CliRun.main("train", "--data", "cifar10", "--cifar-dir", tmp.resolve("none").toString(),
                "--arch", "mlp:3072-8-10", "--out", tmp.resolve("run3").toString()),
                "cifar-10 is not available: " + tmp.resolve("none") + " does not exist;", "data fetch cifar10");

        // analyze: an affine model at zero weights predicts 1/10 for every class, so the trace of the mean loss's
        // Hessian is (1 - sum p^2) (|x|^2 + 1) = 0.9 (|x|^2 + 1) averaged over the points, with x = byte / 255
        Path tgz = CifarFiles.writeTarball(tmp.resolve("cifar-10-binary.tar.gz"), PER_FILE);
        Network net = ModelSpec.parse("affine:3072-10").network();
        Path w = tmp.resolve("zero.safetensors");
        Weights.save(w, net, Tensor.zeros(DType.F32, net.parameterCount()), Map.of("format", "pt"));
        Path json = tmp.resolve("a.json");
        r = CliRun.main("analyze", "--arch", "affine:3072-10", "--weights", w.toString(), "--data", "cifar10",
                "--cifar-dir", tgz.toString(), "--split", "test", "--dtype", "f64", "--json", json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertThat(j.get("points").asInt()).isEqualTo(PER_FILE);
        byte[] test = CifarFiles.batch(5, PER_FILE);
        double sum = 0;
        for (int p = 0; p < PER_FILE; p++) {
            double sq = 1;
            for (int i = 0; i < 3072; i++) {
                double x = (test[p * 3073 + 1 + i] & 0xFF) / 255.0;
                sq += x * x;
            }
            sum += 0.9 * sq;
        }
        assertThat(j.get("trace").get("value").asDouble()).isCloseTo(sum / PER_FILE,
                org.assertj.core.data.Offset.offset(1e-9 * sum));
        assertThat(j.get("accuracy").asDouble()).isCloseTo(1.0 / PER_FILE * countLabel0(test),
                org.assertj.core.data.Offset.offset(1e-12));

        assertOneLineUserError(CliRun.main("analyze", "--arch", "affine:3072-10", "--weights", w.toString()),
                "name the points: --images IMAGES --labels LABELS (IDX files), or --data NAME");
        assertOneLineUserError(CliRun.main("analyze", "--arch", "affine:3072-10", "--weights", w.toString(),
                "--data", "cifar10", "--images", "x"), "give one");
        assertOneLineUserError(CliRun.main("analyze", "--arch", "affine:3072-10", "--weights", w.toString(),
                "--data", "cifar10", "--master", "local[1]"), "with --data, drop --master");
        assertOneLineUserError(CliRun.main("analyze", "--arch", "affine:3072-10", "--weights", w.toString(),
                "--data", "cifar10", "--split", "val"), "--split must be train or test");
    }

    /** Points labelled 0 (what a model that ties every class predicts: the first maximum). */
    private static int countLabel0(byte[] batch) {
        int n = 0;
        for (int p = 0; p < batch.length / 3073; p++) {
            n += batch[p * 3073] == 0 ? 1 : 0;
        }
        return n;
    }

    @Test
    void reproduceDataIsCheckedBeforeAnythingRuns() {
        assertOneLineUserError(CliRun.main("reproduce", "--data", "svhn", "--out", tmp.resolve("o").toString()),
                "--data: unknown data set 'svhn'");
        assertOneLineUserError(CliRun.main("reproduce", "--only", "E1", "--data", "cifar10", "--out",
                tmp.resolve("o").toString()), "--data applies to E2 and E3 only");
        assertOneLineUserError(CliRun.main("reproduce", "--only", "E2", "--data", "cifar10", "--cache",
                tmp.resolve("c").toString(), "--out", tmp.resolve("o").toString()),
                "E2 with --data needs cifar-10 (" + tmp.resolve("c/cifar-10") + " does not exist (no --cifar-dir "
                        + "given)): get it with 'flatminima data fetch cifar10'");
        assertOneLineUserError(CliRun.main("reproduce", "--only", "E2", "--data", "mnist,cifar10", "--out",
                tmp.resolve("o").toString(), "--cifar-dir", tmp.toString()), "mixes image shapes");
        assertThat(tmp.resolve("o")).doesNotExist();
        assertThat(CliRun.main("reproduce", "--help").out()).contains("--data", "--cifar-dir");
        assertThat(CliRun.main("train", "--help").out()).contains("--cifar-dir");
        assertThat(CliRun.main("analyze", "--help").out()).contains("--data", "--split", "--cifar-dir");
    }
}
