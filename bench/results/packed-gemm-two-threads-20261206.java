// Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "Our own packed GEMM for AVX2", two threads): the
// native backend's gemm on W2's three largest float products at one and two threads, best of 20 calls, six rounds.
// Run from the repository root after building bench/target/benchmarks.jar:
//   OPENBLAS_NUM_THREADS=1 java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
//       [-Dflatminima.gemm.packed=blas] -cp bench/target/benchmarks.jar packed-gemm-two-threads-20261206.java
import java.lang.foreign.*;
import org.flatminima.kernels.*;

public class TwoThreadGemm {
    public static void main(String[] args) {
        Backend b = Backends.get("native");
        System.out.println(b);
        int[][] shapes = {{512, 784, 1000, 1, 0}, {1000, 512, 784, 0, 1}, {1000, 512, 512, 0, 0}};
        Arena arena = Arena.ofShared();
        MemorySegment A = arena.allocate(16L << 20, 64), B = arena.allocate(16L << 20, 64), C = arena.allocate(16L << 20, 64);
        for (long i = 0; i < (4L << 20); i++) { A.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.1f); B.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 5) * 0.1f); }
        for (int round = 0; round < 6; round++) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2]; boolean ta = s[3] == 1, tb = s[4] == 1;
                int lda = ta ? m : k, ldb = tb ? k : n;
                double[] best = new double[3];
                for (int t = 1; t <= 2; t++) {
                    b.setThreads(t);
                    double bt = 1e9;
                    for (int r = 0; r < 20; r++) {
                        long t0 = System.nanoTime();
                        b.gemm(DType.F32, ta, tb, m, n, k, 1.0, A, lda, B, ldb, 0.0, C, n);
                        bt = Math.min(bt, (System.nanoTime() - t0) / 1e6);
                    }
                    best[t] = bt;
                }
                System.out.printf("%dx%dx%d ta=%b tb=%b  1T %.2f ms  2T %.2f ms  (%.2fx)%n", m, n, k, ta, tb, best[1], best[2], best[1] / best[2]);
            }
        }
    }
}
