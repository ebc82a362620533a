package org.flatminima.experiments.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Idx;
import org.flatminima.experiments.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and expanding sweep specifications ({@link SweepSpec}); the bad ones of issue 14. */
class SweepSpecTest {

    /** The shipped specifications, from the module directory (where Maven runs the tests). */
    static final Path SPECS = Path.of("..", "specs");

    @TempDir
    Path tmp;

    static SweepSpec parse(String... lines) {
        return SweepSpec.parse(String.join("\n", lines) + "\n", "test.yaml");
    }

    /** The message of the UserException parsing {@code lines} throws (checked to be one line). */
    static String error(String... lines) {
        try {
            parse(lines);
        } catch (UserException e) {
            assertThat(e.getMessage()).as("one line").doesNotContain("\n").doesNotContain("\r");
            return e.getMessage();
        }
        throw new AssertionError("no UserException for:\n" + String.join("\n", lines));
    }

    static List<String> ids(SweepSpec s) {
        return s.runs().stream().map(RunConfig::id).toList();
    }

    // ------------------------------------------------------------------ expansion

    @Test
    void minimalSpecGivesOneRunWithTheDocumentedDefaults() {
        SweepSpec s = parse("dataset: embedded", "arch: affine:784-10");
        assertThat(s.name()).isEqualTo("test");
        assertThat(s.threads()).isEqualTo(1);
        assertThat(s.runs()).hasSize(1);
        RunConfig r = s.runs().getFirst();
        // the defaults docs/SWEEPS.md lists, built by hand
        TrainConfig t = TrainConfig.builder().optimizer("sgd").lr(0.05).momentum(0.9).nesterov(false)
                .weightDecay(0).batchSize(64).epochs(5).schedule("constant").milestones().gamma(0.1).seed(0)
                .logEvery(100).checkpointEvery(0).checkpointAt().build();
        RunConfig want = RunConfig.builder().dataset("embedded").trainPoints(0).testPoints(0).standardize(false)
                .arch("affine:784-10").dtype("f64").train(t).measures(RunConfig.MEASURES).measureTrainPoints(1000)
                .measureTestPoints(1000).eigenvalues(1).threads(1).build();
        assertThat(r).isEqualTo(want);
        assertThat(r.id()).isEqualTo(want.id());
        assertThat(s.label(r.id())).isEqualTo("{}");
        assertThat(s.label("000000000000")).isNull();
    }

    @Test
    void everyKeyReachesTheRun() {
        SweepSpec s = parse(
                "name: all-keys",
                "dataset: MNIST",
                "train_points: 1000",
                "test_points: 500",
                "standardize: true",
                "dtype: F32",
                "threads: 2",
                "measures: [margins, trace]",
                "measure_train_points: 300",
                "measure_test_points: 200",
                "eigenvalues: 3",
                "checkpoint_at: [7]",
                "checkpoint_every: 4",
                "log_every: 5",
                "arch: 'mlp: 784-32-10'",
                "optimizer: sgd",
                "lr: 1e-2",
                "momentum: 0.5",
                "nesterov: true",
                "weight_decay: 0.0005",
                "batch_size: 100",
                "epochs: 2",
                "schedule: multistep",
                "milestones: [1]",
                "gamma: 0.5",
                "seed: 9");
        assertThat(s.name()).isEqualTo("all-keys");
        assertThat(s.threads()).isEqualTo(2);
        RunConfig r = s.runs().getFirst();
        TrainConfig t = TrainConfig.builder().optimizer("sgd").lr(0.01).momentum(0.5).nesterov(true)
                .weightDecay(0.0005).batchSize(100).epochs(2).schedule("multistep").milestones(1).gamma(0.5).seed(9)
                .logEvery(5).checkpointEvery(4).checkpointAt(7).build();
        RunConfig want = RunConfig.builder().dataset("mnist").trainPoints(1000).testPoints(500).standardize(true)
                .arch("mlp:784-32-10").dtype("f32").train(t).measures(List.of("trace", "margins"))
                .measureTrainPoints(300).measureTestPoints(200).eigenvalues(3).threads(2).build();
        assertThat(r).isEqualTo(want);
    }

    @Test
    void gridExpandsInWrittenKeyOrderLastKeyFastestSeedsLast() {
        SweepSpec s = parse("dataset: embedded", "arch: affine:784-10", "train_points: 1000",
                "grid:", "  lr: [0.1, 0.2]", "  batch_size: [32, 64, 128]", "seeds: [0, 1]");
        List<String> got = new ArrayList<>();
        for (RunConfig r : s.runs()) {
            got.add(r.train().lr() + "/" + r.train().batchSize() + "/" + r.train().seed());
        }
        List<String> want = new ArrayList<>();
        for (double lr : new double[] {0.1, 0.2}) {
            for (int b : new int[] {32, 64, 128}) {
                for (long seed : new long[] {0, 1}) {
                    want.add(lr + "/" + b + "/" + seed);
                }
            }
        }
        assertThat(got).containsExactlyElementsOf(want);
        assertThat(new HashSet<>(ids(s))).hasSize(12);
        assertThat(s.label(s.runs().get(3).id())).isEqualTo("{lr: 0.1, batch_size: 64, seed: 1}");
    }

    @Test
    void seedsAreTheSameAsAGridAxisSeed() {
        SweepSpec a = parse("dataset: embedded", "arch: affine:784-10", "grid:", "  lr: [0.1, 0.2]",
                "seeds: [3, 4, 5]");
        SweepSpec b = parse("dataset: embedded", "arch: affine:784-10", "grid:", "  lr: [0.1, 0.2]",
                "  seed: [3, 4, 5]");
        assertThat(a.runs()).hasSize(6).containsExactlyElementsOf(b.runs());
    }

    @Test
    void explicitRunsAreCrossedWithTheGrid() {
        SweepSpec s = parse("dataset: embedded", "lr: 0.1", "train_points: 1000",
                "runs:",
                "  - {arch: affine:784-10}",
                "  - arch: mlp:784-16-10",
                "    lr: 0.05",
                "grid:",
                "  batch_size: [32, 64]",
                "seeds: [0, 1, 2]");
        assertThat(s.runs()).hasSize(2 * 2 * 3);
        for (int i = 0; i < 12; i++) {
            RunConfig r = s.runs().get(i);
            assertThat(r.arch()).isEqualTo(i < 6 ? "affine:784-10" : "mlp:784-16-10");
            assertThat(r.train().lr()).as("the entry overrides the top").isEqualTo(i < 6 ? 0.1 : 0.05);
            assertThat(r.train().batchSize()).isEqualTo(i % 6 < 3 ? 32 : 64);
            assertThat(r.train().seed()).isEqualTo(i % 3);
        }
        assertThat(s.label(s.runs().get(7).id())).isEqualTo("{arch: mlp:784-16-10, lr: 0.05, batch_size: 32, seed: 1}");
    }

    @Test
    void runsWithoutGridAreJustTheEntries() {
        SweepSpec s = parse("dataset: embedded", "runs:", "  - {arch: affine:784-10}", "  - {arch: mlp:784-8-10}");
        assertThat(s.runs()).extracting(RunConfig::arch).containsExactly("affine:784-10", "mlp:784-8-10");
    }

    @Test
    void idsAreStableAcrossParsesDistinctForDifferentRunsAndIgnoreThreads() {
        String[] spec = {"dataset: embedded", "arch: affine:784-10", "grid:", "  lr: [0.1, 0.2]",
            "  weight_decay: [0, 0.001]", "seeds: [0, 1]"};
        List<String> first = ids(parse(spec));
        assertThat(ids(parse(spec))).containsExactlyElementsOf(first);
        assertThat(new HashSet<>(first)).hasSize(8);
        assertThat(first).allMatch(id -> id.matches("[0-9a-f]{12}"));

        List<String> withThreads = new ArrayList<>(List.of(spec));
        withThreads.add("threads: 2");
        SweepSpec t2 = parse(withThreads.toArray(String[]::new));
        assertThat(ids(t2)).containsExactlyElementsOf(first);
        assertThat(t2.runs().getFirst()).isNotEqualTo(parse(spec).runs().getFirst());
        assertThat(t2.runs().getFirst().threads()).isEqualTo(2);

        // a different value of one key only: a different id
        String other = parse("dataset: embedded", "arch: affine:784-10", "lr: 0.1", "weight_decay: 0", "seed: 0",
                "eigenvalues: 2").runs().getFirst().id();
        assertThat(first).doesNotContain(other);
        String same = parse("dataset: embedded", "arch: affine:784-10", "lr: 0.1", "weight_decay: 0", "seed: 0")
                .runs().getFirst().id();
        assertThat(same).isEqualTo(first.getFirst());
    }

    @Test
    void idsDoNotDependOnHowTheFileIsWritten() {
        String a = parse("dataset: embedded", "arch: mlp:784-16-10", "lr: 0.1", "batch_size: 32").runs().getFirst()
                .id();
        String b = parse("# the same run", "batch_size: 32", "lr: 1e-1", "arch: ' mlp: 784-16-10 '",
                "dataset: Embedded").runs().getFirst().id();
        String c = parse("dataset: embedded", "runs:", "  - {arch: mlp:784-16-10}", "grid:", "  lr: [0.10]",
                "  batch_size: [32]").runs().getFirst().id();
        assertThat(b).isEqualTo(a);
        assertThat(c).isEqualTo(a);
    }

    @Test
    void checkpointEpochsBecomeStepsAndRedundantStepsAreDropped() {
        // 1000 points in batches of 100: 10 steps per epoch, 3 epochs, 30 steps
        RunConfig r = parse("dataset: embedded", "arch: affine:784-10", "train_points: 1000", "batch_size: 100",
                "epochs: 3", "checkpoint_epochs: [0.5, 1, 3, 0.01]", "checkpoint_at: [12, 30]").runs().getFirst();
        assertThat(r.train().checkpointAt()).containsExactly(1, 5, 10, 12);
        assertThat(r.train().totalSteps(1000)).isEqualTo(30);

        // the same checkpoints written another way: the same run
        RunConfig same = parse("dataset: embedded", "arch: affine:784-10", "train_points: 1000", "batch_size: 100",
                "epochs: 3", "checkpoint_at: [1, 5, 10, 12]").runs().getFirst();
        assertThat(same.id()).isEqualTo(r.id());
        RunConfig every = parse("dataset: embedded", "arch: affine:784-10", "train_points: 1000",
                "batch_size: 100", "epochs: 3", "checkpoint_every: 10", "checkpoint_at: [5, 10, 20]")
                .runs().getFirst();
        assertThat(every.train().checkpointAt()).containsExactly(5);
        assertThat(every.train().checkpointEvery()).isEqualTo(10);

        // all points of the data set: epochs resolved with its standard size (10,000 embedded points)
        RunConfig all = parse("dataset: embedded", "arch: affine:784-10", "batch_size: 1000", "epochs: 2",
                "checkpoint_epochs: [1]").runs().getFirst();
        assertThat(all.train().checkpointAt()).containsExactly(10);
    }

    @Test
    void measurePointsDefaultToAtMostTheRunsPoints() {
        RunConfig r = parse("dataset: embedded", "arch: affine:784-10", "train_points: 300", "test_points: 200")
                .runs().getFirst();
        assertThat(r.measureTrainPoints()).isEqualTo(300);
        assertThat(r.measureTestPoints()).isEqualTo(200);
        RunConfig big = parse("dataset: embedded", "arch: affine:784-10").runs().getFirst();
        assertThat(big.measureTrainPoints()).isEqualTo(1000);
    }

    @Test
    void everyExpandedRunRoundTripsThroughJson() {
        List<SweepSpec> specs = List.of(SweepSpec.read(SPECS.resolve("quick.yaml")),
                SweepSpec.read(SPECS.resolve("authors-mnist.yaml")),
                parse("dataset: embedded", "train_points: 1000", "runs:", "  - {arch: affine:784-10, nesterov: true}",
                        "  - {arch: 'seq:1x28x28:flatten,linear(10)', optimizer: adam, momentum: 0}",
                        "grid:", "  schedule: [constant, cosine]", "  measures: [[trace], all, []]",
                        "  checkpoint_epochs: [[1], [0.5, 2.5]]"));
        int n = 0;
        for (SweepSpec s : specs) {
            for (RunConfig r : s.runs()) {
                RunConfig back = RunConfig.fromJson(r.canonicalJson());
                assertThat(back).isEqualTo(r);
                assertThat(back.id()).isEqualTo(r.id());
                assertThat(back.toJson()).isEqualTo(r.toJson());
                n++;
            }
        }
        assertThat(n).isEqualTo(16 + 24 + 2 * 2 * 3 * 2);
    }

    // ------------------------------------------------------------------ shipped specifications

    @Test
    void quickSpecExpandsToItsDocumentedSixteenRuns() {
        SweepSpec s = SweepSpec.read(SPECS.resolve("quick.yaml"));
        assertThat(s.name()).isEqualTo("quick");
        assertThat(s.runs()).hasSize(16);
        assertThat(new HashSet<>(ids(s))).hasSize(16);
        assertThat(s.runs()).allSatisfy(r -> {
            assertThat(r.dataset()).isEqualTo(DataSets.EMBEDDED);
            assertThat(r.trainPoints()).isEqualTo(2000);
            assertThat(r.dtype()).isEqualTo("f64");
            assertThat(r.threads()).isEqualTo(1);
            assertThat(r.measures()).isEqualTo(RunConfig.MEASURES);
            assertThat(r.train().checkpointAt()).hasSize(2); // plus the last step: 3 measured checkpoints
        });
        assertThat(s.runs()).extracting(RunConfig::arch).containsOnly("affine:784-10", "mlp:784-64-10");
        assertThat(s.runs()).extracting(r -> r.train().seed()).containsOnly(0L, 1L);
        s.requireData(new DataSets(new DataSets.Locations(tmp, null, null)));
    }

    @Test
    void authorsSpecExpandsToAtLeastTwentyFourNetworksOnMnist() {
        SweepSpec s = SweepSpec.read(SPECS.resolve("authors-mnist.yaml"));
        assertThat(s.name()).isEqualTo("authors-mnist");
        assertThat(s.runs()).hasSize(24);
        assertThat(new HashSet<>(ids(s))).hasSize(24);
        assertThat(s.runs()).allSatisfy(r -> {
            assertThat(r.dataset()).isEqualTo(DataSets.MNIST);
            assertThat(r.train().optimizer()).isEqualTo("sgd");
            assertThat(r.train().momentum()).isZero();
        });
        assertThat(s.runs()).extracting(r -> r.train().batchSize()).containsOnly(256, 4096);
        assertThat(s.runs()).extracting(r -> r.train().lr()).contains(0.36);
        assertThat(s.runs()).extracting(r -> r.train().seed()).containsOnly(0L, 1L, 2L);
    }

    // ------------------------------------------------------------------ bad specifications

    @Test
    void wrongTypesNameTheKeyTheExpectedTypeAndWhatWasFound() {
        assertThat(error("dataset: embedded", "arch: affine:784-10", "lr: fast"))
                .isEqualTo("test.yaml line 3: lr: expected a number, found the text 'fast'");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "batch_size: 1e3"))
                .isEqualTo("test.yaml line 3: batch_size: expected an integer, found the number 1000.0");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "nesterov: 1"))
                .isEqualTo("test.yaml line 3: nesterov: expected true or false, found the number 1");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "milestones: 30"))
                .contains("line 3: milestones: expected a list of integers").contains("found the number 30");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "checkpoint_at: [1, two]"))
                .isEqualTo("test.yaml line 3: checkpoint_at[1]: expected an integer, found the text 'two'");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  lr: [0.1, fast]"))
                .isEqualTo("test.yaml line 4: grid.lr[1]: expected a number, found the text 'fast'");
        assertThat(error("dataset: embedded", "runs:", "  - {arch: affine:784-10, epochs: many}"))
                .isEqualTo("test.yaml line 3: runs[0].epochs: expected an integer, found the text 'many'");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  lr: 0.1"))
                .contains("line 4: grid.lr: expected a list of values").contains("found the number 0.1");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  milestones: [30, 60]"))
                .contains("grid.milestones[0]: expected a list of integers");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "runs: {arch: x}"))
                .contains("runs: expected a list of maps");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "lr:"))
                .contains("lr: expected a number, found nothing");
        assertThat(error("- dataset: embedded")).contains("must be a map of keys").contains("found a list of 1");
    }

    @Test
    void unknownKeysAreNamedWithTheirLineAndTheNearestOrAllowedKeys() {
        assertThat(error("dataset: embedded", "arch: affine:784-10", "lrr: 0.1"))
                .isEqualTo("test.yaml line 3: unknown key 'lrr' in the top of the file: did you mean 'lr'?");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "learning_rate_of_sgd: 0.1"))
                .startsWith("test.yaml line 3: unknown key 'learning_rate_of_sgd' in the top of the file: "
                        + "the keys allowed there are name, threads, seeds, grid, runs, dataset,")
                .contains("weight_decay").endsWith("eigenvalues");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  lr: [0.1]", "  bacth_size: [8]"))
                .isEqualTo("test.yaml line 5: unknown key 'bacth_size' in grid: did you mean 'batch_size'?");
        assertThat(error("dataset: embedded", "runs:", "  - arch: affine:784-10", "  - arch: affine:784-10",
                "    wieght_decay: 0.1"))
                .isEqualTo("test.yaml line 5: unknown key 'wieght_decay' in runs[1]: did you mean 'weight_decay'?");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  threads: [1, 2]"))
                .contains("line 4: unknown key 'threads' in grid (threads may only be written at the top");
        assertThat(error("dataset: embedded", "runs:", "  - {arch: affine:784-10, seeds: [1]}"))
                .contains("line 3: unknown key 'seeds' in runs[0]");
    }

    @Test
    void emptyListsNameTheKey() {
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  lr: [0.1]", "  batch_size: []"))
                .isEqualTo("test.yaml line 5: grid.batch_size is empty: give at least one value, "
                        + "or remove it");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid: {}")).contains("line 3: grid is empty");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "seeds: []")).contains("line 3: seeds is empty");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "runs: []")).contains("line 3: runs is empty");
    }

    @Test
    void missingRequiredKeysAreNamed() {
        assertThat(error("dataset: embedded", "lr: 0.1")).isEqualTo("test.yaml: arch is missing: give it at the top "
                + "of the file (e.g. arch: mlp:784-100-10), in every entry of runs, or as an axis of grid");
        assertThat(error("arch: affine:784-10")).startsWith("test.yaml: dataset is missing: give it");
        assertThat(error("dataset: embedded", "runs:", "  - {arch: affine:784-10}", "  - {lr: 0.2}"))
                .startsWith("test.yaml: arch is missing in the run {lr: 0.2}: give it");
        assertThat(error("")).contains("test.yaml: the specification is empty");
    }

    @Test
    void aMissingDataSetIsNamedWithHowToGetIt() {
        SweepSpec s = parse("dataset: mnist", "arch: affine:784-10");
        DataSets none = new DataSets(new DataSets.Locations(tmp.resolve("no-cache"), null, null));
        assertThatThrownBy(() -> s.requireData(none)).isInstanceOf(UserException.class)
                .hasMessageStartingWith("test.yaml: dataset mnist is not available on this machine (")
                .hasMessageContaining("flatminima data fetch mnist")
                .hasMessageNotContaining("\n");
        SweepSpec f = parse("dataset: fashion-mnist", "arch: affine:784-10");
        DataSets noFashion = new DataSets(new DataSets.Locations(tmp, tmp.resolve("no-fashion"), null));
        assertThatThrownBy(() -> f.requireData(noFashion)).isInstanceOf(UserException.class)
                .hasMessageContaining("dataset fashion-mnist is not available")
                .hasMessageContaining("apt-get install dataset-fashion-mnist");
        SweepSpec c = parse("dataset: cifar-10", "arch: 'seq:3x32x32:flatten,linear(10)'");
        assertThatThrownBy(() -> c.requireData(none)).hasMessageContaining("--cifar-dir");
        // parsing itself never looks for the data
        assertThat(s.runs()).hasSize(1);
    }

    @Test
    void aDataSetWithFewerPointsThanTheRunsNeedIsNamed() throws java.io.IOException {
        Path dir = tmp.resolve("small-fashion");
        java.nio.file.Files.createDirectories(dir);
        Idx.writeImages(dir.resolve("train-images-idx3-ubyte"), new Idx.Images(50, 28, 28, new byte[50 * 784]), false);
        Idx.writeLabels(dir.resolve("train-labels-idx1-ubyte"), new int[50], false);
        Idx.writeImages(dir.resolve("t10k-images-idx3-ubyte"), new Idx.Images(20, 28, 28, new byte[20 * 784]), false);
        Idx.writeLabels(dir.resolve("t10k-labels-idx1-ubyte"), new int[20], false);
        DataSets small = new DataSets(new DataSets.Locations(tmp, dir, null));
        parse("dataset: fashion-mnist", "arch: affine:784-10", "train_points: 50", "test_points: 20")
                .requireData(small);
        assertThatThrownBy(() -> parse("dataset: fashion-mnist", "arch: affine:784-10", "grid:",
                "  train_points: [40, 51]", "test_points: 20").requireData(small))
                .isInstanceOf(UserException.class)
                .hasMessage("test.yaml: dataset fashion-mnist in " + dir + " has 50 training and 20 test points, but "
                        + "the run {train_points: 51} needs 51 and 20 (the standard release has 60000 and 10000): "
                        + "give train_points and test_points within what is there");
        assertThatThrownBy(() -> parse("dataset: fashion-mnist", "arch: affine:784-10", "train_points: 50")
                .requireData(small)).hasMessageContaining("needs 50 and 10000");
    }

    @Test
    void anInvalidValueInOneGridValueNamesTheRunAndTheKey() {
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  batch_size: [32]",
                "  lr: [0.1, -0.5]", "seeds: [0, 1]"))
                .isEqualTo("test.yaml line 5: in the run {batch_size: 32, lr: -0.5, seed: 0}: lr must be a positive "
                        + "finite number, got -0.5");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  weight_decay: [0, -1]"))
                .isEqualTo("test.yaml line 4: in the run {weight_decay: -1}: weight_decay must be a finite number "
                        + ">= 0, got -1.0");
        assertThat(error("dataset: embedded", "runs:", "  - {arch: affine:784-10, optimizer: adam}",
                "  - {arch: affine:784-10, optimizer: rmsprop}"))
                .isEqualTo("test.yaml line 4: in the run {arch: affine:784-10, optimizer: rmsprop}: unknown optimizer "
                        + "'rmsprop': use sgd or adam");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "momentum: 0", "nesterov: true"))
                .isEqualTo("test.yaml line 4: nesterov needs SGD with a momentum above 0, e.g. momentum: 0.9");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  eigenvalues: [1, 0]"))
                .isEqualTo("test.yaml line 4: in the run {eigenvalues: 0}: eigenvalues must be at least 1, got 0");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "schedule: step"))
                .isEqualTo("test.yaml line 3: schedule step needs milestones, e.g. milestones: [30, 60]");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "schedule: multistep", "milestones: [0]"))
                .isEqualTo("test.yaml line 4: milestones must be epochs >= 1, got 0: e.g. milestones: [30, 60]");
    }

    @Test
    void otherBadValuesAreCaughtWhenParsing() {
        assertThat(error("dataset: mnsit", "arch: affine:784-10"))
                .isEqualTo("test.yaml line 1: dataset: unknown data set 'mnsit': use one of embedded, mnist, "
                        + "fashion-mnist, cifar-10 (did you mean mnist?)");
        assertThat(error("dataset: embedded", "arch: mlp:784"))
                .startsWith("test.yaml line 2: arch: spec 'mlp:784': an mlp needs at least IN and OUT");
        assertThat(error("dataset: cifar-10", "arch: mlp:784-10"))
                .startsWith("test.yaml line 2: model mlp:784-10 takes inputs of shape [784] but cifar-10 has 3x32x32");
        assertThat(error("dataset: embedded", "arch: mlp:784-5"))
                .contains("line 2: model mlp:784-5 has 5 outputs but embedded has 10 classes");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "dtype: f16"))
                .isEqualTo("test.yaml line 3: dtype must be f32 or f64, got 'f16'");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "measures: [trace, curvature]"))
                .startsWith("test.yaml line 3: measures[1]: unknown measure 'curvature': use trace,");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "measures: [trace, 3]"))
                .isEqualTo("test.yaml line 3: measures[1]: expected the name of a measure, found the number 3");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "train_points: 20000"))
                .isEqualTo("test.yaml line 3: train_points must be in [0, 10000] (0: all of embedded's 10000 "
                        + "training points), got 20000");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "train_points: 100",
                "measure_train_points: 200"))
                .contains("line 4: measure_train_points must be in [0, 100]");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "train_points: 100", "batch_size: 10",
                "epochs: 2", "checkpoint_at: [21]"))
                .isEqualTo("test.yaml line 6: checkpoint_at step 21 is after the run's last step 20 (2 epochs of 10 "
                        + "steps): lower it");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "epochs: 2", "checkpoint_epochs: [3]"))
                .contains("line 4: checkpoint_epochs 3 is after the run's last epoch 2");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "checkpoint_at: [0]"))
                .contains("line 3: checkpoint_at: checkpoint steps must be at least 1");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "threads: 0"))
                .contains("line 3: threads must be at least 1");
    }

    @Test
    void conflictingAndDuplicateRunsAreRefused() {
        assertThat(error("dataset: embedded", "arch: affine:784-10", "lr: 0.1", "grid:", "  lr: [0.2, 0.3]"))
                .isEqualTo("test.yaml line 5: lr is set both in grid and at the top of the file (line 3): remove one "
                        + "(a grid axis gives every run its value)");
        assertThat(error("dataset: embedded", "runs:", "  - {arch: affine:784-10, batch_size: 8}", "grid:",
                "  batch_size: [16]"))
                .contains("line 3: runs[0].batch_size is also the axis grid.batch_size (line 5): remove one");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  seed: [1]", "seeds: [2]"))
                .contains("line 5: seeds and grid.seed (line 4) both give the seeds");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "seed: 1", "seeds: [2]"))
                .contains("line 4: seeds and seed (line 3) are both given");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "seeds: [0, 1, 0]"))
                .matches("test\\.yaml: the runs \\{seed: 0} and \\{seed: 0} are the same run \\(id [0-9a-f]{12}\\): "
                        + "remove one.*");
        assertThat(error("dataset: embedded", "runs:", "  - {arch: affine:784-10, lr: 0.1}",
                "  - {arch: 'affine: 784-10', lr: 0.10}"))
                .contains("the runs {arch: affine:784-10, lr: 0.1} and {arch: affine:784-10, lr: 0.1} are the same");
    }

    @Test
    void badYamlIsOneLineWithItsLine() {
        assertThat(error("dataset: embedded", "arch: affine:784-10", "grid:", "  lr: [0.1, 0.2", "seeds: [1]"))
                .startsWith("test.yaml line 5: not valid YAML: while parsing a flow sequence; expected ',' or ']'")
                .endsWith(": fix the YAML syntax");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "lr: 0.1", "lr: 0.2"))
                .isEqualTo("test.yaml line 4: key 'lr' is written twice in the same map: fix the YAML syntax");
        assertThat(error("dataset: embedded", "arch: affine:784-10", "---", "dataset: mnist"))
                .contains("line 4: a second YAML document");
    }

    @Test
    void readNamesAMissingFile() {
        assertThatThrownBy(() -> SweepSpec.read(tmp.resolve("nope.yaml"))).isInstanceOf(UserException.class)
                .hasMessage("sweep specification " + tmp.resolve("nope.yaml") + " does not exist: give the path of "
                        + "a YAML file, e.g. specs/quick.yaml");
    }

    @Test
    void dataSetFactsAgreeWithTheDataOnDisk() {
        DataSets.Status embedded = new DataSets(new DataSets.Locations(tmp, null, null)).list().getFirst();
        assertThat(embedded.name()).isEqualTo(DataSets.EMBEDDED);
        DataSetFacts f = DataSetFacts.of(DataSets.EMBEDDED);
        assertThat(Map.of("train", f.train(), "test", f.test()))
                .isEqualTo(Map.of("train", embedded.train(), "test", embedded.test()));
        assertThat(DataSets.embedded(DataSets.Split.TEST).features()).isEqualTo(f.features());
    }
}
