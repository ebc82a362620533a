package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.optim.Sgd;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * A training loop of 20,000 small steps (forward, tape, backward, SGD with momentum) runs in bounded memory:
 * everything a step makes lives in its scope, and the parameters and optimiser state are updated in place.
 * Also a sanity check that the loop learns (the loss of a separable problem falls).
 */
class TrainingLoopMemoryTest {
    private static final long MB = 1 << 20;

    private static long vmRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /**
     * Resident memory not accounted for by the JVM's own heap and non-heap pools: off-heap tensors, arenas,
     * native libraries. The JVM grows its heap lazily, which is not a leak and is excluded this way.
     */
    private static long outsideJvmPools() throws IOException {
        MemoryMXBean m = ManagementFactory.getMemoryMXBean();
        return vmRss() - m.getHeapMemoryUsage().getCommitted() - m.getNonHeapMemoryUsage().getCommitted();
    }

    @Test
    void twentyThousandStepsRunInBoundedMemoryAndLearn() throws IOException {
        DType t = DType.F32;
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 32;
        int d = 20;
        int h = 32;
        int c = 10;
        // a separable problem: the label is the argmax of a fixed linear map of x
        Tensor x = Tensor.normal(t, rnd, n, d);
        Tensor teacher = Tensor.normal(t, rnd, d, c);
        int[] labels = TensorOps.argmax(TensorOps.matmul(x, teacher), 1);
        Var xs = Var.of(x);
        int p = h * d + h + c * h + c;
        Tensor params = Tensor.uniform(t, rnd, -0.2, 0.2, p);
        Function<Var, Var> loss = th -> {
            Var a = xs.matmul(th.view(0, h, d).mT()).add(th.view(h * d, h)).relu();
            return a.matmul(th.view(h * d + h, c, h).mT()).add(th.view(h * d + h + c * h, c)).crossEntropy(labels);
        };
        Sgd sgd = new Sgd(0.05, 0.9, 0.0, false);
        double first = Double.NaN;
        double last = Double.NaN;
        long memAtHalf = 0;
        long autoAtHalf = 0;
        int steps = 20_000;
        for (int step = 1; step <= steps; step++) {
            try (Scope s = Scope.open()) {
                Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(loss, Var.of(params));
                last = vg.value().value().item();
                if (step == 1) {
                    first = last;
                }
                sgd.stepInPlace(params, vg.grad().value());
            }
            if (step == 10_000) {
                System.gc();
                memAtHalf = outsideJvmPools();
                autoAtHalf = Scope.autoLiveBytes();
            }
        }
        System.gc();
        long growth = outsideJvmPools() - memAtHalf;
        System.out.printf("training loop: loss %.4f -> %.6f; growth of resident memory outside the JVM's pools, steps 10,000..20,000: %.1f MB; "
                + "GC-managed tensor bytes %d -> %d%n", first, last, growth / (double) MB, autoAtHalf,
                Scope.autoLiveBytes());
        // a leak of what one step allocates (tens of KB) over 10,000 steps would be hundreds of MB; the first
        // 10,000 steps warm up the JIT and malloc's arenas, whose native memory is not a leak
        assertThat(growth).as("native memory growth between step 10,000 and 20,000").isLessThan(32 * MB);
        assertThat(Scope.autoLiveBytes()).as("GC-managed tensor memory").isLessThanOrEqualTo(autoAtHalf + MB);
        assertThat(last).as("the loop learns").isLessThan(first / 10);
    }
}
