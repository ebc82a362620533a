package org.flatminima.experiments.reproduce;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.ExactTraces;
import org.flatminima.engine.curvature.PerPointHutchinson;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Taps;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.measures.Margins;
import org.flatminima.experiments.measures.ModelMargins;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * E2, claim (2): once a network reaches a non-trivial training accuracy, the flatness (each point's own Hessian
 * trace) correlates with margin-based measures, and the correlation grows with training accuracy. Each model is
 * trained with SGD; at log-spaced steps (step 0 included) every training point's exact trace ({@code closed-form}
 * for the affine model, {@code exact-ggn} otherwise) is correlated (Pearson, Spearman, Kendall; bootstrap
 * intervals) with four per-point measures, for all points and separately for correct and misclassified ones.
 * The authors' per-point Hutchinson estimator is run beside the exact trace on a small subset of one model.
 */
public final class E2FlatnessVsMargins implements Experiment {

    /** The measures, in table order: column name in the CSVs. */
    static final List<String> MEASURES = List.of("one_minus_m2", "affine_trace_expr", "output_margin",
            "input_margin");

    /** The correlation methods. */
    static final List<String> METHODS = List.of("pearson", "spearman", "kendall");

    /** Groups with fewer points than this are skipped. */
    static final int MIN_GROUP = 10;

    /**
     * @param archs the models (ModelSpec strings; each ends with a Linear layer)
     * @param lrs SGD learning rate of each model (momentum 0.9)
     * @param data data set name
     * @param trainPoints training points (first ones of the split)
     * @param testPoints test points (first ones of the split; 0: all)
     * @param epochs training epochs
     * @param batchSize mini-batch size
     * @param checkpoints number of log-spaced checkpoints besides step 0
     * @param resamples bootstrap resamples per correlation (95% percentile intervals)
     * @param authorsArch the model the authors' estimator runs on (one of {@code archs})
     * @param authorsPoints points of the authors' estimator (first training points), at the first and last
     *     checkpoint
     */
    public record Config(List<String> archs, double[] lrs, String data, int trainPoints, int testPoints, int epochs,
                         int batchSize, int checkpoints, int resamples, String authorsArch, int authorsPoints) {
        /** The quick configuration: about two minutes on two cores. */
        public static Config quick() {
            return new Config(List.of("affine:784-10", "mlp:784-256-256-10", CNN_QUICK),
                    new double[] {0.01, 0.05, 0.05}, DataSets.EMBEDDED, 2000, 1000, 4, 100, 6, 200,
                    "mlp:784-256-256-10", 20);
        }

        /** The full configuration (never run so far): the paper's MLP, a wider CNN, all embedded points. */
        public static Config full() {
            return new Config(List.of("affine:784-10", "mlp:784-256-256-256-256-10", CNN_FULL),
                    new double[] {0.01, 0.05, 0.05}, DataSets.EMBEDDED, 10000, 0, 30, 100, 12, 1000,
                    "mlp:784-256-256-256-256-10", 200);
        }
    }

    /** The quick CNN. */
    static final String CNN_QUICK = "seq:1x28x28:conv(8,3,pad=1),relu,maxpool(2),conv(16,3,pad=1),relu,maxpool(2),"
            + "flatten,linear(10)";
    /** The full-scale CNN. */
    static final String CNN_FULL = "seq:1x28x28:conv(32,3,pad=1),relu,maxpool(2),conv(64,3,pad=1),relu,maxpool(2),"
            + "flatten,linear(128),relu,linear(10)";

    private final Config fixed;

    /** E2 with the configuration of the scale. */
    public E2FlatnessVsMargins() {
        this(null);
    }

    /** E2 with {@code fixed} at every scale (tests). */
    public E2FlatnessVsMargins(Config fixed) {
        this.fixed = fixed;
    }

    @Override
    public String id() {
        return "E2";
    }

    @Override
    public String title() {
        return "flatness vs margins during training";
    }

    Config cfg(Scale s) {
        return fixed != null ? fixed : s == Scale.FULL ? Config.full() : Config.quick();
    }

    @Override
    public Map<String, Object> config(Scale scale) {
        Config c = cfg(scale);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("archs", c.archs());
        m.put("lrs", c.lrs());
        m.put("momentum", 0.9);
        m.put("data", c.data());
        m.put("trainPoints", c.trainPoints());
        m.put("testPoints", c.testPoints());
        m.put("epochs", c.epochs());
        m.put("batchSize", c.batchSize());
        m.put("checkpoints", c.checkpoints());
        m.put("bootstrapResamples", c.resamples());
        m.put("authorsArch", c.authorsArch());
        m.put("authorsPoints", c.authorsPoints());
        return m;
    }

    /** Short model label for tables and plots. */
    static String label(String arch) {
        return arch.startsWith("seq:") ? "cnn" : arch.startsWith("affine:") ? "affine" : arch;
    }

    /** One checkpoint's per-point values. */
    record PointValues(long step, double trainAcc, double testAcc, String method, double[] trace, int[] labels,
                       int[] predicted, Map<String, double[]> measures) {
    }

    @Override
    public Section run(ReproduceContext ctx) {
        Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        Batch train = Nets.batch(ctx.data(c.data(), DataSets.Split.TRAIN, c.trainPoints()));
        Batch test = Nets.batch(ctx.data(c.data(), DataSets.Split.TEST, c.testPoints()));
        long work = 0;
        List<long[]> stepsPer = new ArrayList<>();
        for (int m = 0; m < c.archs().size(); m++) {
            TrainConfig tc = TrainConfig.sgd(c.lrs()[m], c.batchSize(), c.epochs(), ctx.seed());
            long total = (long) tc.stepsPerEpoch(train.size()) * c.epochs();
            stepsPer.add(Nets.logSpacedSteps(total, c.checkpoints()));
            work += stepsPer.get(m).length + 1;
        }
        ctx.progress().start(id() + " flatness vs margins", work + 2);

        Results corr = new Results("model", "step", "train_acc", "measure", "group", "method", "value", "low",
                "high");
        Results points = new Results("model", "step", "point", "label", "predicted", "correct", "trace",
                "one_minus_m2", "affine_trace_expr", "output_margin", "input_margin");
        Results authors = new Results("model", "step", "train_acc", "points", "probes_median", "relerr_q1",
                "relerr_median", "relerr_q3", "measure", "pearson_exact", "pearson_authors");
        Map<String, List<PointValues>> byModel = new LinkedHashMap<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();

        for (int m = 0; m < c.archs().size(); m++) {
            String arch = c.archs().get(m);
            String name = label(arch);
            Network net = ModelSpec.parse(arch).network();
            long[] steps = stepsPer.get(m);
            TrainConfig base = TrainConfig.sgd(c.lrs()[m], c.batchSize(), c.epochs(), ctx.seed());
            TrainConfig tc = new TrainConfig(base.optimizer(), base.lr(), base.momentum(), base.nesterov(),
                    base.weightDecay(), base.batchSize(), base.epochs(), base.schedule(), base.milestones(),
                    base.gamma(), base.seed(), Integer.MAX_VALUE, steps);
            Tensor params = net.initParams(ctx.dtype(), ctx.seed());
            Map<Long, Tensor> at = new LinkedHashMap<>();
            at.put(0L, params.copy());
            Trainer.train(net, params, train, null, tc, null, new Trainer.Callbacks() {
                @Override
                public void onCheckpoint(Trainer.Checkpoint cp) {
                    at.put(cp.step(), cp.params().copy());
                }
            });
            ctx.progress().step(1, name + " trained " + steps[steps.length - 1] + " steps");
            List<PointValues> list = new ArrayList<>();
            for (Map.Entry<Long, Tensor> e : at.entrySet()) {
                PointValues pv = measure(net, e.getKey(), e.getValue(), train, test);
                list.add(pv);
                for (int i = 0; i < pv.trace().length; i++) {
                    points.row(name, pv.step(), i, pv.labels()[i], pv.predicted()[i],
                            pv.predicted()[i] == pv.labels()[i] ? 1 : 0, pv.trace()[i],
                            pv.measures().get(MEASURES.get(0))[i], pv.measures().get(MEASURES.get(1))[i],
                            pv.measures().get(MEASURES.get(2))[i], pv.measures().get(MEASURES.get(3))[i]);
                }
                correlate(name, pv, c.resamples(), ctx.seed(), corr, skipped);
                ctx.progress().step(1, String.format(Locale.ROOT, "%s step %d train acc %.3f", name, pv.step(),
                        pv.trainAcc()));
            }
            byModel.put(name, list);
            if (arch.equals(c.authorsArch()) && c.authorsPoints() > 0) {
                List<Map.Entry<Long, Tensor>> cps = new ArrayList<>(at.entrySet());
                for (Map.Entry<Long, Tensor> e : List.of(cps.get(0), cps.get(cps.size() - 1))) {
                    PointValues pv = list.get(cps.indexOf(e));
                    authorsBeside(net, e.getValue(), pv, train, Math.min(c.authorsPoints(), train.size()),
                            ctx.seed(), name, c.resamples(), authors, corr);
                }
            }
        }
        ctx.progress().step(1, "writing");
        corr.writeCsv(dir.resolve("correlations.csv"));
        points.writeCsv(dir.resolve("points.csv"));
        authors.writeCsv(dir.resolve("authors_estimator.csv"));

        List<String> plots = plots(dir, byModel, corr, c);

        // the key table: per model, Pearson (all points) at the last checkpoint, and at the first checkpoint
        // whose training accuracy is at least 0.5, for each measure
        Results key = new Results("model", "step", "train_acc", "test_acc", "group", "method", "one_minus_m2",
                "affine_trace_expr", "output_margin", "input_margin");
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
                    for (int k = 0; k < MEASURES.size(); k++) {
                        row[6 + k] = lookup(corr, e.getKey(), pv.step(), MEASURES.get(k), "all", method);
                    }
                    key.row(row);
                }
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("finalTrainAccuracy", last.trainAcc());
            s.put("finalTestAccuracy", last.testAcc());
            for (String meas : MEASURES) {
                s.put("finalPearson_" + meas, lookup(corr, e.getKey(), last.step(), meas, "all", "pearson"));
            }
            summary.put(e.getKey(), s);
        }
        ctx.progress().finish();
        String verdict = verdict(byModel, corr);

        StringBuilder ab = new StringBuilder();
        if (!authors.rows().isEmpty()) {
            ab.append(authors.markdown(3));
        } else {
            ab.append("(not run in this configuration)\n");
        }
        String md = String.format(Locale.ROOT, """
                Models %s (%s), each trained with SGD (momentum 0.9, batch %d, learning rates %s in that order) for
                %d epochs on the first %d points of `%s`; test accuracy on %d test points. At log-spaced steps (step 0
                included): every training point's own Hessian trace `tr H_n` (closed form for the affine model,
                `exact-ggn` for the others, both exact) and four per-point measures: the softmax-margin bound `1-m^2`
                (m = p_y - max_{j!=y} p_j), the affine-trace expression `(||h||^2+1)(1-||p||^2)` with h the input
                of the last Linear layer, the output margin `z_y - max_{j!=y} z_j`, and the linearised input-space
                margin (output margin / ||d(z_y - z_j*)/dx||). Correlations across points with %d-resample bootstrap
                95%% intervals, for all points and separately for correct and misclassified points (groups under %d
                points skipped: %s). `1-m^2` and the affine expression are expected to correlate positively with the
                trace, the margins negatively (a large margin means a flat point).

                Pearson / Spearman / Kendall over all training points at the first, middle and last checkpoint:

                %s
                What the numbers say about claim (2), per model (Pearson over all training points, measure by measure,
                at each checkpoint as training accuracy -> correlation):

                %s
                ![Pearson vs training accuracy](E2/pearson-vs-train-acc.png)

                ![trace vs affine expression](E2/scatter-trace-vs-affine-expr.png)

                ![trace quantiles](E2/trace-quantiles-vs-step.png)

                ![margin quantiles](E2/margin-quantiles-vs-step.png)

                **The authors' estimator beside ours** (`%s`, first %d training points, first and last checkpoint):
                per-point Hutchinson with batch size 1, Rademacher probes, at most 100, stopping when the running mean
                moves by under 0.1%%. `relerr` is |authors - exact| / exact per point (quartiles); `pearson_*` is the
                Pearson correlation on those points between the measure and the exact vs the estimated trace.

                %s
                Files: `E2/correlations.csv` (every correlation with its interval), `E2/points.csv` (per-point values
                at every checkpoint), `E2/authors_estimator.csv`.
                """, String.join(", ", c.archs().stream().map(a -> "`" + a + "`").toList()), ctx.dtype().name(),
                c.batchSize(), java.util.Arrays.toString(c.lrs()), c.epochs(), train.size(), c.data(), test.size(),
                c.resamples(), MIN_GROUP, skipped.isEmpty() ? "none" : String.join(", ", skipped),
                key.markdown(3), verdict, label(c.authorsArch()), c.authorsPoints(), ab);
        summary.put("skippedGroups", skipped.size());
        return new Section(md, summary, plots);
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

    /** Accuracies, exact per-point traces and the four measures at one checkpoint. */
    static PointValues measure(Network net, long step, Tensor theta, Batch train, Batch test) {
        Curvature cv = Curvature.of(net, theta, train.x(), train.labels());
        Curvature.Method method = ExactTraces.isAffine(net) ? Curvature.Method.CLOSED_FORM
                : Curvature.Method.EXACT_GGN;
        double[] trace = cv.breakdown(method, true).perPoint();
        Taps.Tapped tapped = Taps.record(net, theta, train.x());
        Margins.Columns cols = Margins.of(tapped.logits(), train.labels());
        Tensor h = tapped.inputs().get(tapped.inputs().size() - 1);
        Tensor h2 = h.contiguous().reshape(h.dim(0), (int) (h.size() / h.dim(0)));
        Map<String, double[]> ms = new LinkedHashMap<>();
        ms.put("one_minus_m2", cols.oneMinusM2());
        ms.put("affine_trace_expr", Margins.affineTraceExpression(h2, cols));
        ms.put("output_margin", cols.output());
        ms.put("input_margin", ModelMargins.inputMargins(net, theta, train.x(), train.labels(), cols));
        return new PointValues(step, Margins.accuracy(cols, train.labels()), Nets.accuracy(net, theta, test),
                method.label(), trace, train.labels(), cols.predicted(), ms);
    }

    private static void correlate(String model, PointValues pv, int resamples, long seed, Results corr,
                                  List<String> skipped) {
        int n = pv.trace().length;
        for (String group : List.of("all", "correct", "incorrect")) {
            int[] idx = java.util.stream.IntStream.range(0, n).filter(i -> switch (group) {
                case "correct" -> pv.predicted()[i] == pv.labels()[i];
                case "incorrect" -> pv.predicted()[i] != pv.labels()[i];
                default -> true;
            }).toArray();
            if (idx.length < MIN_GROUP) {
                skipped.add(model + " step " + pv.step() + " " + group + " (" + idx.length + ")");
                continue;
            }
            double[] t = pick(pv.trace(), idx);
            for (String meas : MEASURES) {
                double[] v = pick(pv.measures().get(meas), idx);
                for (String method : METHODS) {
                    Correlation.Estimate est = Correlation.bootstrap(method, t, v, resamples, 0.95,
                            seed ^ (31L * pv.step() + meas.hashCode() + 7L * method.hashCode()));
                    corr.row(model, pv.step(), pv.trainAcc(), meas, group, method, est.value(), est.low(),
                            est.high());
                }
            }
        }
    }

    /** The authors' estimator on the first {@code k} points, beside the exact traces of {@code pv}. */
    private static void authorsBeside(Network net, Tensor theta, PointValues pv, Batch train, int k, long seed,
                                      String model, int resamples, Results authors, Results corr) {
        Batch sub = train.range(0, k);
        PerPointHutchinson.PerPointTraces est = PerPointHutchinson.authors(
                PerPointHutchinson.pointLosses(net, sub.x(), sub.labels()), k, theta,
                PerPointHutchinson.AuthorsOptions.paper().withSeed(seed));
        double[] exact = java.util.Arrays.copyOf(pv.trace(), k);
        double[] rel = new double[k];
        double[] probes = new double[k];
        for (int i = 0; i < k; i++) {
            rel[i] = Math.abs(est.values()[i] - exact[i]) / Math.max(Math.abs(exact[i]), Double.MIN_NORMAL);
            probes[i] = est.probes()[i];
        }
        Summary rs = Summary.of(rel);
        for (String meas : MEASURES) {
            double[] v = java.util.Arrays.copyOf(pv.measures().get(meas), k);
            Correlation.Estimate ex = Correlation.bootstrap("pearson", exact, v, resamples, 0.95, seed);
            Correlation.Estimate au = Correlation.bootstrap("pearson", est.values(), v, resamples, 0.95, seed);
            authors.row(model, pv.step(), pv.trainAcc(), k, Nets.median(probes), rs.q1(), rs.median(), rs.q3(), meas,
                    ex.value(), au.value());
            corr.row(model, pv.step(), pv.trainAcc(), meas, "subset" + k, "pearson_exact", ex.value(), ex.low(),
                    ex.high());
            corr.row(model, pv.step(), pv.trainAcc(), meas, "subset" + k, "pearson_authors_estimator", au.value(),
                    au.low(), au.high());
        }
    }

    private static double[] pick(double[] v, int[] idx) {
        double[] r = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            r[i] = v[idx[i]];
        }
        return r;
    }

    /** A correlation value from the table, NaN when absent. */
    private static double lookup(Results corr, String model, long step, String measure, String group, String method) {
        for (Object[] r : corr.rows()) {
            if (r[0].equals(model) && ((Long) r[1]) == step && r[3].equals(measure) && r[4].equals(group)
                    && r[5].equals(method)) {
                return (Double) r[6];
            }
        }
        return Double.NaN;
    }

    private static List<String> plots(Path dir, Map<String, List<PointValues>> byModel, Results corr, Config c) {
        List<String> files = new ArrayList<>();
        // Pearson vs training accuracy: one line per model and measure
        Plots.Line pearson = new Plots.Line("E2: Pearson(trace, measure), all training points", "training accuracy", "Pearson correlation");
        for (Map.Entry<String, List<PointValues>> e : byModel.entrySet()) {
            for (String meas : MEASURES) {
                List<PointValues> l = e.getValue();
                double[] x = new double[l.size()];
                double[] y = new double[l.size()];
                for (int i = 0; i < l.size(); i++) {
                    x[i] = l.get(i).trainAcc();
                    y[i] = lookup(corr, e.getKey(), l.get(i).step(), meas, "all", "pearson");
                }
                pearson.series(e.getKey() + ": " + meas, x, y);
            }
        }
        pearson.save(dir.resolve("pearson-vs-train-acc.png"));
        files.add("E2/pearson-vs-train-acc.png");

        // scatter of trace vs affine expression at first / middle / last checkpoint of one model
        String scatterModel = byModel.containsKey(label(c.authorsArch())) ? label(c.authorsArch())
                : byModel.keySet().iterator().next();
        List<PointValues> l = byModel.get(scatterModel);
        XYChart chart = new XYChartBuilder().width(Plots.WIDTH).height(Plots.HEIGHT)
                .title("E2: " + scatterModel + ", per-point trace vs (||h||^2+1)(1-||p||^2)")
                .xAxisTitle("affine-trace expression").yAxisTitle("per-point Hessian trace").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(4);
        for (PointValues pv : List.of(l.get(0), l.get(l.size() / 2), l.get(l.size() - 1))) {
            double[] x = pv.measures().get("affine_trace_expr");
            double[] y = pv.trace();
            List<double[]> ok = new ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                if (x[i] > 0 && y[i] > 0 && Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                    ok.add(new double[] {x[i], y[i]});
                }
            }
            if (ok.isEmpty()) {
                continue;
            }
            double[] px = ok.stream().mapToDouble(a -> a[0]).toArray();
            double[] py = ok.stream().mapToDouble(a -> a[1]).toArray();
            String sname = String.format(Locale.ROOT, "step %d (train acc %.2f)", pv.step(), pv.trainAcc());
            if (chart.getSeriesMap().containsKey(sname)) {
                continue;
            }
            chart.addSeries(sname, px, py).setMarker(SeriesMarkers.CIRCLE);
        }
        if (chart.getSeriesMap().isEmpty()) {
            chart.addSeries("(no plottable values)", new double[] {1}, new double[] {1});
        }
        Path scatter = dir.resolve("scatter-trace-vs-affine-expr.png");
        try {
            Path tmp = scatter.resolveSibling(scatter.getFileName() + ".tmp.png");
            BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
            Files.move(tmp, scatter, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        files.add("E2/scatter-trace-vs-affine-expr.png");

        // quantiles vs step (x: step + 1, log)
        Plots.Line tq = new Plots.Line("E2: per-point trace quantiles vs step", "step + 1", "per-point trace")
                .log(true, true);
        Plots.Line mq = new Plots.Line("E2: output margin quantiles vs step", "step + 1", "output margin")
                .log(true, false);
        for (Map.Entry<String, List<PointValues>> e : byModel.entrySet()) {
            List<PointValues> pl = e.getValue();
            double[] x = new double[pl.size()];
            double[][] t = new double[3][pl.size()];
            double[][] mm = new double[3][pl.size()];
            for (int i = 0; i < pl.size(); i++) {
                x[i] = pl.get(i).step() + 1;
                Summary st = Summary.of(pl.get(i).trace());
                Summary sm = Summary.of(pl.get(i).measures().get("output_margin"));
                t[0][i] = st.q1();
                t[1][i] = st.median();
                t[2][i] = st.q3();
                mm[0][i] = sm.q1();
                mm[1][i] = sm.median();
                mm[2][i] = sm.q3();
            }
            String[] q = {"q1", "median", "q3"};
            for (int k = 0; k < 3; k++) {
                tq.series(e.getKey() + " " + q[k], x, t[k]);
                mq.series(e.getKey() + " " + q[k], x, mm[k]);
            }
        }
        tq.save(dir.resolve("trace-quantiles-vs-step.png"));
        mq.save(dir.resolve("margin-quantiles-vs-step.png"));
        files.add("E2/trace-quantiles-vs-step.png");
        files.add("E2/margin-quantiles-vs-step.png");
        return files;
    }
}
