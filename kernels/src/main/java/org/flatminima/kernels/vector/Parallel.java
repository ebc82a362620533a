package org.flatminima.kernels.vector;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A small shared pool of daemon threads for the kernels that split their work into independent parts.
 *
 * <p>Parts are claimed from a shared counter: the calling thread runs parts itself until none is left, and
 * helper threads of the pool claim parts too whenever they get to run. The caller then waits only for the
 * parts a helper has actually started; a part no helper got to is run by the caller, so a call completes even
 * when no pool thread is ever scheduled (a busy machine) and never waits for a helper that has not begun. Which
 * thread runs which part varies; what a part computes does not.
 *
 * <p>Nesting: {@link #run} called from inside a part (on the caller while it runs a part, or on a pool thread)
 * runs its parts inline, in order, on that thread; {@link #inside()} tells kernels so that they can take their
 * single-threaded path directly. The pool grows to the largest number of helper threads ever requested.
 */
public final class Parallel {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    /** True on a thread while it runs a part (always on the pool's threads). */
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);
    /** Busy-wait iterations of the caller before it parks while helpers finish their parts. */
    private static final int SPINS = 256;
    private static ExecutorService pool;
    private static int poolSize;

    /** A thread that never runs: a segment accessible by it is accessible by any thread. */
    private static final Thread OTHER = new Thread(() -> { });

    private Parallel() {
    }

    /** True when every segment may be accessed from the pool (not owned by one thread, as confined arenas are). */
    public static boolean shareable(java.lang.foreign.MemorySegment... segments) {
        for (java.lang.foreign.MemorySegment s : segments) {
            if (!s.isAccessibleBy(OTHER)) {
                return false;
            }
        }
        return true;
    }

    /**
     * True when the current thread is running a part of a {@link #run} call: a nested {@link #run} would run
     * inline, so a kernel may as well take its single-threaded path.
     */
    public static boolean inside() {
        return INSIDE.get();
    }

    private static synchronized ExecutorService pool(int helpers) {
        if (pool == null || poolSize < helpers) {
            ExecutorService old = pool;
            pool = Executors.newFixedThreadPool(helpers, r -> {
                Thread t = new Thread(() -> {
                    INSIDE.set(Boolean.TRUE);
                    r.run();
                }, "flatminima-vector-" + COUNTER.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            poolSize = helpers;
            if (old != null) {
                old.shutdown();
            }
        }
        return pool;
    }

    /** The number of helper threads the pool has now (0 before the first split call); for tests. */
    static synchronized int poolThreads() {
        return pool == null ? 0 : poolSize;
    }

    /** Runs {@code body.accept(i)} for {@code i < tasks}, on up to {@code tasks} threads; see {@link #run(int, int, IntConsumer)}. */
    public static void run(int tasks, IntConsumer body) {
        run(tasks, tasks, body);
    }

    /**
     * Runs {@code body.accept(i)} for every {@code i < parts}, each part exactly once, on the calling thread and
     * up to {@code threads - 1} helper threads, and returns when all are done. Parts are claimed in increasing
     * order by whichever thread is free. When a part throws, the parts not yet started are skipped and the first
     * failure is rethrown (a checked one wrapped in an {@link IllegalStateException}). From inside a part (see
     * {@link #inside()}), or with one thread or one part, the parts run in order on the calling thread.
     */
    public static void run(int parts, int threads, IntConsumer body) {
        if (parts <= 0) {
            return;
        }
        int helpers = Math.min(threads, parts) - 1;
        if (INSIDE.get()) {
            for (int i = 0; i < parts; i++) {
                body.accept(i);
            }
            return;
        }
        Job job = new Job(parts, body, Thread.currentThread());
        if (helpers > 0) {
            ExecutorService ex = pool(helpers);
            try {
                for (int h = 0; h < helpers; h++) {
                    ex.execute(job);
                }
            } catch (RejectedExecutionException e) {
                // the pool was replaced by a larger one meanwhile: the caller claims what no helper takes
            }
        }
        INSIDE.set(Boolean.TRUE);
        try {
            job.work();
        } finally {
            INSIDE.set(Boolean.FALSE);
        }
        job.awaitStarted();
        job.rethrow();
    }

    /** One {@link #run} call: its parts, the claim counter and the count of parts not finished. */
    private static final class Job implements Runnable {
        private final int parts;
        private final IntConsumer body;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger unfinished;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int parts, IntConsumer body, Thread caller) {
            this.parts = parts;
            this.body = body;
            this.caller = caller;
            this.unfinished = new AtomicInteger(parts);
        }

        /** A helper's turn: claims parts until none is left (nothing when the caller already took them all). */
        @Override
        public void run() {
            work();
        }

        /** Claims and runs parts until none is left. */
        void work() {
            for (int i = next.getAndIncrement(); i < parts; i = next.getAndIncrement()) {
                try {
                    if (failure.get() == null) {
                        body.accept(i);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (unfinished.decrementAndGet() == 0 && Thread.currentThread() != caller) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        /**
         * Called by the caller once every part is claimed: waits for the parts helpers started and have not
         * finished (none is left unclaimed, so every unfinished part is running on a helper).
         */
        void awaitStarted() {
            boolean interrupted = false;
            for (int spin = 0; unfinished.get() > 0; spin++) {
                if (spin < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        void rethrow() {
            Throwable f = failure.get();
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error err) {
                throw err;
            }
            if (f != null) {
                throw new IllegalStateException("a kernel task failed", f);
            }
        }
    }
}
