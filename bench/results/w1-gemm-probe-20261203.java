package org.flatminima.engine;

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;

/** Scratch measurement (issue 17, 2026-12-03, docs/PERFORMANCE.md "Few columns of C"): W1's products at batch 1000, 1 thread, medians of 41 after 20. */
class W1Gemm {
    static double med(Runnable r) {
        double[] t = new double[41];
        for (int i = -20; i < t.length; i++) {
            long t0 = System.nanoTime(); r.run(); long t1 = System.nanoTime();
            if (i >= 0) t[i] = (t1 - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[20];
    }
    public static void main(String[] a) {
        Engine.backend().setThreads(1);
        SplittableRandom rnd = new SplittableRandom(1);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = Tensor.uniform(dt, rnd, -1, 1, 1000, 784), w = Tensor.uniform(dt, rnd, -1, 1, 10, 784);
            Tensor g = Tensor.uniform(dt, rnd, -1, 1, 1000, 10);
            Tensor z = Tensor.uninitialised(dt, 1000, 10), gwT = Tensor.uninitialised(dt, 784, 10), gw = Tensor.uninitialised(dt, 10, 784);
            System.out.printf("%s forward x W^T (NT 1000x10x784): %.3f ms; a^T g (TN 784x10x1000): %.3f ms; g^T a (TN 10x784x1000): %.3f ms%n", dt,
                med(() -> TensorOps.gemm2d(dt, x, w.transpose(0, 1), z, 1, 0)),
                med(() -> TensorOps.gemm2d(dt, x.transpose(0, 1), g, gwT, 1, 0)),
                med(() -> TensorOps.gemm2d(dt, g.transpose(0, 1), x, gw, 1, 0)));
        }
    }
}
