package org.flatminima.engine;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;

class GemmCore {
    public static void main(String[] a) {
        SplittableRandom rnd = new SplittableRandom(1);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int n : new int[] {1024, 512}) {
                Tensor x = Tensor.uniform(dt, rnd, -1, 1, n, n), y = Tensor.uniform(dt, rnd, -1, 1, n, n);
                Tensor c = Tensor.uninitialised(dt, n, n);
                double best = 1e9; double[] t = new double[15];
                for (int r = 0; r < 15; r++) {
                    long t0 = System.nanoTime();
                    TensorOps.gemm2d(Engine.backend(), dt, x, y, c, 1.0, 0.0);
                    t[r] = (System.nanoTime() - t0) / 1e6;
                }
                java.util.Arrays.sort(t);
                System.out.printf("%s n=%d median %.2f ms = %.1f GFLOP/s (min %.2f)%n", dt, n, t[7], 2.0 * n * n * n / t[7] / 1e6, t[0]);
            }
        }
        System.out.println(Engine.backend());
    }
}
