package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
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
import org.flatminima.engine.nn.Module;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.Sigmoid;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * closed-form and exact-ggn against exact-hvp (P, resp. N P, Hessian-vector products against basis vectors, an
 * independent computation through forward-over-reverse), and the exact-ggn diagonal against the dense Hessian,
 * all in float64: whole-data, per point, per parameter tensor and per layer, to 1e-10 relative. On smooth
 * networks the GGN really differs, and the public call refuses.
 */
@Tag("backends")
class ExactTracesTest {
    private static final RelativeClose CHECK = new RelativeClose(1e-10);

    /** A model with its data; theta is the default init plus noise (so batch-norm affine weights are generic). */
    private record Case(Network net, Tensor theta, Tensor x, int[] y) {
    }

    private static Case make(Network net, long seed, int n, int... sample) {
        SplittableRandom rnd = new SplittableRandom(seed);
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
            t[i] += 0.3 * (rnd.nextDouble() - 0.5);
        }
        return new Case(net, Tensor.of(DType.F64, t, t.length), x, y);
    }

    static Case affine() {
        return make(new Network(Sequential.mlp(5, 3), 5), 11, 6, 5);
    }

    static Case reluMlp() {
        return make(new Network(Sequential.of(new Linear(4, 6), new ReLU(), new Linear(6, 5), new LeakyReLU(0.1),
                new Linear(5, 3)), 4), 12, 5, 4);
    }

    static Case maxPoolCnn() {
        return make(new Network(Sequential.of(new Conv2d(1, 3, 3, 1, 1, true), new ReLU(), new MaxPool2d(2),
                new Conv2d(3, 4, 2, 1, 0, true), new ReLU(), new Flatten(), new Linear(16, 3)), 1, 6, 6), 13, 4,
                1, 6, 6);
    }

    static Case avgPoolCnn() {
        return make(new Network(Sequential.of(new Conv2d(2, 3, 3, 2, 1, true), new ReLU(), new AvgPool2d(2),
                new Flatten(), new Linear(12, 4)), 2, 7, 7), 14, 4, 2, 7, 7);
    }

    /** Batch norm 1d and 2d in eval mode, with running statistics from two training steps. */
    static Case evalBatchNorm() {
        Network train = new Network(Sequential.of(new Conv2d(1, 2, 3, 1, 1, true), BatchNorm.batchNorm2d(2),
                new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8, 4), BatchNorm.batchNorm1d(4), new ReLU(),
                new Linear(4, 3)), 1, 4, 4);
        Case c = make(train, 15, 5, 1, 4, 4);
        train.lossUpdatingBuffers(Var.of(c.theta()), c.x(), c.y());
        train.lossUpdatingBuffers(Var.of(c.theta()), c.x().slice(0, 1, 4), java.util.Arrays.copyOfRange(c.y(), 1, 4));
        return new Case(train.withMode(Mode.EVAL), c.theta(), c.x(), c.y());
    }

    @AfterAll
    static void report() {
        System.out.printf("ExactTracesTest on %s: max relative error %.3g%n", Engine.backend().name(), CHECK.maxRel());
    }

    private static void close(String what, double actual, double expected) {
        CHECK.close(what, actual, expected);
    }

    private static void close(String what, double[] actual, double[] expected) {
        CHECK.close(what, actual, expected);
    }

    /** Every part of two breakdowns agrees; the per-point parts if both have them. */
    private static void same(TraceBreakdown a, TraceBreakdown ref) {
        assertThat(a.perLayer().length).isEqualTo(a.layers().size());
        assertThat(ref.hasPoints()).isTrue();
        CHECK.same(a, ref);
        String m = a.method() + " vs " + ref.method();
        for (int n = 0; n < ref.perPointLayer().length; n++) {
            close(m + " point " + n + " per layer", a.perPointLayer()[n], ref.perPointLayer()[n]);
        }
    }

    private static void ggnEqualsHvp(Case c) {
        TraceBreakdown hvp = ExactTraces.exactHvp(c.net(), c.theta(), c.x(), c.y(), true);
        TraceBreakdown ggn = ExactTraces.exactGgn(c.net(), c.theta(), c.x(), c.y());
        assertThat(hvp.total()).isPositive();
        same(ggn, hvp);
        // uneven batches give the same numbers
        same(ExactTraces.exactGgn(c.net(), c.theta(), c.x(), c.y(), 3), hvp);
        assertThat(ggn.passes()).isEqualTo(c.net().classes() - 1);
        // the whole-data exact-hvp value is the mean of the per-point ones (a separability check of exact-hvp)
        double mean = java.util.Arrays.stream(hvp.perPoint()).average().orElseThrow();
        close("exact-hvp whole vs mean of points", hvp.total(), mean);
    }

    private static void diagonalEqualsDenseHessian(Case c) {
        HessianOperator op = new HessianOperator(c.net().lossFunction(c.x(), c.y()), c.theta());
        Tensor dense = op.dense();
        int p = op.dim();
        double[] d = new double[p];
        for (int i = 0; i < p; i++) {
            d[i] = dense.get(i, i);
        }
        close("exact-ggn diagonal", ExactTraces.exactGgnDiagonal(c.net(), c.theta(), c.x(), c.y(), 3)
                .toDoubleArray(), d);
        close("exact-hvp diagonal", ExactTraces.hvpDiagonal(op).toDoubleArray(), d);
    }

    @Test
    void affineClosedFormAndExactGgnEqualExactHvp() {
        Case c = affine();
        TraceBreakdown hvp = ExactTraces.exactHvp(c.net(), c.theta(), c.x(), c.y(), true);
        TraceBreakdown cf = ExactTraces.closedForm(c.net(), c.theta(), c.x(), c.y());
        same(cf, hvp);
        // the weight/bias split of the closed form: bias part 1 - ||p||^2, weight part ||x||^2 times that
        double[] x = c.x().toDoubleArray();
        for (int n = 0; n < 6; n++) {
            double xx = 0;
            for (int j = 0; j < 5; j++) {
                xx += x[n * 5 + j] * x[n * 5 + j];
            }
            close("weight/bias ratio", cf.perPointParam()[n][0], xx * cf.perPointParam()[n][1]);
        }
        ggnEqualsHvp(c);
        diagonalEqualsDenseHessian(c);
    }

    @Test
    void reluMlpWithLeakyReluExactGgnEqualsExactHvp() {
        Case c = reluMlp();
        ggnEqualsHvp(c);
        diagonalEqualsDenseHessian(c);
        assertThatThrownBy(() -> ExactTraces.closedForm(c.net(), c.theta(), c.x(), c.y()))
                .hasMessageContaining("closed-form needs an affine classifier");
    }

    @Test
    void reluCnnWithMaxPool() {
        Case c = maxPoolCnn();
        ggnEqualsHvp(c);
        diagonalEqualsDenseHessian(c);
    }

    @Test
    void convolutionUnfoldedAgainPerClassPassGivesTheSameNumbers() {
        Case c = maxPoolCnn();
        TraceBreakdown cached = ExactTraces.exactGgn(c.net(), c.theta(), c.x(), c.y());
        Tensor d1 = ExactTraces.exactGgnDiagonal(c.net(), c.theta(), c.x(), c.y(), 0);
        long old = ExactTraces.colsCacheElements;
        ExactTraces.colsCacheElements = 0;
        try {
            same(ExactTraces.exactGgn(c.net(), c.theta(), c.x(), c.y()), cached);
            close("diagonal, unfolded per pass", ExactTraces.exactGgnDiagonal(c.net(), c.theta(), c.x(), c.y(), 0)
                    .toDoubleArray(), d1.toDoubleArray());
        } finally {
            ExactTraces.colsCacheElements = old;
        }
    }

    @Test
    void reluCnnWithStridedConvAndAvgPool() {
        Case c = avgPoolCnn();
        ggnEqualsHvp(c);
        diagonalEqualsDenseHessian(c);
    }

    @Test
    void evalModeBatchNormNet() {
        Case c = evalBatchNorm();
        ggnEqualsHvp(c);
        diagonalEqualsDenseHessian(c);
    }

    @Test
    void onATanhNetTheGgnTraceDiffersFromTheHessianAndExactGgnRefuses() {
        Case c = make(new Network(Sequential.of(new Linear(4, 6), new Tanh(), new Linear(6, 3)), 4), 16, 5, 4);
        TraceBreakdown hvp = ExactTraces.exactHvp(c.net(), c.theta(), c.x(), c.y(), true);
        TraceBreakdown ggn = ExactTraces.ggnTrace(c.net(), c.theta(), c.x(), c.y(), 0, null);
        double rel = Math.abs(ggn.total() - hvp.total()) / Math.abs(hvp.total());
        System.out.printf("tanh net: GGN trace %.6g, Hessian trace %.6g, relative difference %.3g%n", ggn.total(),
                hvp.total(), rel);
        assertThat(rel).isGreaterThan(1e-3);
        // the last layer's block is exact even here (the logits are linear in its weights)
        close("tanh net, last layer", ggn.perLayer()[1], hvp.perLayer()[1]);
        assertThatThrownBy(() -> ExactTraces.exactGgn(c.net(), c.theta(), c.x(), c.y()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("exact-ggn refused: layer 1 Tanh() is a smooth activation")
                .hasMessageContaining("diag(H) != diag(GGN)");
        assertThatThrownBy(() -> ExactTraces.exactGgnDiagonal(c.net(), c.theta(), c.x(), c.y(), 0))
                .hasMessageContaining("layer 1 Tanh()");
    }

    @Test
    void sigmoidAndTrainingModeBatchNormAreRefused() {
        Network sig = new Network(Sequential.of(new Linear(3, 4), new Sigmoid(), new Linear(4, 2)), 3);
        assertThat(ExactTraces.whyNotPiecewiseLinear(sig)).startsWith("layer 1 Sigmoid() is a smooth activation");
        Network bn = new Network(Sequential.of(new Linear(3, 4), BatchNorm.batchNorm1d(4), new ReLU(),
                new Linear(4, 2)), 3);
        Tensor theta = bn.initParams(DType.F64, 1);
        Tensor x = Tensor.uniform(DType.F64, new SplittableRandom(1), 0, 1, 4, 3);
        assertThatThrownBy(() -> ExactTraces.exactGgn(bn, theta, x, new int[] {0, 1, 0, 1}))
                .hasMessageStartingWith("exact-ggn refused: layer 1 BatchNorm1d(4, eps=1.0E-5, momentum=0.1) is in "
                        + "training mode: the batch statistics couple the points");
        assertThat(ExactTraces.whyNotPiecewiseLinear(bn.withMode(Mode.EVAL))).isNull();
    }

    @Test
    void theGgnOfASmoothNetStillMatchesTheGaussNewtonMatrixItIsDefinedBy() {
        // independent check of the GGN machinery on a tanh net: diag(J^T (diag p - p p^T) J) per point, from the
        // dense Jacobian of the logits (C reverse passes with unit seeds)
        Case c = make(new Network(Sequential.of(new Linear(3, 4), new Tanh(), new Linear(4, 3)), 3), 17, 3, 3);
        int p = c.net().parameterCount();
        Tensor diag = Tensor.zeros(DType.F64, p);
        TraceBreakdown ggn = ExactTraces.ggnTrace(c.net(), c.theta(), c.x(), c.y(), 2, diag);
        double[] want = new double[p];
        for (int n = 0; n < 3; n++) {
            Tensor xn = c.x().slice(0, n, n + 1).contiguous();
            var pb = Autodiff.vjp(t -> c.net().logits(t, xn), Var.of(c.theta()));
            double[] z = pb.value().value().toDoubleArray();
            double[] pr = softmax(z);
            double[][] j = new double[3][];
            for (int k = 0; k < 3; k++) {
                double[] e = new double[3];
                e[k] = 1;
                j[k] = pb.pullback().apply(Var.of(Tensor.of(DType.F64, e, 1, 3)))[0].value().toDoubleArray();
            }
            double tr = 0;
            for (int i = 0; i < p; i++) {
                double v = 0;
                for (int a = 0; a < 3; a++) {
                    for (int b = 0; b < 3; b++) {
                        v += j[a][i] * ((a == b ? pr[a] : 0) - pr[a] * pr[b]) * j[b][i];
                    }
                }
                want[i] += v / 3;
                tr += v;
            }
            close("GGN point " + n, ggn.perPoint()[n], tr);
        }
        close("GGN diagonal", diag.toDoubleArray(), want);
    }

    @Test
    void everyLeafLayerDeclaresItsCurvatureRule() {
        // ExactTraces switches over no layer type: a layer missing from LayerCurvature would be refused
        for (Class<?> c : Module.class.getPermittedSubclasses()) {
            if (c != Sequential.class) {
                assertThat(LayerCurvature.class).as(c.getSimpleName()).isAssignableFrom(c);
            }
        }
    }

    @Test
    void aLinearLayerOnRank3InputsIsRefusedNamingTheLayer() {
        Network net = new Network(Sequential.of(new Linear(4, 3), new Flatten(), new Linear(6, 2)), 2, 4);
        Tensor theta = net.initParams(DType.F64, 1);
        Tensor x = Tensor.uniform(DType.F64, new SplittableRandom(2), 0, 1, 3, 2, 4);
        assertThatThrownBy(() -> ExactTraces.exactGgn(net, theta, x, new int[] {0, 1, 0}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("layer 0 Linear(in_features=4, out_features=3, bias=true): exact-ggn supports Linear "
                        + "layers on [N, in] inputs only, got [3, 2, 4]");
    }

    private static double[] softmax(double[] z) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            m = Math.max(m, v);
        }
        double s = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] - m);
            s += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= s;
        }
        return p;
    }
}
