package org.flatminima.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.optim.OptimizerState;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFilesTest {
    @TempDir
    Path dir;

    @Test
    void writingACheckpointLeavesTheCallersNetworkAsItWasAndReadsBackItsBuffersAndPendingLoss() {
        Network net = new Network(Sequential.of(new Linear(4, 3), BatchNorm.batchNorm1d(3), new ReLU(),
                new Linear(3, 2)), 4);
        Map<String, Tensor> before = new LinkedHashMap<>(net.buffers().toMap());
        Map<String, Tensor> saved = new LinkedHashMap<>(before);
        saved.put("1.running_mean", Tensor.of(DType.F64, new double[] {1, 2, 3}, 3));
        Tensor params = net.initParams(DType.F64, 1);
        CheckpointFiles.write(dir, net, new Trainer.Checkpoint(7, params, new OptimizerState(7, 0.1, Map.of()),
                saved, 0.75, 2));
        assertThat(net.buffers().toMap()).isEqualTo(before); // the old code set the checkpoint's buffers on net

        Network other = new Network(Sequential.of(new Linear(4, 3), BatchNorm.batchNorm1d(3), new ReLU(),
                new Linear(3, 2)), 4);
        Trainer.Checkpoint c = CheckpointFiles.read(dir, other, 7, DType.F64);
        assertThat(c.params().toDoubleArray()).containsExactly(params.toDoubleArray());
        assertThat(c.buffers().get("1.running_mean").toDoubleArray()).containsExactly(1, 2, 3);
        assertThat(c.lossSum()).isEqualTo(0.75);
        assertThat(c.lossCount()).isEqualTo(2);
        assertThat(dir.resolve("step-00000007.sha256")).content()
                .contains("  step-00000007.optim.safetensors", "  step-00000007.safetensors");
    }

    @Test
    void checkpointStepsAreDecidedWithoutAListWhateverTheRunLength() {
        TrainConfig c = TrainConfig.builder().epochs(2_000_000_000).checkpointEvery(1).build();
        long total = c.totalSteps(60_000);
        assertThat(total).isEqualTo(938L * 2_000_000_000L);
        assertThat(c.isCheckpoint(total - 1, total)).isTrue();
        TrainConfig sparse = TrainConfig.builder().checkpointEvery(500).checkpointAt(0, 17).build();
        assertThat(sparse.isCheckpoint(17, 1000)).isTrue();
        assertThat(sparse.isCheckpoint(18, 1000)).isFalse();
        assertThat(sparse.isCheckpoint(1000, 1000)).isTrue();
        assertThat(sparse.isCheckpoint(999, 1000)).isFalse();
    }
}
