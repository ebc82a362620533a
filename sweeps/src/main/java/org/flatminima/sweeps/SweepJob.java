package org.flatminima.sweeps;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.flatminima.experiments.sweep.RunConfig;
import org.flatminima.experiments.sweep.SweepTable;

/**
 * A sweep on Spark: the runs a specification expands to, one Spark task each, into {@code OUT/runs/<id>/}; then
 * the sweep's table ({@code table.csv}, {@code table.parquet}) and its report. Runs already finished in
 * {@code OUT} (a {@code done.json}) are not scheduled again; interrupted ones resume from their newest checkpoint,
 * in a new sweep as in a retried task.
 *
 * <p>The driver does no training: it expands the specification, schedules, and writes the table from the runs'
 * files, so the table is the same whichever machines ran the runs and in which order.
 */
public final class SweepJob {

    /** How a sweep ended. */
    public record Outcome(int runs, int skipped, int trained, int diverged, Path table) {
    }

    /** The options of {@link #run(List, Options)}; made with {@link #builder()}. */
    public static final class Options {
        private Path out;
        private String master;
        private RunExecutor executor = new SweepRunExecutor();
        private PrintWriter progress = new PrintWriter(System.err, true);
        private int cores = Runtime.getRuntime().availableProcessors();
        private String name = "sweep";

        private Options() {
        }

        /** The sweep directory (on a cluster: a path every node reaches). */
        public Options out(Path v) {
            out = v;
            return this;
        }

        /** The Spark master; null for the embedded {@code local[N,F]} one. */
        public Options master(String v) {
            master = v;
            return this;
        }

        /** What a task does with a run (tests inject faults here). */
        public Options executor(RunExecutor v) {
            executor = v;
            return this;
        }

        /** Where progress lines go. */
        public Options progress(PrintWriter v) {
            progress = v;
            return this;
        }

        /** Cores of this machine for the embedded master. */
        public Options cores(int v) {
            cores = v;
            return this;
        }

        /** The sweep's name (Spark's application name, the report's title). */
        public Options name(String v) {
            name = v;
            return this;
        }
    }

    private SweepJob() {
    }

    public static Options builder() {
        return new Options();
    }

    /**
     * The master a sweep of runs with {@code threads} compute threads each uses under {@code o}: the one given,
     * else the one {@code spark-submit} set ({@code spark.master}), else the embedded {@code local[N,4]}.
     */
    static String master(Options o, int threads) {
        if (o.master != null) {
            return o.master;
        }
        String submitted = System.getProperty("spark.master");
        return submitted != null ? submitted : SparkEnv.embeddedMaster(o.cores, threads);
    }

    /** The runs of a sweep that have no {@code done.json} yet: their JSON and ids, in the sweep's order. */
    private record Plan(List<String> todo, List<String> ids, int skipped, int threads) {
        static Plan of(List<RunConfig> runs, Options o) {
            Objects.requireNonNull(o.out, "out");
            List<String> todo = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            int threads = 1;
            for (RunConfig r : runs) {
                threads = Math.max(threads, r.threads());
                if (!Files.exists(o.out.resolve("runs").resolve(r.id()).resolve("done.json"))) {
                    todo.add(r.canonicalJson());
                    ids.add(r.id());
                }
            }
            int skipped = runs.size() - todo.size();
            o.progress.printf("sweep: %d runs, %d finished before, %d to run%n", runs.size(), skipped, todo.size());
            return new Plan(todo, ids, skipped, threads);
        }
    }

    /**
     * Runs {@code runs} (distinct ids) into {@code o.out}: schedules those without a {@code done.json}, one task
     * each, waits for them, and writes the table of these runs (other runs in the directory, e.g. of an earlier
     * version of the specification, are left on disk but not in the table) as {@code table.csv} and
     * {@code table.parquet}.
     */
    public static Outcome run(List<RunConfig> runs, Options o) throws Exception {
        Plan plan = Plan.of(runs, o);
        List<RunExecutor.RunSummary> results = List.of();
        List<SweepTable.Row> rows;
        SparkSession spark = SparkEnv.start(master(o, plan.threads()), "flatminima " + o.name, plan.threads());
        try {
            if (!plan.todo().isEmpty()) {
                JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                jsc.sc().addSparkListener(new SweepProgress(o.progress, plan.ids(), runs.size(), plan.skipped()));
                results = jsc.parallelize(plan.todo(), plan.todo().size())
                        .map(new RunTask(o.out.resolve("runs").toString(), o.executor)).collect();
            }
            rows = writeTable(runs, o.out);
            ParquetTable.write(spark, o.out.resolve("table.csv"), SweepTable.COLUMNS, o.out.resolve("table.parquet"));
        } finally {
            spark.stop();
        }
        return outcome(runs, plan, results.size(), rows, o);
    }

    /**
     * The same sweep without Spark: the runs without a {@code done.json} one after the other in this process
     * (through {@code o}'s executor), then {@code table.csv} (no Parquet: that writer is Spark's).
     */
    public static Outcome runHere(List<RunConfig> runs, Options o) throws Exception {
        Plan plan = Plan.of(runs, o);
        long start = System.nanoTime();
        for (int i = 0; i < plan.todo().size(); i++) {
            o.executor.execute(plan.todo().get(i), o.out.resolve("runs").resolve(plan.ids().get(i)).toString(), 0);
            double elapsed = (System.nanoTime() - start) / 1e9;
            o.progress.printf(java.util.Locale.ROOT, "sweep: %d/%d runs done (run %s), %s elapsed, about %s left%n",
                    plan.skipped() + i + 1, runs.size(), plan.ids().get(i), SweepProgress.duration(elapsed),
                    SweepProgress.duration(elapsed / (i + 1) * (plan.todo().size() - i - 1)));
        }
        return outcome(runs, plan, plan.todo().size(), writeTable(runs, o.out), o);
    }

    /** Writes (and returns) {@code table.csv}: the rows of {@code runs}, by run id and step. */
    private static List<SweepTable.Row> writeTable(List<RunConfig> runs, Path out) {
        Set<String> wanted = runs.stream().map(RunConfig::id).collect(Collectors.toSet());
        List<SweepTable.Row> rows = SweepTable.collect(out).stream().filter(r -> wanted.contains(r.runId()))
                .sorted(SweepTable.ORDER).toList();
        SweepTable.write(out.resolve("table.csv"), rows);
        return rows;
    }

    private static Outcome outcome(List<RunConfig> runs, Plan plan, int trained, List<SweepTable.Row> rows,
                                   Options o) {
        int diverged = (int) rows.stream().filter(r -> "diverged".equals(r.status())).map(SweepTable.Row::runId)
                .distinct().count();
        return new Outcome(runs.size(), plan.skipped(), trained, diverged, o.out.resolve("table.csv"));
    }
}
