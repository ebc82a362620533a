package org.flatminima.experiments.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.ExactTraces;
import org.flatminima.engine.curvature.TraceBreakdown;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.testing.ByHand;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A sharded analysis equals the single-process one bit for bit: {@link Analysis#run} against
 * {@link Analysis#combine} of {@link Analysis#analyzeRange} over 1, 2, 3 and one-per-chunk shards, on the scalar
 * and the default backend, in f64, with the values themselves checked against independent computations.
 */
class AnalysisShardsTest {
    /** Four chunks of {@link Analysis#CHUNK}, the last one partial. */
    static final int N = 3500;

    static Tensor x;
    static int[] y;

    @BeforeAll
    static void data() {
        Dataset d = DataSets.embedded(DataSets.Split.TRAIN, N).as(DType.F64).as(Dataset.Layout.IMAGES);
        x = d.images();
        y = d.labels();
    }

    // ------------------------------------------------------------------ bit-identical results

    @Test
    void mlpOnTheScalarBackendIsTheSameForEverySplit() {
        Engine.with(Backends.get("scalar"), () -> everySplitIsTheSame("mlp:784-16-10", "exact-ggn"));
    }

    @Test
    void mlpOnTheDefaultBackendIsTheSameForEverySplit() {
        everySplitIsTheSame("mlp:784-16-10", "exact-ggn");
    }

    @Test
    void affineOnTheScalarBackendIsTheSameForEverySplit() {
        Engine.with(Backends.get("scalar"), () -> everySplitIsTheSame("affine:784-10", "closed-form"));
    }

    @Test
    void affineOnTheDefaultBackendIsTheSameForEverySplit() {
        everySplitIsTheSame("affine:784-10", "closed-form");
    }

    private static void everySplitIsTheSame(String arch, String method) {
        Network net = ModelSpec.parse(arch).network();
        Tensor theta = net.initParams(DType.F64, 7);
        Analysis.Options o = Analysis.Options.defaults().perPointTraces(true);
        Analysis.Result ref = Analysis.run(net, theta, x, y, Analysis.TraceMode.AUTO, 0, true);
        assertThat(ref.trace().method()).isEqualTo(method);
        assertThat(ref.perPoint().traceMethod()).isEqualTo(method);
        assertThat(ref.points()).isEqualTo(N);
        for (int shards : new int[] {1, 2, 3, 4}) {
            List<Analysis.Range> ranges = Analysis.shardRanges(N, shards);
            assertThat(ranges).hasSize(shards);
            List<Analysis.Shard> parts = new ArrayList<>();
            for (Analysis.Range r : ranges) {
                parts.add(Analysis.analyzeRange(net, theta, x, y, r.from(), r.to(), o));
            }
            Analysis.WholeData whole = Analysis.wholeData(net, theta, x, y, o, Analysis.QUIET);
            assertThat(whole.trace()).as("the trace comes from the shards").isNull();
            assertSameBits(Analysis.combine(parts, whole), ref, arch + " in " + shards + " shards");
        }
        assertSameBits(Analysis.run(net, theta, x, y, o, 2, Analysis.QUIET), ref, "run in 2 shards");
        checkValues(net, theta, ref);
    }

    /** The values themselves, against the engine on the whole data and a direct computation. */
    private static void checkValues(Network net, Tensor theta, Analysis.Result r) {
        Network eval = net.withMode(Mode.EVAL);
        TraceBreakdown b = Curvature.of(eval, theta, x, y).breakdown(Curvature.Method.AUTO, true);
        assertThat(r.trace().value()).isCloseTo(b.total(), within(1e-12 * b.total()));
        double[] expected = b.perPoint();
        for (int i = 0; i < N; i++) {
            assertThat(r.perPoint().trace()[i]).as("point %d", i).isCloseTo(expected[i], within(1e-12 * expected[i]));
        }
        double[] z = eval.logits(Var.of(theta), x).value().toDoubleArray();
        double[] xs = x.contiguous().toDoubleArray();
        double meanLoss = 0;
        int correct = 0;
        for (int i = 0; i < N; i++) {
            int arg = ByHand.argmax(z, 10, i);
            double li = ByHand.crossEntropy(z, 10, i, y[i]);
            assertThat(r.perPoint().loss()[i]).isCloseTo(li, within(1e-12 * Math.max(1, li)));
            meanLoss += li / N;
            correct += arg == y[i] ? 1 : 0;
            if (ExactTraces.isAffine(eval)) {
                // tr H_n = (||x_n||^2 + 1)(1 - ||p_n||^2)
                double xx = 0;
                for (int j = 0; j < 784; j++) {
                    xx += xs[i * 784 + j] * xs[i * 784 + j];
                }
                double q = 1;
                for (int c = 0; c < 10; c++) {
                    double p = Math.exp(z[i * 10 + c] - z[i * 10 + y[i]] - li); // softmax: li = logsumexp - z_y
                    q -= p * p;
                }
                assertThat(r.perPoint().trace()[i]).isCloseTo((xx + 1) * q, within(1e-12 * (xx + 1)));
            }
        }
        assertThat(r.loss()).isCloseTo(meanLoss, within(1e-12));
        assertThat(r.accuracy()).isEqualTo(correct / (double) N);
    }

    // ------------------------------------------------------------------ whole-data quantities, Hutchinson

    @Test
    void hutchinsonPerPointAndItsWholeDataPartsFromTheDriverAndExactHbpFromTheShards() {
        Engine.with(Backends.get("scalar"), () -> {
            SmallData d = SmallData.of(14, 3, 11);
            Network net = ModelSpec.parse("seq:1x4x4:flatten,linear(5),tanh,linear(3)").network();
            Tensor theta = net.initParams(DType.F64, 5);
            Curvature c = Curvature.of(net, theta, d.x, d.y);
            // hutchinson: per point and on the whole data, with eigenvalues (auto would take exact-hbp here)
            Analysis.Options o = Analysis.Options.defaults().trace(Analysis.TraceMode.HUTCHINSON).eigenvalues(2)
                    .perPointTraces(true).chunk(4);
            Analysis.Result ref = Analysis.run(net, theta, d.x, d.y, o, 1, Analysis.QUIET);
            assertThat(ref.trace().method()).isEqualTo("hutchinson");
            assertThat(ref.perPoint().traceMethod()).isEqualTo("hutchinson");
            for (int shards : new int[] {2, 4}) {
                assertSameBits(sharded(net, theta, d, o, shards), ref, "hutchinson in " + shards + " shards");
            }
            // the very values of the engine on the whole data: the output of an unsharded analysis
            assertBits(ref.perPoint().trace(), c.perPointTraces(Curvature.Method.HUTCHINSON).values(), "per point");
            assertThat(ref.trace().value()).isEqualTo(c.trace(Curvature.Method.HUTCHINSON).value());
            assertBits(ref.eigenvalues(), c.topEigenvalues(2).values(), "eigenvalues");
            // exact: exact-hbp (Hessian backpropagation), summed per chunk like exact-ggn; equal to exact-hvp
            Analysis.Options exact = Analysis.Options.defaults().trace(Analysis.TraceMode.EXACT).chunk(4);
            assertThat(Analysis.needsWholeData(net, exact)).isFalse();
            Analysis.Result e = Analysis.run(net, theta, d.x, d.y, exact, 1, Analysis.QUIET);
            assertThat(e.trace().method()).isEqualTo("exact-hbp");
            double hvp = c.trace(Curvature.Method.EXACT_HVP).value();
            assertThat(e.trace().value()).isCloseTo(hvp, within(1e-10 * Math.abs(hvp)));
            assertSameBits(sharded(net, theta, d, exact, 3), e, "exact in 3 shards");
        });
    }

    @Test
    void traceModeHutchinsonOnAnAffineModelEstimatesPerPointTracesShardByShard() {
        Engine.with(Backends.get("scalar"), () -> {
            SmallData d = SmallData.of(13, 4, 3);
            Network net = ModelSpec.parse("affine:16-4").network();
            Tensor theta = net.initParams(DType.F64, 2);
            Analysis.Options o = Analysis.Options.defaults().trace(Analysis.TraceMode.HUTCHINSON).perPointTraces(true)
                    .chunk(3);
            Analysis.Result ref = Analysis.run(net, theta, d.x, d.y, o, 1, Analysis.QUIET);
            assertThat(ref.perPoint().traceMethod()).isEqualTo("hutchinson");
            assertThat(ref.trace().method()).isEqualTo("hutchinson");
            for (int shards : new int[] {2, 5}) {
                assertSameBits(sharded(net, theta, d, o, shards), ref, shards + " shards");
            }
            // the estimates are close to the closed form (1% target relative standard error)
            double[] exact = ExactTraces.closedForm(net, theta, d.x, d.y).perPoint();
            double mean = 0;
            double exactMean = 0;
            for (int i = 0; i < exact.length; i++) {
                assertThat(ref.perPoint().trace()[i]).isCloseTo(exact[i], within(0.1 * exact[i]));
                mean += ref.perPoint().trace()[i] / exact.length;
                exactMean += exact[i] / exact.length;
            }
            assertThat(mean).isCloseTo(exactMean, within(0.02 * exactMean));
            // without per-point traces and with an exact method, the driver has nothing to do
            assertThat(Analysis.needsWholeData(net, Analysis.Options.defaults())).isFalse();
            assertThat(Analysis.needsWholeData(net, Analysis.Options.defaults().eigenvalues(1))).isTrue();
        });
    }

    private static Analysis.Result sharded(Network net, Tensor theta, SmallData d, Analysis.Options o, int shards) {
        List<Analysis.Shard> parts = new ArrayList<>();
        for (Analysis.Range r : Analysis.shardRanges(d.y.length, shards, o.chunk())) {
            // a task that holds only its own points
            Tensor mine = d.x.slice(0, r.from(), r.to()).contiguous();
            int[] labels = java.util.Arrays.copyOfRange(d.y, r.from(), r.to());
            parts.add(Analysis.analyzePoints(net, theta, mine, labels, r.from(), o));
        }
        return Analysis.combine(parts, Analysis.wholeData(net, theta, d.x, d.y, o, Analysis.QUIET));
    }

    /** Random inputs {@code [n, 1, 4, 4]} and labels in {@code [0, classes)}. */
    private record SmallData(Tensor x, int[] y) {
        static SmallData of(int n, int classes, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = rnd.nextInt(classes);
            }
            return new SmallData(Tensor.normal(DType.F64, rnd, n, 1, 4, 4), y);
        }
    }

    // ------------------------------------------------------------------ shard ranges

    @Test
    void shardRangesTileThePointsInBalancedWholeChunks() {
        int c = Analysis.CHUNK;
        for (int n : new int[] {0, 1, c - 1, c, c + 1, 3500, 10 * c, 10 * c + 7}) {
            int chunks = (n + c - 1) / c;
            for (int shards : new int[] {1, 2, 3, 4, 7, 11, 1000}) {
                List<Analysis.Range> rs = Analysis.shardRanges(n, shards);
                assertThat(rs).hasSize(Math.max(1, Math.min(shards, chunks)));
                int at = 0;
                int most = Integer.MAX_VALUE;
                int least = Integer.MAX_VALUE;
                int largest = 0;
                for (int i = 0; i < rs.size(); i++) {
                    Analysis.Range r = rs.get(i);
                    assertThat(r.from()).isEqualTo(at);
                    assertThat(r.from() % c).isZero();
                    if (i < rs.size() - 1) {
                        assertThat(r.to() % c).isZero();
                    }
                    int k = (r.size() + c - 1) / c;
                    assertThat(k).as("larger shards first").isLessThanOrEqualTo(most);
                    most = k;
                    least = Math.min(least, k);
                    largest = Math.max(largest, k);
                    at = r.to();
                }
                assertThat(at).isEqualTo(n);
                assertThat(largest - least).as("balanced").isLessThanOrEqualTo(1);
            }
        }
        assertThat(Analysis.shardRanges(3500, 2)).containsExactly(new Analysis.Range(0, 2000),
                new Analysis.Range(2000, 3500));
        assertThat(Analysis.shardRanges(3500, 3)).containsExactly(new Analysis.Range(0, 2000),
                new Analysis.Range(2000, 3000), new Analysis.Range(3000, 3500));
        assertThatThrownBy(() -> Analysis.shardRanges(10, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shards must be >= 1, got 0");
        assertThatThrownBy(() -> Analysis.shardRanges(10, -3)).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------ serialization, refusals

    @Test
    void aShardSurvivesJavaSerializationAndCombinesToTheSameResult() throws Exception {
        SmallData d = SmallData.of(10, 4, 9);
        Network net = ModelSpec.parse("affine:16-4").network();
        Tensor theta = net.initParams(DType.F64, 4);
        Analysis.Options o = Analysis.Options.defaults().perPointTraces(true).chunk(4);
        Analysis.Options shipped = roundTrip(o);
        assertThat(shipped.perPointTraces()).isTrue();
        assertThat(shipped.chunk()).isEqualTo(4);
        List<Analysis.Shard> parts = new ArrayList<>();
        for (Analysis.Range r : Analysis.shardRanges(10, 2, 4)) {
            Analysis.Shard s = Analysis.analyzeRange(net, theta, d.x, d.y, r.from(), r.to(), shipped);
            Analysis.Shard back = roundTrip(s);
            assertThat(back).isNotSameAs(s);
            assertSameRecord(back, s, "shard " + r);
            parts.add(back);
        }
        assertThat(parts.get(0).traceSums().perChunk()).hasDimensions(2, 2);
        Analysis.WholeData whole = Analysis.wholeData(net, theta, d.x, d.y, o, Analysis.QUIET);
        assertSameBits(Analysis.combine(parts, whole), Analysis.run(net, theta, d.x, d.y, o, 1, Analysis.QUIET),
                "deserialized");
    }

    @Test
    void shardsThatDoNotFitTogetherAreRefused() {
        SmallData d = SmallData.of(10, 4, 9);
        Network net = ModelSpec.parse("affine:16-4").network();
        Tensor theta = net.initParams(DType.F64, 4);
        Analysis.Options o = Analysis.Options.defaults().chunk(4);
        Analysis.Shard a = Analysis.analyzeRange(net, theta, d.x, d.y, 0, 4, o);
        Analysis.Shard b = Analysis.analyzeRange(net, theta, d.x, d.y, 4, 8, o);
        Analysis.Shard c = Analysis.analyzeRange(net, theta, d.x, d.y, 8, 10, o);
        Analysis.WholeData none = Analysis.wholeData(net, theta, d.x, d.y, o, Analysis.QUIET);
        assertThat(Analysis.combine(List.of(a, b, c), none).points()).isEqualTo(10);
        assertThatThrownBy(() -> Analysis.combine(List.of(a, c, b), none))
                .hasMessage("shard 1 starts at point 8, expected 4: pass the shards in order, none missing");
        assertThatThrownBy(() -> Analysis.combine(List.of(b, c), none)).hasMessageContaining("shard 0 starts at point 4");
        assertThatThrownBy(() -> Analysis.combine(List.of(), none)).hasMessage("no shards to combine");
        Analysis.Shard withTraces = Analysis.analyzeRange(net, theta, d.x, d.y, 4, 8, o.perPointTraces(true));
        assertThatThrownBy(() -> Analysis.combine(List.of(a, withTraces, c), none))
                .hasMessageContaining("shard 1 was computed with other options");
        Analysis.WholeData hutchinson = Analysis.wholeData(net, theta, d.x, d.y,
                o.trace(Analysis.TraceMode.HUTCHINSON), Analysis.QUIET);
        assertThatThrownBy(() -> Analysis.combine(List.of(a, b, c), hutchinson))
                .hasMessageContaining("the trace is given twice");
        assertThatThrownBy(() -> Analysis.analyzeRange(net, theta, d.x, d.y, 2, 8, o))
                .hasMessageContaining("a shard starts at a multiple of the chunk (4 points), got point 2");
        assertThatThrownBy(() -> Analysis.analyzeRange(net, theta, d.x, d.y, 0, 6, o))
                .hasMessageContaining("its end must be a multiple of 4 or the last point");
        Analysis.Shard half = Analysis.analyzeRange(net, theta, d.x, d.y, 0, 10, o);
        assertThat(half.to()).isEqualTo(10);
    }

    // ------------------------------------------------------------------ helpers

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    static void assertSameBits(Analysis.Result got, Analysis.Result want, String what) {
        assertSameRecord(got, want, what);
    }

    /**
     * Every component equal: doubles by their raw bits, arrays element by element (doubles by bits), records
     * recursively, anything else by equals.
     */
    static void assertSameRecord(Record got, Record want, String what) {
        for (RecordComponent rc : want.getClass().getRecordComponents()) {
            Object g = get(rc, got);
            Object w = get(rc, want);
            assertSameValue(g, w, what + "." + rc.getName());
        }
    }

    private static void assertSameValue(Object g, Object w, String what) {
        if (w == null || g == null) {
            assertThat(g).as(what).isEqualTo(w);
        } else if (w instanceof Double dw) {
            assertThat(Double.doubleToRawLongBits((Double) g)).as(what + ": %s vs %s", g, dw)
                    .isEqualTo(Double.doubleToRawLongBits(dw));
        } else if (w instanceof double[] aw) {
            assertBits((double[]) g, aw, what);
        } else if (w instanceof double[][] aw) {
            double[][] ag = (double[][]) g;
            assertThat(ag.length).as(what).isEqualTo(aw.length);
            for (int i = 0; i < aw.length; i++) {
                assertBits(ag[i], aw[i], what + "[" + i + "]");
            }
        } else if (w instanceof int[] aw) {
            assertThat((int[]) g).as(what).containsExactly(aw);
        } else if (w instanceof Record rw) {
            assertSameRecord((Record) g, rw, what);
        } else {
            assertThat(g).as(what).isEqualTo(w);
        }
    }

    private static void assertBits(double[] got, double[] want, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) {
            assertThat(Double.doubleToRawLongBits(got[i])).as("%s[%d]: %s vs %s", what, i, got[i], want[i])
                    .isEqualTo(Double.doubleToRawLongBits(want[i]));
        }
    }

    private static Object get(RecordComponent rc, Record r) {
        try {
            rc.getAccessor().setAccessible(true);
            return rc.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
