package org.flatminima.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Parallel}: every part runs exactly once; a call completes on its calling thread when no pool thread
 * can run (a busy machine), without waiting for a helper that never started; a nested call runs inline on the
 * thread of its part; a failure is rethrown. Each call runs under a timeout on a thread of its own, so that a
 * call that hangs fails the test instead of hanging the build.
 */
class ParallelTest {

    /** Far above what any of these calls needs; only a call that waits for a blocked thread reaches it. */
    private static final long TIMEOUT_SECONDS = 20;

    private ExecutorService callers;

    @BeforeEach
    void start() {
        callers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "parallel-test-caller");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterEach
    void stop() {
        callers.shutdownNow();
    }

    /** Runs {@code body} on a fresh caller thread and waits at most {@link #TIMEOUT_SECONDS} for it. */
    private void withinTimeout(Runnable body) throws Exception {
        Future<?> f = callers.submit(body);
        f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void everyPartRunsExactlyOnceForAnyThreadCount() throws Exception {
        for (int threads : new int[] {1, 2, 3, 8}) {
            for (int parts : new int[] {0, 1, 2, 5, 97}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(parts, 1));
                withinTimeout(() -> Parallel.run(parts, threads, runs::incrementAndGet));
                for (int i = 0; i < parts; i++) {
                    assertThat(runs.get(i)).as("part " + i + " of " + parts + " on " + threads + " threads")
                            .isEqualTo(1);
                }
            }
        }
    }

    @Test
    void insideIsTrueOnlyWhileAPartRuns() throws Exception {
        AtomicIntegerArray inside = new AtomicIntegerArray(6);
        withinTimeout(() -> {
            assertThat(Parallel.inside()).isFalse();
            Parallel.run(6, 2, i -> inside.set(i, Parallel.inside() ? 1 : 0));
            assertThat(Parallel.inside()).isFalse();
        });
        for (int i = 0; i < 6; i++) {
            assertThat(inside.get(i)).as("part " + i).isEqualTo(1);
        }
    }

    /**
     * Every pool thread is held by a part of another call (as when the machine gives them no time): a split
     * call still completes, every part on its calling thread. Waiting for a helper task that has not started
     * (as a future per task does) would hang here until the pool is released.
     */
    @Test
    void aCallCompletesOnItsCallerWhenNoPoolThreadCanRun() throws Exception {
        int threads = 3;
        withinTimeout(() -> Parallel.run(threads, threads, i -> { })); // the pool has >= threads - 1 helpers now
        int helpers = Parallel.poolThreads();
        assertThat(helpers).isGreaterThanOrEqualTo(threads - 1);
        CountDownLatch held = new CountDownLatch(helpers);
        CountDownLatch release = new CountDownLatch(1);
        Future<?> blocker = callers.submit(() -> Parallel.run(helpers + 1, helpers + 1, i -> {
            if (Thread.currentThread().getName().startsWith("flatminima-vector-")) {
                held.countDown();
                await(release);
            } else {
                await(held); // keep this part until every pool thread holds one of the others
            }
        }));
        try {
            assertThat(held.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("every pool thread is held").isTrue();
            // one part per thread, as the kernels split; then more parts than threads
            for (int parts : new int[] {threads, 7}) {
                AtomicReferenceArray<Thread> ranOn = new AtomicReferenceArray<>(parts);
                Thread[] caller = new Thread[1];
                withinTimeout(() -> {
                    caller[0] = Thread.currentThread();
                    if (parts == threads) {
                        Parallel.run(threads, i -> ranOn.set(i, Thread.currentThread()));
                    } else {
                        Parallel.run(parts, threads, i -> ranOn.set(i, Thread.currentThread()));
                    }
                });
                for (int i = 0; i < parts; i++) {
                    assertThat(ranOn.get(i)).as("part " + i + " of " + parts).isSameAs(caller[0]);
                }
            }
        } finally {
            release.countDown();
        }
        blocker.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** A call from inside a part runs its parts in order on the part's thread, from the caller and the pool. */
    @Test
    void aNestedCallRunsInlineOnThePartsThread() throws Exception {
        int outer = 8;
        int inner = 5;
        AtomicReferenceArray<String> problems = new AtomicReferenceArray<>(outer);
        withinTimeout(() -> Parallel.run(outer, 2, i -> {
            Thread me = Thread.currentThread();
            List<Integer> order = new ArrayList<>();
            List<Thread> on = new ArrayList<>();
            Parallel.run(inner, 2, j -> {
                order.add(j); // a plain list: only this thread may touch it
                on.add(Thread.currentThread());
            });
            boolean inline = on.stream().allMatch(t -> t == me);
            problems.set(i, order.equals(List.of(0, 1, 2, 3, 4)) && inline ? "" : order + " " + on);
        }));
        for (int i = 0; i < outer; i++) {
            assertThat(problems.get(i)).as("outer part " + i).isEmpty();
        }
    }

    @Test
    void aFailingPartIsRethrownAndThePoolStaysUsable() throws Exception {
        IllegalStateException boom = new IllegalStateException("part 3 failed");
        assertThatThrownBy(() -> withinTimeout(() -> Parallel.run(6, 2, i -> {
            if (i == 3) {
                throw boom;
            }
        }))).hasCause(boom);
        AtomicIntegerArray runs = new AtomicIntegerArray(4);
        withinTimeout(() -> Parallel.run(4, 2, runs::incrementAndGet));
        assertThat(runs.toString()).isEqualTo("[1, 1, 1, 1]");
    }

    /**
     * A helper parked between calls (each call comes after more than the busy wait) is woken for the next: in
     * every call the two parts run at once on two threads, each waiting for the other to start. A lost wake-up
     * (the caller publishing its job while the helper decides to park) would leave both parts to the caller, the
     * first waiting in vain.
     */
    @Test
    void aParkedHelperIsWokenForEveryCall() throws Exception {
        int calls = 30;
        AtomicIntegerArray together = new AtomicIntegerArray(calls);
        withinTimeout(() -> {
            for (int c = 0; c < calls; c++) {
                int call = c;
                CountDownLatch started = new CountDownLatch(2);
                AtomicReferenceArray<Thread> on = new AtomicReferenceArray<>(2);
                Parallel.run(2, 2, i -> {
                    on.set(i, Thread.currentThread());
                    started.countDown();
                    try {
                        started.await(TIMEOUT_SECONDS / 4, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                together.set(call, started.getCount() == 0 && on.get(0) != on.get(1) ? 1 : 0);
                try {
                    Thread.sleep(Parallel.DEFAULT_SPIN_MICROS / 1000 + 2); // past the busy wait: the helper parks
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        int[] all = new int[calls];
        java.util.Arrays.fill(all, 1);
        assertThat(together.toString()).isEqualTo(new AtomicIntegerArray(all).toString());
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(3 * TIMEOUT_SECONDS, TimeUnit.SECONDS)) { // outlasts a timed-out call
                throw new IllegalStateException("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
