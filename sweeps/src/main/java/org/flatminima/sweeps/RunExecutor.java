package org.flatminima.sweeps;

import java.io.Serializable;

/**
 * What one Spark task does with one run of a sweep. A run is a pure function of its configuration (JSON, see
 * {@code RunConfig}) and writes everything into its own directory, so a retried attempt resumes where the failed
 * one left off. Implementations travel to the executors, hence {@link Serializable}.
 */
@FunctionalInterface
public interface RunExecutor extends Serializable {

    /**
     * Executes (or resumes, or reads back when finished) the run of {@code configJson} in {@code runDir};
     * {@code attempt} is Spark's attempt number of the task (0 for the first).
     */
    RunSummary execute(String configJson, String runDir, int attempt) throws Exception;

    /** What a task reports to the driver: the run, how it ended and how many steps this attempt trained. */
    record RunSummary(String id, String status, long step, long stepsTrained) implements Serializable {
    }
}
