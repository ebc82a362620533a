/*
 * Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "Why the passes between the products do not scale"):
 * W2's four memory-bound passes at its shapes (float, 1000 x 512): the bias gradient's sum over the batch, the ReLU
 * gate, the ReLU and the bias broadcast into a product's output, hot (the operands just used) and cold (after a pass
 * writing one float per line over 64 MB, which leaves dirty lines to evict, as a training step does), one and two
 * threads alternating, two rounds, medians of 51 calls, us. javac --add-modules=jdk.incubator.vector -cp
 * bench/target/benchmarks.jar -d DIR THIS; OPENBLAS_NUM_THREADS=1 java --add-modules=jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp DIR:bench/target/benchmarks.jar
 * org.flatminima.engine.ParProbe3. Output: memory-passes-20261207.txt.
 */
package org.flatminima.engine;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;

class ParProbe3 {
    static float[] junk = new float[16 << 20];
    static float sink;
    static double time(Runnable r, int reps, boolean cold) {
        for (int i = 0; i < 20; i++) { try (Scope s = Scope.open()) { r.run(); } }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            if (cold) { for (int j = 0; j < junk.length; j += 16) { junk[j] += 1; sink += junk[j]; } }
            long t0 = System.nanoTime();
            try (Scope s = Scope.open()) { r.run(); }
            t[i] = (System.nanoTime() - t0) / 1e3;
        }
        java.util.Arrays.sort(t);
        return t[reps / 2];
    }
    public static void main(String[] a) {
        SplittableRandom rnd = new SplittableRandom(1);
        Tensor x = Tensor.uniform(DType.F32, rnd, -1, 1, 1000, 512);
        Tensor y = Tensor.uniform(DType.F32, rnd, -1, 1, 1000, 512);
        Tensor b = Tensor.uniform(DType.F32, rnd, -1, 1, 512);
        for (int round = 0; round < 2; round++) {
            for (boolean cold : new boolean[] {false, true}) {
                for (int th : new int[] {1, 2}) {
                    Engine.backend().setThreads(th);
                    System.out.printf("%s threads %d: sum0 %.1f  gate %.1f  relu %.1f  bias-copy %.1f us%n", cold ? "cold" : "hot ", th,
                            time(() -> TensorOps.sumTo(x, new int[] {512}), 51, cold),
                            time(() -> TensorOps.gate(x, y), 51, cold),
                            time(() -> TensorOps.unary(org.flatminima.kernels.UnaryOp.RELU, x), 51, cold),
                            time(() -> b.expand(1000, 512).contiguous(), 51, cold));
                }
            }
        }
    }
}
