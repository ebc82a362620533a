package org.flatminima.experiments.reproduce;

import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.measures.Margins;
import org.flatminima.experiments.measures.ModelMargins;
import org.flatminima.experiments.measures.Moments;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.experiments.train.Batch;

/**
 * What E3 measures at a checkpoint.
 *
 * <ul>
 *   <li>Train and test accuracy (all points of each set) and the gap, train minus test.</li>
 *   <li>The Hessian trace of the mean cross-entropy over the trace points, exact ({@link Curvature.Method#AUTO}:
 *       exact-ggn for a ReLU MLP); the top Hessian eigenvalue (Lanczos) at the last checkpoint only.</li>
 *   <li>The output margins of every training point, {@code z_y - max_{j != y} z_j} (negative when misclassified):
 *       median, mean, first quartile; the Fisher-Pearson skewness g1 and the third central moment m3
 *       ({@link Moments}); and m3 of the authors' margin, which is the absolute value of ours (their
 *       {@code get_margins_filters} takes top-1 minus top-2 for a correct point and top-1 minus the true logit for
 *       a misclassified one), the number their figure labels "Skewness".</li>
 *   <li>Normalised margins: the output margin divided by the product over the Linear/Conv2d layers of the
 *       weights' spectral norms (Bartlett, Foster and Telgarsky 2017, "Spectrally-normalized margin bounds for
 *       neural networks"), and by the product of their Frobenius norms (Neyshabur, Tomioka and Srebro 2015,
 *       "Norm-based capacity control in neural networks"); biases are not counted. Both from
 *       {@link ModelMargins}, shared with the sweep's {@code spectral_norm_product}. Their medians are reported;
 *       their skewness is the raw margin's (g1 is scale-free).</li>
 * </ul>
 */
final class E3Measure {
    private E3Measure() {
    }

    /**
     * One checkpoint's measurements (JSON-serialisable for {@link CheckpointStore}).
     *
     * @param epoch epochs done
     * @param step SGD steps done
     * @param lr the learning rate in use during the last epoch
     * @param trainAcc training accuracy
     * @param testAcc test accuracy
     * @param trace Hessian trace of the mean loss over the trace points
     * @param top top Hessian eigenvalue (last checkpoint, if configured; else NaN)
     * @param outMedian median output margin
     * @param outMean mean output margin
     * @param outQ1 first quartile of the output margin
     * @param outSkew Fisher-Pearson skewness g1 of the output margins (also that of the normalised ones)
     * @param outM3 third central moment of the output margins
     * @param authorsM3 third central moment of the authors' margins (|output margin|)
     * @param spectral product of the layers' spectral norms
     * @param frobenius product of the layers' Frobenius norms
     * @param normSpectralMedian median of output margin / spectral-norm product
     * @param normFrobeniusMedian median of output margin / Frobenius-norm product
     * @param divergedAt the step at which the loss became non-finite (then every measure is NaN), else -1
     * @param margins the per-point output margins (last checkpoint only, else null)
     */
    record Point(int epoch, long step, double lr, double trainAcc, double testAcc, double trace, double top,
                 double outMedian, double outMean, double outQ1, double outSkew, double outM3, double authorsM3,
                 double spectral, double frobenius, double normSpectralMedian, double normFrobeniusMedian,
                 long divergedAt, double[] margins) {

        /** Train minus test accuracy. */
        double gap() {
            return trainAcc - testAcc;
        }

        /** The final point of a run whose loss became non-finite at {@code at}: every measure NaN. */
        static Point diverged(int epoch, long step, double lr, long at) {
            double n = Double.NaN;
            return new Point(epoch, step, lr, n, n, n, n, n, n, n, n, n, n, n, n, n, n, at, null);
        }
    }

    /**
     * Measures the network at {@code params}; {@code last} keeps the per-point margins, {@code top} adds the top
     * eigenvalue. Everything temporary is freed.
     */
    static Point measure(Network net, Tensor params, Batch train, Batch test, Batch tracePoints, int epoch, long step,
                         double lr, boolean last, boolean top) {
        try (Scope s = Scope.open()) {
            double trainAcc = Nets.accuracy(net, params, train);
            double testAcc = Nets.accuracy(net, params, test);
            double[] out = Margins.of(Nets.logits(net, params, train.x()), train.labels()).output();
            Summary so = Summary.ofOrNaN(out);
            double[] abs = new double[out.length];
            for (int i = 0; i < out.length; i++) {
                abs[i] = Math.abs(out[i]);
            }
            double spectral = ModelMargins.spectralNormProduct(net, params);
            double frobenius = ModelMargins.frobeniusNormProduct(net, params);
            double normSpectral = Summary.ofOrNaN(ModelMargins.normalised(out, spectral)).median();
            double normFrobenius = Summary.ofOrNaN(ModelMargins.normalised(out, frobenius)).median();
            Curvature cv = Curvature.of(net, params, tracePoints.x(), tracePoints.labels());
            double trace = cv.trace(Curvature.Method.AUTO).value();
            double topEig = top ? cv.topEigenvalues(1).values()[0] : Double.NaN;
            return new Point(epoch, step, lr, trainAcc, testAcc, trace, topEig, so.median(), so.mean(), so.q1(),
                    Moments.skewness(out), Moments.thirdCentralMoment(out), Moments.thirdCentralMoment(abs), spectral,
                    frobenius, normSpectral, normFrobenius, -1, last ? out : null);
        }
    }

    /** The label of the trace method E3 uses on {@code net} ("exact-ggn", ...), for the report. */
    static String traceMethod(Network net, Tensor params, Batch tracePoints) {
        try (Scope s = Scope.open()) {
            Curvature cv = Curvature.of(net, params, tracePoints.range(0, Math.min(2, tracePoints.size())).x(),
                    tracePoints.range(0, Math.min(2, tracePoints.size())).labels());
            Curvature.Method m = cv.bestExact();
            return m != null ? m.label() : Curvature.Method.HUTCHINSON.label();
        }
    }
}
