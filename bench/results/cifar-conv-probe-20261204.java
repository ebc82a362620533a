// Issue 17, 2026-12-04 (docs/PERFORMANCE.md, "Winograd transforms on vectors of tiles"): the gradient of a small
// CIFAR-shaped CNN (3x3 convolutions 3-16-16-32 channels, batch 128) in one JVM per build, median of 12 calls.
//   javac -cp JAR -d out bench/results/cifar-conv-probe-20261204.java
//   java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m -cp out:JAR CifarProbe THREADS f32|f64 SIZE
import java.util.SplittableRandom;
import org.flatminima.engine.*;
import org.flatminima.engine.autodiff.*;
import org.flatminima.engine.nn.*;
import org.flatminima.kernels.DType;
public class CifarProbe {
  public static void main(String[] a) {
    int threads = Integer.parseInt(a[0]); DType dt = a[1].equals("f32") ? DType.F32 : DType.F64; int size = Integer.parseInt(a[2]);
    Engine.backend().setThreads(threads);
    int fl = (size/4)*(size/4)*32;
    Network net = new Network(Sequential.of(new Conv2d(3, 16, 3, 1, 1, true), new ReLU(), new Conv2d(16, 16, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3, 1, 1, true), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(fl, 10)), 3, size, size);
    SplittableRandom rnd = new SplittableRandom(1);
    int batch = 128;
    Tensor x = Tensor.uniform(dt, rnd, 0, 1, batch, 3, size, size);
    int[] y = new int[batch]; for (int i = 0; i < batch; i++) y[i] = rnd.nextInt(10);
    Var theta = Var.of(net.initParams(dt, 1));
    var loss = net.lossFunction(x, y);
    double[] t = new double[12];
    for (int i = 0; i < 15; i++) { long t0 = System.nanoTime(); try (Scope s = Scope.open()) { Autodiff.grad(loss, theta); } if (i >= 3) t[i-3] = (System.nanoTime()-t0)/1e6; }
    java.util.Arrays.sort(t); System.out.printf("grad median %.1f ms%n", t[6]);
  }
}
