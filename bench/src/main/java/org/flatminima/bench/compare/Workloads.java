package org.flatminima.bench.compare;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.MaxPool2d;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.kernels.DType;

/**
 * The comparison's models, the same as {@code AutodiffBenchmark}'s W1-W3 plus the authors' MLP:
 * <ul>
 *   <li>W1: affine 784 -> 10, batch 1000;</li>
 *   <li>W2: MLP 784-512-512-10 with ReLU, batch 1000;</li>
 *   <li>W3: CNN on 1x28x28: conv 32 3x3 pad 1, ReLU, maxpool 2, conv 64 3x3 pad 1, ReLU, maxpool 2, flatten,
 *       linear 3136 -> 128, ReLU, linear 128 -> 10; batch 256;</li>
 *   <li>M4: the authors' MLP 784-256-256-256-256-10 with ReLU, batch 1000.</li>
 * </ul>
 * Every workload has 10 classes; the loss is the mean cross-entropy of the batch.
 */
public final class Workloads {

    private Workloads() {
    }

    /** The model of a workload (W1, W2, W3 or M4). */
    public static Network network(String workload) {
        return switch (workload) {
            case "W1" -> new Network(Sequential.mlp(784, 10), 784);
            case "W2" -> new Network(Sequential.mlp(784, 512, 512, 10), 784);
            case "W3" -> new Network(Sequential.of(
                    new Conv2d(1, 32, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                    new Conv2d(32, 64, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                    new Flatten(), new Linear(3136, 128), new ReLU(), new Linear(128, 10)), 1, 28, 28);
            case "M4" -> new Network(Sequential.mlp(784, 256, 256, 256, 256, 10), 784);
            default -> throw new IllegalArgumentException("unknown workload '" + workload
                    + "': use W1, W2, W3, M4 (or GEMM for op gemm)");
        };
    }

    /** The default batch size of a workload: 256 for W3, else 1000. */
    public static int defaultBatch(String workload) {
        return "W3".equals(workload) ? 256 : 1000;
    }

    /** Inputs {@code [batch, ...sample shape]} uniform in [0, 1), from {@code rnd}. */
    public static Tensor inputs(Network net, DType dtype, int batch, SplittableRandom rnd) {
        int[] sample = net.sampleShape();
        int[] shape = new int[sample.length + 1];
        shape[0] = batch;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        return Tensor.uniform(dtype, rnd, 0, 1, shape);
    }

    /** Labels uniform in [0, 10), from {@code rnd}. */
    public static int[] labels(int batch, SplittableRandom rnd) {
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = rnd.nextInt(10);
        }
        return labels;
    }
}
