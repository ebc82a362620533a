package org.flatminima.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.MaxPool2d;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.kernels.DType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;

import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The autodiff issue's workloads: mean cross-entropy of a batch of random data with 10 classes, on the default
 * backend with {@code threads} kernel threads, timing the loss (forward), the gradient, one Hessian-vector
 * product (forward-over-reverse) and ten at once (the batched HVP that Hutchinson-10 uses). Every call runs in
 * a {@link Scope}, so its memory is freed at once, as in a training loop.
 *
 * <ul>
 *   <li>W1: affine 784 -> 10, batch 1000;</li>
 *   <li>W2: MLP 784-512-512-10 with ReLU, batch 1000;</li>
 *   <li>W3: CNN on 1x28x28: conv 32 3x3 pad 1, ReLU, maxpool 2, conv 64 3x3 pad 1, ReLU, maxpool 2, flatten,
 *       linear 3136 -> 128, ReLU, linear 128 -> 10; batch 256.</li>
 * </ul>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
        "--add-modules=jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow",
        "-Xmx8g",
})
public class AutodiffBenchmark {

    /** W1, W2 or W3. */
    @Param({"W1", "W2", "W3"})
    public String workload;

    /** f32 or f64. */
    @Param({"f32", "f64"})
    public String dtype;

    /** Kernel threads of the backend. */
    @Param({"1"})
    public int threads;

    private Function<Var, Var> loss;
    private Var theta;
    private Var direction;
    private Var directions10;

    /** The model of a workload. */
    static Network network(String workload) {
        return switch (workload) {
            case "W1" -> new Network(Sequential.mlp(784, 10), 784);
            case "W2" -> new Network(Sequential.mlp(784, 512, 512, 10), 784);
            case "W3" -> new Network(Sequential.of(
                    new Conv2d(1, 32, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                    new Conv2d(32, 64, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                    new Flatten(), new Linear(3136, 128), new ReLU(), new Linear(128, 10)), 1, 28, 28);
            default -> throw new IllegalArgumentException("unknown workload " + workload + ": use W1, W2 or W3");
        };
    }

    /** Batch size of a workload. */
    static int batch(String workload) {
        return "W3".equals(workload) ? 256 : 1000;
    }

    /** Builds the model, the data and the directions. */
    @Setup(Level.Trial)
    public void setUp() {
        Engine.backend().setThreads(threads);
        DType t = DType.parse(dtype);
        Network net = network(workload);
        int n = batch(workload);
        SplittableRandom rnd = new SplittableRandom(42);
        int[] sample = net.sampleShape();
        int[] shape = new int[sample.length + 1];
        shape[0] = n;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Tensor x = Tensor.uniform(t, rnd, 0, 1, shape);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rnd.nextInt(10);
        }
        loss = net.lossFunction(x, labels);
        theta = Var.of(net.initParams(t, 1));
        int p = net.parameterCount();
        direction = Var.of(Tensor.normal(t, rnd, p));
        directions10 = Var.of(Tensor.normal(t, rnd, 10, p));
    }

    /** The mean loss. */
    @org.openjdk.jmh.annotations.Benchmark
    public double forward() {
        try (Scope s = Scope.open()) {
            return loss.apply(theta).value().item();
        }
    }

    /** The gradient of the mean loss (reverse mode). */
    @org.openjdk.jmh.annotations.Benchmark
    public double gradient() {
        try (Scope s = Scope.open()) {
            return Autodiff.grad(loss, theta).value().get(0);
        }
    }

    /** One Hessian-vector product, forward-over-reverse. */
    @org.openjdk.jmh.annotations.Benchmark
    public double hvp() {
        try (Scope s = Scope.open()) {
            return Autodiff.hvp(loss, theta, direction).value().get(0);
        }
    }

    /** Ten Hessian-vector products in one batched pass. */
    @org.openjdk.jmh.annotations.Benchmark
    public double hvp10() {
        try (Scope s = Scope.open()) {
            return Autodiff.hvpBatch(loss, theta, directions10).value().get(0, 0);
        }
    }
}
