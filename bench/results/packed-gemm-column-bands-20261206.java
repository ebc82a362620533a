/* Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "Everything again; sums four rows to a pass"):
 * the native backend's float products at one and two threads (best of 180 calls after 20), to compare two builds' kernels jars:
 *   javac --add-modules jdk.incubator.vector -cp kernels/target/flatminima-kernels-0.1.0-SNAPSHOT.jar PG.java
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp <kernels jar>:. PG */
import java.lang.foreign.*;
import org.flatminima.kernels.*;
import org.flatminima.kernels.ffm.NativeBackend;
public class PG {
  public static void main(String[] x) throws Exception {
    Backend be = NativeBackend.create();
    int[][] sh = {{128, 3136, 256, 1, 0}, {256, 3136, 128, 0, 0}, {256, 128, 3136, 0, 1}, {512, 784, 1000, 1, 0}, {100, 256, 784, 0, 1}, {256, 784, 100, 1, 0}};
    Arena ar = Arena.ofShared();
    MemorySegment a = ar.allocate(4L << 22, 64), b = ar.allocate(4L << 22, 64), c = ar.allocate(4L << 22, 64);
    for (long i = 0; i < (1L << 22); i++) { a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i)); b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.cos(i)); }
    for (int[] s : sh) {
      int m = s[0], n = s[1], k = s[2]; boolean ta = s[3] == 1, tb = s[4] == 1;
      int lda = ta ? m : k, ldb = tb ? k : n;
      StringBuilder out = new StringBuilder(String.format("%4dx%4dx%4d %s%s", m, n, k, ta ? "T" : "N", tb ? "T" : "N"));
      double[] best = new double[3];
      for (int threads = 1; threads <= 2; threads++) {
        be.setThreads(threads);
        double bst = 1e9;
        for (int r = 0; r < 200; r++) {
          long t = System.nanoTime();
          be.gemm(DType.F32, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
          double ms = (System.nanoTime() - t) / 1e6;
          if (r > 20 && ms < bst) bst = ms;
        }
        best[threads] = bst;
        out.append(String.format("  %dT %.3f ms", threads, bst));
      }
      out.append(String.format("  2T speed-up %.2f", best[1] / best[2]));
      System.out.println(out);
    }
  }
}
