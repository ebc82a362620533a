package org.flatminima.kernels.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ScalarBackend;

/**
 * Not a test: a measurement. Seconds per F64 symmetric eigendecomposition with eigenvectors, the Java solver
 * ({@link ScalarBackend}) against LAPACK's {@code dsyevd} ({@link NativeBackend}), one thread, on random symmetric
 * matrices; best of {@code reps} after one warm-up call. Run from the repository root after
 * {@code mvn -pl kernels -am test-compile}:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *     -cp kernels/target/classes:kernels/target/test-classes:native/target/classes \
 *     org.flatminima.kernels.ffm.EigenThroughput [n...]
 * </pre>
 */
public final class EigenThroughput {

    private EigenThroughput() {
    }

    public static void main(String[] args) throws Exception {
        if (OpenBlas.unavailableReason() != null) {
            System.out.println(OpenBlas.unavailableReason());
            return;
        }
        Backend lapack = NativeBackend.create();
        lapack.setThreads(1);
        Backend qr = new ScalarBackend();
        System.out.println("BLAS: " + OpenBlas.describe() + "; " + Lapack.describe());
        int[] sizes = args.length == 0 ? new int[] {200, 500, 1000}
                : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (int n : sizes) {
            double tj = best(qr, n, n >= 1000 ? 2 : 3);
            double tl = best(lapack, n, 5);
            System.out.printf("n=%4d  Java %8.3f s  LAPACK dsyevd %8.4f s  ratio %6.1fx%n", n, tj, tl, tj / tl);
        }
    }

    static double best(Backend b, int n, int reps) {
        Random rnd = new Random(n);
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                a[i * n + j] = rnd.nextGaussian();
                a[j * n + i] = a[i * n + j];
            }
        }
        double best = Double.MAX_VALUE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = MemorySegment.ofArray(a);
            MemorySegment m = arena.allocate((long) n * n * 8, 8);
            MemorySegment w = arena.allocate(n * 8L, 8);
            for (int r = 0; r <= reps; r++) {
                m.copyFrom(src);
                long t0 = System.nanoTime();
                b.symmetricEigen(DType.F64, n, m, w, true);
                double s = (System.nanoTime() - t0) * 1e-9;
                if (r > 0) {
                    best = Math.min(best, s);
                }
            }
        }
        return best;
    }
}
