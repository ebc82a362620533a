package org.flatminima.experiments.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interrupted and repeated runs, on the scalar backend (bit for bit): a run that crashes after a checkpoint and
 * is executed again ends with the rows, metrics and weights of an uninterrupted run, measuring no checkpoint
 * twice; a finished run executed again does no training and returns the same rows.
 */
class SweepRunResumeTest {

    @TempDir
    static Path tmp;

    /** mlp:784-16-10, 2 epochs of 4 steps; checkpoints (and rows) at 0, 2, 4, 6, 8. */
    static final RunConfig CFG = SweepRuns.tiny("mlp:784-16-10", 0.05, 2, 5).build();

    static List<SweepTable.Row> reference;

    @BeforeAll
    static void uninterrupted() {
        reference = SweepRuns.scalar(() -> SweepRun.execute(CFG, tmp.resolve("reference")));
    }

    /** Thrown by a listener to simulate a crash. */
    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash(long step) {
            super("crash at step " + step);
        }
    }

    @Test
    void referenceHasARowPerCheckpoint() {
        assertThat(reference).extracting(SweepTable.Row::step).containsExactly(0L, 2L, 4L, 6L, 8L);
        assertThat(reference).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo("finished");
            assertThat(r.cell("trace_method")).isEqualTo("exact-ggn");
            assertThat(r.isEmpty("top_eigenvalue")).isFalse();
        });
        assertThat(reference.getLast().number("train_accuracy")).isGreaterThan(0.3);
    }

    /**
     * A crash in step 5 (after checkpoint 4 and its measures), then the measures of checkpoint 4 lost as if the
     * crash had come between the checkpoint and its measures: the resumed run measures checkpoint 4 from its file,
     * leaves the measures of 0 and 2 as they were, and ends as the uninterrupted run, file for file.
     */
    @Test
    void resumedRunEqualsUninterruptedRun() throws Exception {
        Path dir = tmp.resolve("crashed");
        assertThatThrownBy(() -> SweepRuns.scalar(() -> SweepRun.execute(CFG, dir, new SweepRun.Listener() {
            @Override
            public void step(long step, long totalSteps, double loss) {
                if (step == 5) {
                    throw new Crash(step);
                }
            }
        }))).isInstanceOf(Crash.class);
        SweepRunDirectory d = new SweepRunDirectory(dir);
        assertThat(d.readDone()).isNull();
        assertThat(d.measuredSteps()).containsExactly(0L, 2L, 4L);
        Files.delete(d.measuresFile(4));
        Object key0 = fileKey(d.measuresFile(0));
        Object key2 = fileKey(d.measuresFile(2));
        assertThat(new SweepRunDirectory(dir).rows()).extracting(SweepTable.Row::status)
                .containsOnly(SweepRunDirectory.UNFINISHED);

        List<Long> steps = new ArrayList<>();
        List<Long> checkpoints = new ArrayList<>();
        List<SweepTable.Row> resumed = SweepRuns.scalar(() -> SweepRun.execute(CFG, dir, new SweepRun.Listener() {
            @Override
            public void step(long step, long totalSteps, double loss) {
                steps.add(step);
            }

            @Override
            public void checkpoint(long step, long totalSteps) {
                checkpoints.add(step);
            }
        }));
        assertThat(steps).containsExactly(5L, 6L, 7L, 8L);
        assertThat(checkpoints).containsExactly(4L, 6L, 8L);
        assertThat(fileKey(d.measuresFile(0))).isEqualTo(key0);
        assertThat(fileKey(d.measuresFile(2))).isEqualTo(key2);
        assertThat(resumed).isEqualTo(reference);
        Path ref = tmp.resolve("reference");
        for (String f : List.of("config.json", "metrics.csv", "model.safetensors", "done.json",
                "measures/step-4.json", "measures/step-8.json")) {
            assertThat(Files.readAllBytes(dir.resolve(f))).as(f).isEqualTo(Files.readAllBytes(ref.resolve(f)));
        }
    }

    /** A finished run executed again trains nothing, writes nothing and returns the same rows. */
    @Test
    void finishedRunIsNotTrainedAgain() throws Exception {
        Path ref = tmp.resolve("reference");
        Object done = fileKey(ref.resolve("done.json"));
        long modified = Files.getLastModifiedTime(ref.resolve("model.safetensors")).toMillis();
        List<Long> seen = new ArrayList<>();
        List<SweepTable.Row> again = SweepRun.execute(CFG, ref, new SweepRun.Listener() {
            @Override
            public void step(long step, long totalSteps, double loss) {
                seen.add(step);
            }

            @Override
            public void checkpoint(long step, long totalSteps) {
                seen.add(-step);
            }
        });
        assertThat(seen).isEmpty();
        assertThat(again).isEqualTo(reference);
        assertThat(fileKey(ref.resolve("done.json"))).isEqualTo(done);
        assertThat(Files.getLastModifiedTime(ref.resolve("model.safetensors")).toMillis()).isEqualTo(modified);
    }

    /** A run killed after its last checkpoint, before its model and done.json, completes without training. */
    @Test
    void runStoppedBeforeItsModelCompletes() throws Exception {
        Path dir = tmp.resolve("late");
        assertThatThrownBy(() -> SweepRuns.scalar(() -> SweepRun.execute(CFG, dir, new SweepRun.Listener() {
            @Override
            public void checkpoint(long step, long totalSteps) {
                if (step == totalSteps) {
                    throw new Crash(step);
                }
            }
        }))).isInstanceOf(Crash.class);
        List<Long> steps = new ArrayList<>();
        List<SweepTable.Row> rows = SweepRuns.scalar(() -> SweepRun.execute(CFG, dir, new SweepRun.Listener() {
            @Override
            public void step(long step, long totalSteps, double loss) {
                steps.add(step);
            }
        }));
        assertThat(steps).isEmpty();
        assertThat(rows).isEqualTo(reference);
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("reference/model.safetensors")));
    }

    private static Object fileKey(Path p) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime().toMillis());
    }
}
