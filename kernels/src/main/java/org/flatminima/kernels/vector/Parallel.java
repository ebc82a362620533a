package org.flatminima.kernels.vector;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * <p>Hand-off: a call publishes its job in one slot that the helpers watch. A helper that finished a job keeps
 * watching the slot, busy-waiting, for {@code -Dflatminima.spinMicros} microseconds (default
 * {@value #DEFAULT_SPIN_MICROS}) before it parks, and a caller waiting for a helper's part busy-waits as long
 * before it parks: waking a parked thread takes longer than a small product's half (docs/PERFORMANCE.md,
 * "Helpers that wait awake"), so kernels called in quick succession find their helpers awake, as OpenMP's and
 * OpenBLAS's threads do. The cost is a core kept busy for that long after the last split call. A job published
 * while the helpers are busy with another (calls from several threads at once) may run on its caller alone.
 *
 * <p>Nesting: {@link #run} called from inside a part (on the caller while it runs a part, or on a pool thread)
 * runs its parts inline, in order, on that thread; {@link #inside()} tells kernels so that they can take their
 * single-threaded path directly. The pool grows to the largest number of helper threads ever requested.
 */
public final class Parallel {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    /** True on a thread while it runs a part (always on the pool's threads). */
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);
    /** The busy wait of a helper for the next job and of a caller for its helpers, unless configured. */
    static final long DEFAULT_SPIN_MICROS = 1000;
    /** {@code -Dflatminima.spinMicros}, in nanoseconds (0: park at once). */
    private static final long SPIN_NANOS = Math.max(0, Long.getLong("flatminima.spinMicros", DEFAULT_SPIN_MICROS))
            * 1000;
    /** The job helpers take next (the latest published); a helper skips a job it has already seen. */
    private static final AtomicReference<Job> CURRENT = new AtomicReference<>();
    private static final List<Helper> HELPERS = new CopyOnWriteArrayList<>();

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

    /** Starts helper threads until there are at least {@code helpers}. */
    private static synchronized void ensureHelpers(int helpers) {
        while (HELPERS.size() < helpers) {
            Helper h = new Helper(HELPERS.size());
            HELPERS.add(h);
            h.start();
        }
    }

    /** The number of helper threads the pool has now (0 before the first split call); for tests. */
    static int poolThreads() {
        return HELPERS.size();
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
        Job job = new Job(parts, helpers, body, Thread.currentThread());
        if (helpers > 0) {
            ensureHelpers(helpers);
            CURRENT.set(job);
            for (int h = 0; h < helpers; h++) {
                HELPERS.get(h).wake();
            }
        }
        INSIDE.set(Boolean.TRUE);
        try {
            job.work();
        } finally {
            INSIDE.set(Boolean.FALSE);
        }
        job.awaitStarted();
        CURRENT.compareAndSet(job, null); // do not keep the job's body (and what it holds) reachable
        job.rethrow();
    }

    /** A pool thread: runs the parts of each job it sees, waits awake for the next a while, then parks. */
    private static final class Helper extends Thread {
        private final int index;
        /** True while parked or about to park: a caller that publishes a job then unparks it. */
        private volatile boolean sleeping;

        Helper(int index) {
            super("flatminima-vector-" + COUNTER.incrementAndGet());
            this.index = index;
            setDaemon(true);
        }

        void wake() {
            if (sleeping) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            INSIDE.set(Boolean.TRUE);
            Job seen = null;
            long idleSince = System.nanoTime();
            while (true) {
                Job job = CURRENT.get();
                if (job != seen) {
                    seen = job;
                    if (job != null && index < job.helpers) {
                        job.work();
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    // Dekker with run(): it publishes, then reads `sleeping`; this writes `sleeping`, then reads
                    // the slot, so either it unparks this thread or this thread sees the job and does not park
                    sleeping = true;
                    if (CURRENT.get() == seen) {
                        LockSupport.park(this);
                    }
                    sleeping = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    /** One {@link #run} call: its parts, the claim counter and the count of parts not finished. */
    private static final class Job {
        private final int parts;
        /** How many helpers may take parts (the first ones of the pool). */
        private final int helpers;
        private final IntConsumer body;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger unfinished;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int parts, int helpers, IntConsumer body, Thread caller) {
            this.parts = parts;
            this.helpers = helpers;
            this.body = body;
            this.caller = caller;
            this.unfinished = new AtomicInteger(parts);
        }

        /** Claims and runs parts until none is left (nothing when every part is already claimed). */
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
            long since = System.nanoTime();
            while (unfinished.get() > 0) {
                if (System.nanoTime() - since < SPIN_NANOS) {
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
