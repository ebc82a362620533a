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
     */
    public record Config(String data, int trainPoints, int hvpPoints, int epochs, int batchSize, double lr,
                         int checkpoints) {
        /** The quick configuration. */
        public static Config quick() {
            return new Config(DataSets.EMBEDDED, 2000, 50, 3, 100, 0.01, 5);
        }

        /** The full configuration: all 60,000 points of the full MNIST; exact-hvp on the first 100. */
        public static Config full() {
            return new Config(DataSets.MNIST, 60000, 100, 2, 100, 0.01, 8);
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
    }

    @Override
    public List<String> requiredData(Scale scale) {
        return installable(List.of(cfg(scale).data()));
    }

    @Override
    public Section run(ReproduceContext ctx) {
        Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        ModelSpec spec = ModelSpec.parse("affine:784-10");
        Network net = spec.network();
        Dataset trainSet = ctx.data(c.data(), DataSets.Split.TRAIN, c.trainPoints());
        Batch train = Nets.batch(trainSet);
        Batch sub = train.range(0, Math.min(c.hvpPoints(), train.size()));
        TrainConfig tc = TrainConfig.sgd(c.lr(), c.batchSize(), c.epochs(), ctx.seed());
        long total = (long) tc.stepsPerEpoch(train.size()) * c.epochs();
        long[] steps = Nets.logSpacedSteps(total, c.checkpoints());
        tc = tc.toBuilder().logEvery(Integer.MAX_VALUE).checkpointAt(steps).build();
        ctx.progress().start(id() + " affine closed form", steps.length + 1);

        Tensor params = net.initParams(ctx.dtype(), ctx.seed());
        Map<Long, Tensor> at = new LinkedHashMap<>();
        at.put(0L, params.copy());
        Trainer.train(net, params, train, null, tc, null, new Trainer.Callbacks() {
            @Override
            public void onCheckpoint(Trainer.Checkpoint cp) {
                at.put(cp.step(), cp.params().copy());
            }
        });
        ctx.progress().step(1, "trained " + total + " steps");

        Results table = new Results("step", "train_acc", "trace_closed_form", "trace_exact_ggn",
                "reldiff_whole_ggn", "reldiff_point_ggn_max", "subset_trace_closed_form", "subset_trace_exact_hvp",
                "reldiff_whole_hvp", "reldiff_point_hvp_max");
        double worst = 0;
        List<double[]> plot = new ArrayList<>();
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
            double acc = Nets.accuracy(net, theta, train);
            table.row(e.getKey(), acc, cf.total(), ggn.total(), rwg, rpg, cfSub.total(), hvp.total(), rwh, rph);
            plot.add(new double[] {e.getKey(), cf.total(), ggn.total(), cfSub.total(), hvp.total()});
            ctx.progress().step(1, "step " + e.getKey());
        }
        table.writeCsv(dir.resolve("traces.csv"));
        double[][] cols = new double[5][plot.size()];
        for (int i = 0; i < plot.size(); i++) {
            for (int j = 0; j < 5; j++) {
                cols[j][i] = plot.get(i)[j];
            }
        }
        new Plots.Line("E1: Hessian trace of an affine classifier during training", "step", "trace")
                .series("closed form (" + train.size() + " points)", cols[0], cols[1])
                .series("exact-ggn (" + train.size() + " points)", cols[0], cols[2])
                .series("closed form (" + sub.size() + "-point subset)", cols[0], cols[3])
                .series("exact-hvp (" + sub.size() + "-point subset)", cols[0], cols[4])
                .save(dir.resolve("trace-vs-step.png"));
        ctx.progress().finish();

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("maxRelativeDifference", worst);
        summary.put("checkpoints", at.size());
        summary.put("steps", total);
        String md = String.format(Locale.ROOT, """
                An affine classifier `affine:784-10` (float64) trained with SGD (lr %s, momentum 0.9, batch %d) for %d
                epochs (%d steps) on the first %d points of `%s`. At each checkpoint: the whole-data trace and every
                point's own trace by the closed form and by `exact-ggn` on all %d points, and by the closed form and
                `exact-hvp` on the first %d points only (exact-hvp costs P = 7,850 Hessian-vector products per point).
                `reldiff` is |other - closed form| / |closed form|; `point ... max` is the largest over the points.

                %s
                Largest relative difference over all checkpoints, methods and points: **%s**.

                ![trace vs step](E1/trace-vs-step.png)

                Files: `E1/traces.csv`.
                """, Results.format(c.lr(), 3), c.batchSize(), c.epochs(), total, train.size(), c.data(),
                train.size(), sub.size(), table.markdown(6), Results.format(worst, 3));
        return new Section(md, summary, List.of("E1/trace-vs-step.png"));
    }

    private static double rel(double a, double ref) {
        return Math.abs(a - ref) / Math.max(Math.abs(ref), Double.MIN_NORMAL);
    }
}
