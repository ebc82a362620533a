package org.flatminima.engine;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;

/**
 * Scratch measurement (issue 17, 2026-12-03, docs/PERFORMANCE.md "One GEMM per chunk of images, tried"): W3's second
 * convolution (256 x 32 x 14 x 14, 64 filters 3 x 3, f32), forward and weight gradient, medians of 25 after 5, ms.
 * Compiled against the classes of branch conv-batched (2eca86d); run once per -D setting, alternating.
 */
class Conv2Fwd {
    public static void main(String[] a) {
        Engine.backend().setThreads(Integer.parseInt(a[0]));
        DType dt = a[1].equals("f64") ? DType.F64 : DType.F32;
        SplittableRandom rnd = new SplittableRandom(1);
        Tensor x = Tensor.uniform(dt, rnd, -1, 1, 256, 32, 14, 14);
        Tensor w = Tensor.uniform(dt, rnd, -1, 1, 64, 32, 3, 3);
        Tensor gy = Tensor.uniform(dt, rnd, -1, 1, 256, 64, 14, 14);
        double[] f = new double[25], wg = new double[25];
        for (int i = -5; i < 25; i++) {
            long t0 = System.nanoTime();
            try (Scope s = Scope.open()) { ImageOps.conv2d(x, w, 1, 1); }
            long t1 = System.nanoTime();
            try (Scope s = Scope.open()) { ImageOps.conv2dWeightGrad(x, gy, 3, 3, 1, 1); }
            long t2 = System.nanoTime();
            if (i >= 0) { f[i] = (t1 - t0) / 1e6; wg[i] = (t2 - t1) / 1e6; }
        }
        java.util.Arrays.sort(f); java.util.Arrays.sort(wg);
        System.out.printf("forward %.2f (min %.2f)  weight grad %.2f (min %.2f)%n", f[12], f[0], wg[12], wg[0]);
    }
}
