// Probe of docs/PERFORMANCE.md, "The flat gradient written in place; an AMD EPYC (Zen 3) machine" (2026-12-05). Run from bench/:
// OPENBLAS_NUM_THREADS=1 java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dflatminima.threads=1 -cp target/benchmarks.jar <this file>
import org.flatminima.engine.*;
import org.flatminima.kernels.DType;
import java.util.SplittableRandom;
public class GM {
    public static void main(String[] a) {
        SplittableRandom r = new SplittableRandom(1);
        int[][] shapes = {{1024,1024,1024},{1000,512,784},{1000,512,512},{512,784,1000}};
        for (DType t : new DType[]{DType.F32, DType.F64}) {
            for (int[] s : shapes) {
                Tensor x = Tensor.uniform(t, r, 0, 1, s[0], s[2]);
                Tensor w = Tensor.uniform(t, r, 0, 1, s[2], s[1]);
                double best = 1e9;
                for (int round = 0; round < 5; round++) {
                    int n = 10; long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) try (Scope sc = Scope.open()) { TensorOps.matmul(x, w); }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e6 / n);
                }
                System.out.printf("%s %dx%dx%d %.2f ms %.1f GFLOP/s%n", t, s[0], s[1], s[2], best, 2.0*s[0]*s[1]*s[2]/best/1e6);
            }
        }
    }
}
