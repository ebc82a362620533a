package org.flatminima.kernels.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A small shared pool of daemon threads for the kernels that split their work. Task 0 runs on the calling
 * thread, the others on the pool; the pool grows to the largest number of helper threads ever requested.
 * Kernels must not call {@link #run} from inside a task (no nesting).
 */
public final class Parallel {
    private static final AtomicInteger COUNTER = new AtomicInteger();
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

    private static synchronized ExecutorService pool(int helpers) {
        if (pool == null || poolSize < helpers) {
            ExecutorService old = pool;
            pool = Executors.newFixedThreadPool(helpers, r -> {
                Thread t = new Thread(r, "flatminima-vector-" + COUNTER.incrementAndGet());
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

    /** Runs {@code body.accept(i)} for {@code i < tasks}, in parallel, and returns when all are done. */
    public static void run(int tasks, IntConsumer body) {
        if (tasks <= 1) {
            if (tasks == 1) {
                body.accept(0);
            }
            return;
        }
        ExecutorService ex = pool(tasks - 1);
        List<Future<?>> futures = new ArrayList<>(tasks - 1);
        for (int i = 1; i < tasks; i++) {
            int task = i;
            futures.add(ex.submit(() -> body.accept(task)));
        }
        Throwable failure = null;
        try {
            body.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException("a kernel task failed", failure);
        }
    }
}
