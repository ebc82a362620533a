package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Taps: sites in forward order, inputs as fed, and cotangents that rebuild the parameter gradient. */
@Tag("backends")
class TapsTest {

    @Test
    void tapCotangentsTimesInputsAreTheParameterGradientOfTheSeededLogits() {
        Network net = new Network(Sequential.of(new Linear(4, 5), new ReLU(), new Linear(5, 3)), 4);
        SplittableRandom rnd = new SplittableRandom(3);
        Tensor x = Tensor.uniform(DType.F64, rnd, -1, 1, 6, 4);
        Tensor theta = net.initParams(DType.F64, 3);
        Tensor seed = Tensor.uniform(DType.F64, rnd, -1, 1, 6, 3);
        Taps.Tapped tp = Taps.record(net, theta, x);
        assertThat(tp.sites()).extracting(Taps.Site::path).containsExactly("0", "2");
        assertThat(tp.logits().toDoubleArray()).containsExactly(net.logits(Var.of(theta), x).value().toDoubleArray());
        assertThat(tp.inputs().get(0).toDoubleArray()).containsExactly(x.toDoubleArray());
        List<Tensor> g = tp.pullback().apply(seed);
        // reference: the gradient of <seed, logits> with respect to theta
        double[] grad = Autodiff.vjp(t -> net.logits(t, x), Var.of(theta)).pullback().apply(Var.of(seed))[0].value()
                .toDoubleArray();
        var layout = net.layout();
        for (int i = 0; i < 2; i++) {
            Taps.Site s = tp.sites().get(i);
            // sum_n g_n a_n^T and sum_n g_n
            double[] gw = TensorOps.matmul(g.get(i).transpose(0, 1), tp.inputs().get(i)).toDoubleArray();
            double[] gb = TensorOps.sum(g.get(i), 0, false).toDoubleArray();
            ParameterLayout.Entry w = layout.entry(s.param("weight"));
            ParameterLayout.Entry b = layout.entry(s.param("bias"));
            for (int j = 0; j < gw.length; j++) {
                assertThat(gw[j]).isCloseTo(grad[w.offset() + j], org.assertj.core.api.Assertions.within(1e-13));
            }
            for (int j = 0; j < gb.length; j++) {
                assertThat(gb[j]).isCloseTo(grad[b.offset() + j], org.assertj.core.api.Assertions.within(1e-13));
            }
        }
    }
}
