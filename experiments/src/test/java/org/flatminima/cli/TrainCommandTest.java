package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Safetensors;
import org.flatminima.experiments.models.SafetensorsException;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The run-directory contract of {@code train} (issue 12, defects 1, 2, 4, 6, 7, 12 and the option checks), on a
 * tiny run: mlp:784-16-10 on 200 embedded MNIST points, 30 steps, a checkpoint every 5 steps.
 */
class TrainCommandTest {
    static final String[] TINY = {"train", "--arch", "mlp:784-16-10", "--limit", "200", "--epochs", "3",
        "--batch-size", "20", "--checkpoint-every", "5", "--log-every", "5", "--threads", "1"};

    @TempDir
    static Path tmp;

    /** An uninterrupted tiny run, made once: the reference of every resume below. */
    static Path reference;

    /** The tiny run into {@code out}, with {@code more} options (replacing those of {@link #TINY}). */
    static CliRun train(Path out, String... more) {
        List<String> args = new ArrayList<>(Arrays.asList(TINY));
        for (int i = 0; i < more.length; i++) {
            boolean valued = i + 1 < more.length && !more[i + 1].startsWith("--");
            int at = args.indexOf(more[i]);
            if (at >= 0 && valued) {
                args.set(at + 1, more[++i]);
            } else {
                args.add(more[i]);
                if (valued) {
                    args.add(more[++i]);
                }
            }
        }
        args.addAll(List.of("--out", out.toString()));
        return CliRun.main(args.toArray(String[]::new));
    }

    @BeforeAll
    static void referenceRun() {
        reference = tmp.resolve("reference");
        CliRun r = train(reference);
        assertThat(r.status()).as(r.err()).isZero();
    }

    /** A copy of the reference run directory. */
    static Path copyOfReference(String name) throws IOException {
        Path to = tmp.resolve(name);
        try (Stream<Path> all = Files.walk(reference)) {
            for (Path p : all.toList()) {
                Files.copy(p, to.resolve(reference.relativize(p).toString()));
            }
        }
        return to;
    }

    static byte[] bytes(Path p) throws IOException {
        return Files.readAllBytes(p);
    }

    @Test
    void aNewRunRefusesAnotherRunsDirectoryAndARejectedCommandTouchesNothing() throws IOException {
        Path r = copyOfReference("taken");
        byte[] config = bytes(r.resolve("config.json"));
        byte[] metrics = bytes(r.resolve("metrics.csv"));
        byte[] model = bytes(r.resolve("model.safetensors"));

        CliRun again = train(r, "--seed", "1");
        assertThat(again.status()).isEqualTo(2);
        assertThat(again.errLines()).filteredOn(l -> !l.contains("backend")).singleElement().asString()
                .contains("already holds a run", "--resume", "--force", "another --out");
        for (String[] bad : List.of(new String[] {"--momentum", "-1", "--seed", "9"},
                new String[] {"--momentum", "-1", "--seed", "9", "--resume"},
                new String[] {"--seed", "9", "--resume"})) {
            assertThat(train(r, bad).status()).isEqualTo(2);
        }
        assertThat(bytes(r.resolve("config.json"))).isEqualTo(config);
        assertThat(bytes(r.resolve("metrics.csv"))).isEqualTo(metrics);
        assertThat(bytes(r.resolve("model.safetensors"))).isEqualTo(model);

        CliRun replaced = train(r, "--seed", "1", "--force");
        assertThat(replaced.status()).as(replaced.err()).isZero();
        assertThat(Files.readString(r.resolve("config.json"))).contains("\"seed\" : 1");
        assertThat(bytes(r.resolve("model.safetensors"))).isNotEqualTo(model);
        assertThat(r.resolve("checkpoints")).isDirectoryContaining("glob:**/step-00000030.sha256");
    }

    @Test
    void resumeRefusesEveryOptionThatWouldChangeTheResultNamingIt() throws IOException {
        Path r = copyOfReference("changed");
        byte[] config = bytes(r.resolve("config.json"));
        Map<String, String[]> changes = Map.of(
                "--lr", new String[] {"--lr", "0.1"},
                "--seed", new String[] {"--seed", "1"},
                "--batch-size", new String[] {"--batch-size", "10"},
                "--dtype", new String[] {"--dtype", "f64"},
                "--standardize", new String[] {"--standardize"},
                "--epochs", new String[] {"--epochs", "4"},
                "--limit", new String[] {"--limit", "100"},
                "--data", new String[] {"--data", "fashion-mnist"});
        changes.forEach((option, args) -> {
            List<String> a = new ArrayList<>(Arrays.asList(args));
            a.add("--resume");
            CliRun run = train(r, a.toArray(String[]::new));
            assertThat(run.status()).as(option).isEqualTo(2);
            assertThat(run.errLines()).filteredOn(l -> !l.contains("backend")).singleElement().asString()
                    .contains("--resume would change the run", option + " ");
        });
        assertThat(bytes(r.resolve("config.json"))).isEqualTo(config);

        // options that do not change the weights may differ; the run is finished: it says so, exit 0
        CliRun same = train(r, "--resume", "--log-every", "10", "--checkpoint-every", "7");
        assertThat(same.status()).as(same.err()).isZero();
        assertThat(same.out()).contains("already finished");
        assertThat(bytes(r.resolve("model.safetensors"))).isEqualTo(bytes(reference.resolve("model.safetensors")));
    }

    @Test
    void resumeCompletesARunThatStoppedBetweenItsLastCheckpointAndTheModel() throws IOException {
        Path r = copyOfReference("nomodel");
        Files.delete(r.resolve("model.safetensors"));
        CliRun run = train(r, "--resume");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("completed: 30 steps");
        assertThat(bytes(r.resolve("model.safetensors"))).isEqualTo(bytes(reference.resolve("model.safetensors")));
    }

    @Test
    void aTornOrBlankLastMetricsRowIsDroppedAndTheResumedRunMatchesAnUninterruptedOne() throws IOException {
        for (String tail : List.of("20,2.0,0.05,0.61", "\n", "20,2.0,0.05,0.6,0.5,0.8,0.7,0.6")) {
            Path r = copyOfReference("torn" + tail.length());
            // as if killed just after checkpoint 15 while appending the row of step 20
            Files.delete(r.resolve("model.safetensors"));
            for (long s = 20; s <= 30; s += 5) {
                for (String suffix : List.of(".safetensors", ".optim.safetensors", ".sha256")) {
                    Files.deleteIfExists(r.resolve(String.format("checkpoints/step-%08d%s", s, suffix)));
                }
            }
            List<String> rows = Files.readAllLines(r.resolve("metrics.csv")).subList(0, 4); // header, 5, 10, 15
            Files.write(r.resolve("metrics.csv"), rows);
            Files.writeString(r.resolve("metrics.csv"), tail, StandardOpenOption.APPEND);
            CliRun run = train(r, "--resume");
            assertThat(run.status()).as(run.err()).isZero();
            assertThat(run.err()).contains("dropped");
            assertThat(bytes(r.resolve("model.safetensors")))
                    .isEqualTo(bytes(reference.resolve("model.safetensors")));
            assertThat(Files.readString(r.resolve("metrics.csv")))
                    .isEqualTo(Files.readString(reference.resolve("metrics.csv")));
        }
    }

    @Test
    void aDamagedNewestCheckpointIsSkippedForTheNewestIntactOne() throws IOException {
        Path r = copyOfReference("damaged");
        Files.delete(r.resolve("model.safetensors"));
        Path newest = r.resolve("checkpoints/step-00000030.safetensors");
        byte[] b = bytes(newest);
        Files.write(newest, Arrays.copyOf(b, b.length / 2)); // truncated
        Path older = r.resolve("checkpoints/step-00000025.optim.safetensors");
        byte[] o = bytes(older);
        o[o.length - 3] ^= 0x10; // one flipped bit: still a valid file, but not the one written
        Files.write(older, o);
        CliRun run = train(r, "--resume");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.errLines()).anySatisfy(l -> assertThat(l).contains("checkpoint 30 is damaged",
                "using checkpoint 25 instead"));
        assertThat(run.errLines()).anySatisfy(l -> assertThat(l).contains("checkpoint 25 is damaged",
                "SHA-256", "using checkpoint 20 instead"));
        assertThat(bytes(r.resolve("model.safetensors"))).isEqualTo(bytes(reference.resolve("model.safetensors")));
    }

    @Test
    void nonFiniteWeightsAreRefusedAtLoadNamingTheTensorAndTheIndex() {
        Network net = ModelSpec.parse("mlp:784-16-10").network();
        Tensor flat = net.initParams(DType.F32, 0);
        Map<String, Tensor> sd = new java.util.LinkedHashMap<>(net.stateDict(flat));
        Tensor w = sd.get("2.weight").copy();
        double[] v = w.toDoubleArray();
        v[3 * 16 + 5] = Double.NaN;
        sd.put("2.weight", Tensor.of(DType.F32, v, 10, 16));
        Path file = tmp.resolve("nan.safetensors");
        Safetensors.write(file, sd, Map.of());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Weights.load(file, net, DType.F32))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("2.weight")
                .hasMessageContaining("NaN at index [3, 5]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--momentum -1", "--momentum 1", "--gamma 0", "--gamma NaN", "--weight-decay -0.1",
        "--lr NaN", "--lr Infinity", "--schedule multistep --milestones -1", "--schedule step --milestones 0",
        "--batch-size 0", "--nesterov --momentum 0", "--checkpoint-every 0"})
    void everyBadOptionIsRefusedInOneLineBeforeAnythingIsWritten(String bad) {
        Path r = tmp.resolve("bad" + Math.abs(bad.hashCode()));
        CliRun run = train(r, bad.split(" "));
        assertThat(run.status()).isEqualTo(2);
        String option = bad.split(" ")[bad.startsWith("--schedule") ? 2 : 0];
        assertThat(run.errLines()).filteredOn(l -> !l.contains("backend")).singleElement().asString()
                .startsWith("flatminima: ").contains(option);
        assertThat(r).doesNotExist();
    }

    @Test
    void aBatchBeyondTheMemoryBudgetIsRefusedInOneLineBeforeAnythingIsWritten() {
        Path r = tmp.resolve("too-large");
        String old = System.getProperty("flatminima.memoryBudget");
        System.setProperty("flatminima.memoryBudget", "100000"); // 100 kB: 100 points' inputs alone are 314 kB
        try {
            CliRun run = train(r, "--batch-size", "100");
            assertThat(run.status()).isEqualTo(2);
            assertThat(run.errLines()).filteredOn(l -> !l.contains("backend")).singleElement().asString()
                    .startsWith("flatminima: a training step at batch 100 needs about ")
                    .contains("100 kB is available", "use a smaller batch");
            assertThat(r).doesNotExist();
            // the same run fits without the budget
            System.clearProperty("flatminima.memoryBudget");
            assertThat(train(r, "--batch-size", "100").status()).isZero();
        } finally {
            if (old == null) {
                System.clearProperty("flatminima.memoryBudget");
            } else {
                System.setProperty("flatminima.memoryBudget", old);
            }
        }
    }

    @Test
    void divergenceNamesTheStepAndClaimsNoCheckpointThatDoesNotExist() {
        Path r = tmp.resolve("diverged");
        CliRun run = train(r, "--lr", "1e30", "--checkpoint-every", "1000");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.errLines()).filteredOn(l -> !l.contains("backend")).singleElement().asString()
                .contains("at step 2", "no checkpoint was written").doesNotContain("is kept");
        CliRun saved = train(r, "--lr", "1e30", "--checkpoint-every", "1", "--force");
        assertThat(saved.status()).isEqualTo(2);
        assertThat(saved.errLines()).filteredOn(l -> !l.contains("backend")).singleElement().asString()
                .contains("at step 2", "the last finite checkpoint is step 1");
    }

    @Test
    void aRunThatEndsAtChanceAccuracySaysSo() {
        Path r = tmp.resolve("chance");
        CliRun run = train(r, "--lr", "1e3", "--momentum", "0");
        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.errLines()).filteredOn(l -> l.contains("warning")).singleElement().asString()
                .contains("chance accuracy", "learning rate");
    }
}
