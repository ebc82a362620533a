package org.flatminima.sweeps;

import java.util.ArrayList;
import java.util.List;
import org.flatminima.experiments.sweep.RunConfig;
import org.flatminima.experiments.train.TrainConfig;

/** The tiny sweeps of these tests: a few runs on a few hundred points of the embedded MNIST subset, f64. */
final class TinySweep {
    private TinySweep() {
    }

    /**
     * An affine model and an MLP, each with {@code seeds} seeds: 300 training and 200 test points, batches of 50
     * (6 steps per epoch), 2 epochs, checkpoints at steps 4, 8 and the last (12), every measure on 100 points.
     */
    static List<RunConfig> runs(int seeds) {
        List<RunConfig> runs = new ArrayList<>();
        for (String arch : List.of("affine:784-10", "mlp:784-16-10")) {
            for (long seed = 0; seed < seeds; seed++) {
                runs.add(run(arch, seed));
            }
        }
        return runs;
    }

    static RunConfig run(String arch, long seed) {
        return RunConfig.builder().dataset("embedded").trainPoints(300).testPoints(200).arch(arch).dtype("f64")
                .train(TrainConfig.builder().lr(0.1).momentum(0).batchSize(50).epochs(2).seed(seed).logEvery(6)
                        .checkpointAt(4, 8).build())
                .measures(RunConfig.MEASURES).measureTrainPoints(100).measureTestPoints(100).eigenvalues(1)
                .threads(1).build();
    }
}
