package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link LayerTape} against the network as a whole, in float64: the last layer's output is the logits, each
 * layer's output is the next one's input, and the layers' pullbacks chained from the logits down to the input
 * equal the reverse-mode derivative of the logits with respect to the input.
 */
@Tag("backends")
class LayerTapeTest {

    @Test
    void chainedPullbacksEqualTheNetworksInputGradient() {
        Network net = new Network(Sequential.of(new Conv2d(1, 2, 3, 1, 1, true), BatchNorm.batchNorm2d(2), new Tanh(),
                new MaxPool2d(2), new Flatten(), new Linear(8, 4), new Softplus(), new Linear(4, 3)), 1, 4, 4)
                .withMode(Mode.EVAL);
        SplittableRandom rnd = new SplittableRandom(3);
        Tensor x = Tensor.uniform(DType.F64, rnd, -1, 1, 3, 1, 4, 4);
        Tensor theta = net.initParams(DType.F64, 3);
        Tensor seed = Tensor.uniform(DType.F64, rnd, -1, 1, 3, 3);

        List<LayerTape.Layer> tape = LayerTape.record(net, theta, x);
        assertThat(tape).hasSize(8);
        double[] logits = net.logits(Var.of(theta), x).value().toDoubleArray();
        double[] last = tape.getLast().output().toDoubleArray();
        for (int i = 0; i < logits.length; i++) {
            assertThat(last[i]).isCloseTo(logits[i], within(1e-14));
        }
        for (int k = 1; k < tape.size(); k++) {
            assertThat(tape.get(k).input().toDoubleArray()).containsExactly(tape.get(k - 1).output().toDoubleArray());
        }
        Tensor g = seed;
        for (int k = tape.size() - 1; k >= 0; k--) {
            g = tape.get(k).pull(g);
        }
        // the whole module as one function of its input, differentiated in one reverse pass
        double[] want = Autodiff.vjp(in -> {
            ParamView root = net.layout().root(Var.of(theta), net.mode(), net.buffers(), null);
            return net.module().forward(in, root);
        }, Var.of(x)).pullback().apply(Var.of(seed))[0].value().toDoubleArray();
        double[] got = g.toDoubleArray();
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).isCloseTo(want[i], within(1e-12));
        }
        assertThat(tape.get(5).parameter("weight").shape()).containsExactly(4, 8);
    }
}
