package org.flatminima.experiments.reproduce;

/**
 * Where an experiment reports how far it is: a task of {@code max} units of work, advanced with {@link #step}.
 * The command line shows it as a progress bar; tests use {@link #NONE}.
 */
public interface Progress {

    /** Starts a task (an experiment) of {@code max} units. */
    void start(String task, long max);

    /** Advances the current task by {@code units}; {@code message} (may be null) says what is being done. */
    void step(long units, String message);

    /** Ends the current task. */
    void finish();

    /** A reporter that shows nothing. */
    Progress NONE = new Progress() {
        @Override
        public void start(String task, long max) {
        }

        @Override
        public void step(long units, String message) {
        }

        @Override
        public void finish() {
        }
    };
}
