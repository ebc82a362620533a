// Probe of docs/PERFORMANCE.md, "The softmax of few columns, four rows to a vector" (2026-12-06). Run from bench/:
// OPENBLAS_NUM_THREADS=1 java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dflatminima.threads=1 -cp target/benchmarks.jar <this file>
import org.flatminima.engine.*;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Network;
import org.flatminima.bench.compare.Workloads;
import org.flatminima.kernels.DType;
import java.util.*;
import java.util.function.*;
public class W1F {
    static double[] time(DoubleSupplier f, int n) {
        double[] t = new double[n];
        for (int i = 0; i < n; i++) { long t0 = System.nanoTime(); try (Scope s = Scope.open()) { f.getAsDouble(); } t[i] = (System.nanoTime() - t0) / 1e3; }
        Arrays.sort(t); return new double[]{t[0], t[n/10], t[n/2]};
    }
    public static void main(String[] a) {
        SplittableRandom r = new SplittableRandom(1);
        DType dt = DType.F32;
        Network net = Workloads.network("W1");
        Var theta = Var.of(net.initParams(dt, 1));
        Tensor x = Workloads.inputs(net, dt, 1000, r);
        int[] labels = Workloads.labels(1000, r);
        Function<Var, Var> loss = net.lossFunction(x, labels);
        Tensor z = net.logits(theta, x).value();
        Tensor w = Tensor.uniform(dt, r, 0, 1, 10, 784);
        Map<String, DoubleSupplier> cases = new LinkedHashMap<>();
        cases.put("forward", () -> loss.apply(theta).value().item());
        cases.put("logits", () -> net.logits(theta, x).value().get(0, 0));
        cases.put("matmul", () -> TensorOps.matmul(x, w.transpose(0, 1)).get(0, 0));
        cases.put("ce+mean", () -> Var.of(z).crossEntropy(labels).value().item());
        cases.put("ce kernel", () -> TensorOps.crossEntropy(z, labels).get(0));
        for (int round = 0; round < 4; round++) {
            for (var e : cases.entrySet()) {
                double[] t = time(e.getValue(), 3000);
                if (round >= 2) System.out.printf("%-10s min %7.1f p10 %7.1f median %7.1f us%n", e.getKey(), t[0], t[1], t[2]);
            }
        }
    }
}
