// Issue 17, 2026-12-04 (docs/PERFORMANCE.md, "Winograd transforms on vectors of tiles"): time per backend kernel
// (GEMMs by shape) of one W3 call (hvp10: the batched Hutchinson-10; else the gradient), through a proxy backend
// that times every call; runParts includes the kernels it runs. In the package of CompareWorker (it uses its setup):
//   mkdir -p p/org/flatminima/bench/compare && cp bench/results/kernel-times-probe-20261204.java p/org/flatminima/bench/compare/GemmShapes.java
//   javac -cp bench/target/benchmarks.jar -d out p/org/flatminima/bench/compare/GemmShapes.java
//   OPENBLAS_NUM_THREADS=1 java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m -cp out:bench/target/benchmarks.jar org.flatminima.bench.compare.GemmShapes 1 f32 hvp10 [BATCH, default 256; other ops: the gradient]
package org.flatminima.bench.compare;
import java.lang.reflect.*;
import java.util.*;
import java.util.concurrent.*;
import org.flatminima.engine.*;
import org.flatminima.kernels.*;
public class GemmShapes {
  public static void main(String[] a) throws Exception {
    int threads = Integer.parseInt(a[0]); DType dt = a[1].equals("f32") ? DType.F32 : DType.F64;
    String op = a.length > 2 ? a[2] : "hvp10";
    int batch = a.length > 3 ? Integer.parseInt(a[3]) : 256;
    CompareWorker w = new CompareWorker(threads);
    CompareWorker.Setup s = w.setup("W3", dt, batch);
    Backend inner = Engine.backend();
    Map<String, long[]> t = new ConcurrentHashMap<>();
    boolean[] on = {false};
    Backend prox = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (p, m, args) -> {
      long t0 = System.nanoTime();
      try { return m.invoke(inner, args); } catch (InvocationTargetException e) { throw e.getCause(); }
      finally {
        if (on[0]) {
          long dtm = System.nanoTime() - t0;
          String key = m.getName();
          if (key.equals("gemm")) key = "gemm " + ((Boolean)args[1]?"T":"N") + ((Boolean)args[2]?"T":"N") + " m=" + args[3] + " n=" + args[4] + " k=" + args[5];
          if (key.equals("binary")) key = "binary " + args[0] + " " + Arrays.toString((int[]) args[2]) + " a" + Arrays.toString((long[]) args[4]) + " b" + Arrays.toString((long[]) args[6]) + (args[7].equals(args[3]) ? " in place" : "");
          if (key.equals("reduce")) key = "reduce " + args[0] + " outer=" + args[2] + " len=" + args[3] + " inner=" + args[4];
          long[] v = t.computeIfAbsent(key, k -> new long[3]);
          synchronized (v) { v[0]++; v[1] += dtm; if (m.getName().equals("gemm")) v[2] += 2L*(Integer)args[3]*(Integer)args[4]*(Integer)args[5]; }
        }
      }
    });
    Runnable r = op.equals("hvp10") ? () -> CompareWorker.hutchinsonBatched(s) : () -> org.flatminima.engine.autodiff.Autodiff.grad(s.loss(), s.theta());
    for (int i = 0; i < 3; i++) Engine.with(prox, () -> { try (Scope sc = Scope.open()) { r.run(); } });
    on[0] = true; int reps = 3;
    long t0 = System.nanoTime();
    for (int i = 0; i < reps; i++) Engine.with(prox, () -> { try (Scope sc = Scope.open()) { r.run(); } });
    double total = (System.nanoTime() - t0) / 1e6 / reps;
    System.out.printf("total %.1f ms per call%n", total);
    List<Map.Entry<String,long[]>> es = new ArrayList<>(t.entrySet());
    es.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
    double sum = 0;
    for (var e : es) { long[] v = e.getValue(); double ms = v[1]/1e6/reps; sum += ms;
      System.out.printf("%8.1f ms %5.1f%% calls %6d %s %s%n", ms, 100*ms/total, v[0]/reps, e.getKey(), v[2] > 0 ? String.format("%.0f GF/s", v[2]/(double)v[1]) : ""); }
    System.out.printf("kernel sum %.1f ms (runParts includes the kernels it runs)%n", sum);
  }
}
