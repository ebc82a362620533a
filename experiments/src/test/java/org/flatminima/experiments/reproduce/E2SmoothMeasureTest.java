package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * E2's measurements take the model's cheapest exact method: closed-form and exact-ggn as before on affine and
 * ReLU models, exact-hbp on smooth ones, whose per-point traces equal each point's own exact-hvp trace (f64).
 */
class E2SmoothMeasureTest {

    private static Batch points(int n) {
        Dataset d = new DataSets(DataSets.Locations.fromEnvironment()).load(DataSets.EMBEDDED, DataSets.Split.TRAIN)
                .first(n).as(DType.F64).as(Dataset.Layout.IMAGES);
        return Nets.batch(d);
    }

    @Test
    void smoothModelsGetExactHbpTracesEqualToExactHvp() {
        Batch b = points(9);
        for (String arch : List.of("seq:1x28x28:avgpool(4),conv(2,3),tanh,conv(2,3),sigmoid,flatten,linear(10)",
                "seq:1x28x28:avgpool(4),flatten,linear(6),softplus,linear(10)")) {
            Network net = ModelSpec.parse(arch).network();
            Tensor theta = net.initParams(DType.F64, 13);
            E2FlatnessVsMargins.PointValues pv = E2FlatnessVsMargins.measure(net, 1, theta, b, b.range(0, 3), 4);
            assertThat(pv.method()).as(arch).isEqualTo("exact-hbp");
            for (int i = 0; i < b.size(); i++) {
                double expected = Curvature.of(net, theta, b.x().slice(0, i, i + 1).contiguous(),
                        new int[] {b.labels()[i]}).breakdown(Curvature.Method.EXACT_HVP, false).total();
                assertThat(Math.abs(pv.trace()[i] - expected)).as("%s point %d: %s against %s", arch, i,
                        pv.trace()[i], expected).isLessThanOrEqualTo(1e-10 * Math.abs(expected));
            }
        }
    }

    @Test
    void affineAndReluModelsKeepTheirMethods() {
        Batch b = points(5);
        for (String[] c : new String[][] {{"affine:784-10", "closed-form"}, {"mlp:784-8-10", "exact-ggn"},
            {"seq:1x28x28:conv(2,3,pad=1),relu,maxpool(2),flatten,linear(10)", "exact-ggn"}}) {
            Network net = ModelSpec.parse(c[0]).network();
            Tensor theta = net.initParams(DType.F64, 2);
            E2FlatnessVsMargins.PointValues pv = E2FlatnessVsMargins.measure(net, 1, theta, b, b.range(0, 2), 5);
            assertThat(pv.method()).as(c[0]).isEqualTo(c[1]);
        }
    }
}
