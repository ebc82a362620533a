package org.flatminima.engine;
import java.util.SplittableRandom;
import org.flatminima.kernels.DType;
class W1Probe {
    static double time(Runnable r, int reps) {
        for (int i = 0; i < 2; i++) { try (Scope s = Scope.open()) { r.run(); } }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) { long t0 = System.nanoTime(); try (Scope s = Scope.open()) { r.run(); } t[i] = (System.nanoTime() - t0) / 1e6; }
        java.util.Arrays.sort(t); return t[reps / 2];
    }
    public static void main(String[] a) {
        Engine.backend().setThreads(1);
        DType dt = DType.F32; SplittableRandom rnd = new SplittableRandom(1);
        int n = 256, o = 32, rows = 9, l = 784;
        Tensor cols = Tensor.uniform(dt, rnd, -1, 1, n, rows, l);
        Tensor g3 = Tensor.uniform(dt, rnd, -1, 1, n, o, l);
        for (int round = 0; round < 3; round++) {
            double now = time(() -> { Tensor gw = Tensor.zeros(dt, o, rows);
                for (int b = 0; b < n; b++) TensorOps.gemm2d(dt, g3.select(0, b), cols.select(0, b).transpose(0, 1), gw, 1, 1); }, 7);
            double tr = time(() -> { Tensor gwt = Tensor.zeros(dt, rows, o);
                for (int b = 0; b < n; b++) TensorOps.gemm2d(dt, cols.select(0, b), g3.select(0, b).transpose(0, 1), gwt, 1, 1); }, 7);
            System.out.printf("conv1 weight-grad GEMMs, 256 images: g_b cols_b^T [32x9] %.2f ms; cols_b g_b^T [9x32] %.2f ms%n", now, tr);
        }
    }
}
