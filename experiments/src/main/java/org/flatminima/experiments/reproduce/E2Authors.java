package org.flatminima.experiments.reproduce;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.PerPointHutchinson;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.measures.LocalOutlierFactor;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.CorrRow;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.PointValues;
import org.flatminima.experiments.train.Batch;
import org.flatminima.kernels.DType;

/**
 * The authors' own quantities in E2, beside ours (issue 16, item 3):
 * <ul>
 *   <li>{@link #RAW}: their affine expression from the raw network input
 *       ({@link org.flatminima.experiments.measures.AuthorsAffineTrace}), a measure correlated like the others;</li>
 *   <li>{@link #theirEstimator}: their per-point Hutchinson exactly as their vendored PyHessian runs it (Rademacher
 *       probes, at most 100, tolerance 1e-3, {@link PerPointHutchinson.StoppingRule#PYHESSIAN}, float32), whose
 *       error against the exact per-point traces goes into {@code authors_estimator.csv};</li>
 *   <li>{@link #lofRows}: the correlations after their LocalOutlierFactor filter, which they apply to the 2-D
 *       (measure, trace) pairs of a group (correct or misclassified points) before a regression line or a
 *       Kendall coefficient ({@code margin_flatness/postprocessing/correlation.py}: {@code get_outlier_filter},
 *       called by {@code linregress_outliers} and {@code get_kendall} with {@code remove_outliers=True}, as in
 *       {@code stats_plotting.plot_regression}); methods {@link #PEARSON_LOF} and {@link #KENDALL_LOF}.</li>
 * </ul>
 */
final class E2Authors {
    private E2Authors() {
    }

    /** The measure column of the authors' affine expression from the raw input. */
    static final String RAW = "affine_trace_expr_raw";
    /** Pearson after the authors' LOF filter (bootstrap 95% interval over the kept points, LOF not refitted). */
    static final String PEARSON_LOF = "pearson_lof";
    /** Kendall's tau-b after the authors' LOF filter (interval as {@link #PEARSON_LOF}). */
    static final String KENDALL_LOF = "kendall_lof";

    /**
     * The rows of the LOF-filtered correlations of trace {@code t} and measure {@code v} (one group's points):
     * the filter is fitted on the pairs {@code (v, t)} as the authors do (margin on x, trace on y; raw scales).
     */
    static void lofRows(String model, PointValues pv, String meas, String group, double[] t, double[] v,
                        int resamples, long seed, List<CorrRow> out) {
        boolean[] keep = LocalOutlierFactor.authorsFilter(v, t);
        double[] tk = LocalOutlierFactor.keep(t, keep);
        double[] vk = LocalOutlierFactor.keep(v, keep);
        for (String[] m : new String[][] {{"pearson", PEARSON_LOF}, {"kendall", KENDALL_LOF}}) {
            double value = Double.NaN;
            double low = Double.NaN;
            double high = Double.NaN;
            try {
                Correlation.Estimate est = Correlation.bootstrap(m[0], tk, vk, resamples, 0.95,
                        seed + m[0].hashCode());
                value = est.value();
                low = est.low();
                high = est.high();
            } catch (IllegalArgumentException e) {
                // too few kept points or a constant column: NaN
            }
            out.add(new CorrRow(model, pv.step(), pv.trainAcc(), meas, group, m[1], value, low, high));
        }
    }

    /**
     * Their estimator on the points of {@code sub}: PyHessian's loop and rule with the paper's settings, in float32
     * (parameters and inputs converted), probes of point i from a generator derived from {@code seed} and i.
     */
    static PerPointHutchinson.PerPointTraces theirEstimator(Network net, Tensor theta, Batch sub, long seed) {
        Tensor theta32 = theta.to(DType.F32);
        Tensor x32 = sub.x().to(DType.F32);
        return PerPointHutchinson.authors(PerPointHutchinson.pointLosses(net, x32, sub.labels()), sub.size(),
                theta32, PerPointHutchinson.AuthorsOptions.paper().withSeed(seed));
    }

    /** The largest value and the fraction of negative estimates: {@code [max relerr, negative fraction]}. */
    static double[] maxAndNegative(double[] relerr, double[] estimates) {
        double max = Arrays.stream(relerr).max().orElse(Double.NaN);
        long neg = Arrays.stream(estimates).filter(e -> e < 0).count();
        return new double[] {max, estimates.length == 0 ? Double.NaN : neg / (double) estimates.length};
    }

    /** The measures the raw-input expression is compared with in {@link #rawAgainst}, in column order. */
    static final List<String> RAW_AGAINST = List.of("affine_trace_expr", "one_minus_m2", "output_margin",
            "input_margin");

    /**
     * Pearson, over all measured points of one checkpoint, of the raw-input expression with the exact trace and
     * then with each of {@link #RAW_AGAINST} (NaN where undefined).
     */
    static double[] rawAgainst(PointValues pv) {
        double[] raw = pv.measures().get(RAW);
        double[] r = new double[1 + RAW_AGAINST.size()];
        r[0] = safePearson(raw, pv.trace());
        for (int k = 0; k < RAW_AGAINST.size(); k++) {
            r[1 + k] = safePearson(raw, pv.measures().get(RAW_AGAINST.get(k)));
        }
        return r;
    }

    private static double safePearson(double[] a, double[] b) {
        try {
            return Correlation.pearson(a, b);
        } catch (IllegalArgumentException e) {
            return Double.NaN;
        }
    }

    /**
     * A Markdown table for one data set: per model, at its last checkpoint, Pearson of the trace with each of
     * {@code measures} over all points and per group, without and with the authors' LOF filter.
     */
    static String markdown(Map<String, List<PointValues>> byModel, Results corr, List<String> measures) {
        Results t = new Results("model", "step", "measure", "group", "pearson", "pearson_lof", "kendall",
                "kendall_lof");
        for (Map.Entry<String, List<PointValues>> e : byModel.entrySet()) {
            List<PointValues> l = e.getValue();
            PointValues last = l.get(l.size() - 1);
            for (String meas : measures) {
                for (String group : List.of("all", "correct", "incorrect")) {
                    double p = E2Report.lookup(corr, e.getKey(), last.step(), meas, group, "pearson");
                    if (Double.isNaN(p)) {
                        continue;
                    }
                    t.row(e.getKey(), last.step(), meas, group, p,
                            E2Report.lookup(corr, e.getKey(), last.step(), meas, group, PEARSON_LOF),
                            E2Report.lookup(corr, e.getKey(), last.step(), meas, group, "kendall"),
                            E2Report.lookup(corr, e.getKey(), last.step(), meas, group, KENDALL_LOF));
                }
            }
        }
        Results raw = new Results("model", "step", "train_acc", "raw_vs_trace", "raw_vs_affine_trace_expr",
                "raw_vs_one_minus_m2", "raw_vs_output_margin", "raw_vs_input_margin");
        for (Map.Entry<String, List<PointValues>> e : byModel.entrySet()) {
            boolean na = E2FlatnessVsMargins.notApplicable(e.getValue());
            for (PointValues pv : e.getValue()) {
                double[] v = rawAgainst(pv);
                raw.row(e.getKey(), pv.step(), pv.trainAcc(), v[0], na ? E2FlatnessVsMargins.NOT_APPLICABLE : v[1],
                        v[2], v[3], v[4]);
            }
        }
        return String.format(Locale.ROOT, """

                Their affine expression from the raw input (`%s`) against the exact trace and against the other
                measures, Pearson over all measured points at every checkpoint:

                %s""", RAW, raw.markdown(3)) + String.format(Locale.ROOT, """

                The authors' quantities at the last checkpoint: `%s` is their affine expression from the raw input
                (`get_linear_loss_trace`), beside ours from the last layer's input; `_lof` columns drop the points
                their LocalOutlierFactor filter flags (k = %d, contamination %.1f, on the (measure, trace) pairs of
                the group, as their `get_outlier_filter`):

                %s""", RAW, LocalOutlierFactor.AUTHORS_NEIGHBORS, LocalOutlierFactor.AUTHORS_CONTAMINATION,
                t.markdown(3));
    }
}
