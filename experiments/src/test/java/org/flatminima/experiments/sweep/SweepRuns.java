package org.flatminima.experiments.sweep;

import java.util.function.Supplier;
import org.flatminima.engine.Engine;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.kernels.Backends;

/** Tiny run configurations for the sweep tests, and the scalar backend for bit-for-bit comparisons. */
final class SweepRuns {
    private SweepRuns() {
    }

    /**
     * A run of {@code arch} on the first 200 training and 100 test points of the embedded subset, f64, batches of
     * 50 (4 steps per epoch), checkpoints at step 0 and every 2 steps, every measure on {@code measured} points.
     */
    static RunConfig.Builder tiny(String arch, double lr, int epochs, int measured) {
        return RunConfig.builder().dataset("embedded").trainPoints(200).testPoints(100).arch(arch).dtype("f64")
                .train(TrainConfig.builder().lr(lr).momentum(0.9).batchSize(50).epochs(epochs).seed(5).logEvery(3)
                        .checkpointEvery(2).checkpointAt(0).build())
                .measures(RunConfig.MEASURES).measureTrainPoints(measured).eigenvalues(1).threads(1);
    }

    /** {@code body} on the scalar backend (the oracle: the same loops whatever the batch, so bit for bit). */
    static <T> T scalar(Supplier<T> body) {
        return Engine.with(Backends.get("scalar"), body);
    }
}
