package org.flatminima.experiments.sweep;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.measures.ModelMargins;
import org.flatminima.experiments.measures.PointMeasures;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.Trainer;

/**
 * The {@link SweepTable#CHECKPOINT_COLUMNS} of one checkpoint of a run: loss and accuracy on all the run's train
 * and test points, and the measures its {@link RunConfig#measures()} ask for on the first
 * {@link RunConfig#measureTrainPoints()} training points (the others stay empty).
 *
 * <ul>
 *   <li>{@code trace}: the Hessian trace of the mean loss over the measured points, by {@link Curvature#bestExact()}
 *       (closed-form, exact-ggn) where the model allows it, else Hutchinson (seed 0, to a 1% relative standard
 *       error); {@code trace_method} says which (it is also the method of the per-point traces).</li>
 *   <li>{@code per_point_trace}: mean, median and quartiles of each point's own trace.</li>
 *   <li>{@code eigenvalue}: the largest Hessian eigenvalue of the mean loss (Lanczos, as {@code analyze}).</li>
 *   <li>{@code margins}: mean and median of the output, softmax and input-space margins; the product of the
 *       layers' spectral norms and the medians of the output and input margins divided by it (Bartlett, Foster,
 *       Telgarsky 2017, "Spectrally-normalized margin bounds for neural networks").</li>
 *   <li>{@code affine}: the means of {@code 1 - m^2} (m the softmax margin) and of the affine-trace expression
 *       (as E2).</li>
 * </ul>
 * A statistic of a column holding a NaN is NaN ("measured, not finite").
 */
final class SweepRunMeasures {
    private SweepRunMeasures() {
    }

    /** Points per chunk of the per-point measures. */
    static final int CHUNK = 1000;

    /**
     * Measures checkpoint {@code step} ({@code epoch} in epochs) of a run of {@code cfg}: {@code net} in eval mode
     * with the checkpoint's buffers, at {@code theta}.
     */
    static SweepTable.Row measure(RunConfig cfg, Network net, Tensor theta, long step, double epoch, Batch train,
                                  Batch test, Batch measured) {
        SweepTable.Builder b = SweepTable.Row.builder().integer("step", step).real("epoch", epoch);
        Trainer.Evaluation tr = Trainer.evaluate(net, theta, train, CHUNK);
        Trainer.Evaluation te = Trainer.evaluate(net, theta, test, CHUNK);
        b.real("train_loss", tr.loss()).real("train_accuracy", tr.accuracy()).real("test_loss", te.loss())
                .real("test_accuracy", te.accuracy()).real("gap_accuracy", tr.accuracy() - te.accuracy())
                .real("gap_loss", te.loss() - tr.loss());
        Curvature c = Curvature.of(net, theta, measured.x(), measured.labels());
        Curvature.Method method = c.bestExact() != null ? c.bestExact() : Curvature.Method.HUTCHINSON;
        if (cfg.measures("trace")) {
            b.real("trace", c.trace(method).value());
        }
        boolean perPoint = cfg.measures("per_point_trace");
        if (cfg.measures("trace") || perPoint) {
            b.text("trace_method", method.label());
        }
        boolean margins = cfg.measures("margins");
        if (perPoint || margins || cfg.measures("affine")) {
            PointMeasures pm = PointMeasures.of(net, theta, measured.x(), measured.labels(),
                    perPoint ? method : null, margins, CHUNK);
            if (perPoint) {
                Summary s = summary(pm.trace());
                b.real("pp_trace_mean", s.mean()).real("pp_trace_median", s.median()).real("pp_trace_q1", s.q1())
                        .real("pp_trace_q3", s.q3());
            }
            if (margins) {
                Summary out = summary(pm.margins().output());
                Summary soft = summary(pm.margins().softmax());
                Summary in = summary(pm.inputMargin());
                double norm = ModelMargins.spectralNormProduct(net, theta);
                b.real("output_margin_mean", out.mean()).real("output_margin_median", out.median())
                        .real("softmax_margin_mean", soft.mean()).real("softmax_margin_median", soft.median())
                        .real("input_margin_mean", in.mean()).real("input_margin_median", in.median())
                        .real("spectral_norm_product", norm)
                        .real("output_margin_norm_median",
                                summary(ModelMargins.normalised(pm.margins().output(), norm)).median())
                        .real("input_margin_norm_median",
                                summary(ModelMargins.normalised(pm.inputMargin(), norm)).median());
            }
            if (cfg.measures("affine")) {
                b.real("one_minus_m2_mean", summary(pm.margins().oneMinusM2()).mean())
                        .real("affine_trace_expr_mean", summary(pm.affineTraceExpr()).mean());
            }
        }
        if (cfg.measures("eigenvalue")) {
            b.real("top_eigenvalue", c.topEigenvalues(cfg.eigenvalues()).values()[0]);
        }
        return b.build();
    }

    private static Summary summary(double[] column) {
        return Summary.ofOrNaN(column);
    }
}
