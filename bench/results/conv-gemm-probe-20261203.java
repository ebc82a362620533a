package org.flatminima.engine;
import java.util.SplittableRandom;

import org.flatminima.kernels.DType;

/** Scratch measurement (not committed): per-image GEMMs of W3's convolutions vs one GEMM over the batch. */
public class ConvGemmProbe {
    static double time(Runnable r, int reps) {
        for (int i = 0; i < 2; i++) { try (Scope s = Scope.open()) { r.run(); } }
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
        int threads = Integer.parseInt(a[0]);
        int reps = Integer.parseInt(a[1]);
        Engine.backend().setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(1);
        int n = 256;
        int[][] convs = {{1, 28, 32}, {32, 14, 64}};   // C, H(=W), O ; 3x3 pad 1
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[] cv : convs) {
                int c = cv[0], h = cv[1], o = cv[2], rows = c * 9, l = h * h;
                Tensor x = Tensor.uniform(dt, rnd, -1, 1, n, c, h, h);
                Tensor w = Tensor.uniform(dt, rnd, -1, 1, o, c, 3, 3);
                Tensor gy = Tensor.uniform(dt, rnd, -1, 1, n, o, h, h);
                Tensor w2 = w.reshape(o, rows);
                Tensor wt = w2.transpose(0, 1).contiguous();
                Tensor colsPer = Tensor.uniform(dt, rnd, -1, 1, n, rows, l);
                Tensor colsBig = Tensor.uniform(dt, rnd, -1, 1, rows, n * l);
                Tensor gBig = Tensor.uniform(dt, rnd, -1, 1, o, n * l);
                Tensor g3 = gy.reshape(n, o, l);
                double fwd = time(() -> ImageOps.conv2d(x, w, 1, 1), reps);
                double igr = time(() -> ImageOps.conv2dInputGrad(gy, w, h, h, 1, 1), reps);
                double wgr = time(() -> ImageOps.conv2dWeightGrad(x, gy, 3, 3, 1, 1), reps);
                double fPer = time(() -> {
                    Tensor y = Tensor.uninitialised(dt, n, o, l);
                    for (int b = 0; b < n; b++) TensorOps.gemm2d(dt, w2, colsPer.select(0, b), y.select(0, b), 1, 0);
                }, reps);
                double fOne = time(() -> {
                    Tensor y = Tensor.uninitialised(dt, o, n * l);
                    TensorOps.gemm2d(dt, w2, colsBig, y, 1, 0);
                }, reps);
                double iPer = time(() -> {
                    Tensor cc = Tensor.uninitialised(dt, n, rows, l);
                    for (int b = 0; b < n; b++) TensorOps.gemm2d(dt, wt, g3.select(0, b), cc.select(0, b), 1, 0);
                }, reps);
                double iOne = time(() -> {
                    Tensor cc = Tensor.uninitialised(dt, rows, n * l);
                    TensorOps.gemm2d(dt, wt, gBig, cc, 1, 0);
                }, reps);
                double wPer = time(() -> {
                    Tensor gw = Tensor.zeros(dt, o, rows);
                    for (int b = 0; b < n; b++) TensorOps.gemm2d(dt, g3.select(0, b), colsPer.select(0, b).transpose(0, 1), gw, 1, 1);
                }, reps);
                double wOne = time(() -> {
                    Tensor gw = Tensor.zeros(dt, o, rows);
                    TensorOps.gemm2d(dt, gBig, colsBig.transpose(0, 1), gw, 1, 0);
                }, reps);
                // the layout change a batched GEMM needs: [O, N, L] <-> [N, O, L] (output of forward, input of the transposes)
                double perm = time(() -> gBig.reshape(o, n, l).permute(1, 0, 2).contiguous(), reps);
                // and im2col's output [N, rows, L] -> [rows, N, L] if the im2col kernel is not rewritten
                double permCols = time(() -> colsPer.permute(1, 0, 2).contiguous(), reps);
                System.out.printf("%s t=%d conv C=%d H=%d O=%d | full: fwd %.2f inGrad %.2f wGrad %.2f | GEMM per-image/one: fwd %.2f/%.2f in %.2f/%.2f w %.2f/%.2f | permute out %.2f cols %.2f ms%n",
                        dt, threads, c, h, o, fwd, igr, wgr, fPer, fOne, iPer, iOne, wPer, wOne, perm, permCols);
            }
        }
    }
}
