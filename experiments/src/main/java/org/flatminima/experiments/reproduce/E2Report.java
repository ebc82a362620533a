package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.AuthorsResult;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.CheckpointResult;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.CorrRow;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.ModelRun;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.PointValues;
import org.flatminima.kernels.DType;

import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.MEASURES;
import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.METHODS;
import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.MIN_GROUP;
import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.NOT_APPLICABLE;
import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.notApplicable;

/**
 * E2's report: renders what {@link E2FlatnessVsMargins} computed into CSVs, Markdown and (through
 * {@link E2Plots} and {@link E2Figures}) plots. Fed one seed of one data set at a time, as soon as its models
 * are done ({@link #seedRun}), so its files are written before the next one trains; then the data set across its
 * seeds ({@link #dataSet}: mean and standard deviation across seeds, the headline); {@link #section} then writes
 * the authors' estimator's table and plot over every data set and returns the report section, headed by the
 * scale, the data sets, the number of seeds and the verdicts ({@link E2Verdicts}).
 */
final class E2Report {
    private final E2Config c;
    private final Path dir;
    private final DType dtype;
    private final Scale scale;
    private final long master;
    private final Map<String, Object> summary = new LinkedHashMap<>();
    private final List<String> plots = new ArrayList<>();
    private final Map<String, List<ModelRun>> byData = new LinkedHashMap<>();
    private final StringBuilder perData = new StringBuilder();
    private final StringBuilder perSeed = new StringBuilder();
    private final E2Verdicts verdicts = new E2Verdicts();
    private int resumed;

    /**
     * A report of configuration {@code c} at {@code scale} into {@code dir} (the experiment's directory),
     * computed in {@code dtype}, with master seed {@code master}.
     */
    E2Report(E2Config c, Path dir, DType dtype, Scale scale, long master) {
        this.c = c;
        this.dir = dir;
        this.dtype = dtype;
        this.scale = scale;
        this.master = master;
    }

    /** The directory of seed {@code k}'s files inside a data set's directory (and its checkpoint directory). */
    static String seedDir(int k) {
        return "seed-" + k;
    }

    /**
     * Seed {@code seed} (0-based) of data set {@code data}: writes its CSVs into {@code dir/data/seed-<seed>/}
     * (and, for the first seed, the per-data-set plots of {@link E2Plots} into {@code dir/data/}), and adds its
     * Markdown details.
     */
    void seedRun(String data, int seed, Batch train, Batch test, Batch measured, List<ModelRun> runs) {
        if (seed == 0) {
            byData.put(data, runs);
        }
        resumed += runs.stream().mapToInt(ModelRun::resumed).sum();
        Path ddir = dir.resolve(data).resolve(seedDir(seed));
        Results corr = new Results("model", "step", "train_acc", "measure", "group", "method", "value", "low",
                "high");
        Results points = new Results("model", "step", "point", "label", "predicted", "correct", "trace",
                "one_minus_m2", "affine_trace_expr", "output_margin", "input_margin", E2Authors.RAW);
        Results authors = new Results("model", "step", "train_acc", "measure", "pearson_exact",
                "pearson_authors", "kendall_exact", "kendall_authors");
        List<String> skipped = new ArrayList<>();
        for (ModelRun r : runs) {
            for (CheckpointResult cr : r.checkpoints()) {
                PointValues pv = cr.values();
                for (int i = 0; i < pv.trace().length; i++) {
                    points.row(r.name(), pv.step(), i, pv.labels()[i], pv.predicted()[i],
                            pv.predicted()[i] == pv.labels()[i] ? 1 : 0, pv.trace()[i],
                            pv.measures().get(MEASURES.get(0))[i], pv.measures().get(MEASURES.get(1))[i],
                            pv.measures().get(MEASURES.get(2))[i], pv.measures().get(MEASURES.get(3))[i],
                            pv.measures().get(E2Authors.RAW)[i]);
                }
                for (CorrRow k : cr.correlations()) {
                    corr.row(k.model(), k.step(), k.trainAcc(), k.measure(), k.group(), k.method(), k.value(),
                            k.low(), k.high());
                }
                if (cr.authors() != null) {
                    for (String meas : MEASURES) {
                        if (notApplicable(r.values(), meas)) {
                            continue;
                        }
                        double[] v = cr.authors().byMeasure().get(meas);
                        authors.row(r.name(), pv.step(), pv.trainAcc(), meas, v[0], v[1], v[2], v[3]);
                    }
                }
                skipped.addAll(cr.skipped());
            }
        }
        corr.writeCsv(ddir.resolve("correlations.csv"));
        points.writeCsv(ddir.resolve("points.csv"));
        authors.writeCsv(ddir.resolve("authors_correlations.csv"));
        Map<String, List<PointValues>> byModel = new LinkedHashMap<>();
        runs.forEach(r -> byModel.put(r.name(), r.values()));
        if (seed == 0) {
            plots.addAll(E2Plots.plots(dir, data, byModel, corr, c));
        }

        // the key table: per model, the three correlations over all measured points at the first, middle and
        // last checkpoint, for each measure
        Results key = new Results("model", "step", "train_acc", "test_acc", "group", "method", "one_minus_m2",
                "affine_trace_expr", "output_margin", "input_margin");
        Map<String, Object> ds = new LinkedHashMap<>();
        for (Map.Entry<String, List<PointValues>> e : byModel.entrySet()) {
            List<PointValues> l = e.getValue();
            PointValues last = l.get(l.size() - 1);
            for (PointValues pv : List.of(l.get(0), l.get(l.size() / 2), last)) {
                for (String method : METHODS) {
                    Object[] row = new Object[10];
                    row[0] = e.getKey();
                    row[1] = pv.step();
                    row[2] = pv.trainAcc();
                    row[3] = pv.testAcc();
                    row[4] = "all";
                    row[5] = method;
                    for (int j = 0; j < MEASURES.size(); j++) {
                        row[6 + j] = notApplicable(l, MEASURES.get(j)) ? NOT_APPLICABLE
                                : lookup(corr, e.getKey(), pv.step(), MEASURES.get(j), "all", method);
                    }
                    key.row(row);
                }
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("finalTrainAccuracy", last.trainAcc());
            s.put("finalTestAccuracy", last.testAcc());
            for (String meas : MEASURES) {
                s.put("finalPearson_" + meas, notApplicable(l, meas) ? NOT_APPLICABLE
                        : lookup(corr, e.getKey(), last.step(), meas, "all", "pearson"));
            }
            ds.put(e.getKey(), s);
        }
        ds.put("skippedGroups", skipped.size());
        @SuppressWarnings("unchecked")
        Map<String, Object> dsum = (Map<String, Object>) summary.computeIfAbsent(data, x -> new LinkedHashMap<>());
        dsum.put(seedDir(seed), ds);
        String figures = seed != 0 ? "" : String.format(Locale.ROOT, """
                Plots of this seed:

                ![Pearson vs training accuracy, %s](E2/%s/pearson-vs-train-acc.png)

                ![trace vs affine expression, %s](E2/%s/scatter-trace-vs-affine-expr.png)

                ![trace quantiles, %s](E2/%s/trace-quantiles-vs-step.png)

                ![margin quantiles, %s](E2/%s/margin-quantiles-vs-step.png)

                """, data, data, data, data, data, data, data, data);
        perSeed.append(String.format(Locale.ROOT, """

                #### %s, seed %d (run seed %d)

                Pearson / Spearman / Kendall over the measured points at the first, middle and last checkpoint,
                with this seed's network:

                %s
                Per model (Pearson over the measured points, measure by measure, at each checkpoint as training
                accuracy -> correlation):

                %s
                %sGroups skipped (under %d points): %s.
                """, dataTitle(data), seed, E2Seeds.seed(master, seed), key.markdown(3), verdict(byModel, corr),
                figures,
                MIN_GROUP, skipped.isEmpty() ? "none" : String.join(", ", skipped)));
        perSeed.append(E2Authors.markdown(byModel, corr, E2FlatnessVsMargins.CORRELATED));
    }

    /**
     * Data set {@code data} across its seeds ({@code bySeed.get(k)}: seed k's runs): writes
     * {@code dir/data/correlations_across_seeds.csv} and the figures of {@link E2Figures}, records the verdicts, and
     * adds its Markdown subsection (the headline across seeds, then each seed's details from {@link #seedRun}).
     */
    void dataSet(String data, Batch train, Batch test, Batch measured, List<List<ModelRun>> bySeed) {
        List<E2Seeds.Across> across = E2Seeds.aggregate(bySeed);
        E2Seeds.table(across, bySeed.size()).writeCsv(dir.resolve(data).resolve("correlations_across_seeds.csv"));
        E2Headline.Table head = E2Headline.of(data, bySeed, across, verdicts);
        @SuppressWarnings("unchecked")
        Map<String, Object> dsum = (Map<String, Object>) summary.computeIfAbsent(data, x -> new LinkedHashMap<>());
        dsum.put("acrossSeeds", head.summary());
        E2Figures.Drawn fig = E2Figures.draw(dir, data, bySeed, across);
        plots.addAll(fig.files());
        perData.append(String.format(Locale.ROOT, """

                ### %s

                Trained on %d training points with each of %d seeds, tested on %d test points; correlations over the
                first %d training points.

                %s
                %s
                %s""", dataTitle(data), train.size(), bySeed.size(), test.size(), measured.size(), head.markdown(),
                fig.markdown(), perSeed));
        perSeed.setLength(0);
    }

    /**
     * Writes the authors' estimator's table ({@code authors_estimator.csv}) and plot over every data set, and
     * returns the section; {@code missing} are the optional data sets that were not installed.
     */
    Experiment.Section section(List<String> missing) {
        // the authors' estimator: one table and one plot over every data set
        Results err = new Results("data", "model", "step", "train_acc", "points", "probes_median", "relerr_q1",
                "relerr_median", "relerr_q3", "relerr_p90", "relerr_max", "negative_fraction");
        Results authorsCorr = new Results("data", "step", "train_acc", "measure", "pearson_exact",
                "pearson_authors", "kendall_exact", "kendall_authors");
        Plots.Line errPlot = new Plots.Line("E2: authors' estimator, relative error per point vs step", "step + 1",
                "|estimate - exact| / exact").log(true, true);
        for (Map.Entry<String, List<ModelRun>> e : byData.entrySet()) {
            for (ModelRun r : e.getValue()) {
                List<double[]> q = new ArrayList<>();
                for (CheckpointResult cr : r.checkpoints()) {
                    AuthorsResult a = cr.authors();
                    if (a == null) {
                        continue;
                    }
                    PointValues pv = cr.values();
                    err.row(e.getKey(), r.name(), pv.step(), pv.trainAcc(), a.points(), a.probesMedian(),
                            a.relerrQ1(), a.relerrMedian(), a.relerrQ3(), a.relerrP90(), a.relerrMax(),
                            a.negativeFraction());
                    for (String meas : MEASURES) {
                        if (notApplicable(r.values(), meas)) {
                            continue;
                        }
                        double[] v = a.byMeasure().get(meas);
                        authorsCorr.row(e.getKey(), pv.step(), pv.trainAcc(), meas, v[0], v[1], v[2], v[3]);
                    }
                    q.add(new double[] {pv.step() + 1, a.relerrQ1(), a.relerrMedian(), a.relerrQ3(), a.relerrP90()});
                }
                if (!q.isEmpty()) {
                    double[] x = q.stream().mapToDouble(v -> v[0]).toArray();
                    String[] names = {"q1", "median", "q3", "p90"};
                    for (int k = 0; k < names.length; k++) {
                        int col = k + 1;
                        errPlot.series(e.getKey() + " " + r.name() + " " + names[k], x,
                                q.stream().mapToDouble(v -> Math.max(v[col], 1e-16)).toArray());
                    }
                }
            }
        }
        err.writeCsv(dir.resolve("authors_estimator.csv"));
        String errPng = "E2/authors-relerr-vs-step.png";
        if (!err.rows().isEmpty()) {
            errPlot.save(dir.resolve("authors-relerr-vs-step.png"));
            plots.add(errPng);
        }
        summary.put("missingDataSets", missing);
        Reproduction.noteResumed(summary, resumed);
        summary.put("verdicts", verdicts.summary());

        String ab = err.rows().isEmpty() ? "(not run in this configuration)\n" : String.format(Locale.ROOT, """
                Relative error per checkpoint (quantiles over the points):

                %s
                ![authors' estimator error vs step](%s)

                Correlation across those points between each measure and the exact trace (ours) or the authors'
                estimate:

                %s""", err.markdown(3), errPng, authorsCorr.markdown(3));
        String md = String.format(Locale.ROOT, """
                Models %s (%s), each trained with SGD (momentum 0.9, batch %d, learning rates %s in that order) for
                %d epochs on each data set: %s.%s Every (data set, model) is trained with %d seeds: seed k's run
                seed, which sets the initialisation, the batch order and the bootstrap resampling, is the master seed
                (%d) for k = 0 and SplitMix64's output function applied to master + k * 0x9E3779B97F4A7C15 for
                k >= 1. At log-spaced steps (step 0 included): every measured training
                point's own Hessian trace `tr H_n` (closed form for the affine model, `exact-ggn` for the others,
                both exact) and four per-point measures: the softmax-margin bound `1-m^2` (m = p_y - max_{j!=y} p_j),
                the affine-trace expression `(||h||^2+1)(1-||p||^2)` with h the input of the last Linear layer
                ("n/a" for a model whose last layer is not Linear, such as the authors' LeNet with its ReLU on the
                logits: the expression is then not the trace of an affine last layer), the
                output margin `z_y - max_{j!=y} z_j`, and the linearised input-space margin (output margin /
                ||d(z_y - z_j*)/dx||). Correlations across points with %d-resample bootstrap 95%% intervals, for all
                points and separately for correct and misclassified points (groups under %d points skipped).
                `1-m^2` and the affine expression are expected to correlate positively with the trace, the margins
                negatively (a large margin means a flat point). Training accuracy is over the measured points.
                The headline is the spread across seeds (mean ± sample standard deviation of each seed's
                coefficient); the bootstrap intervals across points of each seed come second.

                %s
                %s
                ### The authors' estimator beside ours

                `%s` with the first seed, first %d training points of each data set, at every checkpoint:
                per-point Hutchinson with batch size 1, Rademacher probes, at most 100, stopping by their vendored
                PyHessian's rule `abs(mean_m - mean_{m-1}) / (mean_{m-1} + 1e-6) < 1e-3` (no absolute value in the
                denominator, so a negative running mean stops it), in float32 as they ran it. Relative error is
                |authors - exact| / exact per point; `negative_fraction` is the fraction of negative estimates (the
                exact traces of these networks are >= 0).

                %s
                Files, per data set `<d>` and seed `<k>`: `E2/<d>/seed-<k>/correlations.csv` (every correlation
                with its bootstrap interval), `E2/<d>/seed-<k>/points.csv` (per-point values at every checkpoint),
                `E2/<d>/seed-<k>/authors_correlations.csv`; per data set `E2/<d>/correlations_across_seeds.csv`
                (every correlation of every seed, with mean and standard deviation across seeds); and
                `E2/authors_estimator.csv` (the error quantiles).
                """, String.join(", ", c.archs().stream().map(a -> "`" + a + "`").toList()), dtype.name(),
                c.batchSize(), java.util.Arrays.toString(c.lrs()), c.epochs(),
                String.join(", ", byData.keySet().stream().map(E2Report::dataTitle).toList()),
                missing.isEmpty() ? "" : " " + String.join(" ", missing.stream().map(m ->
                        dataTitle(m) + " is not installed here, so E2 ran without it (" + installHint(m)
                                + ").").toList()), c.seeds(), master,
                c.resamples(), MIN_GROUP, verdicts.markdown(c.seeds()), perData, c.label(c.authorsArch()),
                c.authorsPoints(), ab);
        String heading = verdicts.heading(scale, List.copyOf(byData.keySet()), c.archs().size(), c.seeds());
        return new Experiment.Section(md, summary, plots, heading);
    }

    /** The title of a data set in the report. */
    static String dataTitle(String data) {
        return switch (data) {
            case DataSets.EMBEDDED -> "MNIST (embedded subset, `embedded`)";
            case DataSets.MNIST -> "MNIST (`mnist`)";
            case DataSets.FASHION -> "Fashion-MNIST (`fashion-mnist`)";
            default -> "`" + data + "`";
        };
    }

    private static String installHint(String data) {
        return data.equals(DataSets.FASHION) ? "apt-get install dataset-fashion-mnist"
                : data.equals(DataSets.MNIST) ? "flatminima data fetch mnist" : "see flatminima data list";
    }

    /**
     * Per model and measure: the Pearson coefficient at every checkpoint (training accuracy -> value), the
     * lowest training accuracy from which it stays above 0.5 in absolute value with the expected sign, and the
     * Spearman correlation between training accuracy and the coefficient over the checkpoints (does it grow?).
     */
    static String verdict(Map<String, List<PointValues>> byModel, Results corr) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, List<PointValues>> e : byModel.entrySet()) {
            List<PointValues> l = e.getValue();
            for (String meas : MEASURES) {
                if (notApplicable(l, meas)) {
                    b.append(String.format(Locale.ROOT, "- `%s`, `%s`: %s (the model's last layer is not Linear)%n",
                            e.getKey(), meas, NOT_APPLICABLE));
                    continue;
                }
                double sign = meas.endsWith("margin") ? -1 : 1;
                double[] acc = new double[l.size()];
                double[] r = new double[l.size()];
                StringBuilder seq = new StringBuilder();
                for (int i = 0; i < l.size(); i++) {
                    acc[i] = l.get(i).trainAcc();
                    r[i] = lookup(corr, e.getKey(), l.get(i).step(), meas, "all", "pearson");
                    seq.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f->%.2f", acc[i], r[i]));
                }
                double from = Double.NaN;
                for (int i = l.size() - 1; i >= 0 && sign * r[i] > 0.5; i--) {
                    from = acc[i];
                }
                double grows = Double.NaN;
                try {
                    double[] sr = new double[r.length];
                    for (int i = 0; i < r.length; i++) {
                        sr[i] = sign * r[i];
                    }
                    grows = Correlation.spearman(acc, sr);
                } catch (IllegalArgumentException ex) {
                    // fewer than 2 checkpoints
                }
                b.append(String.format(Locale.ROOT, "- `%s`, `%s` (expected sign %s): %s; %s; Spearman(train acc, "
                        + "%sPearson) over checkpoints = %.2f%n", e.getKey(), meas, sign > 0 ? "+" : "-", seq,
                        Double.isNaN(from) ? "|Pearson| with the expected sign is not above 0.5 at the last checkpoint"
                                : String.format(Locale.ROOT, "above 0.5 with the expected sign from training accuracy "
                                        + "%.2f on", from), sign > 0 ? "" : "-", grows));
            }
        }
        return b.toString();
    }

    /** A correlation value from the table, NaN when absent. */
    static double lookup(Results corr, String model, long step, String measure, String group, String method) {
        for (Object[] r : corr.rows()) {
            if (r[0].equals(model) && ((Long) r[1]) == step && r[3].equals(measure) && r[4].equals(group)
                    && r[5].equals(method)) {
                return (Double) r[6];
            }
        }
        return Double.NaN;
    }
}
