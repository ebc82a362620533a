package org.flatminima.engine;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;

/**
 * Scratch measurement (issue 17, winograd, 2026-12-03): W3's second convolution (batch 256, 32 -> 64 channels,
 * 14 x 14, 3 x 3, padding 1) forward and input gradient, im2col/GEMM against Winograd F(2x2, 3x3) in one JVM
 * ({@code Winograd.setEnabled}), medians of REPS calls, ms, and the largest difference of the outputs. Compile
 * against the engine and kernels classes; run with native/target/classes before bench/target/benchmarks.jar:
 * java ... -cp CLASSES:native/target/classes:benchmarks.jar org.flatminima.engine.WgProbe THREADS REPS [f32|f64]
 * Output of the run with the forward and input-gradient transforms as committed in ec24afc, reproduce JVMs
 * paused: winograd-conv2-probe-20261203T1510Z.txt.
 */
class WgProbe {
    static double time(Runnable r, int reps) {
        for (int i = 0; i < 3; i++) { try (Scope s = Scope.open()) { r.run(); } }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            try (Scope s = Scope.open()) { r.run(); }
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[reps / 2];
    }

    static double maxDiff(Tensor a, Tensor b) {
        double[] p1 = a.toDoubleArray(), p2 = b.toDoubleArray();
        double err = 0;
        for (int i = 0; i < p1.length; i++) err = Math.max(err, Math.abs(p1[i] - p2[i]));
        return err;
    }

    public static void main(String[] a) {
        Engine.backend().setThreads(Integer.parseInt(a[0]));
        int reps = Integer.parseInt(a[1]);
        DType dt = a.length > 2 && a[2].equals("f64") ? DType.F64 : DType.F32;
        System.out.println(Engine.backend().name() + " threads " + a[0]);
        SplittableRandom rnd = new SplittableRandom(1);
        int n = 256;
        int c = 32, h = 14, o = 64;
        Tensor x = Tensor.uniform(dt, rnd, -1, 1, n, c, h, h);
        Tensor w = Tensor.uniform(dt, rnd, -1, 1, o, c, 3, 3);
        Tensor gy = Tensor.uniform(dt, rnd, -1, 1, n, o, h, h);
        for (int round = 0; round < 3; round++) {
            Winograd.setEnabled(false);
            Tensor y1 = ImageOps.conv2d(x, w, 1, 1);
            Tensor g1 = ImageOps.conv2dInputGrad(gy, w, h, h, 1, 1);
            double fd = time(() -> ImageOps.conv2d(x, w, 1, 1), reps);
            double gd = time(() -> ImageOps.conv2dInputGrad(gy, w, h, h, 1, 1), reps);
            Winograd.setEnabled(true);
            Tensor y2 = ImageOps.conv2d(x, w, 1, 1);
            Tensor g2 = ImageOps.conv2dInputGrad(gy, w, h, h, 1, 1);
            double fw = time(() -> ImageOps.conv2d(x, w, 1, 1), reps);
            double gw = time(() -> ImageOps.conv2dInputGrad(gy, w, h, h, 1, 1), reps);
            System.out.printf("%s conv2 b256: forward direct %.2f winograd %.2f (diff %.2g)  input grad direct %.2f winograd %.2f (diff %.2g)%n",
                    dt, fd, fw, maxDiff(y1, y2), gd, gw, maxDiff(g1, g2));
        }
    }
}
