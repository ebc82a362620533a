package org.flatminima.engine;

import java.util.SplittableRandom;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;

/**
 * Scratch measurement (issue 17, 2026-12-03, docs/PERFORMANCE.md "Where the second core goes"): conv1's 256
 * per-image OpenBLAS products (32 x 9 times 9 x 784, f32) run as 1, 2 or 8 parts by runParts at 1 and 2 threads,
 * medians of 15, ms. Compiled and run as kernels-1t-2t-probe-20261203.java (class ParGemm).
 */
class ParGemm {
    public static void main(String[] a) {
        SplittableRandom rnd = new SplittableRandom(1);
        int n = 256, o = 32, k = 9, l = 784;
        Tensor w = Tensor.uniform(DType.F32, rnd, -1, 1, o, k);
        Tensor cols = Tensor.uniform(DType.F32, rnd, -1, 1, n, k, l);
        Tensor y = Tensor.uniform(DType.F32, rnd, -1, 1, n, o, l);
        Backend be = Engine.backend();
        for (int round = 0; round < 3; round++) {
            for (int th : new int[] {1, 2}) {
                be.setThreads(th);
                for (int parts : new int[] {1, 2, 8}) {
                    double[] t = new double[15];
                    for (int r = 0; r < t.length; r++) {
                        long t0 = System.nanoTime();
                        be.runParts(parts, p -> {
                            for (int b = n * p / parts; b < n * (p + 1) / parts; b++) {
                                TensorOps.gemm2d(be, DType.F32, w, cols.select(0, b), y.select(0, b), 1.0, 0.0);
                            }
                        });
                        t[r] = (System.nanoTime() - t0) / 1e6;
                    }
                    java.util.Arrays.sort(t);
                    System.out.printf("threads %d parts %d: %.2f ms%n", th, parts, t[t.length / 2]);
                }
            }
        }
    }
}
