import java.util.*;
import java.util.function.Function;
import org.flatminima.engine.*;
import org.flatminima.engine.autodiff.*;
import org.flatminima.engine.nn.*;
import org.flatminima.kernels.DType;
import org.flatminima.bench.compare.Workloads;

/**
 * Scratch measurement (issue 17, 2026-12-03): the bytes one HVP pass (k = 1) or one batched pass of k HVPs
 * allocates in its Scope, and the process's VmHWM, on a workload of the comparison (default W3, batch 256, f32).
 * Run as a source file against the benchmarks jar:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx2g -XX:+UseSerialGC
 * -Dreps=3 -Dflatminima.threads=1 -cp bench/target/benchmarks.jar bench/results/hvp-memory-probe-20261203.java
 * W3 10 [f64]}. docs/PERFORMANCE.md "Memory of the HVP passes" has its numbers.
 */
public class HvpMemoryProbe {
    public static void main(String[] a) {
        String w = a.length > 0 ? a[0] : "W3";
        int k = a.length > 1 ? Integer.parseInt(a[1]) : 10;
        DType dt = a.length > 2 && a[2].equals("f64") ? DType.F64 : DType.F32;
        Network net = Workloads.network(w);
        int batch = Workloads.defaultBatch(w);
        SplittableRandom rnd = new SplittableRandom(42);
        Tensor x = Workloads.inputs(net, dt, batch, rnd);
        int[] labels = Workloads.labels(batch, rnd);
        Var theta = Var.of(net.initParams(dt, 1));
        int p = net.parameterCount();
        double[] signs = new double[k * p];
        for (int i = 0; i < signs.length; i++) signs[i] = rnd.nextBoolean() ? 1 : -1;
        Var probes = Var.of(Tensor.of(dt, signs, k, p));
        Function<Var, Var> loss = net.lossFunction(x, labels);
        for (int rep = 0; rep < Integer.getInteger("reps", 2); rep++) {
            
            long t0 = System.nanoTime();
            long bytes;
            try (Scope s = Scope.open()) {
                Tensor hv = k == 1 ? Autodiff.hvp(loss, theta, Var.of(probes.value().select(0, 0).contiguous())).value()
                        : Autodiff.hvpBatch(loss, theta, probes).value();
                bytes = s.bytes();
            }
            System.out.printf("rep %d: %s k=%d %s scope bytes %.1f MB, auto live %.1f MB, %d ms%n", rep, w, k, dt,
                    bytes / 1e6, Scope.autoLiveBytes() / 1e6, (System.nanoTime() - t0) / 1000000);
            try { for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) if (l.startsWith("VmHWM") || l.startsWith("VmRSS")) System.out.println("   " + l); } catch (Exception e) {}
            Runtime rt = Runtime.getRuntime(); System.out.printf("   heap used %.0f MB committed %.0f MB%n", (rt.totalMemory() - rt.freeMemory()) / 1e6, rt.totalMemory() / 1e6);
        }
    }
}
