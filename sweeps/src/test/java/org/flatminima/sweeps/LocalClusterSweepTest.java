package org.flatminima.sweeps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flatminima.engine.Engine;
import org.flatminima.experiments.sweep.RunConfig;
import org.flatminima.experiments.sweep.SequentialSweep;
import org.flatminima.experiments.sweep.SweepRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep whose executors are separate JVMs ({@code local-cluster[2,1,1024]}: two workers started by Spark, each
 * launching an executor JVM from {@link LocalCluster#sparkHome()}): the JVM options, the native backend (FFM and
 * the Vector API) and the data reach them, and the table equals the one computed in this JVM, also when an
 * executor JVM dies in the middle of a run (Spark retries the task, which resumes from the run's checkpoint).
 */
class LocalClusterSweepTest {
    @TempDir
    Path dir;

    /**
     * Writes which JVM ran a run, and on which backend, beside the run's files; kills its executor JVM (as the
     * kernel's OOM killer or a lost node would) during the first attempt of the MLP, after its checkpoint at step 4.
     */
    static final class Recording extends SweepRunExecutor {
        private static final long serialVersionUID = 1L;

        @Override
        protected SweepRun.Listener listener(RunConfig cfg, int attempt, long[] steps) {
            return new SweepRun.Listener() {
                @Override
                public void step(long step, long totalSteps, double loss) {
                    steps[0]++;
                }

                @Override
                public void checkpoint(long step, long totalSteps) {
                    if (attempt == 0 && cfg.arch().startsWith("mlp")) {
                        Runtime.getRuntime().halt(137);
                    }
                }
            };
        }

        @Override
        public RunSummary execute(String configJson, String runDir, int attempt) {
            RunSummary s = super.execute(configJson, runDir, attempt);
            try {
                Files.writeString(Path.of(runDir, "executor.txt"), ProcessHandle.current().pid() + " "
                        + Engine.backend().name() + " " + attempt + " " + s.stepsTrained());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return s;
        }
    }

    @AfterEach
    void clear() {
        System.clearProperty("spark.executor.extraClassPath");
    }

    @Test
    void executorsInTheirOwnJvmsComputeTheSameTableAlsoWhenOneDiesMidRun() throws Exception {
        List<RunConfig> runs = List.of(TinySweep.run("affine:784-10", 0), TinySweep.run("mlp:784-16-10", 0));
        SequentialSweep.run(runs, dir.resolve("here"), null);
        LocalCluster.sparkHome();
        System.setProperty("spark.executor.extraClassPath", LocalCluster.executorClassPath());
        StringWriter log = new StringWriter();
        SweepJob.run(runs, SweepJob.builder().out(dir.resolve("cluster")).master("local-cluster[2,1,1024]")
                .executor(new Recording()).progress(new PrintWriter(log, true)));
        assertThat(Files.readString(dir.resolve("cluster").resolve("table.csv")))
                .isEqualTo(Files.readString(dir.resolve("here").resolve("table.csv")));
        long me = ProcessHandle.current().pid();
        for (RunConfig r : runs) {
            String[] who = Files.readString(dir.resolve("cluster").resolve("runs").resolve(r.id())
                    .resolve("executor.txt")).split(" ");
            assertThat(Long.parseLong(who[0])).isNotEqualTo(me);
            assertThat(who[1]).isEqualTo("native");
        }
        // the MLP's executor died after its checkpoint at step 4: the retry trained the 8 steps left
        String[] mlp = Files.readString(dir.resolve("cluster").resolve("runs").resolve(runs.get(1).id())
                .resolve("executor.txt")).split(" ");
        assertThat(Integer.parseInt(mlp[2])).isPositive();
        assertThat(Long.parseLong(mlp[3])).isEqualTo(8);
        assertThat(log.toString()).contains("2/2 runs done");
    }
}
