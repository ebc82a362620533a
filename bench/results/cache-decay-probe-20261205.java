// How long data stays in this machine's caches (issue 17, 2026-12-05, docs/PERFORMANCE.md "A product's tangent in
// one buffer"): ReLU of a [1000, 512] float tensor through TensorOps, 500 calls per round, each in a Scope, after
// `extra` other tensors (u: filled with random values in Java, z: zeros) or a busy wait (sNNN: NNN us) in the scope.
// cp bench/results/cache-decay-probe-20261205.java /tmp/FC4.java && javac -cp bench/target/benchmarks.jar -d /tmp /tmp/FC4.java
// java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar:/tmp FC4 1 s30000
// Results (last of four rounds, us per ReLU): 0 extra 140; 12 zeros 146; 1 random 145; 12 random 344;
// busy wait 1 ms 149, 3 ms 141, 5 ms 161, 10 ms 199, 20 ms 271, 30 ms 326, 100 ms 315.
import org.flatminima.engine.*;
import org.flatminima.kernels.*;
public class FC4 {
  public static void main(String[] a) throws Exception {
    Engine.backend().setThreads(1);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
    Tensor z = Tensor.uniform(DType.F32, rnd, -1, 1, 1000, 512);
    int extra = Integer.parseInt(a[0]);
    for (int r=0;r<4;r++) {
      int calls=500; long tt=0;
      for (int i=0;i<calls;i++) {
        try (Scope s = Scope.open()) {
          for (int e=0;e<extra;e++) { if (a[1].equals("u")) Tensor.uniform(DType.F32, rnd, -1, 1, 1000, 512); else if (a[1].equals("z")) Tensor.zeros(DType.F32, 1000, 512); else { long ee=System.nanoTime()+Long.parseLong(a[1].substring(1))*1000; while(System.nanoTime()<ee); } }
          long t0=System.nanoTime();
          Tensor h = TensorOps.unary(UnaryOp.RELU, z);
          tt += System.nanoTime()-t0;
        }
      }
      System.out.printf("extra=%d relu via TensorOps %.1f us%n", extra, tt/1e3/calls);
    }
  }
}
