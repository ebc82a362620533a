package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.measures.Margins;
import org.flatminima.experiments.measures.ModelMargins;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;

/**
 * E5 (beyond the paper; Dinh et al. 2017): in a ReLU MLP, multiplying the first layer's weight and bias by
 * alpha and the second Linear layer's weight by 1/alpha leaves the network's function unchanged (ReLU is
 * positively homogeneous), and the normalised margins too (the spectral norm product is unchanged), while the
 * Hessian trace and top eigenvalue change: flatness is not a function of the function.
 */
public final class E5Reparametrisation extends ScaledExperiment<E5Reparametrisation.Config> {

    /**
     * @param arch a ReLU MLP with at least two Linear layers
     * @param data data set name
     * @param trainPoints training points (first ones of the split)
     * @param epochs training epochs
     * @param batchSize mini-batch size
     * @param lr SGD learning rate (momentum 0.9)
     * @param alphas the factors
     * @param curvaturePoints the trace and top eigenvalue are of the mean loss over the first this many training
     *     points (0: all of them); logits and margins are always checked on all training points
     * @param seeds networks trained (at least 1): seed k's run seed is E2's ({@code E2Seeds.seed(master, k)}), so
     *     seed 0 is the network of a one-seed run
     */
    public record Config(String arch, String data, int trainPoints, int epochs, int batchSize, double lr,
                         double[] alphas, int curvaturePoints, int seeds) implements Overrides.Seeded<Config> {
        public Config {
            if (seeds < 1) {
                throw new IllegalArgumentException("E5 needs at least one seed, got " + seeds);
            }
        }

        @Override
        public Config withSeeds(int n) {
            return new Config(arch, data, trainPoints, epochs, batchSize, lr, alphas, curvaturePoints, n);
        }

        /** The quick configuration. */
        public static Config quick() {
            return new Config("mlp:784-64-64-10", DataSets.EMBEDDED, 1000, 3, 50, 0.05,
                    new double[] {0.125, 0.25, 0.5, 1, 2, 4, 8}, 0, 5);
        }

        /**
         * The full configuration: trained on all 60,000 points of the full MNIST; curvature on the first 4,000
         * (on all 60,000 one alpha's trace and top eigenvalue took about 5 minutes here).
         */
        public static Config full() {
            return new Config("mlp:784-256-256-10", DataSets.MNIST, 60000, 5, 100, 0.05,
                    new double[] {0.125, 0.25, 0.5, 1, 2, 4, 8}, 4000, 5);
        }
    }

    /** E5 with the configuration of the scale. */
    public E5Reparametrisation() {
        this(null);
    }

    /** E5 with {@code fixed} at every scale (tests). */
    public E5Reparametrisation(Config fixed) {
        super("E5", "reparametrisation changes flatness but not the function (Dinh et al. 2017)", fixed, Config::quick, Config::full);
    }

    @Override
    void describe(Config c, Map<String, Object> m) {
        m.put("arch", c.arch());
        m.put("data", c.data());
        m.put("trainPoints", c.trainPoints());
        m.put("epochs", c.epochs());
        m.put("batchSize", c.batchSize());
        m.put("lr", c.lr());
        m.put("momentum", 0.9);
        m.put("alphas", c.alphas());
        m.put("curvaturePoints", c.curvaturePoints());
        if (c.seeds() > 1) { // a one-seed configuration is recorded as before seeds, so its run directories still match
            m.put("seeds", c.seeds());
        }
    }

    @Override
    public List<String> requiredData(Scale scale) {
        return installable(List.of(cfg(scale).data()));
    }

    /** One seed's network and what reparametrising it did. */
    private record Seeded(double acc, double refScale, double worstLogit, double worstNorm, double[] traces,
                          double[] tops, double[] norm, int curvaturePoints, int trainPoints, String table) {
    }

    @Override
    public Section run(ReproduceContext ctx) {
        Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        Network net = ModelSpec.parse(c.arch()).network();
        Batch train = Nets.batch(ctx.data(c.data(), DataSets.Split.TRAIN, c.trainPoints()));
        ctx.progress().start(id() + " reparametrisation", (long) c.seeds() * (c.alphas().length + 1));
        if (Nets.weights(net).size() < 2) {
            throw new IllegalArgumentException("E5 needs at least two Linear layers, " + c.arch() + " has "
                    + Nets.weights(net).size());
        }
        Results all = new Results("seed", "alpha", "logits_max_abs_diff", "normalised_margin_median",
                "normalised_margin_max_rel_diff", "trace_exact_ggn", "top_eigenvalue");
        List<Seeded> runs = new java.util.ArrayList<>();
        for (int k = 0; k < c.seeds(); k++) {
            runs.add(runSeed(ctx, c, net, train, k, all));
        }
        all.writeCsv(dir.resolve("reparametrisation.csv"));
        Seeded s0 = runs.getFirst();
        new Plots.Line("E5: layer 0 x alpha, layer 1 x 1/alpha (same function)", "alpha", "value").log(true, true)
                .series("Hessian trace (exact-ggn)", c.alphas(), s0.traces())
                .series("top eigenvalue (Lanczos)", c.alphas(), s0.tops())
                .series("median normalised margin", c.alphas(), s0.norm())
                .save(dir.resolve("reparametrisation.png"));
        ctx.progress().finish();

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("trainAccuracy", s0.acc());
        summary.put("maxLogitAbsDiff", s0.worstLogit());
        summary.put("maxNormalisedMarginRelDiff", s0.worstNorm());
        summary.put("alphas", c.alphas());
        summary.put("traces", s0.traces());
        summary.put("topEigenvalues", s0.tops());
        if (runs.size() > 1) {
            summary.put("seeds", runs.stream().map(r -> Map.of("trainAccuracy", r.acc(), "maxLogitAbsDiff",
                    r.worstLogit(), "maxNormalisedMarginRelDiff", r.worstNorm(), "traces", r.traces(),
                    "topEigenvalues", r.tops())).toList());
        }
        String md = String.format(Locale.ROOT, """
                `%s` (float64) trained with SGD (lr %s, momentum 0.9, batch %d) for %d epochs on the first %d points
                of `%s` (training accuracy %.4f%s). Then the first Linear layer's weight and bias are multiplied by
                alpha and the second Linear layer's weight by 1/alpha. Over all alphas: the logits differ from
                alpha = 1 by at most %s (largest |logit| %s) and the per-point normalised margins by a relative %s,
                while the trace (exact-ggn) and the top eigenvalue (Lanczos) of the mean loss over the first %d
                training points change by a factor of %s and %s between the smallest and largest alpha.

                %s%s
                ![reparametrisation](E5/reparametrisation.png)

                Files: `E5/reparametrisation.csv`.
                """, c.arch(), Results.format(c.lr(), 3), c.batchSize(), c.epochs(), s0.trainPoints(), c.data(),
                s0.acc(), runs.size() > 1 ? ", seed 0" : "", Results.format(s0.worstLogit(), 3),
                Results.format(s0.refScale(), 3), Results.format(s0.worstNorm(), 3), s0.curvaturePoints(),
                Results.format(ratio(s0.traces()), 3), Results.format(ratio(s0.tops()), 3), s0.table(),
                runs.size() > 1 ? acrossSeeds(runs) : "");
        return new Section(md, summary, List.of("E5/reparametrisation.png"));
    }

    /** The line E5 writes over several seeds: the worst function change and each seed's curvature factors. */
    private static String acrossSeeds(List<Seeded> runs) {
        double logit = 0;
        double norm = 0;
        StringBuilder traces = new StringBuilder();
        StringBuilder tops = new StringBuilder();
        StringBuilder accs = new StringBuilder();
        for (Seeded r : runs) {
            logit = Math.max(logit, r.worstLogit());
            norm = Math.max(norm, r.worstNorm());
            String sep = traces.isEmpty() ? "" : ", ";
            traces.append(sep).append(Results.format(ratio(r.traces()), 3));
            tops.append(sep).append(Results.format(ratio(r.tops()), 3));
            accs.append(sep).append(String.format(Locale.ROOT, "%.4f", r.acc()));
        }
        return String.format(Locale.ROOT, """

                **Over the %d seeds** (each in `E5/reparametrisation.csv`; training accuracy %s): the logits \
                differ from alpha = 1 by at most %s and the normalised margins by a relative %s in every seed, while \
                the trace changes by a factor of %s and the top eigenvalue by %s between the smallest and largest \
                alpha.
                """, runs.size(), accs, Results.format(logit, 3), Results.format(norm, 3), traces, tops);
    }

    private Seeded runSeed(ReproduceContext ctx, Config c, Network net, Batch train, int seedIndex, Results all) {
        long seed = E2Seeds.seed(ctx.seed(), seedIndex);
        Tensor params = net.initParams(ctx.dtype(), seed);
        TrainConfig tc = TrainConfig.sgd(c.lr(), c.batchSize(), c.epochs(), seed);
        Trainer.train(net, params, train, null, tc, null, null);
        double acc = Nets.accuracy(net, params, train);
        Batch curv = c.curvaturePoints() > 0 && c.curvaturePoints() < train.size()
                ? train.range(0, c.curvaturePoints()) : train;
        ctx.progress().step(1, "seed " + seedIndex + " trained");

        List<ParameterLayout.Entry> ws = Nets.weights(net);
        ParameterLayout.Entry w0 = ws.get(0);
        ParameterLayout.Entry b0 = Nets.biasOf(net, w0);
        ParameterLayout.Entry w1 = ws.get(1);
        Tensor refLogits = Nets.logits(net, params, train.x());
        double[] ref = refLogits.toDoubleArray();
        double refScale = 0;
        for (double v : ref) {
            refScale = Math.max(refScale, Math.abs(v));
        }
        double[] refNorm = ModelMargins.normalised(Margins.of(refLogits, train.labels()).output(),
                ModelMargins.spectralNormProduct(net, params));
        Results table = new Results("alpha", "logits_max_abs_diff", "normalised_margin_median",
                "normalised_margin_max_rel_diff", "trace_exact_ggn", "top_eigenvalue");
        int k = c.alphas().length;
        double[] traces = new double[k];
        double[] tops = new double[k];
        double[] norm = new double[k];
        double worstLogit = 0;
        double worstNorm = 0;
        for (int i = 0; i < k; i++) {
            double a = c.alphas()[i];
            Tensor th = Nets.scaled(net, params, Map.of(w0, a, b0, a, w1, 1 / a));
            Tensor lg = Nets.logits(net, th, train.x());
            double[] z = lg.toDoubleArray();
            double dz = 0;
            for (int j = 0; j < z.length; j++) {
                dz = Math.max(dz, Math.abs(z[j] - ref[j]));
            }
            double[] nm = ModelMargins.normalised(Margins.of(lg, train.labels()).output(),
                    ModelMargins.spectralNormProduct(net, th));
            double dn = Results.maxRelDiff(nm, refNorm);
            Curvature cv = Curvature.of(net, th, curv.x(), curv.labels());
            traces[i] = cv.trace(Curvature.Method.EXACT_GGN).value();
            tops[i] = cv.topEigenvalues(1).values()[0];
            norm[i] = Nets.median(nm);
            worstLogit = Math.max(worstLogit, dz);
            worstNorm = Math.max(worstNorm, dn);
            table.row(a, dz, norm[i], dn, traces[i], tops[i]);
            all.row(seedIndex, a, dz, norm[i], dn, traces[i], tops[i]);
            ctx.progress().step(1, "seed " + seedIndex + " alpha " + a);
        }
        return new Seeded(acc, refScale, worstLogit, worstNorm, traces, tops, norm, curv.size(), train.size(),
                table.markdown(5));
    }

    private static double ratio(double[] v) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (double x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return hi / lo;
    }
}
