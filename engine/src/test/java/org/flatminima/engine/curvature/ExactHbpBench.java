package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The measurement of docs/curvature-exact.md (exact-hbp's cost): per-point Hessian traces of 1,000 points of a tanh MLP
 * 784-256-256-10 (PyTorch init, inputs uniform in [0, 1), random labels, float32) by exact-hbp, against the time
 * of 20 gradient passes over the same points, exact-hvp per point (extrapolated from 320 of its N P products) and
 * per-point Hutchinson to a 1% relative standard error (extrapolated from the first points). Process CPU time and
 * wall time, measured one after the other in one JVM. Runs only when asked:
 * {@code mvn -B -o -q -pl engine -am verify -Dtest=ExactHbpBench -Dsurefire.failIfNoSpecifiedTests=false
 * -Dhbp.bench=true}.
 */
@EnabledIfSystemProperty(named = "hbp.bench", matches = "true")
class ExactHbpBench {
    private static final int N = 1000;

    private record Time(double cpu, double wall) {
        Time times(double f) {
            return new Time(cpu * f, wall * f);
        }
    }

    private static double cpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() * 1e-9;
    }

    private static <T> Time time(Supplier<T> body) {
        double c0 = cpuSeconds();
        long w0 = System.nanoTime();
        try (Scope s = Scope.open()) {
            body.get();
        }
        return new Time(cpuSeconds() - c0, (System.nanoTime() - w0) * 1e-9);
    }

    @Test
    void perPointTracesOfATanhMlp() {
        Network net = new Network(Sequential.of(new Linear(784, 256), new Tanh(), new Linear(256, 256), new Tanh(),
                new Linear(256, 10)), 784);
        SplittableRandom rnd = new SplittableRandom(2026);
        Tensor x = Tensor.uniform(DType.F32, rnd, 0, 1, N, 784);
        int[] y = new int[N];
        for (int i = 0; i < N; i++) {
            y[i] = rnd.nextInt(10);
        }
        Tensor theta = net.initParams(DType.F32, 2026);
        int p = net.parameterCount();
        Supplier<Object> grad = () -> Autodiff.grad(net.lossFunction(x, y), Var.of(theta)).value();
        // warm-up
        time(grad);
        time(() -> HessianBackprop.exactHbp(net, theta, x.slice(0, 0, 100), java.util.Arrays.copyOf(y, 100), 0));

        Time grads = time(() -> {
            for (int r = 0; r < 20; r++) {
                grad.get();
            }
            return null;
        });
        TraceBreakdown[] out = new TraceBreakdown[1];
        Time hbp = time(() -> out[0] = HessianBackprop.exactHbp(net, theta, x, y, 0));
        // the same with every residual term as its unit columns (the general path, e.g. deeper MLPs and CNNs)
        TraceBreakdown[] cols = new TraceBreakdown[1];
        HessianBackprop.carryDiagonal = false;
        Time columns;
        try {
            columns = time(() -> cols[0] = HessianBackprop.exactHbp(net, theta, x, y, 0));
        } finally {
            HessianBackprop.carryDiagonal = true;
        }
        // exact-hvp per point: N P basis-vector products; measure 320 on point 0 (10 batched passes of 32)
        HessianOperator point0 = new HessianOperator(PerPointHutchinson.pointLosses(net, x, y).apply(0), theta);
        ExactTraces.hvpDiagonal(point0, 0, 32);
        Time hvp320 = time(() -> ExactTraces.hvpDiagonal(point0, 0, 320));
        Time hvp = hvp320.times((double) N * p / 320);
        // per-point Hutchinson at 1% relative standard error (at most 1000 probes per point), first 10 points
        int hn = 10;
        PerPointHutchinson.PerPointTraces[] h = new PerPointHutchinson.PerPointTraces[1];
        Time hutch10 = time(() -> h[0] = PerPointHutchinson.batched(PerPointHutchinson.pointLosses(net, x, y), hn,
                theta, Hutchinson.Options.defaults()));
        Time hutch = hutch10.times((double) N / hn);
        double meanProbes = java.util.Arrays.stream(h[0].probes()).average().orElseThrow();
        double maxRel = 0;
        double maxZ = 0;
        double meanRelSe = 0;
        for (int i = 0; i < hn; i++) {
            double exact = out[0].perPoint()[i];
            maxRel = Math.max(maxRel, Math.abs(h[0].values()[i] - exact) / Math.abs(exact));
            maxZ = Math.max(maxZ, Math.abs(h[0].values()[i] - exact) / h[0].stderr()[i]);
            meanRelSe += h[0].stderr()[i] / Math.abs(exact) / hn;
            System.out.printf("point %d: exact-hbp %.6g, hutchinson %.6g +- %.3g (%d probes)%n", i, exact,
                    h[0].values()[i], h[0].stderr()[i], h[0].probes()[i]);
        }
        System.out.printf("hutchinson: mean relative standard error %.3g, max |error| / stderr %.2f%n", meanRelSe,
                maxZ);
        Time g1 = grads.times(1.0 / 20);
        System.out.printf("exact-hbp bench on %s, %s, P=%d, N=%d, %d backward passes%n", Engine.backend().name(),
                theta.dtype(), p, N, out[0].passes());
        System.out.printf("20 gradient passes: cpu %.2f s, wall %.2f s%n", grads.cpu(), grads.wall());
        System.out.printf("exact-hbp per-point traces: cpu %.2f s, wall %.2f s = %.1f gradient passes (cpu), %.1f "
                + "(wall)%n", hbp.cpu(), hbp.wall(), hbp.cpu() / g1.cpu(), hbp.wall() / g1.wall());
        System.out.printf("exact-hbp, residuals as columns (%d backward passes): cpu %.2f s, wall %.2f s = %.1f gradient "
                + "passes (cpu), %.1f (wall)%n", cols[0].passes(), columns.cpu(), columns.wall(),
                columns.cpu() / g1.cpu(), columns.wall() / g1.wall());
        System.out.printf("exact-hvp per point (extrapolated from 320 products, x %.0f): cpu %.3g s, wall %.3g s = "
                + "%.3g gradient passes (cpu)%n", (double) N * p / 320, hvp.cpu(), hvp.wall(), hvp.cpu() / g1.cpu());
        double scale = (meanRelSe / 0.01) * (meanRelSe / 0.01);
        System.out.printf("hutchinson per point at 1%% relative standard error: about %.3g probes per point; "
                + "extrapolated cpu %.3g s = %.3g gradient passes (cpu)%n", meanProbes * scale, hutch.cpu() * scale,
                hutch.cpu() * scale / g1.cpu());
        System.out.printf("hutchinson per point capped at 1000 probes (extrapolated from %d points, mean %.0f probes, max relative "
                + "error against exact-hbp %.3g): cpu %.3g s, wall %.3g s = %.3g gradient passes (cpu)%n", hn,
                meanProbes, maxRel, hutch.cpu(), hutch.wall(), hutch.cpu() / g1.cpu());
        assertThat(out[0].perPoint()).hasSize(N);
    }
}
