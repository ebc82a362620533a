package org.flatminima.sweeps;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.flatminima.experiments.sweep.RunConfig;

/** The Spark function of a sweep: one run configuration (JSON) in, its summary out. */
final class RunTask implements Function<String, RunExecutor.RunSummary> {
    private static final long serialVersionUID = 1L;

    private final String runsDir;
    private final RunExecutor executor;

    RunTask(String runsDir, RunExecutor executor) {
        this.runsDir = runsDir;
        this.executor = executor;
    }

    @Override
    public RunExecutor.RunSummary call(String configJson) throws Exception {
        RunConfig cfg = RunConfig.fromJson(configJson);
        TaskContext tc = TaskContext.get();
        int attempt = tc == null ? 0 : tc.attemptNumber();
        return executor.execute(configJson, runsDir + "/" + cfg.id(), attempt);
    }
}
