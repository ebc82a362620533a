package org.flatminima.sweeps;

import java.nio.file.Path;
import java.util.List;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.sweep.RunConfig;
import org.flatminima.experiments.sweep.SweepRun;
import org.flatminima.experiments.sweep.SweepTable;

/**
 * The executor of a real sweep: {@link SweepRun#execute} in the task (which computes on a backend of its own with
 * the run's threads). A finished run is read back (no training); an interrupted one resumes from its newest
 * checkpoint. The data is found through the environment of the node that runs the task
 * ({@link DataSets.Locations#fromEnvironment()}), with the CIFAR-10 location of {@code sweep --cifar-dir} when given.
 */
public class SweepRunExecutor implements RunExecutor {
    private static final long serialVersionUID = 1L;

    /** {@code sweep --cifar-dir}, as a string (paths do not serialise), or null. */
    private final String cifarDir;

    /** The executor that finds the data through each node's environment. */
    public SweepRunExecutor() {
        this(null);
    }

    /** The executor that reads CIFAR-10 from {@code cifarDir} (a path every node reaches; null: the environment's). */
    public SweepRunExecutor(String cifarDir) {
        this.cifarDir = cifarDir;
    }

    @Override
    public RunSummary execute(String configJson, String runDir, int attempt) {
        RunConfig cfg = RunConfig.fromJson(configJson);
        long[] steps = {0};
        DataSets.Locations data = DataSets.Locations.fromEnvironment()
                .withCifarDir(cifarDir == null ? null : Path.of(cifarDir));
        List<SweepTable.Row> rows = SweepRun.execute(cfg, Path.of(runDir), listener(cfg, attempt, steps), data);
        SweepTable.Row last = rows.get(rows.size() - 1);
        return new RunSummary(cfg.id(), last.status(), last.step(), steps[0]);
    }

    /**
     * The listener of one attempt; counts the steps it trains in {@code steps[0]}. Subclasses (tests) may add to it,
     * e.g. to fail an attempt after a checkpoint.
     */
    protected SweepRun.Listener listener(RunConfig cfg, int attempt, long[] steps) {
        return new SweepRun.Listener() {
            @Override
            public void step(long step, long totalSteps, double loss) {
                steps[0]++;
            }
        };
    }
}
