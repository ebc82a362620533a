package org.flatminima.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A quick GEMM speed probe: {@code C = A B} with square {@code n x n} row-major operands filled with
 * uniform values in [-1, 1), timed after a warm-up, then checked against a double-precision dot product on
 * a few entries. Quick, not rigorous: the JMH benchmark in {@code bench/} is the measurement of record. Used by
 * {@code flatminima backends} and, for its operands and check, by the benchmarks.
 */
public final class GemmProbe {

    /** Byte alignment of the probe's operands. */
    public static final long ALIGNMENT = 64;

    /**
     * What one probe measured.
     *
     * @param n the matrix size
     * @param gflops 2 n^3 / (median seconds per call) / 1e9
     * @param maxRelError largest |C - ref| / sum_p |a_ip b_pj| over the checked entries
     * @param tolerance the bound {@code maxRelError} must stay under
     */
    public record Result(int n, double gflops, double maxRelError, double tolerance) {
        /** True when every checked entry is within tolerance. */
        public boolean correct() {
            return maxRelError <= tolerance;
        }
    }

    private static final long WARMUP_CHUNK_NANOS = 50_000_000L;
    private static final long MAX_WARMUP_NANOS = 5_000_000_000L;
    private final long warmupNanos;
    private final int samples;
    private final long minSampleNanos;

    /**
     * @param warmupMillis minimum warm-up time in milliseconds (at least 3 calls are made in any case)
     * @param samples number of timed samples; the median is reported
     * @param minSampleMillis each sample repeats the call until it lasts at least this long
     */
    public GemmProbe(long warmupMillis, int samples, long minSampleMillis) {
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be at least 1, got " + samples);
        }
        this.warmupNanos = warmupMillis * 1_000_000L;
        this.samples = samples;
        this.minSampleNanos = minSampleMillis * 1_000_000L;
    }

    /** The default probe of {@code flatminima backends}: at least 1 s of warm-up (until the JIT settles), median of 7 samples of >= 20 ms. */
    public static GemmProbe quick() {
        return new GemmProbe(1000, 7, 20);
    }

    /** Runs the probe on {@code backend} with its current thread setting. */
    public Result run(Backend backend, DType t, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("matrix size must be at least 1, got " + n);
        }
        long count = (long) n * n;
        try (Arena arena = Arena.ofShared()) { // shared: multi-threaded kernels may use it
            MemorySegment a = arena.allocate(count * t.byteSize(), ALIGNMENT);
            MemorySegment b = arena.allocate(count * t.byteSize(), ALIGNMENT);
            MemorySegment c = arena.allocate(count * t.byteSize(), ALIGNMENT);
            fillUniform(t, a, count, 1);
            fillUniform(t, b, count, 2);
            Runnable call = () -> backend.gemm(t, false, false, n, n, n, 1.0, a, n, b, n, 0.0, c, n);

            // Warm up until the JIT has settled: at least the minimum warm-up, then until a 50 ms chunk of
            // calls is no longer clearly faster than the best chunk before it (the Vector API kernels need
            // C2, which can take over a second on a busy 2-core machine), at most MAX_WARMUP_NANOS.
            long start = System.nanoTime();
            long last = 0;
            double best = Double.MAX_VALUE;
            int stale = 0;
            while (true) {
                long c0 = System.nanoTime();
                int calls = 0;
                do {
                    long t0 = System.nanoTime();
                    call.run();
                    last = Math.max(1, System.nanoTime() - t0);
                    calls++;
                } while (calls < 3 || System.nanoTime() - c0 < WARMUP_CHUNK_NANOS);
                double perCall = (System.nanoTime() - c0) / (double) calls;
                long elapsed = System.nanoTime() - start;
                stale = perCall > 0.95 * best ? stale + 1 : 0;
                boolean settled = stale >= 3; // three chunks in a row without a clear gain
                best = Math.min(best, perCall);
                if (elapsed >= MAX_WARMUP_NANOS || (elapsed >= warmupNanos && settled)) {
                    break;
                }
            }
            int reps = (int) Math.max(1, Math.min(1_000_000, minSampleNanos / last));
            double[] perCall = new double[samples];
            for (int s = 0; s < samples; s++) {
                long t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    call.run();
                }
                perCall[s] = (System.nanoTime() - t0) / 1e9 / reps;
            }
            Arrays.sort(perCall);
            double median = samples % 2 == 1
                    ? perCall[samples / 2]
                    : 0.5 * (perCall[samples / 2 - 1] + perCall[samples / 2]);
            double gflops = 2.0 * n * n * (double) n / median / 1e9;
            double err = maxRelativeError(t, n, a, b, c);
            return new Result(n, gflops, err, tolerance(t, n));
        }
    }

    /** Fills {@code count} elements of {@code s} with uniform values in [-1, 1) from a fixed seed. */
    public static void fillUniform(DType t, MemorySegment s, long count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < count; i++) {
            t.set(s, i, rnd.nextDouble(-1.0, 1.0));
        }
    }

    /**
     * Checks nine entries of {@code C = A B} (rows and columns 0, n/2, n-1) against dot products of the
     * stored values in double precision; returns the largest {@code |c - ref| / sum_p |a_ip b_pj|}.
     */
    public static double maxRelativeError(DType t, int n, MemorySegment a, MemorySegment b, MemorySegment c) {
        int[] idx = {0, n / 2, n - 1};
        double worst = 0;
        for (int i : idx) {
            for (int j : idx) {
                double ref = 0;
                double mag = 0;
                for (int p = 0; p < n; p++) {
                    double prod = t.get(a, (long) i * n + p) * t.get(b, (long) p * n + j);
                    ref += prod;
                    mag += Math.abs(prod);
                }
                double got = t.get(c, (long) i * n + j);
                double rel = Math.abs(got - ref) / Math.max(mag, Double.MIN_NORMAL);
                if (Double.isNaN(rel)) {
                    return Double.NaN;
                }
                worst = Math.max(worst, rel);
            }
        }
        return worst;
    }

    /** The relative error a correct GEMM stays under: a generous {@code 2 max(n, 16)} units of roundoff. */
    public static double tolerance(DType t, int n) {
        return 2.0 * Math.max(n, 16) * t.epsilon();
    }
}
