package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.AvgPool2d;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.LayerCurvature;
import org.flatminima.engine.nn.LeakyReLU;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * exact-hbp (Hessian backpropagation) in float64 against two independent computations: exact-hvp (basis-vector
 * Hessian-vector products by forward-over-reverse; per point, each point's own loss) and the dense Hessian of the
 * mean loss (its diagonal entry by entry), to 1e-10 relative, on tanh, sigmoid and softplus MLPs and CNNs (with
 * max and average pooling, strided and padded convolutions, eval-mode batch norm). On piecewise-linear networks it
 * equals exact-ggn.
 */
@Tag("backends")
class ExactHbpTest {
    private static final RelativeClose CHECK = new RelativeClose(1e-10);

    private record Case(Network net, Tensor theta, Tensor x, int[] y) {
    }

    /** Inputs uniform in [-1, 1.5), random labels, default init plus noise (generic batch-norm weights). */
    private static Case make(Network net, long seed, int n) {
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
        return new Case(net, Tensor.of(DType.F64, t, t.length), x, y);
    }

    static Case tanhMlp() {
        return make(new Network(Sequential.of(new Linear(4, 6), new Tanh(), new Linear(6, 5), new Tanh(),
                new Linear(5, 3)), 4), 21, 5);
    }

    /** Three tanh layers: the top residual crosses two Linear layers, so it needs its columns. */
    static Case deepTanhMlp() {
        return make(new Network(Sequential.of(new Linear(3, 5), new Tanh(), new Linear(5, 4), new Tanh(),
                new Linear(4, 4), new Tanh(), new Linear(4, 3)), 3), 31, 4);
    }

    static Case sigmoidMlp() {
        return make(new Network(Sequential.of(new Linear(3, 5), new Sigmoid(), new Linear(5, 4), new Sigmoid(),
                new Linear(4, 3, false)), 3), 22, 4);
    }

    static Case softplusMlp() {
        return make(new Network(Sequential.of(new Linear(4, 5), new Softplus(), new Linear(5, 5), new Tanh(),
                new Linear(5, 4)), 4), 23, 4);
    }

    /** conv + tanh + maxpool + conv + tanh + linear; a tanh also directly after a pooling layer. */
    static Case tanhMaxPoolCnn() {
        return make(new Network(Sequential.of(new Conv2d(1, 2, 3, 1, 1, true), new Tanh(), new MaxPool2d(2),
                new Conv2d(2, 3, 2, 1, 0, true), new Tanh(), new Flatten(), new Linear(12, 3)), 1, 6, 6), 24, 3);
    }

    /** Strided, padded conv + sigmoid + avgpool + a smooth activation after Flatten + linear. */
    static Case sigmoidAvgPoolCnn() {
        return make(new Network(Sequential.of(new Conv2d(2, 3, 3, 2, 1, true), new Sigmoid(), new AvgPool2d(2),
                new Flatten(), new Softplus(), new Linear(12, 4)), 2, 7, 7), 25, 3);
    }

    /** Batch norm 2d and 1d in eval mode, with running statistics from a training step, between tanh layers. */
    static Case evalBatchNormTanhNet() {
        Network train = new Network(Sequential.of(new Conv2d(1, 2, 3, 1, 1, true), BatchNorm.batchNorm2d(2),
                new Tanh(), new AvgPool2d(2), new Flatten(), new Linear(8, 4), BatchNorm.batchNorm1d(4), new Tanh(),
                new Linear(4, 3)), 1, 4, 4);
        Case c = make(train, 26, 4);
        train.lossUpdatingBuffers(Var.of(c.theta()), c.x(), c.y());
        return new Case(train.withMode(Mode.EVAL), c.theta(), c.x(), c.y());
    }

    @AfterAll
    static void report() {
        System.out.printf("ExactHbpTest on %s: max relative error %.3g%n", Engine.backend().name(), CHECK.maxRel());
    }

    private static void close(String what, double actual, double expected) {
        CHECK.close(what, actual, expected);
    }

    private static void close(String what, double[] actual, double[] expected) {
        CHECK.close(what, actual, expected);
    }

    private static void same(TraceBreakdown a, TraceBreakdown ref) {
        CHECK.same(a, ref);
    }

    /**
     * Whole-data and per-point traces against exact-hvp (one batch and uneven batches), and the diagonal entry
     * by entry against the dense Hessian; the GGN must really differ (so the residual terms are exercised).
     */
    private static void hbpIsExact(Case c) {
        TraceBreakdown hvp = ExactTraces.exactHvp(c.net(), c.theta(), c.x(), c.y(), true);
        TraceBreakdown hbp = HessianBackprop.exactHbp(c.net(), c.theta(), c.x(), c.y(), 0);
        assertThat(hbp.method()).isEqualTo("exact-hbp");
        same(hbp, hvp);
        same(HessianBackprop.exactHbp(c.net(), c.theta(), c.x(), c.y(), 2), hvp);

        HessianOperator op = new HessianOperator(c.net().lossFunction(c.x(), c.y()), c.theta());
        Tensor dense = op.dense();
        double[] d = new double[op.dim()];
        for (int i = 0; i < d.length; i++) {
            d[i] = dense.get(i, i);
        }
        close("exact-hbp diagonal vs dense Hessian", HessianBackprop.exactHbpDiagonal(c.net(), c.theta(), c.x(),
                c.y(), 3).toDoubleArray(), d);
        close("dense Hessian trace vs exact-hbp", hbp.total(), Fixtures.trace(Fixtures.dense(op)));

        TraceBreakdown ggn = ExactTraces.ggnTrace(c.net(), c.theta(), c.x(), c.y(), 0, null);
        double rel = Math.abs(ggn.total() - hbp.total()) / Math.abs(hbp.total());
        System.out.printf("%s: Hessian trace %.6g, GGN trace %.6g (relative difference %.3g), %d passes%n",
                c.net().module(), hbp.total(), ggn.total(), rel, hbp.passes());
        assertThat(rel).as("the GGN differs on a smooth net").isGreaterThan(1e-4);
    }

    @Test
    void tanhMlpIsExact() {
        hbpIsExact(tanhMlp());
    }

    @Test
    void deepTanhMlpIsExact() {
        hbpIsExact(deepTanhMlp());
    }

    @Test
    void carryingDiagonalsGivesTheSameNumbersAsTheColumnsAndSavesPasses() {
        for (Case c : new Case[] {tanhMlp(), deepTanhMlp(), evalBatchNormTanhNet()}) {
            TraceBreakdown carried = HessianBackprop.exactHbp(c.net(), c.theta(), c.x(), c.y(), 0);
            HessianBackprop.carryDiagonal = false;
            try {
                TraceBreakdown columns = HessianBackprop.exactHbp(c.net(), c.theta(), c.x(), c.y(), 0);
                same(carried, columns);
                assertThat(carried.passes()).as("%s", c.net().module()).isLessThan(columns.passes());
            } finally {
                HessianBackprop.carryDiagonal = true;
            }
        }
        // the two-hidden-layer MLP needs no residual columns at all: the gradient pass and the C - 1 loss columns
        Case c = tanhMlp();
        assertThat(HessianBackprop.exactHbp(c.net(), c.theta(), c.x(), c.y(), 0).passes())
                .isEqualTo(c.net().classes());
    }

    @Test
    void sigmoidMlpWithoutLastBiasIsExact() {
        hbpIsExact(sigmoidMlp());
    }

    @Test
    void softplusMlpIsExact() {
        hbpIsExact(softplusMlp());
    }

    @Test
    void tanhCnnWithMaxPoolIsExact() {
        hbpIsExact(tanhMaxPoolCnn());
    }

    @Test
    void sigmoidCnnWithStridedPaddedConvAvgPoolAndSoftplusIsExact() {
        hbpIsExact(sigmoidAvgPoolCnn());
    }

    @Test
    void evalModeBatchNormBetweenTanhLayersIsExact() {
        hbpIsExact(evalBatchNormTanhNet());
    }

    @Test
    void convolutionUnfoldedAgainPerColumnGivesTheSameNumbers() {
        Case c = tanhMaxPoolCnn();
        TraceBreakdown kept = HessianBackprop.exactHbp(c.net(), c.theta(), c.x(), c.y(), 0);
        long saved = ExactTraces.colsCacheElements;
        ExactTraces.colsCacheElements = 0;
        try {
            same(HessianBackprop.exactHbp(c.net(), c.theta(), c.x(), c.y(), 0), kept);
        } finally {
            ExactTraces.colsCacheElements = saved;
        }
    }

    @Test
    void onPiecewiseLinearNetworksItEqualsExactGgn() {
        Case mlp = make(new Network(Sequential.of(new Linear(4, 6), new ReLU(), new Linear(6, 5), new LeakyReLU(0.1),
                new Linear(5, 3)), 4), 27, 5);
        Case cnn = make(new Network(Sequential.of(new Conv2d(1, 3, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                new Conv2d(3, 4, 2, 1, 0, true), new LeakyReLU(), new AvgPool2d(2), new Flatten(), new Linear(4, 3)),
                1, 6, 6), 28, 4);
        for (Case c : new Case[] {mlp, cnn}) {
            TraceBreakdown ggn = ExactTraces.exactGgn(c.net(), c.theta(), c.x(), c.y());
            TraceBreakdown hbp = HessianBackprop.exactHbp(c.net(), c.theta(), c.x(), c.y(), 3);
            same(hbp, ggn);
            close("diagonal", HessianBackprop.exactHbpDiagonal(c.net(), c.theta(), c.x(), c.y(), 0).toDoubleArray(),
                    ExactTraces.exactGgnDiagonal(c.net(), c.theta(), c.x(), c.y(), 0).toDoubleArray());
            // no residual columns: the gradient pass and C - 1 loss columns per batch (two batches)
            assertThat(hbp.passes()).isEqualTo(2L * c.net().classes());
        }
    }

    @Test
    void theCurvatureToolkitPicksExactHbpOnSmoothNetworksOnly() {
        Case c = evalBatchNormTanhNet();
        Curvature cv = Curvature.of(c.net(), c.theta(), c.x(), c.y());
        assertThat(cv.bestExact()).isEqualTo(Curvature.Method.EXACT_HBP);
        TraceBreakdown hvp = cv.breakdown(Curvature.Method.EXACT_HVP, true);
        assertThat(cv.trace(Curvature.Method.AUTO).method()).isEqualTo("exact-hbp");
        close("auto trace", cv.trace(Curvature.Method.AUTO).value(), hvp.total());
        close("auto per point", cv.perPointTraces(Curvature.Method.AUTO).values(), hvp.perPoint());
        same(cv.breakdown(Curvature.Method.AUTO, true), hvp);
        close("auto diagonal", cv.diagonal(Curvature.Method.AUTO).toDoubleArray(),
                cv.diagonal(Curvature.Method.EXACT_HVP).toDoubleArray());
        assertThat(Curvature.Method.parse("exact-hbp")).isEqualTo(Curvature.Method.EXACT_HBP);

        Case relu = make(new Network(Sequential.of(new Linear(3, 4), new ReLU(), new Linear(4, 2)), 3), 29, 3);
        assertThat(Curvature.of(relu.net(), relu.theta(), relu.x(), relu.y()).bestExact())
                .isEqualTo(Curvature.Method.EXACT_GGN);
    }

    @Test
    void trainingModeBatchNormIsRefusedWithTheReason() {
        Network bn = new Network(Sequential.of(new Linear(3, 4), BatchNorm.batchNorm1d(4), new Tanh(),
                new Linear(4, 2)), 3);
        Tensor theta = bn.initParams(DType.F64, 1);
        Tensor x = Tensor.uniform(DType.F64, new SplittableRandom(1), 0, 1, 4, 3);
        int[] y = {0, 1, 0, 1};
        assertThatThrownBy(() -> HessianBackprop.exactHbp(bn, theta, x, y, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("exact-hbp refused: layer 1 BatchNorm1d(4, eps=1.0E-5, momentum=0.1) is in "
                        + "training mode: the batch statistics couple the points");
        assertThat(Curvature.of(bn, theta, x, y).bestExact()).isNull();
        assertThat(HessianBackprop.whyNot(bn.withMode(Mode.EVAL))).isNull();
    }

    @Test
    void eachSmoothActivationsResidualIsItsSecondDerivativeTimesTheGradient() {
        // against central second differences of the layer's own forward pass, in float64
        SplittableRandom rnd = new SplittableRandom(30);
        Tensor x = Tensor.uniform(DType.F64, rnd, -3, 3, 2, 7);
        Tensor g = Tensor.uniform(DType.F64, rnd, -1, 1, 2, 7);
        double h = 1e-4;
        for (LayerCurvature layer : new LayerCurvature[] {new Tanh(), new Sigmoid(), new Softplus()}) {
            org.flatminima.engine.nn.Module mod = (org.flatminima.engine.nn.Module) layer;
            Network one = new Network(Sequential.of(mod, new Linear(7, 2)), 7);
            double[] r = layer.residual(x, g).toDoubleArray();
            double[] xs = x.toDoubleArray();
            double[] gs = g.toDoubleArray();
            for (int i = 0; i < xs.length; i++) {
                double f0 = f(one, mod, xs[i]);
                double fd = (f(one, mod, xs[i] + h) - 2 * f0 + f(one, mod, xs[i] - h)) / (h * h);
                assertThat(r[i]).as("%s at %s", mod, xs[i]).isCloseTo(fd * gs[i],
                        org.assertj.core.data.Offset.offset(1e-6));
            }
        }
        assertThat(new ReLU().residual(x, g)).isNull();
        assertThat(new Linear(7, 2).residual(x, g)).isNull();
    }

    /** The activation {@code mod} at a scalar, through its own forward pass. */
    private static double f(Network net, org.flatminima.engine.nn.Module mod, double v) {
        Var in = Var.of(Tensor.of(DType.F64, new double[] {v}, 1, 1));
        return mod.forward(in, net.layout().root(Var.of(net.initParams(DType.F64, 1)))).value().item();
    }
}
