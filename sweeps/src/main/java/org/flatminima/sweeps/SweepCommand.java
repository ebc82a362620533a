package org.flatminima.sweeps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.DirectoryLock;
import org.flatminima.experiments.sweep.RunConfig;
import org.flatminima.experiments.sweep.SweepSpec;
import org.flatminima.experiments.sweep.rank.RankOptions;
import org.flatminima.experiments.sweep.rank.SweepReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flatminima sweep SPEC --out DIR [--master URL]}: trains and measures every run of a sweep specification,
 * one Spark task per run (embedded Spark by default), then writes the sweep's table, ranking and report. The
 * specification is read and checked, and the master reached, before anything is written.
 */
@Command(name = "sweep",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Trains and measures a population of networks (a sweep specification) on Apache Spark.",
        description = {
            "Each run of the specification (YAML; docs/SWEEPS.md) is one Spark task: it trains with checkpoints and",
            "measures at each checkpoint into DIR/runs/<id>/. A second sweep into the same DIR skips finished runs",
            "and resumes interrupted ones. Writes DIR/table.csv, DIR/table.parquet, DIR/rank.md and DIR/report.md.",
        })
public final class SweepCommand implements Callable<Integer> {

    @Spec
    CommandSpec command;

    @Parameters(index = "0", paramLabel = "SPEC", description = "the sweep specification (YAML), e.g. specs/quick.yaml")
    Path specFile;

    @Option(names = "--out", paramLabel = "DIR",
            description = "the sweep directory (on a cluster: a path every node reaches)")
    Path out;

    @Option(names = "--master", paramLabel = "URL",
            description = "a Spark master: spark://HOST:PORT, yarn, k8s://..., local[N]; default: embedded local[N,4] "
                    + "with N = cores / threads per run")
    String master;

    @Option(names = "--threads", paramLabel = "N",
            description = "compute threads per run, instead of the specification's threads (not part of a run's id)")
    Integer threads;

    @Option(names = "--no-spark",
            description = "run the runs one after the other in this process, without Spark (no table.parquet): "
                    + "for debugging, and the baseline of the overhead measurement in docs/SWEEPS.md")
    boolean noSpark;

    @Option(names = "--dry-run", description = "list the runs (id and settings) and exit; writes nothing")
    boolean dryRun;

    @Option(names = "--cifar-dir", paramLabel = "DIR",
            description = "CIFAR-10 (dataset: cifar10): the cifar-10-batches-bin directory or cifar-10-binary.tar.gz, "
                    + "a path every node reaches (default: $FLATMINIMA_CIFAR10_DIR, else the cache's cifar-10)")
    Path cifarDir;

    @Override
    public Integer call() throws Exception {
        SweepSpec spec = SweepSpec.read(specFile);
        List<RunConfig> runs = spec.runs();
        if (threads != null) {
            if (threads < 1) {
                throw new UserException("--threads must be at least 1, got " + threads);
            }
            runs = runs.stream().map(r -> r.toBuilder().threads(threads).build()).toList();
        }
        if (noSpark && master != null) {
            throw new UserException("--no-spark runs here, without a master: drop --master or --no-spark");
        }
        if (dryRun) {
            for (RunConfig r : runs) {
                command.commandLine().getOut().println(r.id() + "  " + spec.label(r.id()));
            }
            return 0;
        }
        if (out == null) {
            throw new UserException("--out DIR is missing: name the sweep's directory, e.g. --out out/sweep");
        }
        String submitted = master != null ? master : System.getProperty("spark.master");
        if (submitted == null || SparkEnv.isLocal(submitted)) {
            // on a cluster the driver need not hold the data its executors read
            spec.requireData(new DataSets(DataSets.Locations.fromEnvironment().withCifarDir(cifarDir)));
        }
        if (master != null) {
            SparkEnv.requireReachable(master);
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserException("--out " + out + " is a file, not a directory: name a new or existing directory");
        }
        Path dir = out.toAbsolutePath().normalize();
        try (DirectoryLock lock = DirectoryLock.acquire(dir, "sweep", "--out")) {
            return sweep(spec, runs, dir);
        }
    }

    private int sweep(SweepSpec spec, List<RunConfig> runs, Path dir) throws Exception {
        byte[] yaml = Files.readAllBytes(specFile);
        AtomicFiles.write(dir.resolve("sweep.yaml"), s -> s.write(yaml));
        SweepJob.Options options = SweepJob.builder().out(dir).master(master).name(spec.name())
                .progress(command.commandLine().getErr());
        if (cifarDir != null) {
            options.executor(new SweepRunExecutor(cifarDir.toAbsolutePath().normalize().toString()));
        }
        SweepJob.Outcome o = noSpark ? SweepJob.runHere(runs, options) : SweepJob.run(runs, options);
        SweepReport.rankSweep(dir, RankOptions.builder().build());
        command.commandLine().getOut().printf("sweep: %d runs (%d finished before, %d run now, %d diverged); table %s, "
                + "report %s%n", o.runs(), o.skipped(), o.trained(), o.diverged(), o.table(), dir.resolve("report.md"));
        return 0;
    }
}
