package org.flatminima.experiments.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets SIGINT and SIGTERM stop a run between two steps instead of in the middle of a write. While open, a shutdown
 * hook (the JVM runs it on either signal) sets {@link #requested()} and waits, at most {@link #WAIT_SECONDS}
 * seconds, until {@link #close()}: the training loop polls the flag after each step, checkpoints that step and
 * stops, and the JVM then exits with the signal's status (130 for SIGINT, 143 for SIGTERM). SIGKILL cannot be
 * caught; the atomic writes of the run directory make it safe too.
 */
public final class GracefulStop implements AutoCloseable {
    /** How long the hook waits for the current step and its writes to finish. */
    public static final long WAIT_SECONDS = 60;

    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean requested;

    /** Installs the hook. */
    public GracefulStop() {
        hook = new Thread(() -> {
            requested = true;
            try {
                closed.await(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "flatminima-graceful-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** True once the JVM was asked to stop. */
    public boolean requested() {
        return requested;
    }

    /** The exit status to report when stopped (the JVM's own for SIGTERM; it overrides ours on a signal). */
    public int exitStatus() {
        return 143;
    }

    /** Lets a waiting hook finish (the JVM then exits) or, without a signal, removes the hook. */
    @Override
    public void close() {
        closed.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it returns now that the latch is open
        }
    }
}
