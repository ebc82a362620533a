package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.ArrayList;
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

/**
 * E4, claim (4): once every training point is classified correctly, scaling the last layer's weight and bias
 * by alpha leaves every prediction unchanged, multiplies the output margins by alpha, leaves the normalised
 * margins (output margin over the product of the layers' spectral norms, which also scales by alpha) unchanged,
 * and drives the Hessian trace and top eigenvalue towards 0 as alpha grows. Run on each data set of the
 * configuration (a fresh network per data set), plus the optional ones that are installed, with
 * {@link Config#seeds()} networks per data set: seed k's run seed (initialisation and batch order) is E2's
 * ({@code E2Seeds.seed(master, k)}), so seed 0 is the master seed and a one-seed run is the run E4 made before it
 * had seeds.
 */
public final class E4LastLayerScaling extends ScaledExperiment<E4LastLayerScaling.Config> {

    /**
     * @param arch the model (its last layer is a Linear layer)
     * @param data data set names, each run in turn (they must be present)
     * @param optionalData data set names run as well when they are present (else the report says so)
     * @param trainPoints training points (first ones of each split)
     * @param testPoints test points (first ones of each split; 0: all)
     * @param batchSize mini-batch size
     * @param lr SGD learning rate (momentum 0.9)
     * @param maxEpochs training stops at 100% training accuracy or after this many epochs
     * @param alphas the scale factors
     * @param seeds networks trained per data set (at least 1)
     */
    public record Config(String arch, List<String> data, List<String> optionalData, int trainPoints, int testPoints,
                         int batchSize, double lr, int maxEpochs, double[] alphas, int seeds)
            implements Overrides.Seeded<Config> {
        public Config {
            if (seeds < 1) {
                throw new IllegalArgumentException("E4 needs at least one seed, got " + seeds);
            }
        }

        @Override
        public Config withSeeds(int n) {
            return new Config(arch, data, optionalData, trainPoints, testPoints, batchSize, lr, maxEpochs, alphas, n);
        }

        /** The quick configuration: the embedded MNIST subset, and the Fashion-MNIST subset when installed. */
        public static Config quick() {
            return new Config("mlp:784-64-10", List.of(DataSets.EMBEDDED), List.of(DataSets.FASHION), 1000, 2000, 50,
                    0.05, 100, new double[] {0.25, 0.5, 1, 2, 4, 8, 16, 32}, 5);
        }

        /** The full configuration: the full MNIST and Fashion-MNIST (both required). */
        public static Config full() {
            return new Config("mlp:784-128-10", List.of(DataSets.MNIST, DataSets.FASHION), List.of(), 10000, 0, 100,
                    0.05, 200, new double[] {0.25, 0.5, 1, 2, 4, 8, 16, 32}, 5);
        }
    }

    /** E4 with the configuration of the scale. */
    public E4LastLayerScaling() {
        this(null);
    }

    /** E4 with {@code fixed} at every scale (tests). */
    public E4LastLayerScaling(Config fixed) {
        super("E4", "last-layer scaling makes a perfect classifier arbitrarily flat", fixed, Config::quick, Config::full);
    }

    @Override
    void describe(Config c, Map<String, Object> m) {
        m.put("arch", c.arch());
        m.put("data", c.data());
        m.put("optionalData", c.optionalData());
        m.put("trainPoints", c.trainPoints());
        m.put("testPoints", c.testPoints());
        m.put("batchSize", c.batchSize());
        m.put("lr", c.lr());
        m.put("momentum", 0.9);
        m.put("maxEpochs", c.maxEpochs());
        m.put("alphas", c.alphas());
        if (c.seeds() > 1) { // a one-seed configuration is recorded as before seeds, so its run directories still match
            m.put("seeds", c.seeds());
        }
    }

    @Override
    public List<String> requiredData(Scale scale) {
        return installable(cfg(scale).data());
    }

    @Override
    public List<String> optionalData(Scale scale) {
        return cfg(scale).optionalData();
    }

    /** One network's results: a data set and a seed. */
    private record PerData(String data, int seed, int train, int test, Nets.Trained trained, double[] traces,
                           double[] tops, double[] outMed, double[] normMed, int changed, String table) {
    }

    @Override
    public Section run(ReproduceContext ctx) {
        Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        List<String> names = new ArrayList<>(c.data());
        List<String> absent = new ArrayList<>();
        for (String n : c.optionalData()) {
            (Reproduction.available(ctx.dataSets(), n) ? names : absent).add(n);
        }
        ctx.progress().start(id() + " last-layer scaling",
                (long) names.size() * c.seeds() * (c.alphas().length + 1));
        Results table = new Results("data", "seed", "alpha", "train_acc", "test_acc", "predictions_changed",
                "output_margin_median", "spectral_norm_product", "normalised_margin_median", "trace_exact_ggn",
                "top_eigenvalue");
        List<PerData> runs = new ArrayList<>();
        for (String name : names) {
            for (int k = 0; k < c.seeds(); k++) {
                runs.add(runOne(ctx, c, name, k, table));
            }
        }
        table.writeCsv(dir.resolve("scaling.csv"));
        Plots.Line curv = new Plots.Line("E4: curvature after scaling the last layer by alpha", "alpha", "value")
                .log(true, true);
        Plots.Line marg = new Plots.Line("E4: margins after scaling the last layer by alpha", "alpha",
                "median margin").log(true, true);
        for (PerData r : runs.stream().filter(r -> r.seed() == 0).toList()) {
            curv.series("trace (exact-ggn), " + r.data(), c.alphas(), r.traces())
                    .series("top eigenvalue (Lanczos), " + r.data(), c.alphas(), r.tops());
            marg.series("output margin, " + r.data(), c.alphas(), r.outMed())
                    .series("normalised margin, " + r.data(), c.alphas(), r.normMed());
        }
        curv.save(dir.resolve("curvature-vs-alpha.png"));
        marg.save(dir.resolve("margins-vs-alpha.png"));
        ctx.progress().finish();

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("alphas", c.alphas());
        for (String name : names) {
            List<PerData> mine = runs.stream().filter(r -> r.data().equals(name)).toList();
            Map<String, Object> m = new LinkedHashMap<>(seedSummary(mine.getFirst())); // seed 0, as before seeds
            if (mine.size() > 1) {
                m.put("seeds", mine.stream().map(E4LastLayerScaling::seedSummary).toList());
                m.put("traceFallsInSeeds", mine.stream().filter(r -> E4Seeds.falls(r.traces())).count());
                m.put("topEigenvalueFallsInSeeds", mine.stream().filter(r -> E4Seeds.falls(r.tops())).count());
                m.put("predictionsUnchangedInSeeds", mine.stream().filter(r -> r.changed() == 0).count());
            }
            summary.put(name, m);
        }
        summary.put("absentOptionalData", absent);
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, """
                `%s` (float64) trained with SGD (lr %s, momentum 0.9, batch %d) on the first %d training points of
                each data set below (a fresh network each) until every training point is correct, at most %d
                epochs. Then the last layer's weight and bias are multiplied by alpha. Accuracies are on those
                training points and on the first %s test points; `predictions_changed` counts training points
                whose predicted class differs from alpha = 1. Margins are medians over the training points; the
                normalised margin divides the output margin by the product of the weights' spectral norms. Trace:
                exact-ggn on the training points; top eigenvalue: Lanczos.
                """, c.arch(), Results.format(c.lr(), 3), c.batchSize(), c.trainPoints(), c.maxEpochs(),
                c.testPoints() > 0 ? String.valueOf(c.testPoints()) : "(all)"));
        for (String n : absent) {
            md.append("\n").append(n).append(" is not installed, so E4 did not run on it (`flatminima data list`")
                    .append(" says how to get it).\n");
        }
        for (PerData r : runs) {
            if (r.seed() > 0) {
                continue;
            }
            Nets.Trained tr = r.trained();
            String training = tr.capHit()
                    ? String.format(Locale.ROOT, "**the cap of %d epochs was hit at %.4f training accuracy: the "
                            + "premise of claim (4), every point correct, does not hold here**", c.maxEpochs(),
                            tr.trainAccuracy())
                    : String.format(Locale.ROOT, "100%% training accuracy after %d epochs", tr.epochs());
            md.append(String.format(Locale.ROOT, "%n### %s (%d training, %d test points)%n%n%s%s.%n%n%s", r.data(),
                    r.train(), r.test(), c.seeds() > 1 ? "Seed 0: " : "", training, r.table()));
            List<PerData> mine = runs.stream().filter(x -> x.data().equals(r.data())).toList();
            if (mine.size() > 1) {
                md.append(E4Seeds.markdown(c.alphas(), mine.stream().map(PerData::traces).toList(),
                        mine.stream().map(PerData::tops).toList(),
                        mine.stream().map(x -> x.trained().epochs()).toList(),
                        mine.stream().map(x -> x.trained().capHit()).toList(),
                        mine.stream().map(PerData::changed).toList()));
            }
        }
        md.append("""

                ![curvature vs alpha](E4/curvature-vs-alpha.png)

                ![margins vs alpha](E4/margins-vs-alpha.png)

                Files: `E4/scaling.csv`.
                """);
        return new Section(md.toString(), summary, List.of("E4/curvature-vs-alpha.png", "E4/margins-vs-alpha.png"));
    }

    private static Map<String, Object> seedSummary(PerData r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epochs", r.trained().epochs());
        m.put("trainAccuracy", r.trained().trainAccuracy());
        m.put("capHit", r.trained().capHit());
        m.put("traces", r.traces());
        m.put("topEigenvalues", r.tops());
        return m;
    }

    private PerData runOne(ReproduceContext ctx, Config c, String name, int seedIndex, Results all) {
        Network net = ModelSpec.parse(c.arch()).network();
        Batch train = Nets.batch(ctx.data(name, DataSets.Split.TRAIN, c.trainPoints()));
        Batch test = Nets.batch(ctx.data(name, DataSets.Split.TEST, c.testPoints()));
        long seed = E2Seeds.seed(ctx.seed(), seedIndex);
        Tensor params = net.initParams(ctx.dtype(), seed);
        Nets.Trained tr = Nets.trainToFullAccuracy(net, params, train,
                TrainConfig.sgd(c.lr(), c.batchSize(), 1, seed), 5, c.maxEpochs(), ctx.progress());
        ctx.progress().step(1, name + " seed " + seedIndex + " trained " + tr.epochs() + " epochs");

        List<ParameterLayout.Entry> ws = Nets.weights(net);
        ParameterLayout.Entry lastW = ws.get(ws.size() - 1);
        ParameterLayout.Entry lastB = Nets.biasOf(net, lastW);
        Results table = new Results("alpha", "train_acc", "test_acc", "predictions_changed", "output_margin_median",
                "spectral_norm_product", "normalised_margin_median", "trace_exact_ggn", "top_eigenvalue");
        int k = c.alphas().length;
        double[] traces = new double[k];
        double[] tops = new double[k];
        double[] outMed = new double[k];
        double[] normMed = new double[k];
        int[] reference = Margins.of(Nets.logits(net, params, train.x()), train.labels()).predicted();
        int changedMost = 0;
        for (int i = 0; i < k; i++) {
            double a = c.alphas()[i];
            Tensor th = Nets.scaled(net, params, Map.of(lastW, a, lastB, a));
            Margins.Columns cols = Margins.of(Nets.logits(net, th, train.x()), train.labels());
            int changed = 0;
            for (int n = 0; n < reference.length; n++) {
                changed += cols.predicted()[n] != reference[n] ? 1 : 0;
            }
            double snp = ModelMargins.spectralNormProduct(net, th);
            outMed[i] = Nets.median(cols.output());
            normMed[i] = Nets.median(ModelMargins.normalised(cols.output(), snp));
            Curvature cv = Curvature.of(net, th, train.x(), train.labels());
            traces[i] = cv.trace(Curvature.Method.EXACT_GGN).value();
            tops[i] = cv.topEigenvalues(1).values()[0];
            double trainAcc = Nets.accuracy(net, th, train);
            double testAcc = Nets.accuracy(net, th, test);
            changedMost = Math.max(changedMost, changed);
            table.row(a, trainAcc, testAcc, changed, outMed[i], snp, normMed[i], traces[i], tops[i]);
            all.row(name, seedIndex, a, trainAcc, testAcc, changed, outMed[i], snp, normMed[i], traces[i], tops[i]);
            ctx.progress().step(1, name + " alpha " + a);
        }
        return new PerData(name, seedIndex, train.size(), test.size(), tr, traces, tops, outMed, normMed, changedMost,
                table.markdown(5));
    }
}
