package org.flatminima.kernels.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.flatminima.kernels.DType;

/**
 * Not a test: a measurement. GFLOP/s of {@code cblas_sgemm}/{@code cblas_dgemm} through our FFM binding, with
 * the same protocol as bench/peers/gemm_ref.c (square row-major n x n x n, C = A*B, best of 5 timed batches
 * after one warm-up batch), so the two printouts compare directly. Run from the repository root after
 * {@code mvn -pl kernels -am test-compile}:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp kernels/target/classes:kernels/target/test-classes:native/target/classes \
 *     org.flatminima.kernels.ffm.GemmThroughput [threads...]
 * </pre>
 */
public final class GemmThroughput {

    private GemmThroughput() {
    }

    public static void main(String[] args) {
        if (OpenBlas.unavailableReason() != null) {
            System.out.println(OpenBlas.unavailableReason());
            return;
        }
        System.out.println("BLAS: " + OpenBlas.library() + " " + OpenBlas.config());
        int[] threads = args.length == 0 ? new int[] {1, 2} : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (int t : threads) {
            OpenBlas.setThreads(t);
            for (DType d : DType.values()) {
                for (int n : new int[] {256, 512, 1024}) {
                    System.out.printf("FFM %s n=%4d threads=%d  %7.1f GFLOP/s%n",
                            d == DType.F32 ? "sgemm" : "dgemm", n, t, bench(d, n));
                }
            }
        }
    }

    static double bench(DType t, int n) {
        try (Arena arena = Arena.ofConfined()) {
            long sz = (long) n * n;
            MemorySegment a = arena.allocate(sz * t.byteSize(), 64);
            MemorySegment b = arena.allocate(sz * t.byteSize(), 64);
            MemorySegment c = arena.allocate(sz * t.byteSize(), 64);
            for (long i = 0; i < sz; i++) {
                double v = ((i * 2654435761L) % 1000) / 1000.0 - 0.5;
                t.set(a, i, v);
                t.set(b, i, -v);
            }
            int reps = Math.max(1, (int) (2e10 / (2.0 * n * n * n)));
            double best = 0;
            for (int batch = 0; batch < 6; batch++) {
                long t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    if (t == DType.F32) {
                        OpenBlas.sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
                    } else {
                        OpenBlas.dgemm(false, false, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
                    }
                }
                double gf = 2.0 * n * n * n * reps / ((System.nanoTime() - t0) * 1e-9) / 1e9;
                if (batch > 0 && gf > best) {
                    best = gf;
                }
            }
            return best;
        }
    }
}
