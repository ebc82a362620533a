// Probe of docs/PERFORMANCE.md, "The flat gradient written in place; an AMD EPYC (Zen 3) machine" (2026-12-05). Run from bench/:
// OPENBLAS_NUM_THREADS=1 java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dflatminima.threads=1 -cp target/benchmarks.jar <this file>
import org.flatminima.engine.*;
import org.flatminima.kernels.DType;
import java.util.SplittableRandom;
public class CS {
    public static void main(String[] args) {
        SplittableRandom r = new SplittableRandom(1);
        for (DType t : new DType[]{DType.F32, DType.F64}) {
          for (int[] s : new int[][]{{32,512,784},{32,512,512},{32,784,512},{20,300,100},{32,1000,784}}) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean tb : new boolean[]{false, true}) {
                Tensor a = Tensor.uniform(t, r, -1, 1, m, k);
                Tensor b = tb ? Tensor.uniform(t, r, -1, 1, n, k).transpose(0, 1) : Tensor.uniform(t, r, -1, 1, k, n);
                Tensor full = Tensor.zeros(t, m, n);
                TensorOps.gemm2d(t, a, b, full, 1.0, 0.0);
                double[] f = full.toDoubleArray();
                StringBuilder sb = new StringBuilder();
                for (int split : new int[]{n / 2, 64, 96, 100, 240, 256}) {
                    if (split >= n) continue;
                    Tensor c = Tensor.zeros(t, m, n);
                    TensorOps.gemm2d(t, a, b.slice(1, 0, split), c.slice(1, 0, split), 1.0, 0.0);
                    TensorOps.gemm2d(t, a, b.slice(1, split, n), c.slice(1, split, n), 1.0, 0.0);
                    double[] g = c.toDoubleArray();
                    int diff = 0;
                    for (int i = 0; i < g.length; i++) if (Double.doubleToLongBits(g[i]) != Double.doubleToLongBits(f[i])) diff++;
                    sb.append(" split@").append(split).append(":").append(diff);
                }
                System.out.println(t + " " + m + "x" + n + "x" + k + (tb ? " NT" : " NN") + sb);
            }
          }
        }
    }
}
