package org.flatminima.kernels.vector;

import java.lang.foreign.MemorySegment;
import org.flatminima.kernels.Window2d;

/**
 * How the kernels other than GEMM split their work across threads: into independent parts (ranges of
 * elements, rows, columns or images) claimed by up to {@code threads} threads of {@link Parallel}, each part a
 * call of the single-threaded kernel on its sub-range; {@link #ranges} makes up to {@link #PARTS_PER_THREAD}
 * parts per thread. A part computes every one of its outputs exactly as the whole call
 * would (no sum inside one output is split), so the result is bit-identical for every thread count.
 *
 * <p>A kernel is split only when each part gets at least {@link #GRAIN} elements of work and every segment is
 * accessible from other threads (a confined arena keeps the kernel on the calling thread), and never inside a
 * part of another split call ({@link Parallel#inside()}: the outer split already occupies the threads). Used by
 * the vector backend and by the C kernels of the native backend.
 */
public final class Parts {

    /**
     * Work (elements) per part below which splitting does not pay for the hand-off; {@code
     * -Dflatminima.parallelGrain} changes it (the test build sets it tiny so that every split path runs).
     */
    public static final long GRAIN = Math.max(1, Long.getLong("flatminima.parallelGrain", 1L << 15));

    /**
     * Parts per thread of a split {@link #ranges} call (each still at least {@link #GRAIN} elements of work):
     * more parts than threads let the thread that is scheduled take over the parts of one that is not; {@code
     * -Dflatminima.partsPerThread} changes it.
     */
    public static final int PARTS_PER_THREAD = Math.max(1, Integer.getInteger("flatminima.partsPerThread", 1));

    private Parts() {
    }

    /**
     * How many parts a kernel over {@code work} elements runs as: 1 with one thread, small work, or a segment
     * that other threads cannot access, or inside a part of another split call; else up to {@code threads}.
     */
    public static int tasks(int threads, long work, MemorySegment... segments) {
        if (threads <= 1 || work < 2 * GRAIN || Parallel.inside() || !Parallel.shareable(segments)) {
            return 1;
        }
        return (int) Math.min(threads, work / GRAIN);
    }

    /** The start of part {@code i} of {@code n} items split into {@code parts} near-equal parts. */
    public static long start(long n, int parts, int i) {
        return n * i / parts;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in contiguous ranges on up to {@code threads} threads ({@code work}
     * elements of work in all, for the split decision); {@code body} gets {first, count}.
     */
    public static void ranges(int threads, long n, long work, RangeKernel body, MemorySegment... segments) {
        int tasks = n < 2 ? 1 : (int) Math.min(tasks(threads, work, segments), n);
        if (tasks == 1) {
            body.run(0, n);
            return;
        }
        int parts = (int) Math.min(n, Math.max(tasks, Math.min((long) tasks * PARTS_PER_THREAD, work / GRAIN)));
        Parallel.run(parts, tasks, i -> {
            long lo = start(n, parts, i);
            body.run(lo, start(n, parts, i + 1) - lo);
        });
    }

    /** Runs a per-row kernel over {@code rows} rows in parallel parts; {@code body} gets {first row, rows}. */
    public static void rows(int threads, int rows, long work, RowKernel body, MemorySegment... segments) {
        ranges(threads, rows, work, (lo, count) -> body.run((int) lo, (int) count), segments);
    }

    /**
     * Runs a per-image kernel over the images of {@code g} in parallel parts: {@code body} gets the part's
     * window (its batch size replaced) and its first image. {@code work} is the kernel's element count.
     */
    public static void images(int threads, Window2d g, long work, ImageKernel body, MemorySegment... segments) {
        ranges(threads, g.n(), work, (lo, count) -> body.run(count == g.n() ? g : batch(g, (int) count), (int) lo),
                segments);
    }

    /** {@code g} with its batch size replaced. */
    private static Window2d batch(Window2d g, int n) {
        return new Window2d(n, g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW());
    }

    /** A kernel on the items {@code [first, first + count)}. */
    @FunctionalInterface
    public interface RangeKernel {
        /** Computes the outputs of items {@code [first, first + count)}. */
        void run(long first, long count);
    }

    /** A kernel on rows {@code [first, first + count)}. */
    @FunctionalInterface
    public interface RowKernel {
        /** Computes the outputs of rows {@code [first, first + count)}. */
        void run(int first, int count);
    }

    /** A kernel on the images {@code [first, first + part.n())}. */
    @FunctionalInterface
    public interface ImageKernel {
        /** Computes the outputs of images {@code [first, first + part.n())}. */
        void run(Window2d part, int first);
    }
}
