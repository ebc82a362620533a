package org.flatminima.engine;
// Scratch measurement (issue 17, 2026-12-04, docs/PERFORMANCE.md "Products with few columns of C on the vector kernels"):
// an output layer's products (B x D input, K = 10 classes) through the engine, 1 thread, medians of 41 after 200, three rounds.
// javac against engine/target/classes:kernels/target/classes; run with native/target/classes on the class path and
// -Dflatminima.gemm.fewcolumns=blas or =vector, args: B D K. (The printed labels name W1's shapes whatever the args.)

import java.util.SplittableRandom;
import org.flatminima.kernels.DType;

/** Scratch measurement (issue 17, 2026-12-03, docs/PERFORMANCE.md "Few columns of C"): W1's products at batch 1000, 1 thread, medians of 41 after 20. */
class SkGemm {
    static double med(Runnable r) {
        double[] t = new double[41];
        for (int i = -200; i < t.length; i++) {
            long t0 = System.nanoTime(); r.run(); long t1 = System.nanoTime();
            if (i >= 0) t[i] = (t1 - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[20];
    }
    public static void main(String[] args) { int B = Integer.parseInt(args[0]), D = Integer.parseInt(args[1]), K = Integer.parseInt(args[2]);
        Engine.backend().setThreads(1);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int round = 0; round < 3; round++) for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = Tensor.uniform(dt, rnd, -1, 1, B, D), w = Tensor.uniform(dt, rnd, -1, 1, K, D);
            Tensor g = Tensor.uniform(dt, rnd, -1, 1, B, K);
            Tensor z = Tensor.uninitialised(dt, B, K), gwT = Tensor.uninitialised(dt, D, K), gw = Tensor.uninitialised(dt, K, D);
            System.out.printf("%s forward x W^T (NT 1000x10x784): %.3f ms; a^T g (TN 784x10x1000): %.3f ms; g^T a (TN 10x784x1000): %.3f ms%n", dt,
                med(() -> TensorOps.gemm2d(dt, x, w.transpose(0, 1), z, 1, 0)),
                med(() -> TensorOps.gemm2d(dt, x.transpose(0, 1), g, gwT, 1, 0)),
                med(() -> TensorOps.gemm2d(dt, g.transpose(0, 1), x, gw, 1, 0)));
        }
    }
}
