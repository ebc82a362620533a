package org.flatminima.experiments.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs a sweep's runs one after another in this process: each into {@code outDir/runs/<id>/}
 * ({@link SweepRun#execute}), then the table of all of them into {@code outDir/table.csv}. The reference the Spark
 * runner's output is compared with, and the baseline of its overhead. A rerun skips finished runs and resumes
 * interrupted ones, as {@link SweepRun} does.
 */
public final class SequentialSweep {
    private SequentialSweep() {
    }

    /** Hears about each run as it starts and ends, and about its steps and checkpoints. */
    public interface Listener extends SweepRun.Listener {
        /** Before run {@code index} (0-based) of {@code count}. */
        default void runStarted(RunConfig run, int index, int count) {
        }

        /** After run {@code index} with its rows. */
        default void runFinished(RunConfig run, int index, int count, List<SweepTable.Row> rows) {
        }
    }

    /**
     * Runs {@code runs} in order and writes {@code outDir/table.csv}; returns the table's rows (sorted by run id,
     * then step). Two runs with the same id are refused (a run would be done twice in one directory).
     */
    public static List<SweepTable.Row> run(List<RunConfig> runs, Path outDir, Listener listener) {
        Listener l = listener == null ? new Listener() { } : listener;
        Set<String> ids = new HashSet<>();
        for (RunConfig r : runs) {
            if (!ids.add(r.id())) {
                throw new IllegalArgumentException("run " + r.id() + " is listed twice");
            }
        }
        List<SweepTable.Row> rows = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunConfig r = runs.get(i);
            l.runStarted(r, i, runs.size());
            List<SweepTable.Row> got = SweepRun.execute(r, outDir.resolve("runs").resolve(r.id()), l);
            rows.addAll(got);
            l.runFinished(r, i, runs.size(), got);
        }
        rows.sort(SweepTable.ORDER);
        SweepTable.write(outDir.resolve("table.csv"), rows);
        return rows;
    }
}
