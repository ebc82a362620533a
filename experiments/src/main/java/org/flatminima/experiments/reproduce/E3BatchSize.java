package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.optim.LrSchedule;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.measures.Margins;
import org.flatminima.experiments.measures.ModelMargins;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;
import org.flatminima.kernels.DType;

/**
 * E3, claim (3): large-batch SGD generalises worse because it has not trained long enough to grow its margins,
 * not because it found a sharper minimum (against Keskar et al. 2016, with Hoffer et al. 2017). One model, three
 * runs from the same initialisation with SGD (momentum 0.9) and a multistep schedule with the same relative
 * milestones: (a) small batch for E epochs; (b) large batch for E epochs, same base learning rate; (c) large batch
 * in Hoffer's regime: epochs and milestones multiplied by {@code m = min(B_large/B_small, maxMultiplier)} and the
 * learning rate by {@code sqrt(B_large/B_small)}. At log-spaced epochs of every run: accuracies, gap, whole-data
 * Hessian trace (exact), top eigenvalue (Lanczos) and margin statistics of the training points.
 */
public final class E3BatchSize extends ScaledExperiment<E3BatchSize.Config> {

    /**
     * @param arch the model
     * @param data data set name
     * @param dtype "F32" or "F64": the computations' floating-point type (this experiment's own choice)
     * @param trainPoints training points (first ones of the split)
     * @param testPoints test points (first ones of the split; 0: all)
     * @param smallBatch batch size of run (a)
     * @param largeBatch batch size of runs (b) and (c)
     * @param lr base SGD learning rate of (a) and (b)
     * @param epochs epochs of (a) and (b)
     * @param milestoneFractions learning-rate milestones as fractions of the run's epochs (gamma 0.1 at each)
     * @param maxMultiplier cap on the epoch multiplier of (c)
     * @param checkpoints how many log-spaced checkpoint epochs per run (epoch 0 and the last are always in)
     */
    public record Config(String arch, String data, String dtype, int trainPoints, int testPoints, int smallBatch,
                         int largeBatch, double lr, int epochs, double[] milestoneFractions, int maxMultiplier,
                         int checkpoints) {
        /** The quick configuration (about 2 minutes on 2 cores). */
        public static Config quick() {
            return new Config("mlp:784-128-10", DataSets.EMBEDDED, "F32", 2000, 2000, 25, 200, 0.05, 20,
                    new double[] {0.5, 0.75}, 8, 8);
        }

        /**
         * The full configuration: the first 10,000 points of the full MNIST (a missing MNIST fails before anything
         * runs), tested on its 10,000 test points; about 3 minutes on 2 cores (docs/REPRODUCTION.md, claim (3)).
         */
        public static Config full() {
            return new Config("mlp:784-256-256-10", DataSets.MNIST, "F32", 10000, 0, 64, 1000, 0.05, 30,
                    new double[] {0.5, 0.75}, 16, 9);
        }
    }

    /** Gamma of the multistep schedule. */
    static final double GAMMA = 0.1;

    /** One run's plan. */
    record Run(String name, String label, int batchSize, int epochs, double lr, long[] milestones) {
    }

    private final CheckpointStore.Hook hook;

    /** E3 with the configuration of the scale. */
    public E3BatchSize() {
        this(null);
    }

    /** E3 with {@code fixed} at every scale (tests). */
    public E3BatchSize(Config fixed) {
        this(fixed, CheckpointStore.NONE);
    }

    /** E3 with {@code fixed} at every scale, its checkpoint stores observed by {@code hook} (tests). */
    E3BatchSize(Config fixed, CheckpointStore.Hook hook) {
        super("E3", "small vs large batch, and the large batch trained longer", fixed, Config::quick, Config::full);
        this.hook = hook;
    }

    @Override
    void describe(Config c, Map<String, Object> m) {
        m.put("arch", c.arch());
        m.put("data", c.data());
        m.put("e3dtype", c.dtype());
        m.put("trainPoints", c.trainPoints());
        m.put("testPoints", c.testPoints());
        m.put("smallBatch", c.smallBatch());
        m.put("largeBatch", c.largeBatch());
        m.put("lr", c.lr());
        m.put("momentum", 0.9);
        m.put("epochs", c.epochs());
        m.put("milestoneFractions", c.milestoneFractions());
        m.put("gamma", GAMMA);
        m.put("maxMultiplier", c.maxMultiplier());
        m.put("checkpoints", c.checkpoints());
    }

    /** The data set, unless it is the embedded subset (always present). */
    @Override
    public List<String> requiredData(Scale scale) {
        return installable(List.of(cfg(scale).data()));
    }

    /** The batch-size ratio {@code B_large / B_small}. */
    static double ratio(Config c) {
        return c.largeBatch() / (double) c.smallBatch();
    }

    /** The epoch multiplier of run (c): {@code round(ratio)}, at least 1, capped at {@code maxMultiplier}. */
    static int multiplier(Config c) {
        return (int) Math.max(1, Math.min(c.maxMultiplier(), Math.round(ratio(c))));
    }

    static long[] milestones(Config c, int epochs) {
        long[] m = new long[c.milestoneFractions().length];
        for (int i = 0; i < m.length; i++) {
            m[i] = Math.max(1, Math.round(c.milestoneFractions()[i] * epochs));
        }
        return m;
    }

    /** The three runs (a), (b), (c). */
    static List<Run> runs(Config c) {
        int longer = c.epochs() * multiplier(c);
        return List.of(
                new Run("small", "(a) B=" + c.smallBatch(), c.smallBatch(), c.epochs(), c.lr(),
                        milestones(c, c.epochs())),
                new Run("large", "(b) B=" + c.largeBatch(), c.largeBatch(), c.epochs(), c.lr(),
                        milestones(c, c.epochs())),
                new Run("large-longer", "(c) B=" + c.largeBatch() + " x" + multiplier(c) + " epochs",
                        c.largeBatch(), longer, c.lr() * Math.sqrt(ratio(c)), milestones(c, longer)));
    }

    /** One checkpoint's measurements. */
    record Point(int epoch, long step, double lr, double trainAcc, double testAcc, double trace, double top,
                 double outMedian, double outQ1, double normMedian, double snp) {
        double gap() {
            return trainAcc - testAcc;
        }
    }

    private static Batch load(ReproduceContext ctx, Config c, DataSets.Split split, int n) {
        DType dt = DType.valueOf(c.dtype());
        Dataset d = ctx.dataSets().load(c.data(), split).as(dt).as(Dataset.Layout.IMAGES);
        return Nets.batch(n > 0 && n < d.size() ? d.first(n) : d);
    }

    @Override
    public Section run(ReproduceContext ctx) {
        Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        Network net = ModelSpec.parse(c.arch()).network();
        Batch train = load(ctx, c, DataSets.Split.TRAIN, c.trainPoints());
        Batch test = load(ctx, c, DataSets.Split.TEST, c.testPoints());
        List<Run> runs = runs(c);
        long work = 0;
        for (Run r : runs) {
            work += (long) r.epochs() * TrainConfig.builder().batchSize(r.batchSize()).build()
                    .stepsPerEpoch(train.size());
        }
        ctx.progress().start(id() + " batch size", work);
        Tensor init = net.initParams(DType.valueOf(c.dtype()), ctx.seed());

        Map<String, List<Point>> results = new LinkedHashMap<>();
        Map<String, Long> steps = new LinkedHashMap<>();
        Results runTable = new Results("run", "batch", "epochs", "lr", "milestones", "steps_per_epoch", "steps",
                "train_acc", "test_acc", "gap", "trace", "top_eigenvalue", "output_margin_median",
                "output_margin_q1", "normalised_margin_median");
        int resumed = 0;
        for (Run r : runs) {
            TrainConfig.Builder tb = TrainConfig.builder().lr(r.lr()).momentum(0.9).batchSize(r.batchSize())
                    .epochs(r.epochs()).schedule("multistep").milestones(r.milestones()).gamma(GAMMA)
                    .seed(ctx.seed()).logEvery(Integer.MAX_VALUE);
            TrainConfig tc = tb.build();
            int spe = tc.stepsPerEpoch(train.size());
            long[] epochsAt = Nets.logSpacedSteps(r.epochs(), c.checkpoints());
            long[] ckSteps = new long[epochsAt.length];
            for (int i = 0; i < epochsAt.length; i++) {
                ckSteps[i] = epochsAt[i] * spe;
            }
            tc = tb.checkpointAt(ckSteps).build();
            LrSchedule schedule = tc.newSchedule();
            Map<String, Object> runConfig = new LinkedHashMap<>(config(ctx.scale()));
            runConfig.put("seed", ctx.seed());
            runConfig.put("run", r.name());
            CheckpointStore<Point> store = CheckpointStore.open(dir.resolve(CheckpointStore.DIR).resolve(r.name()),
                    "E3 " + r.name(), runConfig, Point.class, hook);
            java.util.SortedMap<Long, Point> done = store.finished();
            resumed += done.size();
            List<Point> points = new ArrayList<>(done.values());
            Tensor params = init.copy();
            if (!done.containsKey(0L)) {
                Point p0 = measure(net, params, train, test, 0, 0, schedule.lr(0));
                store.save(0, p0, net, null);
                points.add(p0);
            }
            long total = (long) spe * r.epochs();
            if (!done.isEmpty()) {
                ctx.progress().step(done.lastKey(), r.name() + ": checkpoints up to step " + done.lastKey()
                        + " reused");
            }
            if (!done.containsKey(total)) {
                Trainer.Checkpoint resume = store.resumeFrom(net, DType.valueOf(c.dtype()), total);
                Trainer.train(net, params, train, null, tc, resume, new Trainer.Callbacks() {
                    @Override
                    public void onStep(long step, long totalSteps, double loss) {
                        ctx.progress().step(1, null);
                    }

                    @Override
                    public void onCheckpoint(Trainer.Checkpoint k) {
                        if (done.containsKey(k.step())) {
                            return;
                        }
                        int epoch = (int) (k.step() / spe);
                        Point p = measure(net, k.params(), train, test, epoch, k.step(), schedule.lr(epoch - 1));
                        store.save(k.step(), p, net, k);
                        points.add(p);
                        ctx.progress().step(0, String.format(Locale.ROOT, "%s epoch %d", r.name(), epoch));
                    }
                });
            }
            store.complete();
            steps.put(r.name(), total);
            results.put(r.name(), points);
            Results t = new Results("epoch", "step", "lr", "train_acc", "test_acc", "gap", "trace", "top_eigenvalue",
                    "output_margin_median", "output_margin_q1", "normalised_margin_median", "spectral_norm_product");
            for (Point p : points) {
                t.row(p.epoch(), p.step(), p.lr(), p.trainAcc(), p.testAcc(), p.gap(), p.trace(), p.top(),
                        p.outMedian(), p.outQ1(), p.normMedian(), p.snp());
            }
            t.writeCsv(dir.resolve("run-" + r.name() + ".csv"));
            Point f = points.get(points.size() - 1);
            runTable.row(r.label(), r.batchSize(), r.epochs(), r.lr(), java.util.Arrays.toString(r.milestones())
                    .replace(",", ";"), spe, total, f.trainAcc(), f.testAcc(), f.gap(), f.trace(), f.top(),
                    f.outMedian(), f.outQ1(), f.normMedian());
        }
        runTable.writeCsv(dir.resolve("runs.csv"));

        List<String> plots = List.of("E3/test-accuracy-vs-epoch.png", "E3/trace-vs-epoch.png",
                "E3/output-margin-vs-epoch.png");
        Plots.Line acc = new Plots.Line("E3: test accuracy", "epoch", "test accuracy");
        Plots.Line tr = new Plots.Line("E3: Hessian trace (exact, whole training data)", "epoch", "trace").log(false,
                true);
        Plots.Line mg = new Plots.Line("E3: median output margin of the training points", "epoch", "output margin");
        for (Run r : runs) {
            List<Point> ps = results.get(r.name());
            double[] e = ps.stream().mapToDouble(Point::epoch).toArray();
            acc.series(r.label(), e, ps.stream().mapToDouble(Point::testAcc).toArray());
            tr.series(r.label(), e, ps.stream().mapToDouble(Point::trace).toArray());
            mg.series(r.label(), e, ps.stream().mapToDouble(Point::outMedian).toArray());
        }
        acc.save(dir.resolve("test-accuracy-vs-epoch.png"));
        tr.save(dir.resolve("trace-vs-epoch.png"));
        mg.save(dir.resolve("output-margin-vs-epoch.png"));
        ctx.progress().finish();

        Point a = last(results.get("small"));
        Point b = last(results.get("large"));
        Point cc = last(results.get("large-longer"));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("steps", steps);
        for (Map.Entry<String, List<Point>> e : results.entrySet()) {
            Point p = last(e.getValue());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("trainAcc", p.trainAcc());
            s.put("testAcc", p.testAcc());
            s.put("gap", p.gap());
            s.put("trace", p.trace());
            s.put("topEigenvalue", p.top());
            s.put("outputMarginMedian", p.outMedian());
            s.put("normalisedMarginMedian", p.normMedian());
            summary.put(e.getKey(), s);
        }
        String verdict = verdict(a, b, cc);
        summary.put("verdict", verdict);
        Reproduction.noteResumed(summary, resumed);
        String md = String.format(Locale.ROOT, """
                `%s` (%s) on the first %d training points of `%s`, tested on %d test points; SGD with momentum 0.9,
                one initialisation (seed %d) for all three runs, multistep schedule (x%s at %s of each run's epochs).
                (a) batch %d for %d epochs at lr %s; (b) batch %d (%s of the training set) for %d epochs at the same
                lr; (c) batch %d in Hoffer et al.'s regime: B_large/B_small = %s, epochs and milestones multiplied by
                %d%s, lr multiplied by sqrt(%s) = %s. Measured at log-spaced epochs: train and test accuracy (all
                points), gap = train - test accuracy, the whole-training-data Hessian trace (exact, `%s`), the top
                Hessian eigenvalue (Lanczos), and margins of the training points (output margin: true-class logit
                minus the largest other; normalised: divided by the product of the weights' spectral norms).

                Final state of each run:

                %s
                %s

                ![test accuracy vs epoch](E3/test-accuracy-vs-epoch.png)

                ![trace vs epoch](E3/trace-vs-epoch.png)

                ![output margin vs epoch](E3/output-margin-vs-epoch.png)

                Files: `E3/runs.csv`, `E3/run-small.csv`, `E3/run-large.csv`, `E3/run-large-longer.csv`.
                """, c.arch(), c.dtype(), train.size(), c.data(), test.size(), ctx.seed(), Results.format(GAMMA, 2),
                java.util.Arrays.toString(c.milestoneFractions()), c.smallBatch(), c.epochs(),
                Results.format(c.lr(), 3), c.largeBatch(),
                String.format(Locale.ROOT, "%.3g%%", 100.0 * c.largeBatch() / train.size()), c.epochs(),
                c.largeBatch(), Results.format(ratio(c), 4), multiplier(c),
                multiplier(c) < Math.round(ratio(c)) ? " (capped at " + c.maxMultiplier() + ")" : "",
                Results.format(ratio(c), 4), Results.format(Math.sqrt(ratio(c)), 4),
                Curvature.Method.AUTO.label(), runTable.markdown(5), verdict);
        return new Section(md, summary, plots);
    }

    private static Point last(List<Point> ps) {
        return ps.get(ps.size() - 1);
    }

    /** The claim in numbers: does the large-batch gap close when it trains longer, and do its margins grow. */
    static String verdict(Point a, Point b, Point c) {
        double gapExcess = b.gap() - a.gap();
        double gapExcessLonger = c.gap() - a.gap();
        boolean worse = b.testAcc() < a.testAcc();
        boolean closes = c.testAcc() >= a.testAcc() - 0.5 * Math.max(0, a.testAcc() - b.testAcc())
                && c.testAcc() > b.testAcc();
        boolean marginsGrow = c.outMedian() > b.outMedian();
        boolean sharper = b.trace() > a.trace();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "**In numbers.** Test accuracy: (a) %.4f, (b) %.4f, (c) %.4f; gap (train - "
                + "test): (a) %.4f, (b) %.4f, (c) %.4f (the large batch's gap exceeds the small batch's by %+.4f at equal "
                + "epochs and by %+.4f after training longer). Median output margin: (a) %.4g, (b) %.4g, (c) %.4g; "
                + "normalised: (a) %.4g, (b) %.4g, (c) %.4g. Trace: (a) %.4g, (b) %.4g, (c) %.4g; top eigenvalue: "
                + "(a) %.4g, (b) %.4g, (c) %.4g. ", a.testAcc(), b.testAcc(), c.testAcc(), a.gap(), b.gap(), c.gap(),
                gapExcess, gapExcessLonger, a.outMedian(), b.outMedian(), c.outMedian(), a.normMedian(),
                b.normMedian(), c.normMedian(), a.trace(), b.trace(), c.trace(), a.top(), b.top(), c.top()));
        if (!worse) {
            s.append("The premise does not hold here: at equal epochs the large batch does not generalise worse "
                    + "than the small batch, so there is no large-batch gap to close.");
            return s.toString();
        }
        double deficit = a.testAcc() - b.testAcc();
        s.append(String.format(Locale.ROOT, "At equal epochs the large batch's test accuracy is %.4f below the small "
                + "batch's; trained longer it recovers %.4f of that (%.0f%%): ", deficit, c.testAcc() - b.testAcc(),
                100 * (c.testAcc() - b.testAcc()) / deficit));
        s.append(closes
                ? "at least half of the deficit closes"
                : "the deficit does **not** close by half");
        s.append(marginsGrow ? "; its median output margin grows (" : "; its median output margin does **not** grow (");
        s.append(String.format(Locale.ROOT, "%.4g -> %.4g). ", b.outMedian(), c.outMedian()));
        s.append(sharper
                ? String.format(Locale.ROOT, "At equal epochs the large-batch solution has the larger trace (%.4g vs %.4g)",
                        b.trace(), a.trace())
                : String.format(Locale.ROOT, "At equal epochs the large-batch solution is **not** sharper by the trace "
                        + "(%.4g vs %.4g for the small batch)", b.trace(), a.trace()));
        s.append(String.format(Locale.ROOT, "; trained longer its trace is %.4g (%s the small batch's). ", c.trace(),
                c.trace() < a.trace() ? "below" : "above"));
        if (b.gap() < a.gap()) {
            s.append(String.format(Locale.ROOT, "The train-minus-test gap of (b) is the smallest because (b) is "
                    + "under-trained (train accuracy %.4f against %.4f): its deficit is in fit, not in the gap. ",
                    b.trainAcc(), a.trainAcc()));
        }
        if (b.normMedian() > c.normMedian()) {
            s.append(String.format(Locale.ROOT, "The normalised margin (output margin / spectral-norm product) does "
                    + "not grow with longer training (%.4g -> %.4g): only the unnormalised margin does. ",
                    b.normMedian(), c.normMedian()));
        }
        s.append(closes && marginsGrow
                ? "Claim (3) reproduces at this scale: the gap closes as margins grow."
                : "Claim (3) does not fully reproduce at this scale (see the numbers above).");
        return s.toString();
    }

    /** Accuracies, curvature and margin statistics at {@code params}; everything temporary is freed. */
    static Point measure(Network net, Tensor params, Batch train, Batch test, int epoch, long step, double lr) {
        try (Scope s = Scope.open()) {
            double trainAcc = Nets.accuracy(net, params, train);
            double testAcc = Nets.accuracy(net, params, test);
            Margins.Columns cols = Margins.of(Nets.logits(net, params, train.x()), train.labels());
            Summary out = Summary.of(cols.output());
            double snp = ModelMargins.spectralNormProduct(net, params);
            double norm = Nets.median(ModelMargins.normalised(cols.output(), snp));
            Curvature cv = Curvature.of(net, params, train.x(), train.labels());
            double trace = cv.trace(Curvature.Method.AUTO).value();
            double top = cv.topEigenvalues(1).values()[0];
            return new Point(epoch, step, lr, trainAcc, testAcc, trace, top, out.median(), out.q1(), norm, snp);
        }
    }
}
