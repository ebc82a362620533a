package org.flatminima.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.testing.ByHand;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ffm.NativeBackend;
import org.junit.jupiter.api.Test;

class PassesTest {

    @Test
    void pointsPerPassIsTheBudgetOverTheBytesOfAPointBetweenOneAndTheMaximum() {
        // 268,435,456 / 9,090,000 = 29.5: 29 points, rounded down to a multiple of 16
        assertThat(Passes.pointsPerPass(256L << 20, 9_090_000, 1000)).isEqualTo(16);
        assertThat(Passes.pointsPerPass(512L << 20, 9_090_000, 1000)).isEqualTo(48); // 59
        assertThat(Passes.pointsPerPass(256L << 20, 1_000, 1000)).isEqualTo(1000);
        assertThat(Passes.pointsPerPass(256L << 20, 1_000, 7)).isEqualTo(7);
        assertThat(Passes.pointsPerPass(100, 1_000, 1000)).isEqualTo(1);
        assertThat(Passes.pointsPerPass(15_999, 1_000, 1000)).isEqualTo(15); // below 16: not rounded
        assertThat(Passes.pointsPerPass(999_999, 1_000, 1000)).isEqualTo(992);
        assertThat(Passes.pointsPerPass(999_999, 1_000, 999)).isEqualTo(999); // the whole chunk: not rounded
        assertThat(Passes.pointsPerPass(Long.MAX_VALUE, 1, Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> Passes.pointsPerPass(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keskarC3InFloat64TakesAtMostAFewDozenPointsPerPass() {
        // the model: the chunks of 1,000 points of an evaluation held 4 GB of activations
        Network net = ModelSpec.parse("keskar-c3:1x28x28-10").network();
        Tensor theta = net.initParams(DType.F64, 1);
        long perPoint = Passes.bytesPerPoint(net, theta);
        // a lower bound by hand: the outputs of the layers of one point that a pass keeps, 8 bytes each: twice
        // conv, batch norm, relu (24 x 28 x 28 each), zero padding (24 x 58 x 58) and max pooling (24 x 28 x 28)
        long outputs = 2L * (4 * 24 * 28 * 28 + 24 * 58 * 58);
        assertThat(perPoint).isGreaterThanOrEqualTo(8 * outputs);
        int pass = Passes.pointsPerPass(net, theta, 1000);
        assertThat(pass).isEqualTo(Passes.pointsPerPass(Passes.BUDGET_BYTES, perPoint, 1000));
        assertThat(pass).isBetween(1, (int) (Passes.BUDGET_BYTES / (8 * outputs)));
        // a small MLP takes the whole chunk in one pass
        Network mlp = ModelSpec.parse("mlp:784-32-10").network();
        assertThat(Passes.pointsPerPass(mlp, mlp.initParams(DType.F64, 1), 1000)).isEqualTo(1000);
    }

    @Test
    void logitsInPassesOfSixteenAreTheLogitsOfOnePassToTheBit() {
        Network net = ModelSpec.parse("keskar-c3:1x28x28-10").network();
        Tensor theta = net.initParams(DType.F64, 3);
        Batch b = TestImages.random(DType.F64, 39, 5);
        double[] one = Passes.logits(net, theta, b.x(), 39).toDoubleArray();
        double[] sixteens = Passes.logits(net, theta, b.x(), 16).toDoubleArray();
        assertThat(sixteens).hasSize(39 * 10);
        if (bitsHold()) {
            assertThat(sixteens).containsExactly(one);
        } else { // OpenBLAS's AVX-512 small-matrix kernels take the passes' small products: rounding only
            for (int i = 0; i < one.length; i++) {
                assertThat(sixteens[i]).isCloseTo(one[i], org.assertj.core.data.Offset.offset(1e-12));
            }
        }
        // passes that are not a multiple of the row blocks agree to rounding only
        double[] threes = Passes.logits(net, theta, b.x(), 3).toDoubleArray();
        for (int i = 0; i < one.length; i++) {
            assertThat(threes[i]).isCloseTo(one[i], org.assertj.core.data.Offset.offset(1e-12));
        }
        // the evaluation: the loss summed per chunk of 32 points as before, from passes of 16 points
        Trainer.Evaluation whole = Trainer.evaluate(net, theta, b, 32, 32);
        Trainer.Evaluation passes = Trainer.evaluate(net, theta, b, 32, 16);
        if (bitsHold()) {
            assertThat(passes.loss()).isEqualTo(whole.loss());
        } else {
            assertThat(passes.loss()).isCloseTo(whole.loss(), org.assertj.core.data.Offset.offset(1e-12));
        }
        assertThat(passes.accuracy()).isEqualTo(whole.accuracy());
        // an independent mean of the per-point cross-entropies from the one-pass logits
        double sum = 0;
        int correct = 0;
        for (int i = 0; i < 39; i++) {
            sum += ByHand.crossEntropy(one, 10, i, b.labels()[i]);
            correct += ByHand.argmax(one, 10, i) == b.labels()[i] ? 1 : 0;
        }
        assertThat(passes.loss()).isCloseTo(sum / 39, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(passes.accuracy()).isEqualTo(correct / 39.0);
    }

    /**
     * Whether passes of 16 points give the bits of one pass here: not when the loaded OpenBLAS has AVX-512
     * small-matrix kernels ({@code OpenBlas.hasSmallMatrixKernels}; then the weaker agreement is asserted even if
     * this run's backend does not use OpenBLAS), nor where the native backend runs its large products on the vector
     * GEMM (512-bit vectors beside an OpenBLAS core without AVX-512 kernels, as under {@code OPENBLAS_CORETYPE=Haswell}
     * on an AMD Zen 5): a double product goes there from 32 rows on ({@code GemmRoutes.vectorGemmShape}), so the one
     * pass's 39 rows and a pass's 16 are summed by different kernels.
     */
    private static boolean bitsHold() {
        return !org.flatminima.kernels.ffm.OpenBlas.hasSmallMatrixKernels()
                && !(Backends.preferred() instanceof NativeBackend nb && nb.gemmNote().startsWith("vector"));
    }
}
