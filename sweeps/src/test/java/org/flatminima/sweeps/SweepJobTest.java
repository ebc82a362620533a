package org.flatminima.sweeps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.flatminima.experiments.sweep.RunConfig;
import org.flatminima.experiments.sweep.SequentialSweep;
import org.flatminima.experiments.sweep.SweepRun;
import org.flatminima.experiments.sweep.SweepTable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny sweep on the embedded Spark master against the same runs done one after the other in this process
 * ({@link SequentialSweep}, no Spark): the same table, byte for byte, also when a task fails mid-run and is retried,
 * and when a sweep is run again or grows.
 */
class SweepJobTest {
    @TempDir
    static Path dir;

    static List<RunConfig> runs = TinySweep.runs(2);
    static String reference;

    /** Steps trained per (run id, attempt) by {@link FailingOnce}: executors share this JVM in local mode. */
    static final Map<String, Long> STEPS = new ConcurrentHashMap<>();

    @BeforeAll
    static void sequential() throws IOException {
        SequentialSweep.run(runs, dir.resolve("sequential"), null);
        reference = Files.readString(dir.resolve("sequential").resolve("table.csv"));
    }

    private static SweepJob.Outcome sweep(Path out, List<RunConfig> rs, RunExecutor executor, StringWriter log)
            throws Exception {
        SweepJob.Options o = SweepJob.builder().out(out).cores(2).progress(new PrintWriter(log, true));
        if (executor != null) {
            o.executor(executor);
        }
        return SweepJob.run(rs, o);
    }

    @Test
    void theTableEqualsTheSequentialOneByteForByteAndParquetHoldsTheSameNumbers() throws Exception {
        StringWriter log = new StringWriter();
        SweepJob.Outcome o = sweep(dir.resolve("spark"), runs, null, log);
        assertThat(o.trained()).isEqualTo(4);
        assertThat(o.skipped()).isZero();
        String table = Files.readString(dir.resolve("spark").resolve("table.csv"));
        assertThat(table).isEqualTo(reference);
        List<SweepTable.Row> rows = SweepTable.read(dir.resolve("spark").resolve("table.csv"));
        assertThat(rows).hasSize(4 * 3); // checkpoints 4, 8, 12 of each run
        assertThat(log.toString()).contains("sweep: 4/4 runs done").doesNotContain("5/4");

        SparkSession spark = SparkEnv.start("local[1]", "read", 1);
        try {
            List<Row> parquet = spark.read().parquet(dir.resolve("spark").resolve("table.parquet").toString())
                    .orderBy("run_id", "step").collectAsList();
            assertThat(parquet).hasSize(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                SweepTable.Row r = rows.get(i);
                Row p = parquet.get(i);
                assertThat(p.<String>getAs("run_id")).isEqualTo(r.runId());
                assertThat(p.<Long>getAs("step")).isEqualTo(r.step());
                for (String c : List.of("trace", "train_loss", "test_accuracy", "top_eigenvalue", "lr")) {
                    assertThat(p.<Double>getAs(c)).as(c).isEqualTo(r.number(c));
                }
            }
        } finally {
            spark.stop();
        }
    }

    /** Fails the first attempt of the MLP with seed 1 right after its first checkpoint was measured. */
    static final class FailingOnce extends SweepRunExecutor {
        private static final long serialVersionUID = 1L;

        @Override
        protected SweepRun.Listener listener(RunConfig cfg, int attempt, long[] steps) {
            return new SweepRun.Listener() {
                @Override
                public void step(long step, long totalSteps, double loss) {
                    steps[0]++;
                    STEPS.merge(cfg.id() + "/" + attempt, 1L, Long::sum);
                }

                @Override
                public void checkpoint(long step, long totalSteps) {
                    if (attempt == 0 && cfg.arch().startsWith("mlp") && cfg.train().seed() == 1) {
                        throw new IllegalStateException("injected failure after checkpoint " + step);
                    }
                }
            };
        }
    }

    @Test
    void aTaskThatFailsMidRunIsRetriedFromItsCheckpointAndTheTableIsUnchanged() throws Exception {
        StringWriter log = new StringWriter();
        SweepJob.Outcome o = sweep(dir.resolve("fault"), runs, new FailingOnce(), log);
        assertThat(o.trained()).isEqualTo(4);
        assertThat(Files.readString(dir.resolve("fault").resolve("table.csv"))).isEqualTo(reference);
        String failed = runs.get(3).id();
        assertThat(log.toString()).contains("run " + failed + " failed on attempt 1")
                .contains("injected failure after checkpoint 4");
        // the first attempt trained to its checkpoint at step 4; the retry resumed there: 8 more steps, not 12
        assertThat(STEPS.get(failed + "/0")).isEqualTo(4L);
        assertThat(STEPS.get(failed + "/1")).isEqualTo(8L);
        assertThat(STEPS.get(runs.get(0).id() + "/0")).isEqualTo(12L);
    }

    @Test
    void aSecondSweepTrainsNothingAndAnAddedSeedTrainsOnlyItsRuns() throws Exception {
        Path out = dir.resolve("resume");
        sweep(out, runs, null, new StringWriter());
        Path model = out.resolve("runs").resolve(runs.get(0).id()).resolve("model.safetensors");
        long modified = Files.getLastModifiedTime(model).toMillis();

        SweepJob.Outcome again = sweep(out, runs, null, new StringWriter());
        assertThat(again.trained()).isZero();
        assertThat(again.skipped()).isEqualTo(4);
        assertThat(Files.getLastModifiedTime(model).toMillis()).isEqualTo(modified);
        assertThat(Files.readString(out.resolve("table.csv"))).isEqualTo(reference);

        List<RunConfig> more = new ArrayList<>(runs);
        more.add(TinySweep.run("affine:784-10", 2));
        SweepJob.Outcome grown = sweep(out, more, null, new StringWriter());
        assertThat(grown.trained()).isEqualTo(1);
        assertThat(grown.skipped()).isEqualTo(4);
        List<SweepTable.Row> rows = SweepTable.read(out.resolve("table.csv"));
        assertThat(rows).hasSize(5 * 3);
        assertThat(rows.stream().map(SweepTable.Row::runId).distinct()).contains(more.get(4).id());

        // a specification that dropped a run leaves its files but not its rows
        SweepJob.Outcome shrunk = sweep(out, runs.subList(0, 2), null, new StringWriter());
        assertThat(shrunk.trained()).isZero();
        assertThat(SweepTable.read(out.resolve("table.csv"))).hasSize(2 * 3);
        assertThat(out.resolve("runs").resolve(runs.get(3).id()).resolve("done.json")).exists();
    }

    @Test
    void withoutSparkTheSameTable() throws Exception {
        StringWriter log = new StringWriter();
        SweepJob.Outcome o = SweepJob.runHere(runs, SweepJob.builder().out(dir.resolve("here")).cores(2)
                .progress(new PrintWriter(log, true)));
        assertThat(o.trained()).isEqualTo(4);
        assertThat(Files.readString(dir.resolve("here").resolve("table.csv"))).isEqualTo(reference);
        assertThat(log.toString()).contains("sweep: 4/4 runs done");
        assertThat(dir.resolve("here").resolve("table.parquet")).doesNotExist();
    }
}
