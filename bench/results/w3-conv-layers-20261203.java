package org.flatminima.engine;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;

/**
 * Scratch measurement (issue 17, convf32, 2026-12-03): the raw ImageOps calls of W3's two convolutions and
 * pools at batch 256, medians of REPS calls, ms. Compile against the engine and kernels classes; run:
 * java ... -cp CLASSES:benchmarks.jar org.flatminima.engine.W3ConvLayers THREADS REPS [f32|f64]
 */
class W3ConvLayers {
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

    public static void main(String[] a) {
        Engine.backend().setThreads(Integer.parseInt(a[0]));
        int reps = Integer.parseInt(a[1]);
        DType dt = a.length > 2 && a[2].equals("f64") ? DType.F64 : DType.F32;
        SplittableRandom rnd = new SplittableRandom(1);
        int n = 256;
        int[][] convs = {{1, 28, 32}, {32, 14, 64}};
        for (int[] cv : convs) {
            int c = cv[0], h = cv[1], o = cv[2];
            Tensor x = Tensor.uniform(dt, rnd, -1, 1, n, c, h, h);
            Tensor w = Tensor.uniform(dt, rnd, -1, 1, o, c, 3, 3);
            Tensor gy = Tensor.uniform(dt, rnd, -1, 1, n, o, h, h);
            System.out.printf("%s conv %d->%d %dx%d: forward %.2f  input grad %.2f  weight grad %.2f  maxpool %.2f  pool scatter %.2f%n",
                    dt, c, o, h, h,
                    time(() -> ImageOps.conv2d(x, w, 1, 1), reps),
                    time(() -> ImageOps.conv2dInputGrad(gy, w, h, h, 1, 1), reps),
                    time(() -> ImageOps.conv2dWeightGrad(x, gy, 3, 3, 1, 1), reps),
                    time(() -> ImageOps.maxPool2d(gy, 2, 2, 0), reps),
                    time(() -> { var r = ImageOps.maxPool2dRouted(gy, 2, 2, 0);
                                 ImageOps.maxPool2dScatter(r.y(), r.routing()); }, reps));
        }
    }
}
