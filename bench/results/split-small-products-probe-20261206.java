// Probe of docs/PERFORMANCE.md, "The softmax of few columns, four rows to a vector" (2026-12-06): the last layer's
// products of ten columns in a loop, GAP microseconds of busy waiting before each round of three. Run from bench/:
// OPENBLAS_NUM_THREADS=T java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dflatminima.threads=T -cp target/benchmarks.jar <this file> GAP
import org.flatminima.engine.*;
import org.flatminima.kernels.DType;
import java.util.*;
public class SP {
    public static void main(String[] a) throws Exception {
        SplittableRandom r = new SplittableRandom(1);
        DType t = DType.F32;
        Tensor x = Tensor.uniform(t, r, 0, 1, 256, 128);
        Tensor w = Tensor.uniform(t, r, 0, 1, 10, 128);
        Tensor g = Tensor.uniform(t, r, 0, 1, 256, 10);
        Tensor big = Tensor.uniform(t, r, 0, 1, 2000, 2000);
        long gapNanos = Long.parseLong(a[0]) * 1000;
        for (int round = 0; round < 4; round++) {
            int n = 400; double[][] ts = new double[3][n];
            for (int i = 0; i < n; i++) {
                long until = System.nanoTime() + gapNanos; while (System.nanoTime() < until) { Thread.onSpinWait(); }
                for (int c = 0; c < 3; c++) {
                    long t0 = System.nanoTime();
                    try (Scope s = Scope.open()) {
                        Tensor y = c == 0 ? TensorOps.matmul(x, w.transpose(0, 1)) : c == 1 ? TensorOps.matmul(g, w) : TensorOps.matmul(g.transpose(0, 1), x);
                    }
                    ts[c][i] = (System.nanoTime() - t0) / 1e3;
                }
            }
            if (round < 2) continue;
            String[] names = {"x@wT 256x10x128", "g@w 256x128x10", "gT@x 10x128x256"};
            for (int c = 0; c < 3; c++) { Arrays.sort(ts[c]); System.out.printf("threads %s gap %sus %s: min %.1f median %.1f us%n", System.getProperty("flatminima.threads"), a[0], names[c], ts[c][0], ts[c][n/2]); }
        }
    }
}
