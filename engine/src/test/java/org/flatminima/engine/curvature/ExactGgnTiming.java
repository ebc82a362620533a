package org.flatminima.engine.curvature;

import java.util.SplittableRandom;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.kernels.DType;

/**
 * A throwaway measurement (not a test; nothing asserted): per-point exact-ggn traces of N MNIST-shaped random
 * points on mlp 784-256-256-256-256-10, f32, one thread, against one gradient pass over the same points, both in
 * batches of 1,000 inside scopes. Args: [N] [batch] [repetitions].
 */
public final class ExactGgnTiming {
    private ExactGgnTiming() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Engine.backend().setThreads(1);
        Network net = new Network(Sequential.mlp(784, 256, 256, 256, 256, 10), 784);
        SplittableRandom rnd = new SplittableRandom(42);
        Tensor x = Tensor.uniform(DType.F32, rnd, 0, 1, n, 784);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(10);
        }
        Tensor theta = net.initParams(DType.F32, 1);
        System.out.printf("backend %s, threads %d, N=%d, batch %d, P=%d%n", Engine.backend().name(),
                Engine.backend().threads(), n, batch, net.parameterCount());
        // warm-up
        gradientPass(net, theta, x.slice(0, 0, 2 * batch), y, batch);
        ExactTraces.exactGgn(net, theta, x.slice(0, 0, 2 * batch), java.util.Arrays.copyOf(y, 2 * batch), batch);
        double bestGrad = Double.MAX_VALUE;
        double bestGgn = Double.MAX_VALUE;
        double bestFwd = Double.MAX_VALUE;
        double bestGradCpu = Double.MAX_VALUE;
        double bestGgnCpu = Double.MAX_VALUE;
        double total = 0;
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int r = 0; r < reps; r++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            gradientPass(net, theta, x, y, batch);
            long t1 = System.nanoTime();
            long c1 = mx.getCurrentThreadCpuTime();
            TraceBreakdown tb = ExactTraces.exactGgn(net, theta, x, y, batch);
            long t2 = System.nanoTime();
            long c2 = mx.getCurrentThreadCpuTime();
            forwardPass(net, theta, x, batch);
            long t3 = System.nanoTime();
            total = tb.total();
            double g = (t1 - t0) / 1e9;
            double e = (t2 - t1) / 1e9;
            double f = (t3 - t2) / 1e9;
            double gc = (c1 - c0) / 1e9;
            double ec = (c2 - c1) / 1e9;
            System.out.printf("rep %d: wall: gradient pass %.3f s, exact-ggn per-point traces %.3f s (%.2f gradient "
                    + "passes), forward only %.3f s; thread CPU: gradient %.3f s, exact-ggn %.3f s (%.2f)%n", r, g, e,
                    e / g, f, gc, ec, ec / gc);
            bestGrad = Math.min(bestGrad, g);
            bestGgn = Math.min(bestGgn, e);
            bestFwd = Math.min(bestFwd, f);
            bestGradCpu = Math.min(bestGradCpu, gc);
            bestGgnCpu = Math.min(bestGgnCpu, ec);
        }
        System.out.printf("best wall: gradient %.3f s, exact-ggn %.3f s, ratio %.2f; forward %.3f s%n", bestGrad,
                bestGgn, bestGgn / bestGrad, bestFwd);
        System.out.printf("best thread CPU: gradient %.3f s, exact-ggn %.3f s, ratio %.2f; tr H = %.6g%n",
                bestGradCpu, bestGgnCpu, bestGgnCpu / bestGradCpu, total);
    }

    private static void gradientPass(Network net, Tensor theta, Tensor x, int[] y, int batch) {
        int n = x.dim(0);
        for (int b0 = 0; b0 < n; b0 += batch) {
            int m = Math.min(batch, n - b0);
            try (Scope s = Scope.open()) {
                Autodiff.grad(net.lossFunction(x.slice(0, b0, b0 + m), java.util.Arrays.copyOfRange(y, b0, b0 + m)),
                        Var.of(theta)).value();
            }
        }
    }

    private static void forwardPass(Network net, Tensor theta, Tensor x, int batch) {
        int n = x.dim(0);
        for (int b0 = 0; b0 < n; b0 += batch) {
            int m = Math.min(batch, n - b0);
            try (Scope s = Scope.open()) {
                net.logits(Var.of(theta), x.slice(0, b0, b0 + m)).value();
            }
        }
    }
}
