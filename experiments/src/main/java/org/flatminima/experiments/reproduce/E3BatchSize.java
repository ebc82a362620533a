package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.optim.LrSchedule;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;
import org.flatminima.kernels.DType;

/**
 * E3, claim (3): large-batch SGD generalises worse because it has not trained long enough to grow its margins,
 * not because it found a sharper minimum (against Keskar et al. 2016, with Hoffer et al. 2017). Seven runs per
 * seed from the seed's initialisation, in the authors' regime and in the current one, each with a control that
 * trains the large batch longer at the same learning rate ({@link E3Plan}); measured at log-spaced epochs
 * ({@link E3Measure}); reported per seed and as mean and standard deviation across seeds ({@link E3Report}),
 * with margin histograms ({@link E3Plots}).
 *
 * <p>Files under {@code E3/}: {@code seed-<s>/run-<name>.csv} (every checkpoint), {@code seed-<s>/margins-<name>.csv}
 * (the per-point output margins at the last checkpoint, raw and normalised), {@code seed-<s>/<name>-final.safetensors}
 * (the final parameters), {@code runs.csv} (final state per run and seed), {@code summary.csv} (mean and sd across
 * seeds), the plots; {@code checkpoints/seed-<s>/<name>/} keeps each run resumable ({@link CheckpointStore}):
 * a finished seed is never recomputed, also when the number of seeds grows.
 */
public final class E3BatchSize extends ScaledExperiment<E3Config> {

    private final CheckpointStore.Hook hook;

    /** E3 with the configuration of the scale. */
    public E3BatchSize() {
        this(null);
    }

    /** E3 with {@code fixed} at every scale (tests). */
    public E3BatchSize(E3Config fixed) {
        this(fixed, CheckpointStore.NONE);
    }

    /** E3 with {@code fixed} at every scale, its checkpoint stores observed by {@code hook} (tests). */
    E3BatchSize(E3Config fixed, CheckpointStore.Hook hook) {
        super("E3", "small vs large batch in the authors' regime and ours, with controls that train the large batch "
                + "longer at the same learning rate", fixed, E3Config::quick, E3Config::full);
        this.hook = hook;
    }

    @Override
    public String title(Scale scale) {
        E3Config c = cfg(scale);
        return String.format(Locale.ROOT, "batch %d vs %d, plain SGD at lr %s (the authors') and momentum SGD (ours), "
                + "with same-learning-rate controls (%s scale, %s, %s, %d seed%s)", c.smallBatch(), c.largeBatch(),
                Results.format(c.authorsLr(), 3), scale.label(), dataName(c.data()), c.arch(), c.seeds(),
                c.seeds() == 1 ? "" : "s");
    }

    static String dataName(String data) {
        return switch (data) {
            case DataSets.EMBEDDED -> "embedded MNIST subset";
            case DataSets.MNIST -> "MNIST";
            default -> data;
        };
    }

    @Override
    void describe(E3Config c, Map<String, Object> m) {
        c.describe(m);
    }

    /** The data set, unless it is the embedded subset (always present). */
    @Override
    public List<String> requiredData(Scale scale) {
        return installable(List.of(cfg(scale).data()));
    }

    /** The results of every run of every seed: seed, then run name, then the checkpoints in order. */
    record Outcome(List<Long> seeds, List<E3Plan.Run> runs, Map<Long, Map<String, List<E3Measure.Point>>> points,
                   int trainSize, int testSize, int traceSize, String traceMethod) {

        /** The final checkpoint of {@code run} at {@code seed}. */
        E3Measure.Point last(long seed, String run) {
            List<E3Measure.Point> ps = points.get(seed).get(run);
            return ps.get(ps.size() - 1);
        }
    }

    @Override
    public Section run(ReproduceContext ctx) {
        E3Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        DType dt = DType.valueOf(c.dtype());
        Network net = ModelSpec.parse(c.arch()).network();
        Dataset[] scaled = c.standardize().apply(load(ctx, c, DataSets.Split.TRAIN, c.trainPoints()),
                load(ctx, c, DataSets.Split.TEST, c.testPoints()));
        Dataset trainSet = scaled[0];
        Batch train = Nets.batch(trainSet);
        Batch test = Nets.batch(scaled[1]);
        Batch tracePoints = c.tracePoints() > 0 && c.tracePoints() < trainSet.size()
                ? Nets.batch(trainSet.first(c.tracePoints())) : train;
        List<E3Plan.Run> runs = E3Plan.runs(c, train.size());
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < c.seeds(); i++) {
            seeds.add(ctx.seed() + i);
        }
        long work = 0;
        for (E3Plan.Run r : runs) {
            work += r.steps(train.size());
        }
        ctx.progress().start(id() + " batch size", work * seeds.size());
        Map<Long, Map<String, List<E3Measure.Point>>> all = new LinkedHashMap<>();
        int resumed = 0;
        String method = null;
        for (long seed : seeds) {
            Tensor init = net.initParams(dt, seed);
            if (method == null) {
                method = E3Measure.traceMethod(net, init, tracePoints);
            }
            Map<String, List<E3Measure.Point>> bySeed = new LinkedHashMap<>();
            for (E3Plan.Run r : runs) {
                int[] reused = {0};
                List<E3Measure.Point> points = runOne(ctx, c, dir, net, r, seed, init, train, test, tracePoints,
                        reused);
                resumed += reused[0];
                bySeed.put(r.name(), points);
                Path sd = dir.resolve("seed-" + seed);
                E3Files.writeRunCsv(sd.resolve("run-" + r.name() + ".csv"), points);
                E3Measure.Point last = points.get(points.size() - 1);
                if (last.margins() != null) {
                    E3Files.writeMarginsCsv(sd.resolve("margins-" + r.name() + ".csv"), train.labels(), last);
                }
            }
            all.put(seed, bySeed);
        }
        ctx.progress().finish();
        Outcome o = new Outcome(seeds, runs, all, train.size(), test.size(), tracePoints.size(), method);
        Section s = E3Report.section(c, ctx.scale(), o, dir);
        List<String> plots = E3Plots.draw(c, o, dir);
        Map<String, Object> summary = new LinkedHashMap<>(s.summary());
        Reproduction.noteResumed(summary, resumed);
        return new Section(s.markdown(), summary, plots);
    }

    private static Dataset load(ReproduceContext ctx, E3Config c, DataSets.Split split, int n) {
        Dataset d = ctx.dataSets().load(c.data(), split).as(DType.valueOf(c.dtype())).as(Dataset.Layout.IMAGES);
        return n > 0 && n < d.size() ? d.first(n) : d;
    }

    /** The configuration a run's checkpoints are matched against: what changes its numbers, and nothing else. */
    static Map<String, Object> runConfig(E3Config c, E3Plan.Run r, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", c.arch());
        m.put("data", c.data());
        m.put("e3dtype", c.dtype());
        m.put("trainPoints", c.trainPoints());
        m.put("testPoints", c.testPoints());
        m.put("tracePoints", c.tracePoints());
        m.put("checkpoints", c.checkpoints());
        m.put("seed", seed);
        m.put("run", r.name());
        m.put("batch", r.batchSize());
        m.put("epochs", r.epochs());
        m.put("lr", r.lr());
        m.put("momentum", r.momentum());
        m.put("schedule", r.schedule());
        m.put("milestones", r.milestones());
        m.put("gamma", r.gamma());
        m.put("topEigenvalue", c.topEigenvalue());
        if (c.standardize() != Standardize.NONE) {
            m.put("standardize", c.standardize().label()); // only when set: earlier runs keep matching
        }
        return m;
    }

    /** Trains and measures one run of one seed, reusing its finished checkpoints; counts them in {@code reused[0]}. */
    private List<E3Measure.Point> runOne(ReproduceContext ctx, E3Config c, Path dir, Network net, E3Plan.Run r,
                                         long seed, Tensor init, Batch train, Batch test, Batch tracePoints,
                                         int[] reused) {
        TrainConfig.Builder tb = r.train(seed);
        int spe = r.stepsPerEpoch(train.size());
        long total = r.steps(train.size());
        long[] epochsAt = Nets.logSpacedSteps(r.epochs(), c.checkpoints());
        long[] ckSteps = new long[epochsAt.length];
        for (int i = 0; i < epochsAt.length; i++) {
            ckSteps[i] = epochsAt[i] * spe;
        }
        TrainConfig tc = tb.checkpointAt(ckSteps).build();
        LrSchedule schedule = tc.newSchedule();
        String name = "E3 seed-" + seed + " " + r.name();
        CheckpointStore<E3Measure.Point> store = CheckpointStore.open(dir.resolve(CheckpointStore.DIR)
                .resolve("seed-" + seed).resolve(r.name()), name, runConfig(c, r, seed), E3Measure.Point.class, hook);
        SortedMap<Long, E3Measure.Point> done = store.finished();
        reused[0] = done.size();
        List<E3Measure.Point> points = new ArrayList<>(done.values());
        Path finalParams = dir.resolve("seed-" + seed).resolve(r.name() + "-final.safetensors");
        if (!done.containsKey(0L)) {
            E3Measure.Point p0 = E3Measure.measure(net, init, train, test, tracePoints, 0, 0, schedule.lr(0),
                    false, false);
            store.save(0, p0, net, null);
            points.add(p0);
        }
        if (!done.isEmpty()) {
            ctx.progress().step(done.lastKey(), r.name() + " seed " + seed + ": checkpoints up to step "
                    + done.lastKey() + " reused");
        }
        if (!done.containsKey(total)) {
            Trainer.Checkpoint resume = store.resumeFrom(net, DType.valueOf(c.dtype()), total);
            try {
                Trainer.train(net, init.copy(), train, null, tc, resume, new Trainer.Callbacks() {
                    @Override
                    public void onStep(long step, long totalSteps, double loss) {
                        ctx.progress().step(1, null);
                    }

                    @Override
                    public void onCheckpoint(Trainer.Checkpoint k) {
                        if (done.containsKey(k.step())) {
                            return;
                        }
                        // measured with this checkpoint's batch-norm statistics (training updates a copy of net)
                        k.buffers().forEach(net.buffers()::set);
                        int epoch = (int) (k.step() / spe);
                        boolean last = k.step() == total;
                        E3Measure.Point p = E3Measure.measure(net, k.params(), train, test, tracePoints, epoch,
                                k.step(), schedule.lr(epoch - 1), last, last && c.topEigenvalue());
                        if (last) {
                            Weights.save(finalParams, net, k.params(), Map.of("run", r.name(), "seed",
                                    Long.toString(seed), "step", Long.toString(k.step())));
                        }
                        store.save(k.step(), p, net, k);
                        points.add(p);
                        ctx.progress().step(0, String.format(Locale.ROOT, "%s seed %d epoch %d", r.name(), seed,
                                epoch));
                    }
                });
            } catch (Trainer.DivergedException e) {
                E3Measure.Point p = E3Measure.Point.diverged(r.epochs(), total, schedule.lr(r.epochs() - 1), e.step());
                store.save(total, p, net, null);
                points.add(p);
                System.err.println(name + ": " + e.getMessage() + "; its final measures are NaN");
            }
        }
        store.complete();
        return points;
    }
}
