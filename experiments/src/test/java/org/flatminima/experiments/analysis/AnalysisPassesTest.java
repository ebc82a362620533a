package org.flatminima.experiments.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.measures.PointMeasures;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * The forward and input-gradient passes inside a chunk (issue 16: KeskarC3's chunks of 1,000 points held 4 GB of
 * activations at once) do not change the per-point values: passes of a multiple of 16 points give them to the
 * bit as one pass over the chunk, other pass sizes to rounding.
 */
class AnalysisPassesTest {
    /** A convolution, batch norm (eval mode: affine) and max pooling, as KeskarC3, but small. */
    static final String CNN = "seq:1x28x28:conv(4,5,stride=2,pad=2),batchnorm,relu,maxpool(2),flatten,linear(16),relu,"
            + "linear(10)";
    static final int N = 70;

    private static Dataset data() {
        return DataSets.embedded(DataSets.Split.TRAIN, N).as(DType.F64).as(Dataset.Layout.IMAGES);
    }

    private static Network evalNet() {
        return ModelSpec.parse(CNN).network().withMode(org.flatminima.engine.nn.Mode.EVAL);
    }

    /** The measures with input margins, in chunks of 40 points and passes of {@code pass}. */
    private static PointMeasures measures(Network net, Tensor theta, Dataset d, Curvature.Method traces, int pass) {
        return PointMeasures.of(net, theta, d.images(), d.labels(), traces, true, 40, pass);
    }

    @Test
    void aShardFromPassesOfSixteenIsTheShardFromOnePassPerChunkToTheBit() {
        Dataset d = data();
        Network net = ModelSpec.parse(CNN).network();
        Tensor theta = net.initParams(DType.F64, 4);
        Analysis.Options o = Analysis.Options.defaults().perPointTraces(true).chunk(40);
        Analysis.Shard one = Analysis.analyzePoints(net, theta, d.images(), d.labels(), 0, o.pointsPerPass(40));
        Analysis.Shard sixteen = Analysis.analyzePoints(net, theta, d.images(), d.labels(), 0, o.pointsPerPass(16));
        AnalysisShardsTest.assertSameRecord(sixteen, one, "passes of 16");
        // a small model: the default takes each chunk in one pass
        AnalysisShardsTest.assertSameRecord(Analysis.analyzePoints(net, theta, d.images(), d.labels(), 0, o), one,
                "default passes");
        Analysis.Shard sevens = Analysis.analyzePoints(net, theta, d.images(), d.labels(), 0, o.pointsPerPass(7));
        for (int i = 0; i < N; i++) {
            assertThat(sevens.loss()[i]).isCloseTo(one.loss()[i], within(1e-12));
            assertThat(sevens.inputMargin()[i]).isCloseTo(one.inputMargin()[i],
                    within(1e-12 * Math.abs(one.inputMargin()[i])));
        }
        assertThat(sevens.predicted()).containsExactly(one.predicted());
    }

    @Test
    void pointMeasuresFromPassesOfSixteenAreThoseFromOnePassPerChunkToTheBit() {
        Dataset d = data();
        Network net = evalNet();
        Tensor theta = net.initParams(DType.F64, 4);
        PointMeasures one = measures(net, theta, d, Curvature.Method.EXACT_GGN, 40);
        PointMeasures sixteen = measures(net, theta, d, Curvature.Method.EXACT_GGN, 16);
        AnalysisShardsTest.assertSameRecord(sixteen, one, "passes of 16");
        AnalysisShardsTest.assertSameRecord(PointMeasures.of(net, theta, d.images(), d.labels(),
                Curvature.Method.EXACT_GGN, true, 40), one, "default passes");
        PointMeasures sevens = measures(net, theta, d, Curvature.Method.EXACT_GGN, 7);
        assertThat(sevens.trace()).containsExactly(one.trace());
        for (int i = 0; i < N; i++) {
            assertThat(sevens.margins().output()[i]).isCloseTo(one.margins().output()[i], within(1e-12));
            assertThat(sevens.inputMargin()[i]).isCloseTo(one.inputMargin()[i],
                    within(1e-12 * Math.abs(one.inputMargin()[i])));
        }
    }

    @Test
    void theMarginsFromTheTracesForwardPassesAreThoseOfTheirOwn() {
        // with exact-ggn the logits and last-layer inputs come from its forward passes (Curvature.ForwardObserver),
        // without traces from the margins' own: the same values to rounding (other batch sizes), every point once
        Dataset d = data();
        Network net = evalNet();
        Tensor theta = net.initParams(DType.F64, 5);
        PointMeasures traced = measures(net, theta, d, Curvature.Method.EXACT_GGN, 16);
        PointMeasures own = measures(net, theta, d, null, 16);
        assertThat(traced.margins().predicted()).containsExactly(own.margins().predicted());
        assertThat(traced.margins().runnerUp()).containsExactly(own.margins().runnerUp());
        for (int i = 0; i < N; i++) {
            assertThat(traced.margins().output()[i]).isCloseTo(own.margins().output()[i], within(1e-12));
            assertThat(traced.margins().oneMinusM2()[i]).isCloseTo(own.margins().oneMinusM2()[i], within(1e-12));
            assertThat(traced.affineTraceExpr()[i]).isCloseTo(own.affineTraceExpr()[i],
                    within(1e-12 * Math.abs(own.affineTraceExpr()[i])));
            assertThat(traced.inputMargin()[i]).isCloseTo(own.inputMargin()[i],
                    within(1e-12 * Math.abs(own.inputMargin()[i])));
        }
    }
}
