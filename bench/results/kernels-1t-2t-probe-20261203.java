package org.flatminima.engine;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;

/**
 * Scratch measurement (issue 17, 2026-12-03, docs/PERFORMANCE.md "Where the second core goes"): max pool, ReLU, add
 * and conv1's forward at W3's first-layer shapes (batch 256, f32), 1 and 2 threads alternating in one JVM, 3 rounds,
 * medians of 21 calls, ms. javac --add-modules=jdk.incubator.vector -cp bench/target/benchmarks.jar -d DIR THIS;
 * OPENBLAS_NUM_THREADS=1 java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp
 * DIR:bench/target/benchmarks.jar org.flatminima.engine.ParProbe
 */
class ParProbe {
    static double time(Runnable r, int reps) {
        for (int i = 0; i < 5; i++) { try (Scope s = Scope.open()) { r.run(); } }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            try (Scope s = Scope.open()) { r.run(); }
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[reps / 2];
    }
    public static void main(String[] a) {
        SplittableRandom rnd = new SplittableRandom(1);
        Tensor gy = Tensor.uniform(DType.F32, rnd, -1, 1, 256, 32, 28, 28);
        Tensor x = Tensor.uniform(DType.F32, rnd, -1, 1, 256, 1, 28, 28);
        Tensor w = Tensor.uniform(DType.F32, rnd, -1, 1, 32, 1, 3, 3);
        for (int round = 0; round < 3; round++) {
            for (int th : new int[] {1, 2}) {
                Engine.backend().setThreads(th);
                System.out.printf("threads %d: maxpool %.2f  relu %.2f  add %.2f  conv1 fwd %.2f%n", th,
                        time(() -> ImageOps.maxPool2d(gy, 2, 2, 0), 21),
                        time(() -> TensorOps.unary(org.flatminima.kernels.UnaryOp.RELU, gy), 21),
                        time(() -> TensorOps.binary(org.flatminima.kernels.BinaryOp.ADD, gy, gy), 21),
                        time(() -> ImageOps.conv2d(x, w, 1, 1), 21));
            }
        }
    }
}
