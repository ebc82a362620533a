package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import org.flatminima.experiments.UserException;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.PerPointHutchinson;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Taps;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.measures.AuthorsAffineTrace;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.measures.PointMeasures;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;

/**
 * E2, claim (2): once a network reaches a non-trivial training accuracy, the flatness (each point's own Hessian
 * trace) correlates with margin-based measures, and the correlation grows with training accuracy. Each model is
 * trained with SGD on each data set with {@link E2Config#seeds()} seeds (run seeds by {@link E2Seeds#seed}, each
 * resumable on its own through a {@link CheckpointStore}); at log-spaced steps (step 0 included) every training
 * point's exact trace ({@code closed-form} for the affine model, {@code exact-ggn} otherwise) is correlated
 * (Pearson, Spearman, Kendall; bootstrap intervals) with four per-point measures, for all points and separately
 * for correct and misclassified ones. The authors' per-point Hutchinson estimator is run beside the exact trace on
 * a small subset of one model (first seed), and their other quantities ({@link E2Authors}) beside ours. This class
 * computes; {@link E2Report} (with {@link E2Plots}, {@link E2Figures}, {@link E2Headline} and {@link E2Verdicts})
 * writes the CSVs, Markdown and plots, the spread across seeds first.
 */
public final class E2FlatnessVsMargins extends ScaledExperiment<E2Config> {

    /** The measures, in table order: column name in the CSVs. */
    static final List<String> MEASURES = List.of("one_minus_m2", "affine_trace_expr", "output_margin",
            "input_margin");

    /** The measures correlated with the trace: {@link #MEASURES} and the authors' {@link E2Authors#RAW}. */
    static final List<String> CORRELATED = java.util.stream.Stream.concat(MEASURES.stream(),
            java.util.stream.Stream.of(E2Authors.RAW)).toList();

    /** The correlation methods. */
    static final List<String> METHODS = List.of("pearson", "spearman", "kendall");

    /** The configuration key of the number of seeds (not part of a run's checkpoint configuration). */
    static final String SEEDS = "seeds";

    /** Groups with fewer points than this are skipped. */
    static final int MIN_GROUP = 10;

    private final CheckpointStore.Hook hook;

    /** E2 with the configuration of the scale. */
    public E2FlatnessVsMargins() {
        this(null);
    }

    /** E2 with {@code fixed} at every scale (tests). */
    public E2FlatnessVsMargins(E2Config fixed) {
        this(fixed, CheckpointStore.NONE);
    }

    /** E2 with {@code fixed} at every scale, its checkpoint store observed by {@code hook} (tests). */
    E2FlatnessVsMargins(E2Config fixed, CheckpointStore.Hook hook) {
        super("E2", "flatness vs margins during training", fixed, E2Config::quick, E2Config::full);
        this.hook = hook;
    }

    @Override
    void describe(E2Config c, Map<String, Object> m) {
        m.put("archs", c.archs());
        m.put("lrs", c.lrs());
        m.put("momentum", 0.9);
        m.put("data", c.data());
        m.put(SEEDS, c.seeds());
        m.put("trainPoints", c.trainPoints());
        m.put("measurePoints", c.measurePoints());
        m.put("testPoints", c.testPoints());
        m.put("epochs", c.epochs());
        m.put("batchSize", c.batchSize());
        m.put("checkpoints", c.checkpoints());
        m.put("bootstrapResamples", c.resamples());
        m.put("authorsArch", c.authorsArch());
        m.put("authorsPoints", c.authorsPoints());
        if (c.standardize() != Standardize.NONE) {
            // only when set, so that the run directories made before the option keep matching their configuration
            m.put("standardize", c.standardize().label());
        }
    }

    /** The first data set, unless it is the embedded subset (always present). */
    @Override
    public List<String> requiredData(Scale scale) {
        List<String> d = cfg(scale).data();
        return installable(d.subList(0, Math.min(1, d.size())));
    }

    /** The other data sets: run when installed, else skipped with a line in the report. */
    @Override
    public List<String> optionalData(Scale scale) {
        List<String> d = cfg(scale).data();
        return installable(d.subList(Math.min(1, d.size()), d.size()));
    }

    /** The measure that only a model ending in a Linear layer has ({@link #oursAffineApplies}). */
    static final String OURS_AFFINE = "affine_trace_expr";

    /** How tables write a measure that does not apply to a model ({@link #oursAffineApplies}). */
    public static final String NOT_APPLICABLE = "n/a";

    /**
     * Whether our affine expression {@code (||h||^2 + 1)(1 - ||p||^2)} applies to {@code net}: only when its last
     * layer is Linear, whose input is {@code h} and whose output the logits. After anything else (the authors'
     * LeNet ends with a ReLU on its logits) the expression is not the trace of an affine last layer; E2 then
     * records it as NaN and its tables write {@link #NOT_APPLICABLE}.
     */
    static boolean oursAffineApplies(Network net) {
        List<Taps.Site> layers = Taps.layers(net, 1);
        return !layers.isEmpty() && layers.getLast().module() instanceof Linear;
    }

    /** {@link #oursAffineApplies} of the network of spec {@code arch}. */
    static boolean oursAffineApplies(String arch) {
        return oursAffineApplies(ModelSpec.parse(arch).network());
    }

    /**
     * Short model label for tables, plots and checkpoint directories (made unique within a configuration by
     * {@link E2Config#label}): {@code cnn} for a {@code seq:} spec, {@code affine} for an affine one, else the spec
     * with its commas written as {@code ;}.
     */
    static String label(String arch) {
        // commas would split the CSVs' model column (they are not quoted): ';' instead, as in mlp:784-64-10;bn
        return arch.startsWith("seq:") ? "cnn" : arch.startsWith("affine:") ? "affine" : arch.replace(',', ';');
    }

    /** One checkpoint's per-point values (on the measured training points). */
    record PointValues(long step, double trainAcc, double testAcc, String method, double[] trace, int[] labels,
                       int[] predicted, Map<String, double[]> measures) {
    }

    /** One row of {@code correlations.csv}. */
    record CorrRow(String model, long step, double trainAcc, String measure, String group, String method,
                   double value, double low, double high) {
    }

    /**
     * The authors' estimator (their rule, float32: {@link E2Authors#theirEstimator}) at one checkpoint: the
     * distribution over its points of the relative error {@code |estimate - exact| / exact}, its maximum, the
     * fraction of negative estimates, and per measure the correlations with their estimate beside ours.
     */
    record AuthorsResult(int points, double probesMedian, double relerrQ1, double relerrMedian, double relerrQ3,
                         double relerrP90, Map<String, double[]> byMeasure, double relerrMax,
                         double negativeFraction) {
        /** The order of the values in {@link #byMeasure}. */
        static final List<String> COLUMNS = List.of("pearson_exact", "pearson_authors", "kendall_exact",
                "kendall_authors");
    }

    /** Everything computed at one checkpoint of one model: saved, and reused after a crash. */
    record CheckpointResult(PointValues values, List<CorrRow> correlations, AuthorsResult authors,
                            List<String> skipped) {
    }

    /** One model's checkpoints on one data set. */
    record ModelRun(String arch, String name, List<CheckpointResult> checkpoints, int resumed) {
        List<PointValues> values() {
            return checkpoints.stream().map(CheckpointResult::values).toList();
        }
    }

    @Override
    public Section run(ReproduceContext ctx) {
        E2Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        E2Report report = new E2Report(c, dir, ctx.dtype(), ctx.scale(), ctx.seed());
        List<String> missing = new ArrayList<>();
        ctx.progress().start(id() + " flatness vs margins", work(c));
        for (int d = 0; d < c.data().size(); d++) {
            String data = c.data().get(d);
            Batch train;
            Batch measured;
            Batch test;
            try {
                Dataset[] scaled = c.standardize().apply(load(ctx, data, DataSets.Split.TRAIN, c.trainPoints()),
                        load(ctx, data, DataSets.Split.TEST, c.testPoints()));
                train = Nets.batch(scaled[0]);
                test = Nets.batch(scaled[1]);
            } catch (UserException e) {
                if (d == 0) {
                    throw e; // the first data set is required (full MNIST: 'flatminima data fetch mnist')
                }
                missing.add(data);
                continue;
            }
            measured = c.measurePoints() > 0 && c.measurePoints() < train.size()
                    ? train.range(0, c.measurePoints()) : train;
            List<List<ModelRun>> bySeed = new ArrayList<>();
            for (int k = 0; k < c.seeds(); k++) {
                List<ModelRun> runs = new ArrayList<>();
                for (int m = 0; m < c.archs().size(); m++) {
                    runs.add(runModel(ctx, c, dir, data, m, k, train, measured, test));
                }
                report.seedRun(data, k, train, test, measured, runs);
                bySeed.add(runs);
            }
            report.dataSet(data, train, test, measured, bySeed);
        }
        ctx.progress().step(1, "writing");
        Section s = report.section(missing);
        ctx.progress().finish();
        return s;
    }

    /** Progress units: one per checkpoint of every model, seed and data set, plus one for writing. */
    private static long work(E2Config c) {
        return 1 + (long) c.archs().size() * c.seeds() * c.data().size() * (c.checkpoints() + 2);
    }

    /** The first {@code n} points (all when {@code n <= 0}) of a split, converted to the context's dtype. */
    private static Dataset load(ReproduceContext ctx, String data, DataSets.Split split, int n) {
        Dataset d = ctx.dataSets().load(data, split);
        if (n > 0 && n < d.size()) {
            d = d.first(n);
        }
        return d.as(ctx.dtype()).as(Dataset.Layout.IMAGES);
    }

    /**
     * The configuration a model's saved checkpoints must match to be reused: E2's configuration without the number
     * of seeds (adding a seed keeps the finished ones), with the run's data set, model and seed.
     */
    private Map<String, Object> runConfig(ReproduceContext ctx, String data, String arch, int k) {
        Map<String, Object> m = new LinkedHashMap<>(config(ctx.scale()));
        m.remove(SEEDS);
        m.put("seed", E2Seeds.seed(ctx.seed(), k));
        m.put("masterSeed", ctx.seed());
        m.put("seedIndex", k);
        m.put("dtype", ctx.dtype().name());
        m.put("run.data", data);
        m.put("run.arch", arch);
        // checkpoints saved before these were added lack their values: recompute them
        m.put("run.measures", CORRELATED);
        m.put("run.authorsEstimator", "pyhessian-rule-f32");
        m.put("run.lof", "pearson_lof,kendall_lof");
        return m;
    }

    /**
     * Trains model {@code m} with seed {@code k} ({@link E2Seeds#seed}) on {@code train}, measuring at its
     * checkpoints; resumes what was saved. The authors' estimator runs with the first seed only.
     */
    private ModelRun runModel(ReproduceContext ctx, E2Config c, Path dir, String data, int m, int k, Batch train,
                              Batch measured, Batch test) {
        String arch = c.archs().get(m);
        String name = c.label(arch);
        long seed = E2Seeds.seed(ctx.seed(), k);
        String where = name + " on " + data + " seed " + k;
        Network net = ModelSpec.parse(arch).network();
        TrainConfig base = TrainConfig.sgd(c.lrs()[m], c.batchSize(), c.epochs(), seed);
        long total = (long) base.stepsPerEpoch(train.size()) * c.epochs();
        long[] steps = Nets.logSpacedSteps(total, c.checkpoints());
        TrainConfig tc = base.toBuilder().logEvery(Integer.MAX_VALUE).checkpointAt(steps).build();
        CheckpointStore<CheckpointResult> store = CheckpointStore.open(
                dir.resolve(CheckpointStore.DIR).resolve(data).resolve(E2Report.seedDir(k)).resolve(name),
                "E2 " + data + "/" + E2Report.seedDir(k) + "/" + name, runConfig(ctx, data, arch, k),
                CheckpointResult.class, hook);
        SortedMap<Long, CheckpointResult> done = store.finished();
        List<CheckpointResult> list = new ArrayList<>(done.values());
        ctx.progress().step(done.size(), done.isEmpty() ? null
                : where + ": " + done.size() + " checkpoints reused");
        boolean authors = k == 0 && arch.equals(c.authorsArch()) && c.authorsPoints() > 0;
        int points = Math.min(c.authorsPoints(), measured.size());
        java.util.function.BiFunction<Long, Tensor, CheckpointResult> compute = (step, theta) -> {
            PointValues pv = measure(net, step, theta, measured, test);
            List<String> skipped = new ArrayList<>();
            List<CorrRow> corr = correlate(name, pv, c.resamples(), seed, skipped);
            AuthorsResult a = authors ? authorsBeside(net, theta, pv, measured, points, seed + 7919L * step,
                    name, c.resamples(), corr) : null;
            ctx.progress().step(1, String.format(Locale.ROOT, "%s step %d train acc %.3f", where, pv.step(),
                    pv.trainAcc()));
            return new CheckpointResult(pv, corr, a, skipped.stream().map(s -> data + " seed " + k + ": " + s)
                    .toList());
        };
        Tensor params = net.initParams(ctx.dtype(), seed);
        if (!done.containsKey(0L)) {
            CheckpointResult r = compute.apply(0L, params);
            store.save(0, r, net, null);
            list.add(r);
        }
        long last = steps[steps.length - 1];
        if (!done.containsKey(last)) {
            Trainer.Checkpoint resume = store.resumeFrom(net, ctx.dtype(), last);
            Trainer.train(net, params, train, null, tc, resume, new Trainer.Callbacks() {
                @Override
                public void onCheckpoint(Trainer.Checkpoint cp) {
                    if (done.containsKey(cp.step())) {
                        return;
                    }
                    // measured with this checkpoint's batch-norm statistics (training updates a copy of net)
                    cp.buffers().forEach(net.buffers()::set);
                    CheckpointResult r = compute.apply(cp.step(), cp.params());
                    store.save(cp.step(), r, net, cp);
                    list.add(r);
                }
            });
        }
        store.complete();
        ctx.progress().step(1, where + " trained " + last + " steps");
        return new ModelRun(arch, name, list, done.size());
    }

    /**
     * Points measured per chunk in {@link #measure}: the activations of one chunk are recorded at once (the full
     * CNN's first convolution alone takes 32 x 28 x 28 doubles, about 200 KB, per point).
     */
    static final int MEASURE_CHUNK = 1000;

    /**
     * Accuracies, exact per-point traces (by the model's {@link Curvature#bestExact()}) and the four measures at one
     * checkpoint ({@link #MEASURE_CHUNK}).
     */
    static PointValues measure(Network net, long step, Tensor theta, Batch train, Batch test) {
        return measure(net, step, theta, train, test, MEASURE_CHUNK);
    }

    /**
     * Accuracies, exact per-point traces and the four measures at one checkpoint, computed {@code chunk} points
     * at a time (each chunk in its own {@link Scope}, so memory is bounded by the chunk, not by the number of
     * points); every per-point value depends on its own point only, so the result is the one-pass result. The
     * network is measured in eval mode with its current buffers (PyHessian's {@code model.eval()}: batch norm by
     * its running statistics, dropout the identity); our affine expression is NaN where it does not apply
     * ({@link #oursAffineApplies}).
     */
    static PointValues measure(Network training, long step, Tensor theta, Batch train, Batch test, int chunk) {
        Network net = training.withMode(Mode.EVAL);
        // closed-form (affine), exact-ggn (piecewise linear) or exact-hbp (smooth activations); where none applies,
        // exact-ggn refuses with the reason
        Curvature.Method best = Curvature.of(net, theta, Tensor.zeros(theta.dtype(), 0), new int[0]).bestExact();
        Curvature.Method method = best == null ? Curvature.Method.EXACT_GGN : best;
        int n = train.size();
        PointMeasures pm = PointMeasures.of(net, theta, train.x(), train.labels(), method, true, chunk);
        int[] predicted = pm.margins().predicted();
        Map<String, double[]> ms = new LinkedHashMap<>();
        ms.put("one_minus_m2", pm.margins().oneMinusM2());
        double[] ours = pm.affineTraceExpr();
        if (!oursAffineApplies(net)) {
            ours = new double[n];
            java.util.Arrays.fill(ours, Double.NaN);
        }
        ms.put(OURS_AFFINE, ours);
        ms.put("output_margin", pm.margins().output());
        ms.put("input_margin", pm.inputMargin());
        ms.put(E2Authors.RAW, AuthorsAffineTrace.rawInput(train.x(), pm.margins()));
        int ok = 0;
        for (int i = 0; i < n; i++) {
            ok += predicted[i] == train.labels()[i] ? 1 : 0;
        }
        double trainAcc = n == 0 ? Double.NaN : ok / (double) n;
        return new PointValues(step, trainAcc, Nets.accuracy(net, theta, test), method.label(), pm.trace(),
                train.labels(), predicted, ms);
    }

    private static List<CorrRow> correlate(String model, PointValues pv, int resamples, long seed,
                                           List<String> skipped) {
        // one job per group and measure, in table order; the bootstraps are seeded per job, so running the jobs
        // in parallel (the common fork-join pool) gives the rows of one thread, in the same order
        record Job(String group, double[] t, String meas, double[] v) {
        }
        List<Job> jobs = new ArrayList<>();
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
            for (String meas : CORRELATED) {
                if (!allNaN(pv.measures().get(meas))) { // else not applicable: no rows, the tables write n/a
                    jobs.add(new Job(group, t, meas, pick(pv.measures().get(meas), idx)));
                }
            }
        }
        List<CorrRow> corr = new ArrayList<>();
        jobs.parallelStream().map(j -> {
            List<CorrRow> rows = new ArrayList<>();
            for (String method : METHODS) {
                Correlation.Estimate est = Correlation.bootstrap(method, j.t(), j.v(), resamples, 0.95,
                        seed ^ (31L * pv.step() + j.meas().hashCode() + 7L * method.hashCode()));
                rows.add(new CorrRow(model, pv.step(), pv.trainAcc(), j.meas(), j.group(), method, est.value(),
                        est.low(), est.high()));
            }
            E2Authors.lofRows(model, pv, j.meas(), j.group(), j.t(), j.v(), resamples,
                    seed ^ (31L * pv.step() + j.meas().hashCode() + 11L * j.group().hashCode()), rows);
            return rows;
        }).toList().forEach(corr::addAll);
        return corr;
    }

    /**
     * The authors' estimator (probes seeded by {@code seed}) on the first {@code k} points, beside the exact
     * traces of {@code pv}; the bootstrap Pearson intervals of both go into {@code corr}.
     */
    private static AuthorsResult authorsBeside(Network net, Tensor theta, PointValues pv, Batch train, int k,
                                               long seed, String model, int resamples, List<CorrRow> corr) {
        Batch sub = train.range(0, k);
        PerPointHutchinson.PerPointTraces est = E2Authors.theirEstimator(net.withMode(Mode.EVAL), theta, sub, seed);
        double[] exact = java.util.Arrays.copyOf(pv.trace(), k);
        double[] rel = new double[k];
        double[] probes = new double[k];
        for (int i = 0; i < k; i++) {
            rel[i] = Math.abs(est.values()[i] - exact[i]) / Math.max(Math.abs(exact[i]), Double.MIN_NORMAL);
            probes[i] = est.probes()[i];
        }
        Summary rs = Summary.of(rel);
        double[] sorted = rel.clone();
        java.util.Arrays.sort(sorted);
        Map<String, double[]> by = new LinkedHashMap<>();
        for (String meas : MEASURES) {
            double[] v = java.util.Arrays.copyOf(pv.measures().get(meas), k);
            if (allNaN(pv.measures().get(meas))) {
                by.put(meas, new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN}); // not applicable
                continue;
            }
            Correlation.Estimate ex = Correlation.bootstrap("pearson", exact, v, resamples, 0.95, seed);
            Correlation.Estimate au = Correlation.bootstrap("pearson", est.values(), v, resamples, 0.95, seed);
            corr.add(new CorrRow(model, pv.step(), pv.trainAcc(), meas, "subset" + k, "pearson_exact", ex.value(),
                    ex.low(), ex.high()));
            corr.add(new CorrRow(model, pv.step(), pv.trainAcc(), meas, "subset" + k, "pearson_authors_estimator",
                    au.value(), au.low(), au.high()));
            by.put(meas, new double[] {ex.value(), au.value(), safeKendall(exact, v), safeKendall(est.values(), v)});
        }
        double[] maxNeg = E2Authors.maxAndNegative(rel, est.values());
        return new AuthorsResult(k, Nets.median(probes), rs.q1(), rs.median(), rs.q3(),
                Summary.quantileSorted(sorted, 0.9), by, maxNeg[0], maxNeg[1]);
    }

    /** Kendall's tau-b, NaN when undefined (fewer than two points, or a constant column). */
    private static double safeKendall(double[] x, double[] y) {
        try {
            return Correlation.kendallTauB(x, y);
        } catch (IllegalArgumentException e) {
            return Double.NaN;
        }
    }

    /** Whether our affine expression is not applicable to a model, from its checkpoints' values. */
    static boolean notApplicable(List<PointValues> checkpoints) {
        return notApplicable(checkpoints, OURS_AFFINE);
    }

    /**
     * Whether {@code measure} is not applicable to a model, from its checkpoints' values: every value of the last
     * checkpoint is NaN ({@link #measure} writes NaN for a measure that does not apply).
     */
    static boolean notApplicable(List<PointValues> checkpoints, String measure) {
        return !checkpoints.isEmpty() && allNaN(checkpoints.getLast().measures().get(measure));
    }

    /** Whether every value is NaN (a measure that does not apply to the model). */
    static boolean allNaN(double[] v) {
        for (double x : v) {
            if (!Double.isNaN(x)) {
                return false;
            }
        }
        return v.length > 0;
    }

    private static double[] pick(double[] v, int[] idx) {
        double[] r = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            r[i] = v[idx[i]];
        }
        return r;
    }
}
