package org.flatminima.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

class TrainerTest {

    /** A learnable problem: labels are the argmax of a fixed random linear map of Gaussian inputs. */
    static Batch teacher(DType t, int n, int d, int c, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor x = Tensor.normal(t, rnd, n, d);
        Tensor w = Tensor.normal(t, new SplittableRandom(99), d, c);
        return new Batch(x, TensorOps.argmax(TensorOps.matmul(x, w), 1));
    }

    private static TrainConfig config(double lr, int epochs, long... checkpoints) {
        return TrainConfig.builder().lr(lr).momentum(0.9).batchSize(32).epochs(epochs).schedule("multistep")
                .milestones(3).gamma(0.5).seed(7).logEvery(10).checkpointAt(checkpoints).build();
    }

    @Test
    void learnsASeparableProblem() {
        Network net = new Network(Sequential.mlp(10, 32, 4), 10);
        Batch train = teacher(DType.F32, 512, 10, 4, 1);
        Batch test = teacher(DType.F32, 256, 10, 4, 2);
        Trainer.Result r = Trainer.train(net, net.initParams(DType.F32, 3), train, test, config(0.05, 6), null, null);
        Trainer.Metrics last = r.metrics().get(r.metrics().size() - 1);
        assertThat(r.steps()).isEqualTo(6 * 16);
        assertThat(last.trainAccuracy()).isGreaterThan(0.95);
        assertThat(last.testAccuracy()).isGreaterThan(0.85);
        assertThat(last.lr()).isEqualTo(0.025); // multistep: halved after epoch 3
        assertThat(r.metrics().get(0).batchLoss()).isGreaterThan(last.batchLoss());
    }

    @Test
    void resumingFromACheckpointEndsWithTheSameWeightsBitForBit() {
        Network net = new Network(Sequential.of(new Linear(10, 16), BatchNorm.batchNorm1d(16), new ReLU(),
                new Linear(16, 4)), 10);
        Batch train = teacher(DType.F64, 200, 10, 4, 5);
        List<Trainer.Checkpoint> saved = new ArrayList<>();
        Trainer.Callbacks keep = new Trainer.Callbacks() {
            @Override
            public void onCheckpoint(Trainer.Checkpoint c) {
                saved.add(c);
            }
        };
        Tensor full = Trainer.train(net, net.initParams(DType.F64, 1), train, null, config(0.05, 4, 17), null, keep)
                .params();
        Trainer.Checkpoint at17 = saved.get(0);
        assertThat(at17.step()).isEqualTo(17); // mid-epoch (7 steps per epoch)
        Trainer.Result resumed = Trainer.train(net, net.initParams(DType.F64, 999), train, null,
                config(0.05, 4, 17), at17, null);
        assertThat(resumed.params().toDoubleArray()).containsExactly(full.toDoubleArray());
        assertThat(resumed.buffers().get("1.running_mean").toDoubleArray())
                .containsExactly(saved.get(saved.size() - 1).buffers().get("1.running_mean").toDoubleArray());
    }

    @Test
    void aDivergingRunStopsNamingTheStep() {
        Network net = new Network(Sequential.mlp(10, 32, 4), 10);
        Batch train = teacher(DType.F32, 128, 10, 4, 1);
        assertThatThrownBy(() -> Trainer.train(net, net.initParams(DType.F32, 3), train, null, config(1e6, 3),
                null, null))
                .isInstanceOf(Trainer.DivergedException.class)
                .hasMessageContaining("at step")
                .hasMessageContaining("lower the learning rate");
    }

    @Test
    void batchOrderIsAPermutationFixedBySeedAndEpoch() {
        int[] a = Trainer.order(7, 2, 50);
        assertThat(a).containsExactlyInAnyOrder(java.util.stream.IntStream.range(0, 50).toArray());
        assertThat(Trainer.order(7, 2, 50)).containsExactly(a);
        assertThat(Trainer.order(7, 3, 50)).isNotEqualTo(a);
    }
}
