package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.flatminima.engine.PoolAfterConv;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.Shapes;
import org.flatminima.engine.autodiff.ElementwisePrimitives.*;
import org.flatminima.engine.autodiff.PoolingPrimitives.*;
import org.flatminima.engine.autodiff.ConvPrimitives.*;
import org.flatminima.engine.autodiff.ProductPrimitives.*;
import org.flatminima.engine.autodiff.ReductionPrimitives.*;
import org.flatminima.engine.autodiff.ViewPrimitives.*;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generic checker ({@link PrimitiveChecker}): every registered primitive, on random float64 inputs, against
 * central finite differences (first and second order) and the adjoint identity. A primitive declared in one of the
 * {@link Primitive} family files without an entry in {@link #CASES} fails {@link #everyPrimitiveHasACheckerCase}.
 */
@Tag("backends")
class PrimitiveCheckerTest {

    /**
     * Where the random inputs come from: log/sqrt/div need positive values; kinks are avoided; DISTINCT values
     * are at least 0.08 apart (no ties or near-ties for max pooling's finite differences).
     */
    enum Domain { ANY, POSITIVE, AWAY_FROM_ZERO, DISTINCT }

    record Case(String label, Primitive p, Domain[] domains, int[]... shapes) {
        Case(String label, Primitive p, Domain d, int[]... shapes) {
            this(label, p, fill(d, shapes.length), shapes);
        }

        private static Domain[] fill(Domain d, int n) {
            Domain[] a = new Domain[n];
            Arrays.fill(a, d);
            return a;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private static int[] s(int... d) {
        return d;
    }

    static final int[] LABELS = {2, 0, 1, 2};

    /** A fixed max-pool routing (3x3 windows, stride 2, padding 1) for the gather/scatter pair. */
    static final org.flatminima.engine.PoolOps.PoolRouting POOL_ROUTING = org.flatminima.engine.PoolOps
            .maxPool2dRouting(Tensor.normal(Numeric.F64, new SplittableRandom(7), 2, 2, 5, 6), 3, 2, 1);

    /**
     * A routing that also carries a ReLU (3x3 windows, stride 2, padding 1, of a convolution [2, 3, 5, 6] * [2, 3, 3,
     * 3] with padding 1): -1 where the pooled maximum is not positive (the first channel's bias makes that common).
     */
    static final org.flatminima.engine.PoolOps.PoolRouting RELU_ROUTING = reluRouting();

    private static org.flatminima.engine.PoolOps.PoolRouting reluRouting() {
        SplittableRandom rnd = new SplittableRandom(11);
        return org.flatminima.engine.ImageOps.conv2dMaxPool(Tensor.normal(Numeric.F64, rnd, 2, 3, 5, 6),
                Tensor.normal(Numeric.F64, rnd, 2, 3, 3, 3), Tensor.of(Numeric.F64, new double[] {-10, 0.5}, 2), 1, 1,
                PoolAfterConv.max(3, 2, 1).thenRelu()).routing();
    }

    /**
     * A routing of 8 channels (2x2 windows of [2, 8, 4, 4]): enough for the input gradient of a convolution with 8
     * output channels to be a Winograd convolution, whose chunks the routed input gradient scatters in cache.
     */
    static final org.flatminima.engine.PoolOps.PoolRouting WIDE_ROUTING = org.flatminima.engine.PoolOps
            .maxPool2dRouting(Tensor.normal(Numeric.F64, new SplittableRandom(13), 2, 8, 4, 4), 2, 2, 0);

    static final List<Case> CASES = List.of(
            new Case("add [3,4]+[3,4]", new Add(), Domain.ANY, s(3, 4), s(3, 4)),
            new Case("add [2,3,4]+[4]", new Add(), Domain.ANY, s(2, 3, 4), s(4)),
            new Case("add [3,1]+[1,4]", new Add(), Domain.ANY, s(3, 1), s(1, 4)),
            new Case("sub [3,4]-[3,1]", new Sub(), Domain.ANY, s(3, 4), s(3, 1)),
            new Case("sub []-[2,3]", new Sub(), Domain.ANY, s(), s(2, 3)),
            new Case("mul [3,4]*[3,4]", new Mul(), Domain.ANY, s(3, 4), s(3, 4)),
            new Case("mul [2,3]*[]", new Mul(), Domain.ANY, s(2, 3), s()),
            new Case("mul [4]*[2,3,4]", new Mul(), Domain.ANY, s(4), s(2, 3, 4)),
            new Case("div [3,4]/[3,4]", new Div(), new Domain[] {Domain.ANY, Domain.POSITIVE}, s(3, 4), s(3, 4)),
            new Case("div [3,4]/[4]", new Div(), new Domain[] {Domain.ANY, Domain.POSITIVE}, s(3, 4), s(4)),
            new Case("div [1,4]/[3,1]", new Div(), new Domain[] {Domain.ANY, Domain.POSITIVE}, s(1, 4), s(3, 1)),
            new Case("neg", new Neg(), Domain.ANY, s(3, 4)),
            new Case("scale", new Scale(-1.7), Domain.ANY, s(3, 4)),
            new Case("square", new Square(), Domain.ANY, s(3, 4)),
            new Case("sqrt", new Sqrt(), Domain.POSITIVE, s(3, 4)),
            new Case("exp", new Exp(), Domain.ANY, s(3, 4)),
            new Case("log", new Log(), Domain.POSITIVE, s(3, 4)),
            new Case("pow 2.5", new Pow(2.5), Domain.POSITIVE, s(3, 4)),
            new Case("pow 3", new Pow(3), Domain.ANY, s(3, 4)),
            new Case("pow -1", new Pow(-1), Domain.POSITIVE, s(3, 4)),
            new Case("relu", new Relu(), Domain.AWAY_FROM_ZERO, s(3, 4)),
            new Case("relu_gate", new ReluGate(), new Domain[] {Domain.ANY, Domain.AWAY_FROM_ZERO}, s(3, 4), s(3, 4)),
            new Case("relu_gate [2,3,4] by [4]", new ReluGate(), new Domain[] {Domain.ANY, Domain.AWAY_FROM_ZERO},
                    s(2, 3, 4), s(4)),
            new Case("leaky_relu", new LeakyRelu(0.1), Domain.AWAY_FROM_ZERO, s(3, 4)),
            new Case("tanh", new Tanh(), Domain.ANY, s(3, 4)),
            new Case("sigmoid", new Sigmoid(), Domain.ANY, s(3, 4)),
            new Case("softplus", new Softplus(), Domain.ANY, s(3, 4)),
            new Case("matmul [3,4]@[4,5]", new MatMul(), Domain.ANY, s(3, 4), s(4, 5)),
            new Case("matmul [2,3,4]@[4,5]", new MatMul(), Domain.ANY, s(2, 3, 4), s(4, 5)),
            new Case("matmul [2,3,4]@[2,4,5]", new MatMul(), Domain.ANY, s(2, 3, 4), s(2, 4, 5)),
            new Case("matmul [3,4]@[2,4,5]", new MatMul(), Domain.ANY, s(3, 4), s(2, 4, 5)),
            new Case("matmul_add [3,4]@[4,5]+[5]", new MatMulAdd(), Domain.ANY, s(3, 4), s(4, 5), s(5)),
            new Case("matmul_add [2,3,4]@[4,5]+[3,5]", new MatMulAdd(), Domain.ANY, s(2, 3, 4), s(4, 5), s(3, 5)),
            new Case("matmul_add [3,4]@[2,4,5]+[2,3,5]", new MatMulAdd(), Domain.ANY, s(3, 4), s(2, 4, 5),
                    s(2, 3, 5)),
            new Case("matmul_sum [3,4]@[4,5]+[3,2]@[2,5]", new MatMulAdd(2, false), Domain.ANY, s(3, 4), s(4, 5),
                    s(3, 2), s(2, 5)),
            new Case("matmul_sum [2,3,4]@[4,5]+[3,4]@[2,4,5]+[1,5]", new MatMulAdd(2, true), Domain.ANY, s(2, 3, 4),
                    s(4, 5), s(3, 4), s(2, 4, 5), s(1, 5)),
            new Case("matmul_sum of three, [3,2]@[2,5] each, +[3,5]", new MatMulAdd(3, true), Domain.ANY, s(3, 2),
                    s(2, 5), s(3, 2), s(2, 5), s(3, 2), s(2, 5), s(3, 5)),
            new Case("matmul_add_relu [3,4]@[4,5]+[5]", new MatMulAddRelu(), Domain.ANY, s(3, 4), s(4, 5), s(5)),
            new Case("matmul_add_relu [2,3,4]@[4,5]+[3,5]", new MatMulAddRelu(), Domain.ANY, s(2, 3, 4), s(4, 5),
                    s(3, 5)),
            new Case("permute (2,0,1)", new Permute(s(2, 0, 1)), Domain.ANY, s(2, 3, 4)),
            new Case("permute (1,0)", new Permute(s(1, 0)), Domain.ANY, s(3, 5)),
            new Case("reshape", new Reshape(s(4, 6)), Domain.ANY, s(2, 3, 4)),
            new Case("flat_view", new FlatView(2, s(2, 3)), Domain.ANY, s(12)),
            new Case("embed", new Embed(3, 10), Domain.ANY, s(2, 3)),
            new Case("embed_many", new EmbedMany(new int[] {7, 0}, new int[][] {s(2, 2), s(5)}, 12), Domain.ANY,
                    s(2, 2), s(5)),
            new Case("expand [3,1]->[2,3,4]", new Expand(s(2, 3, 4)), Domain.ANY, s(3, 1)),
            new Case("sum_to [2,3,4]->[3,1]", new SumTo(s(3, 1)), Domain.ANY, s(2, 3, 4)),
            new Case("sum_to [2,3]->[]", new SumTo(s()), Domain.ANY, s(2, 3)),
            new Case("sum axis 1", new Sum(1, false), Domain.ANY, s(2, 3, 4)),
            new Case("sum axis 0 keepDim", new Sum(0, true), Domain.ANY, s(3, 4)),
            new Case("max axis 1", new Max(1, false), Domain.ANY, s(2, 5, 3)),
            new Case("max axis 0 keepDim", new Max(0, true), Domain.ANY, s(4, 3)),
            new Case("gather", new Gather(LABELS), Domain.ANY, s(4, 3)),
            new Case("scatter", new Scatter(LABELS, 3), Domain.ANY, s(4)),
            new Case("softmax [3,5]", new Softmax(), Domain.ANY, s(3, 5)),
            new Case("softmax [2,2,4]", new Softmax(), Domain.ANY, s(2, 2, 4)),
            new Case("log_softmax", new LogSoftmax(), Domain.ANY, s(3, 5)),
            new Case("softmax_cross_entropy", new SoftmaxCrossEntropy(LABELS), Domain.ANY, s(4, 3)),
            new Case("conv2d 3x3 pad 1", new Conv2d(1, 1), Domain.ANY, s(2, 3, 5, 5), s(4, 3, 3, 3)),
            new Case("conv2d 2x3 stride 2", new Conv2d(2, 0), Domain.ANY, s(2, 2, 6, 7), s(3, 2, 2, 3)),
            new Case("conv2d extra leading axis", new Conv2d(1, 1), Domain.ANY, s(2, 2, 2, 4, 4), s(3, 2, 3, 3)),
            new Case("conv2d_bias 3x3 pad 1", new Conv2dBias(1, 1), Domain.ANY, s(2, 3, 5, 5), s(4, 3, 3, 3), s(4)),
            new Case("conv2d_bias 2x3 stride 2", new Conv2dBias(2, 0), Domain.ANY, s(2, 2, 6, 7), s(3, 2, 2, 3),
                    s(3)),
            new Case("conv2d_bias extra leading axis", new Conv2dBias(1, 1), Domain.ANY, s(2, 2, 2, 4, 4),
                    s(3, 2, 3, 3), s(3)),
            new Case("conv2d_input_grad 3x3 pad 1", new Conv2dInputGrad(5, 5, 1, 1), Domain.ANY,
                    s(2, 4, 5, 5), s(4, 3, 3, 3)),
            new Case("conv2d_input_grad stride 2 pad 1", new Conv2dInputGrad(6, 7, 2, 1), Domain.ANY,
                    s(2, 3, 3, 4), s(3, 2, 3, 3)),
            new Case("conv2d_weight_grad 3x3 pad 1", new Conv2dWeightGrad(3, 3, 1, 1), Domain.ANY,
                    s(2, 3, 5, 5), s(2, 4, 5, 5)),
            new Case("conv2d_weight_grad stride 2 pad 1", new Conv2dWeightGrad(3, 2, 2, 1), Domain.ANY,
                    s(2, 2, 6, 6), s(2, 3, 3, 4)),
            new Case("max_pool2d 2 stride 2", new MaxPool2d(2, 2, 0), Domain.DISTINCT, s(2, 3, 6, 6)),
            new Case("max_pool2d 3 stride 2 pad 1", new MaxPool2d(3, 2, 1), Domain.DISTINCT, s(1, 2, 5, 5)),
            new Case("conv2d_max_pool bias, 2x2", new Conv2dMaxPool(1, 1, true, PoolAfterConv.max(2, 2, 0)),
                    Domain.ANY, s(2, 3, 6, 6), s(4, 3, 3, 3), s(4)),
            new Case("conv2d_max_pool 3x3 stride 2 pad 1", new Conv2dMaxPool(1, 0, false, PoolAfterConv.max(3, 2, 1)),
                    Domain.ANY, s(1, 2, 7, 7), s(3, 2, 2, 2)),
            new Case("conv2d_max_pool bias, 2x2, then relu",
                    new Conv2dMaxPool(1, 1, true, PoolAfterConv.max(2, 2, 0).thenRelu()), Domain.ANY, s(2, 3, 6, 6),
                    s(4, 3, 3, 3), s(4)),
            new Case("conv2d_max_pool 3x3 stride 2 pad 1, then relu",
                    new Conv2dMaxPool(1, 0, false, PoolAfterConv.max(3, 2, 1).thenRelu()), Domain.ANY, s(1, 2, 7, 7),
                    s(3, 2, 2, 2)),
            new Case("conv2d_gather", new Conv2dGather(1, 1, false, POOL_ROUTING), Domain.ANY, s(2, 3, 5, 6),
                    s(2, 3, 3, 3)),
            new Case("conv2d_gather bias, images and channels repeated", new Conv2dGather(1, 1, true, POOL_ROUTING),
                    Domain.ANY, s(4, 3, 5, 6), s(4, 3, 3, 3), s(4)),
            new Case("conv2d_gather bias, a routing that gates", new Conv2dGather(1, 1, true, RELU_ROUTING),
                    Domain.ANY, s(2, 3, 5, 6), s(2, 3, 3, 3), s(2)),
            new Case("max_pool2d_scatter, a routing that gates", new MaxPool2dScatter(RELU_ROUTING), Domain.ANY,
                    RELU_ROUTING.outShape()),
            new Case("gated_channel_sum", new GatedChannelSum(), new Domain[] {Domain.ANY, Domain.AWAY_FROM_ZERO},
                    s(2, 3, 4, 5), s(2, 3, 4, 5)),
            new Case("gated_channel_sum, directions in front", new GatedChannelSum(),
                    new Domain[] {Domain.ANY, Domain.AWAY_FROM_ZERO}, s(2, 2, 3, 5, 6), s(2, 3, 5, 6)),
            new Case("conv2d_weight_grad_routed", new Conv2dWeightGradRouted(3, 3, 1, 1, POOL_ROUTING), Domain.ANY,
                    s(2, 3, 5, 6), POOL_ROUTING.outShape()),
            new Case("conv2d_input_grad_routed", new Conv2dInputGradRouted(5, 6, 1, 1, POOL_ROUTING), Domain.ANY,
                    POOL_ROUTING.outShape(), s(2, 3, 3, 3)),
            new Case("conv2d_input_grad_routed, a routing that gates", new Conv2dInputGradRouted(5, 6, 1, 1,
                    RELU_ROUTING), Domain.ANY, RELU_ROUTING.outShape(), s(2, 3, 3, 3)),
            new Case("conv2d_input_grad_routed, on Winograd", new Conv2dInputGradRouted(4, 4, 1, 1, WIDE_ROUTING),
                    Domain.ANY, WIDE_ROUTING.outShape(), s(8, 2, 3, 3)),
            new Case("max_pool2d_gather", new MaxPool2dGather(POOL_ROUTING), Domain.ANY, POOL_ROUTING.inShape()),
            new Case("max_pool2d_scatter", new MaxPool2dScatter(POOL_ROUTING), Domain.ANY, POOL_ROUTING.outShape()),
            new Case("avg_pool2d 2 stride 2", new AvgPool2d(2, 2, 0), Domain.ANY, s(2, 3, 6, 6)),
            new Case("avg_pool2d 3 stride 1 pad 1", new AvgPool2d(3, 1, 1), Domain.ANY, s(1, 2, 4, 5)),
            new Case("avg_pool2d_backward 2 stride 2", new AvgPool2dBackward(6, 6, 2, 2, 0), Domain.ANY,
                    s(2, 3, 3, 3)),
            new Case("avg_pool2d_backward 3 stride 2 pad 1", new AvgPool2dBackward(5, 4, 3, 2, 1), Domain.ANY,
                    s(1, 2, 3, 2)));

    /** Largest error seen per check kind, printed after the run (the numbers in the report). */
    static final TreeMap<String, Double> WORST = new TreeMap<>();

    static synchronized void record(String kind, double err) {
        WORST.merge(kind, err, Math::max);
    }

    @AfterAll
    static void printWorst() {
        System.out.println("primitive checker, worst errors over " + CASES.size() + " cases: " + WORST);
    }

    static Stream<Case> cases() {
        return CASES.stream();
    }

    @Test
    void everyPrimitiveHasACheckerCase() {
        // CustomPrimitive is the open interface for primitives defined outside the engine (examples/ checks one)
        Set<String> permitted = registered(Primitive.class).map(Class::getSimpleName)
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        Set<String> covered = CASES.stream().map(c -> c.p().getClass().getSimpleName())
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        assertThat(permitted).hasSize(48);
        assertThat(covered).as("primitives without a checker case").containsAll(permitted);
    }

    /** The primitives (records) under a sealed type: its family interfaces are walked through. */
    static Stream<Class<?>> registered(Class<?> sealed) {
        return Arrays.stream(sealed.getPermittedSubclasses()).filter(c -> c != CustomPrimitive.class)
                .flatMap(c -> c.isInterface() ? registered(c) : Stream.of(c));
    }

    static Var[] inputs(Case c, SplittableRandom rnd) {
        Var[] xs = new Var[c.shapes().length];
        for (int i = 0; i < xs.length; i++) {
            int[] sh = c.shapes()[i];
            xs[i] = switch (c.domains()[i]) {
                case ANY -> Numeric.normal(rnd, sh);
                case POSITIVE -> Numeric.uniform(rnd, 0.5, 2.0, sh);
                case AWAY_FROM_ZERO -> {
                    double[] v = Numeric.uniform(rnd, 0.2, 1.5, sh).value().toDoubleArray();
                    for (int k = 0; k < v.length; k++) {
                        v[k] = rnd.nextBoolean() ? v[k] : -v[k];
                    }
                    yield Var.of(Tensor.of(Numeric.F64, v, sh));
                }
                case DISTINCT -> {
                    int n = Math.toIntExact(org.flatminima.kernels.Shapes.size(sh));
                    double[] v = new double[n];
                    for (int k = 0; k < n; k++) {
                        v[k] = (k - n / 2.0) * 0.1 + 0.02 * rnd.nextDouble();
                    }
                    for (int k = n - 1; k > 0; k--) {
                        int j = rnd.nextInt(k + 1);
                        double t = v[k];
                        v[k] = v[j];
                        v[j] = t;
                    }
                    yield Var.of(Tensor.of(Numeric.F64, v, sh));
                }
            };
        }
        return xs;
    }

    @Test
    void theGatingRoutingRoutesSomeWindowsNowhereAndOthersSomewhere() {
        int[] a = RELU_ROUTING.argmax().asSlice(0, 4L * Shapes.size(RELU_ROUTING.outShape()))
                .toArray(java.lang.foreign.ValueLayout.JAVA_INT);
        assertThat(Arrays.stream(a).filter(i -> i < 0).count()).isBetween(2L, a.length - 2L);
        assertThat(RELU_ROUTING.routesEverywhere()).isFalse();
        assertThat(POOL_ROUTING.routesEverywhere()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void firstAndSecondOrderAgreeWithFiniteDifferences(Case c) {
        SplittableRandom rnd = new SplittableRandom(c.label().hashCode());
        PrimitiveChecker.Report r = PrimitiveChecker.check(c.p(), inputs(c, rnd), rnd);
        record("jvp vs FD", r.jvp());
        if (c.shapes().length > 1) {
            record("jvp (one input, others zero) vs FD", r.jvpOneInput());
        }
        record("vjp vs FD", r.vjp());
        record("adjoint identity", r.adjoint());
        record("hvp vs FD of grad", r.hvp());
        if (c.p() instanceof Primitive.CotangentInPlace) {
            record("cotangent in place vs vjp", r.inPlace());
        }
        if (c.p() instanceof Primitive.TangentWithValue) {
            record("output and tangent in one vs forward and jvp", r.withValue());
        }
        r.requireBelow(1e-6, 1e-12);
    }
}
