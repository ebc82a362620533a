package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.TraceBreakdown;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;

/**
 * E1, claim (1): for an affine classifier under cross-entropy the Hessian trace is
 * {@code (1/N) sum_n (||x_n||^2 + 1)(1 - ||p_n||^2)}. An affine classifier is trained briefly on MNIST; at
 * log-spaced steps (step 0 included) the whole-data and per-point traces by the closed form are compared with
 * exact-ggn (all training points) and exact-hvp (a subset: P Hessian-vector products per point).
 */
public final class E1AffineClosedForm extends ScaledExperiment<E1AffineClosedForm.Config> {

    /**
     * @param data data set name
     * @param trainPoints training points (the first ones of the split)
     * @param hvpPoints points of the exact-hvp comparison (the first ones of the training points)
     * @param epochs training epochs
     * @param batchSize mini-batch size
     * @param lr SGD learning rate (momentum 0.9)
     * @param checkpoints number of log-spaced checkpoints besides step 0
     * @param seeds classifiers trained (at least 1): seed k's run seed is E2's ({@code E2Seeds.seed(master, k)}), so
     *     seed 0 is the classifier of a one-seed run
     */
    public record Config(String data, int trainPoints, int hvpPoints, int epochs, int batchSize, double lr,
                         int checkpoints, int seeds) implements Overrides.Seeded<Config> {
        public Config {
            if (seeds < 1) {
                throw new IllegalArgumentException("E1 needs at least one seed, got " + seeds);
            }
        }

        @Override
        public Config withSeeds(int n) {
            return new Config(data, trainPoints, hvpPoints, epochs, batchSize, lr, checkpoints, n);
        }

        /**
         * The quick configuration: 2,000 points of the embedded subset, exact-hvp on the first 20 (its 7,850
         * Hessian-vector products per point are most of E1's time); 3 seeds.
         */
        public static Config quick() {
            return new Config(DataSets.EMBEDDED, 2000, 20, 3, 100, 0.01, 5, 3);
        }

        /** The full configuration: all 60,000 points of the full MNIST; exact-hvp on the first 100; 3 seeds. */
        public static Config full() {
            return new Config(DataSets.MNIST, 60000, 100, 2, 100, 0.01, 8, 3);
        }
    }

    /** E1 with the configuration of the scale. */
    public E1AffineClosedForm() {
        this(null);
    }

    /** E1 with {@code fixed} at every scale (tests). */
    public E1AffineClosedForm(Config fixed) {
        super("E1", "affine closed form of the Hessian trace", fixed, Config::quick, Config::full);
    }

    @Override
    void describe(Config c, Map<String, Object> m) {
        m.put("arch", "affine:784-10");
        m.put("data", c.data());
        m.put("trainPoints", c.trainPoints());
        m.put("hvpPoints", c.hvpPoints());
        m.put("epochs", c.epochs());
        m.put("batchSize", c.batchSize());
        m.put("lr", c.lr());
        m.put("momentum", 0.9);
        m.put("checkpoints", c.checkpoints());
        if (c.seeds() > 1) { // a one-seed configuration is recorded as before seeds, so its run directories still match
            m.put("seeds", c.seeds());
        }
    }

    @Override
    public List<String> requiredData(Scale scale) {
        return installable(List.of(cfg(scale).data()));
    }

    /** One seed's classifier: its checkpoints' traces (for the plot), final accuracy and worst difference. */
    private record Seeded(double[] steps, double[] closedForm, double[] ggn, double[] closedFormSubset, double[] hvp,
                          double finalAccuracy, double worst, String table) {
    }

    @Override
    public Section run(ReproduceContext ctx) {
        Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        Network net = ModelSpec.parse("affine:784-10").network();
        Batch train = Nets.batch(ctx.data(c.data(), DataSets.Split.TRAIN, c.trainPoints()));
        Batch sub = train.range(0, Math.min(c.hvpPoints(), train.size()));
        long total = (long) TrainConfig.sgd(c.lr(), c.batchSize(), c.epochs(), 0).stepsPerEpoch(train.size())
                * c.epochs();
        long[] steps = Nets.logSpacedSteps(total, c.checkpoints());
        ctx.progress().start(id() + " affine closed form", (long) c.seeds() * (steps.length + 1));
        List<String> columns = List.of("step", "train_acc", "trace_closed_form", "trace_exact_ggn",
                "reldiff_whole_ggn", "reldiff_point_ggn_max", "subset_trace_closed_form", "subset_trace_exact_hvp",
                "reldiff_whole_hvp", "reldiff_point_hvp_max");
        List<String> seeded = new ArrayList<>(List.of("seed"));
        seeded.addAll(columns);
        Results table = new Results(seeded.toArray(String[]::new));
        List<Seeded> runs = new ArrayList<>();
        for (int k = 0; k < c.seeds(); k++) {
            runs.add(runSeed(ctx, c, net, train, sub, steps, k, table, new Results(columns.toArray(String[]::new))));
        }
        table.writeCsv(dir.resolve("traces.csv"));
        Seeded s0 = runs.getFirst();
        new Plots.Line("E1: Hessian trace of an affine classifier during training"
                + (runs.size() > 1 ? " (seed 0)" : ""), "step", "trace")
                .series("closed form (" + train.size() + " points)", s0.steps(), s0.closedForm())
                .series("exact-ggn (" + train.size() + " points)", s0.steps(), s0.ggn())
                .series("closed form (" + sub.size() + "-point subset)", s0.steps(), s0.closedFormSubset())
                .series("exact-hvp (" + sub.size() + "-point subset)", s0.steps(), s0.hvp())
                .save(dir.resolve("trace-vs-step.png"));
        ctx.progress().finish();

        double worst = runs.stream().mapToDouble(Seeded::worst).max().orElseThrow();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("maxRelativeDifference", worst);
        summary.put("checkpoints", steps.length + 1);
        summary.put("steps", total);
        if (runs.size() > 1) {
            summary.put("seeds", runs.stream().map(r -> Map.of("finalTrainAccuracy", r.finalAccuracy(),
                    "maxRelativeDifference", r.worst())).toList());
        }
        List<String> perSeed = new ArrayList<>();
        for (int k = 0; k < runs.size(); k++) {
            Seeded r = runs.get(k);
            perSeed.add(String.format(Locale.ROOT, "| %d | %.4f | %s | %s | %s |", k, r.finalAccuracy(),
                    Results.format(r.closedForm()[0], 6), Results.format(r.closedForm()[r.closedForm().length - 1], 6),
                    Results.format(r.worst(), 3)));
        }
        String md = String.format(Locale.ROOT, """
                An affine classifier `affine:784-10` (float64) trained with SGD (lr %s, momentum 0.9, batch %d) for %d
                epochs (%d steps) on the first %d points of `%s`, %d seed%s. At each checkpoint: the whole-data trace
                and every point's own trace by the closed form and by `exact-ggn` on all %d points, and by the closed
                form and `exact-hvp` on the first %d points only (exact-hvp costs P = 7,850 Hessian-vector products
                per point). `reldiff` is |other - closed form| / |closed form|; `point ... max` is the largest over
                the points.

                %s%s
                Largest relative difference over all seeds, checkpoints, methods and points: **%s**.

                | seed | final train acc | trace at step 0 | final trace | largest rel. diff |
                |---|---|---|---|---|
                %s

                ![trace vs step](E1/trace-vs-step.png)

                Files: `E1/traces.csv` (a row per seed and checkpoint).
                """, Results.format(c.lr(), 3), c.batchSize(), c.epochs(), total, train.size(), c.data(), runs.size(),
                runs.size() == 1 ? "" : "s", train.size(), sub.size(), runs.size() > 1 ? "Seed 0:\n\n" : "",
                s0.table(), Results.format(worst, 3), String.join("\n", perSeed));
        return new Section(md, summary, List.of("E1/trace-vs-step.png"));
    }

    /** Trains seed {@code k}'s classifier and adds a row per checkpoint to {@code table} and to {@code mine}. */
    private Seeded runSeed(ReproduceContext ctx, Config c, Network net, Batch train, Batch sub, long[] steps, int k,
                           Results table, Results mine) {
        long seed = E2Seeds.seed(ctx.seed(), k);
        TrainConfig tc = TrainConfig.sgd(c.lr(), c.batchSize(), c.epochs(), seed).toBuilder()
                .logEvery(Integer.MAX_VALUE).checkpointAt(steps).build();
        Tensor params = net.initParams(ctx.dtype(), seed);
        Map<Long, Tensor> at = new LinkedHashMap<>();
        at.put(0L, params.copy());
        Trainer.train(net, params, train, null, tc, null, new Trainer.Callbacks() {
            @Override
            public void onCheckpoint(Trainer.Checkpoint cp) {
                at.put(cp.step(), cp.params().copy());
            }
        });
        ctx.progress().step(1, "seed " + k + " trained");
        double worst = 0;
        double acc = 0;
        double[][] cols = new double[5][at.size()];
        int i = 0;
        for (Map.Entry<Long, Tensor> e : at.entrySet()) {
            Tensor theta = e.getValue();
            Curvature all = Curvature.of(net, theta, train.x(), train.labels());
            TraceBreakdown cf = all.breakdown(Curvature.Method.CLOSED_FORM, true);
            TraceBreakdown ggn = all.breakdown(Curvature.Method.EXACT_GGN, true);
            Curvature part = Curvature.of(net, theta, sub.x(), sub.labels());
            TraceBreakdown cfSub = part.breakdown(Curvature.Method.CLOSED_FORM, true);
            TraceBreakdown hvp = part.breakdown(Curvature.Method.EXACT_HVP, true);
            double rwg = rel(ggn.total(), cf.total());
            double rpg = Results.maxRelDiff(ggn.perPoint(), cf.perPoint());
            double rwh = rel(hvp.total(), cfSub.total());
            double rph = Results.maxRelDiff(hvp.perPoint(), cfSub.perPoint());
            worst = Math.max(worst, Math.max(Math.max(rwg, rpg), Math.max(rwh, rph)));
            acc = Nets.accuracy(net, theta, train);
            Object[] row = {e.getKey(), acc, cf.total(), ggn.total(), rwg, rpg, cfSub.total(), hvp.total(), rwh, rph};
            mine.row(row);
            Object[] withSeed = new Object[row.length + 1];
            withSeed[0] = k;
            System.arraycopy(row, 0, withSeed, 1, row.length);
            table.row(withSeed);
            double[] v = {e.getKey(), cf.total(), ggn.total(), cfSub.total(), hvp.total()};
            for (int j = 0; j < 5; j++) {
                cols[j][i] = v[j];
            }
            i++;
            ctx.progress().step(1, "seed " + k + " step " + e.getKey());
        }
        return new Seeded(cols[0], cols[1], cols[2], cols[3], cols[4], acc, worst, mine.markdown(6));
    }

    private static double rel(double a, double ref) {
        return Math.abs(a - ref) / Math.max(Math.abs(ref), Double.MIN_NORMAL);
    }
}
