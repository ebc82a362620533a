package org.flatminima.sweeps;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * One line per finished run on the driver: runs done of the total, the run's id, elapsed time and an estimate of
 * the time left (elapsed per run so far times the runs left; runs finished by an earlier sweep count as done and
 * take no time). A failed attempt gets a line saying it will be retried from the run's last checkpoint.
 */
final class SweepProgress extends SparkListener {
    private final PrintWriter out;
    private final List<String> ids;
    private final int total;
    private final int skipped;
    private final long start = System.nanoTime();
    private final AtomicInteger done = new AtomicInteger();

    /** {@code ids.get(i)} is the run of partition i; {@code skipped} runs were finished before this sweep. */
    SweepProgress(PrintWriter out, List<String> ids, int total, int skipped) {
        this.out = out;
        this.ids = List.copyOf(ids);
        this.total = total;
        this.skipped = skipped;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (done.get() >= ids.size()) {
            return; // every run is done: later tasks write the table
        }
        int index = end.taskInfo().index();
        String id = index >= 0 && index < ids.size() ? ids.get(index) : "?";
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (end.taskInfo().successful()) {
            int d = done.incrementAndGet();
            int left = total - skipped - d;
            out.printf(Locale.ROOT, "sweep: %d/%d runs done (run %s), %s elapsed, about %s left%n", skipped + d, total,
                    id, duration(elapsed), duration(elapsed / d * left));
        } else {
            String why = end.reason() instanceof ExceptionFailure f ? f.className() + ": " + f.description()
                    : end.reason().toString();
            out.printf(Locale.ROOT, "sweep: run %s failed on attempt %d (%s); Spark retries it, from its last "
                    + "checkpoint, until it has failed %d times%n", id, end.taskInfo().attemptNumber() + 1,
                    why.lines().findFirst().orElse(""), SparkEnv.EMBEDDED_ATTEMPTS);
        }
        out.flush();
    }

    /** "42 s", "3 min 05 s", "1 h 02 min". */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }
}
