package org.flatminima.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.curvature.ExactTraces;
import org.flatminima.engine.curvature.PerPointHutchinson;
import org.flatminima.engine.nn.Network;
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
 * The curvature issue's targets: per-point exact Hessian traces for 10,000 MNIST-shaped points on the authors'
 * 4-layer ReLU MLP 784-256-256-256-256-10 ("SimpleNet"), float32, 1 thread, against one gradient pass over the
 * same points; and the authors' per-point estimator (a Hutchinson loop at batch size 1, at most 100 Rademacher
 * probes, stop when the running mean changes by less than 0.1%) run with our HVPs on the first
 * {@code authorsPoints} points (its time scales linearly with the number of points).
 * Single-shot times in seconds: each call is long.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {
        "--add-modules=jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow",
        "-Xmx8g",
})
public class CurvatureBenchmark {

    /** Points of the data set. */
    @Param({"10000"})
    public int points;

    /** Points processed per batch (inside a scope). */
    @Param({"1000"})
    public int batch;

    /** Points the authors' estimator is timed on. */
    @Param({"10"})
    public int authorsPoints;

    private Network net;
    private Tensor theta;
    private Tensor x;
    private int[] labels;

    /** Data, model and parameters (PyTorch's default initialisation). */
    @Setup(Level.Trial)
    public void setUp() {
        Engine.backend().setThreads(1);
        net = new Network(Sequential.mlp(784, 256, 256, 256, 256, 10), 784);
        SplittableRandom rnd = new SplittableRandom(42);
        x = Tensor.uniform(DType.F32, rnd, 0, 1, points, 784);
        labels = new int[points];
        for (int i = 0; i < points; i++) {
            labels[i] = rnd.nextInt(10);
        }
        theta = net.initParams(DType.F32, 1);
    }

    /** One gradient of the mean loss over all points, batch by batch. */
    @Benchmark
    public double gradientPass() {
        double s = 0;
        for (int from = 0; from < points; from += batch) {
            int to = Math.min(points, from + batch);
            try (Scope sc = Scope.open()) {
                Tensor xb = x.slice(0, from, to).contiguous();
                int[] yb = java.util.Arrays.copyOfRange(labels, from, to);
                s += Autodiff.grad(net.lossFunction(xb, yb), Var.of(theta)).value().get(0);
            }
        }
        return s;
    }

    /** Every point's own exact loss-Hessian trace (and with them the whole-data trace, their mean). */
    @Benchmark
    public double perPointExactGgn() {
        return ExactTraces.exactGgn(net, theta, x, labels, batch).total();
    }

    /** The authors' per-point Hutchinson loop on the first {@code authorsPoints} points. */
    @Benchmark
    public double authorsEstimator() {
        Tensor xs = x.slice(0, 0, authorsPoints).contiguous();
        int[] ys = java.util.Arrays.copyOf(labels, authorsPoints);
        return PerPointHutchinson.authors(PerPointHutchinson.pointLosses(net, xs, ys), authorsPoints, theta,
                PerPointHutchinson.AuthorsOptions.paper()).values()[0];
    }
}
