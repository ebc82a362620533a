package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.AvgPool2d;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.MaxPool2d;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.Sigmoid;
import org.flatminima.engine.nn.Softplus;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * {@link HessianBackprop#passesPerBatch}: the backward passes exact-hbp will make, known before computing, against
 * counts worked out by hand from the layers and against the count the computation itself reports on one batch.
 */
class ExactHbpCostTest {

    /** The passes {@link HessianBackprop#exactHbp} reports on {@code n} random points in one batch. */
    private static long actual(Network net, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] sample = net.sampleShape();
        int[] shape = new int[sample.length + 1];
        shape[0] = n;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Tensor x = Tensor.uniform(DType.F64, rnd, -1, 1.5, shape);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(net.classes());
        }
        double[] t = net.initParams(DType.F64, seed).toDoubleArray();
        for (int i = 0; i < t.length; i++) {
            t[i] += 0.6 * (rnd.nextDouble() - 0.5);
        }
        return HessianBackprop.exactHbp(net, Tensor.of(DType.F64, t, t.length), x, y, n).passes();
    }

    private static long predicted(Network net) {
        return HessianBackprop.passesPerBatch(net, net.sampleShape());
    }

    /** 3-5-4-4-3 with tanh: the top residual crosses two Linear layers, so it needs its 4 columns. */
    private static Network deepTanhMlp() {
        return new Network(Sequential.of(new Linear(3, 5), new Tanh(), new Linear(5, 4), new Tanh(),
                new Linear(4, 4), new Tanh(), new Linear(4, 3)), 3);
    }

    /** A smooth activation above the second convolution: one column per unit of its input, 4 x 4 x 4. */
    private static Network tanhAboveSecondConv() {
        return new Network(Sequential.of(new Conv2d(1, 3, 3, 1, 1, true), new Tanh(), new Conv2d(3, 4, 3, 1, 0, true),
                new Sigmoid(), new Flatten(), new Linear(64, 5)), 1, 6, 6);
    }

    @Test
    void handCountsOfTheLayers() {
        // 1 gradient pass + C - 1 loss columns + the columns of the residuals that can be neither taken nor carried
        Network mlp = new Network(Sequential.of(new Linear(4, 6), new Tanh(), new Linear(6, 5), new Softplus(),
                new Linear(5, 3)), 4);
        assertThat(predicted(mlp)).isEqualTo(1 + 2);
        assertThat(predicted(deepTanhMlp())).isEqualTo(1 + 2 + 4);
        assertThat(predicted(tanhAboveSecondConv())).isEqualTo(1 + 4 + 4 * 4 * 4);
        // the sigmoid right above the first layer with parameters costs nothing
        Network shallow = new Network(Sequential.of(new Conv2d(2, 3, 3, 2, 1, true), new Sigmoid(), new AvgPool2d(2),
                new Flatten(), new Softplus(), new Linear(12, 4)), 2, 7, 7);
        assertThat(predicted(shallow)).isEqualTo(1 + 3 + 3 * 2 * 2); // the softplus residual cannot cross the average pooling
        // piecewise-linear layers have no residual
        Network relu = new Network(Sequential.of(new Conv2d(1, 2, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                new Conv2d(2, 2, 2, 1, 0, true), new ReLU(), new Flatten(), new Linear(8, 3)), 1, 6, 6);
        assertThat(predicted(relu)).isEqualTo(1 + 2);
    }

    @Test
    void equalsTheCountTheComputationReports() {
        Network[] nets = {deepTanhMlp(), tanhAboveSecondConv(),
            new Network(Sequential.of(new Linear(4, 5), BatchNorm.batchNorm1d(5), new Tanh(), new Linear(5, 5),
                    new Tanh(), new Linear(5, 3)), 4).withMode(Mode.EVAL),
            new Network(Sequential.of(new Conv2d(1, 2, 3, 1, 1, true), new Tanh(), new MaxPool2d(2),
                    new Conv2d(2, 3, 2, 1, 0, true), new Tanh(), new Flatten(), new Linear(12, 3)), 1, 6, 6)};
        for (Network net : nets) {
            for (int n : new int[] {1, 5}) {
                assertThat(actual(net, n, 7 + n)).as("%s on %d points", net.module(), n).isEqualTo(predicted(net));
            }
        }
        // without carrying diagonals, the columns of the MLP's middle residual are counted too
        HessianBackprop.carryDiagonal = false;
        try {
            assertThat(predicted(deepTanhMlp())).isEqualTo(1 + 2 + 4 + 4).isEqualTo(actual(deepTanhMlp(), 3, 5));
        } finally {
            HessianBackprop.carryDiagonal = true;
        }
    }

    @Test
    void isAnUpperBoundWhenAMaxPoolingAboveTheActivationStopsSomeGradients() {
        // the sigmoid's input is 2 x 4 x 4; max pooling passes one point's gradient to one unit of each 2 x 2 window
        Network net = new Network(Sequential.of(new Conv2d(1, 2, 3, 1, 1, true), new ReLU(),
                new Conv2d(2, 2, 3, 1, 1, true), new Sigmoid(), new MaxPool2d(2), new Flatten(), new Linear(8, 3)),
                1, 4, 4);
        assertThat(predicted(net)).isEqualTo(1 + 2 + 2 * 4 * 4);
        assertThat(actual(net, 1, 3)).isEqualTo(1 + 2 + 2 * 2 * 2);
        assertThat(actual(net, 40, 3)).isBetween(1L + 2 + 2 * 2 * 2, predicted(net));
    }

    @Test
    void refusesANetworkExactHbpDoesNotApplyTo() {
        Network train = new Network(Sequential.of(new Linear(4, 5), BatchNorm.batchNorm1d(5), new Tanh(),
                new Linear(5, 3)), 4);
        assertThatThrownBy(() -> predicted(train)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("exact-hbp refused: ");
    }
}
