package org.flatminima.experiments.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;
import org.flatminima.engine.Engine;
import org.flatminima.kernels.Backend;

/**
 * The shards of an analysis on threads of this process: min(shards, cores) threads, each computing on the
 * caller's backend (the same kernels and thread count, so the same bits as one thread doing them in order).
 */
final class ShardThreads {
    private ShardThreads() {
    }

    /** {@code work} on each range, at once on up to one thread per core; the results in the order of {@code ranges}. */
    static List<Analysis.Shard> run(List<Analysis.Range> ranges, Function<Analysis.Range, Analysis.Shard> work) {
        Backend backend = Engine.backend();
        int threads = Math.max(1, Math.min(ranges.size(), Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "flatminima-shard");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Analysis.Shard>> futures = new ArrayList<>();
            for (Analysis.Range r : ranges) {
                Supplier<Analysis.Shard> one = () -> work.apply(r);
                futures.add(pool.submit(() -> Engine.with(backend, one)));
            }
            List<Analysis.Shard> shards = new ArrayList<>();
            for (Future<Analysis.Shard> f : futures) {
                shards.add(f.get());
            }
            return shards;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while analysing shards", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
