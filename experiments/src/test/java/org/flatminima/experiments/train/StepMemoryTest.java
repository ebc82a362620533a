package org.flatminima.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.kernels.DType;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepMemoryTest {

    /**
     * The estimate from steps of 32 and 64 points against the bytes of real steps, for an MLP and two CNNs (one
     * with batch norm) in both dtypes: at 128 points the footprint is still linear in the batch, so the two agree
     * closely; at 512 the chunked parts of the convolutions have stopped growing, so the estimate is above the
     * real step, but not far.
     */
    @Test
    void twoProbeStepsPredictTheBytesOfLargerOnesFromAbove() {
        String[] specs = {"mlp:784-64-10", "seq:1x28x28:conv(8,3),relu,maxpool(2),flatten,linear(10)",
            "seq:1x28x28:conv(8,3),batchnorm,relu,maxpool(2),conv(8,3),relu,maxpool(2),flatten,linear(10)"};
        for (String spec : specs) {
            for (DType t : new DType[] {DType.F32, DType.F64}) {
                Network net = ModelSpec.parse(spec).network();
                Tensor theta = net.initParams(t, 3);
                Batch data = TestImages.random(t, 512, 5);
                StepMemory.Estimate e = StepMemory.estimate(net, theta, data);
                String what = spec + " " + t;
                // at least the inputs of a point and the first layer's output (64 features or 8 x 26 x 26 maps)
                assertThat(e.perPoint()).as(what).isGreaterThan((28L * 28 + 64) * t.byteSize());
                long at128 = StepMemory.stepBytes(net, theta, data, 128);
                assertThat((double) e.at(128)).as(what).isCloseTo(at128, Percentage.withPercentage(3));
                long at512 = StepMemory.stepBytes(net, theta, data, 512);
                assertThat(e.at(512)).as(what).isGreaterThanOrEqualTo(at512).isLessThan(at512 * 5 / 4);
            }
        }
    }

    @Test
    void theProbeLeavesParametersAndRunningStatisticsAsTheyWere() {
        Network net = ModelSpec.parse("seq:1x28x28:conv(4,3),batchnorm,relu,maxpool(2),flatten,linear(10)").network();
        Tensor theta = net.initParams(DType.F64, 1);
        Tensor before = theta.copy();
        Map<String, Tensor> buffers = Map.copyOf(net.buffers().toMap());
        Map<String, double[]> values = new java.util.HashMap<>();
        buffers.forEach((k, v) -> values.put(k, v.toDoubleArray()));
        StepMemory.estimate(net, theta, TestImages.random(DType.F64, 64, 2));
        assertThat(theta.toDoubleArray()).containsExactly(before.toDoubleArray());
        assertThat(net.buffers().toMap().keySet()).isEqualTo(buffers.keySet());
        net.buffers().toMap().forEach((k, v) -> assertThat(v.toDoubleArray()).as(k).containsExactly(values.get(k)));
    }

    @Test
    void aStepThatDoesNotFitIsRefusedWithOneLineNamingTheBatchTheNeedAndTheFixes() {
        StepMemory.Estimate e = new StepMemory.Estimate(100_000_000, 4_400_000);
        assertThat(e.at(4096)).isEqualTo(100_000_000 + 4096L * 4_400_000);
        StepMemory.check(e, 4096, 18_200_000_000L); // 18.12 GB needed: fits
        assertThatThrownBy(() -> StepMemory.check(e, 4096, 15_000_000_000L))
                .isInstanceOf(UserException.class)
                .hasMessage("a training step at batch 4096 needs about 18 GB of memory (4.4 MB per point, estimated "
                        + "from steps of 32 and 64 points); 15 GB is available: free memory, use a smaller batch, or set "
                        + "-Dflatminima.memoryCheck=false in FLATMINIMA_JAVA_OPTS to try anyway");
        assertThat(new StepMemory.Estimate(1, Long.MAX_VALUE / 2).at(4)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void requireRefusesARealNetworksLargeBatchAgainstASmallBudgetAndSkipsSmallBatches() {
        Network net = ModelSpec.parse("mlp:784-64-10").network();
        Tensor theta = net.initParams(DType.F32, 1);
        Batch data = TestImages.random(DType.F32, 100, 1);
        long need = StepMemory.estimate(net, theta, data).at(100);
        StepMemory.require(net, theta, data, 100, need); // exactly enough
        assertThatThrownBy(() -> StepMemory.require(net, theta, data, 100, need - 1))
                .isInstanceOf(UserException.class).hasMessageStartingWith("a training step at batch 100 needs about");
        // the batch is capped by the data: 1,000 asked, 100 points there
        assertThatThrownBy(() -> StepMemory.require(net, theta, data, 1000, need - 1))
                .hasMessageStartingWith("a training step at batch 100 needs about");
        StepMemory.require(net, theta, data, 64, 0); // no larger than the probes: not checked
    }

    @Test
    void aStepCheckedTwiceIsProbedOnceAndOtherDataIsProbedAgain() {
        Network net = ModelSpec.parse("mlp:784-64-10").network();
        Tensor theta = net.initParams(DType.F32, 1);
        Batch data = TestImages.random(DType.F32, 100, 1);
        long before = StepMemory.ESTIMATES.get();
        StepMemory.require(net, theta, data, 100, Long.MAX_VALUE);
        StepMemory.require(net, theta, data, 100, Long.MAX_VALUE); // as `train`, then the trainer
        assertThat(StepMemory.ESTIMATES.get() - before).isEqualTo(1);
        StepMemory.require(net, theta, TestImages.random(DType.F32, 100, 2), 100, Long.MAX_VALUE);
        StepMemory.require(net, theta.to(DType.F64), data, 100, Long.MAX_VALUE);
        assertThat(StepMemory.ESTIMATES.get() - before).isEqualTo(3);
    }

    @Test
    void availableMemoryIsMemAvailableCappedByTheCgroup(@TempDir Path dir) throws IOException {
        Path meminfo = Files.writeString(dir.resolve("meminfo"),
                "MemTotal:       24568700 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n");
        assertThat(StepMemory.meminfoAvailable(meminfo)).isEqualTo(20_000_000L * 1024);
        assertThat(StepMemory.meminfoAvailable(Files.writeString(dir.resolve("other"), "MemTotal: 1 kB\n")))
                .isEqualTo(-1);
        assertThat(StepMemory.meminfoAvailable(dir.resolve("missing"))).isEqualTo(-1);
        Path max = Files.writeString(dir.resolve("max"), "max\n");
        Path current = Files.writeString(dir.resolve("current"), "1000\n");
        assertThat(StepMemory.cgroupRoom(max, current)).isEqualTo(-1);
        Files.writeString(max, "8589934592\n");
        assertThat(StepMemory.cgroupRoom(max, current)).isEqualTo(8589934592L - 1000);
        assertThat(StepMemory.cgroupRoom(dir.resolve("none"), current)).isEqualTo(-1);
        assertThat(StepMemory.availableBytes()).isPositive();
    }
}
