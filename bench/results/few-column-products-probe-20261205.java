// Probe of docs/PERFORMANCE.md, "The flat gradient written in place; an AMD EPYC (Zen 3) machine" (2026-12-05). Run from bench/:
// OPENBLAS_NUM_THREADS=1 java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dflatminima.threads=1 -cp target/benchmarks.jar <this file>
import org.flatminima.engine.*;
import org.flatminima.kernels.DType;
import java.util.SplittableRandom;
public class FC {
    public static void main(String[] a) {
        SplittableRandom r = new SplittableRandom(1);
        for (DType t : new DType[]{DType.F32, DType.F64}) {
        Tensor x = Tensor.uniform(t, r, 0, 1, 1000, 784);
        Tensor w = Tensor.uniform(t, r, 0, 1, 10, 784);
        Tensor g = Tensor.uniform(t, r, 0, 1, 1000, 10);
        for (int round = 0; round < 3; round++) {
            String[] names = {"x@wT", "gT@x", "xT@g"};
            for (int c = 0; c < 3; c++) {
                int n = 2000;
                long best = Long.MAX_VALUE; long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    try (Scope s = Scope.open()) {
                        Tensor y = c == 0 ? TensorOps.matmul(x, w.transpose(0, 1)) : c == 1 ? TensorOps.matmul(g.transpose(0, 1), x) : TensorOps.matmul(x.transpose(0,1), g);
                    }
                }
                double ms = (System.nanoTime() - t0) / 1e6 / n;
                if (round == 2) System.out.printf("%s %s %.3f ms%n", t, names[c], ms);
            }
        }
        }
    }
}
