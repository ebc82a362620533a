package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** E3 end to end on a tiny configuration: step counts, the Hoffer learning rate, and the outputs' contents. */
class E3Test {

    @TempDir
    static Path out;

    /** 200 training points, batches 20 and 40 (ratio 2: multiplier 2, lr x sqrt 2), 2 epochs. */
    static final E3BatchSize.Config TINY = new E3BatchSize.Config("mlp:784-8-10", DataSets.EMBEDDED, "F64", 200, 200,
            20, 40, 0.05, 2, new double[] {0.5, 0.75}, 4, 3);

    static Experiment.Section section;

    @BeforeAll
    static void runOnce() throws Exception {
        ReproduceContext ctx = new ReproduceContext(out, 3, Scale.QUICK,
                new DataSets(DataSets.Locations.fromEnvironment()), DType.F64, Progress.NONE);
        List<Reproduction.Outcome> o = Reproduction.run(List.of(new E3BatchSize(TINY)), ctx, false);
        section = o.get(0).section();
    }

    @Test
    void runsHaveTheIntendedStepCountsAndLearningRates() throws Exception {
        Map<String, double[]> runs = ReproduceTest.csv(out.resolve("E3/runs.csv"));
        // (a) 200/20 = 10 steps per epoch, 2 epochs; (b) 200/40 = 5 per epoch, 2 epochs; (c) x2 epochs
        assertThat(runs.get("steps_per_epoch")).containsExactly(10, 5, 5);
        assertThat(runs.get("epochs")).containsExactly(2, 2, 4);
        assertThat(runs.get("steps")).containsExactly(20, 10, 20);
        assertThat(runs.get("lr")[0]).isEqualTo(0.05);
        assertThat(runs.get("lr")[1]).isEqualTo(0.05);
        assertThat(runs.get("lr")[2]).isCloseTo(0.05 * Math.sqrt(2), within(1e-15));
        assertThat(E3BatchSize.multiplier(TINY)).isEqualTo(2);
        // the schedule in use during (c)'s first epoch is the scaled rate, and the milestones are doubled
        Map<String, double[]> c = ReproduceTest.csv(out.resolve("E3/run-large-longer.csv"));
        assertThat(c.get("epoch")[0]).isZero();
        assertThat(c.get("lr")[0]).isCloseTo(0.05 * Math.sqrt(2), within(1e-15));
        List<E3BatchSize.Run> plan = E3BatchSize.runs(TINY);
        assertThat(plan.get(0).milestones()).containsExactly(1, 2);
        assertThat(plan.get(2).milestones()).containsExactly(2, 3);
        // after the last milestone the rate is gamma^2 of the base
        double[] ep = c.get("epoch");
        assertThat(ep[ep.length - 1]).isEqualTo(4);
        assertThat(c.get("lr")[ep.length - 1]).isCloseTo(0.05 * Math.sqrt(2) * 0.01, within(1e-15));
    }

    @Test
    void measurementsAreInRangeAndTheRunsStartFromTheSameInitialisation() throws Exception {
        double[] first = null;
        for (String r : List.of("small", "large", "large-longer")) {
            Map<String, double[]> t = ReproduceTest.csv(out.resolve("E3/run-" + r + ".csv"));
            assertThat(t.get("epoch").length).as(r).isGreaterThanOrEqualTo(3);
            for (int i = 0; i < t.get("epoch").length; i++) {
                assertThat(t.get("trace")[i]).as(r).isGreaterThanOrEqualTo(0);
                assertThat(t.get("top_eigenvalue")[i]).as(r).isGreaterThanOrEqualTo(0)
                        .isLessThanOrEqualTo(t.get("trace")[i] * (1 + 1e-9));
                for (String col : List.of("train_acc", "test_acc")) {
                    assertThat(t.get(col)[i]).as(r + " " + col).isBetween(0.0, 1.0);
                }
                assertThat(t.get("gap")[i]).isCloseTo(t.get("train_acc")[i] - t.get("test_acc")[i], within(1e-12));
                assertThat(t.get("output_margin_q1")[i]).isLessThanOrEqualTo(t.get("output_margin_median")[i]);
            }
            double[] row0 = {t.get("train_acc")[0], t.get("test_acc")[0], t.get("trace")[0]};
            if (first == null) {
                first = row0;
            } else {
                assertThat(row0).containsExactly(first);
            }
            // training moved the parameters
            assertThat(t.get("trace")[t.get("trace").length - 1]).isNotEqualTo(t.get("trace")[0]);
        }
    }

    @Test
    void plotsAndReportExist() throws Exception {
        assertThat(section.plots()).hasSize(3);
        for (String p : section.plots()) {
            byte[] b = Files.readAllBytes(out.resolve(p));
            assertThat(b.length).isGreaterThan(1000);
            assertThat(Arrays.copyOf(b, 4)).containsExactly(0x89, 'P', 'N', 'G');
            assertThat(section.markdown()).contains("](" + p + ")");
        }
        assertThat(section.markdown()).contains("**In numbers.**", "(c) B=40 x2 epochs");
        assertThat(Files.readString(out.resolve("report.md"))).contains("## E3:");
    }

    @Test
    void atFullScaleE3UsesTheFullMnistAndAMissingOneFailsBeforeAnythingRuns(@TempDir Path dir,
                                                                            @TempDir Path empty) {
        E3BatchSize e3 = new E3BatchSize();
        assertThat(E3BatchSize.Config.full().data()).isEqualTo(DataSets.MNIST);
        assertThat(e3.requiredData(Scale.FULL)).containsExactly(DataSets.MNIST);
        assertThat(e3.requiredData(Scale.QUICK)).isEmpty();
        ReproduceContext ctx = new ReproduceContext(dir, 1, Scale.FULL,
                new DataSets(DataSets.Locations.fromEnvironment().withCache(empty)), DType.F32, Progress.NONE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Reproduction.checkData(List.of(e3), ctx))
                .isInstanceOf(org.flatminima.experiments.UserException.class)
                .hasMessageContaining("E3 at full scale needs mnist")
                .hasMessageContaining("flatminima data fetch mnist")
                .hasMessageNotContaining("\n");
        assertThat(dir.resolve("E3")).doesNotExist();
    }
}
