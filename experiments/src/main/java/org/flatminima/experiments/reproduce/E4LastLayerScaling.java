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

/**
 * E4, claim (4): once every training point is classified correctly, scaling the last layer's weight and bias
 * by alpha leaves every prediction unchanged, multiplies the output margins by alpha, leaves the normalised
 * margins (output margin over the product of the layers' spectral norms, which also scales by alpha) unchanged,
 * and drives the Hessian trace and top eigenvalue towards 0 as alpha grows.
 */
public final class E4LastLayerScaling implements Experiment {

    /**
     * @param arch the model (its last layer is a Linear layer)
     * @param data data set name
     * @param trainPoints training points (first ones of the split)
     * @param testPoints test points (first ones of the split; 0: all)
     * @param batchSize mini-batch size
     * @param lr SGD learning rate (momentum 0.9)
     * @param maxEpochs training stops at 100% training accuracy or after this many epochs
     * @param alphas the scale factors
     */
    public record Config(String arch, String data, int trainPoints, int testPoints, int batchSize, double lr,
                         int maxEpochs, double[] alphas) {
        /** The quick configuration. */
        public static Config quick() {
            return new Config("mlp:784-64-10", DataSets.EMBEDDED, 1000, 0, 50, 0.05, 100,
                    new double[] {0.25, 0.5, 1, 2, 4, 8, 16, 32});
        }

        /** The full configuration. */
        public static Config full() {
            return new Config("mlp:784-256-256-10", DataSets.EMBEDDED, 10000, 0, 100, 0.05, 200,
                    new double[] {0.25, 0.5, 1, 2, 4, 8, 16, 32});
        }
    }

    private final Config fixed;

    /** E4 with the configuration of the scale. */
    public E4LastLayerScaling() {
        this(null);
    }

    /** E4 with {@code fixed} at every scale (tests). */
    public E4LastLayerScaling(Config fixed) {
        this.fixed = fixed;
    }

    @Override
    public String id() {
        return "E4";
    }

    @Override
    public String title() {
        return "last-layer scaling makes a perfect classifier arbitrarily flat";
    }

    Config cfg(Scale s) {
        return fixed != null ? fixed : s == Scale.FULL ? Config.full() : Config.quick();
    }

    @Override
    public Map<String, Object> config(Scale scale) {
        Config c = cfg(scale);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", c.arch());
        m.put("data", c.data());
        m.put("trainPoints", c.trainPoints());
        m.put("testPoints", c.testPoints());
        m.put("batchSize", c.batchSize());
        m.put("lr", c.lr());
        m.put("momentum", 0.9);
        m.put("maxEpochs", c.maxEpochs());
        m.put("alphas", c.alphas());
        return m;
    }

    @Override
    public Section run(ReproduceContext ctx) {
        Config c = cfg(ctx.scale());
        Path dir = ctx.dir(id());
        Network net = ModelSpec.parse(c.arch()).network();
        Batch train = Nets.batch(ctx.data(c.data(), DataSets.Split.TRAIN, c.trainPoints()));
        Batch test = Nets.batch(ctx.data(c.data(), DataSets.Split.TEST, c.testPoints()));
        ctx.progress().start(id() + " last-layer scaling", c.alphas().length + 1);
        Tensor params = net.initParams(ctx.dtype(), ctx.seed());
        Nets.Trained tr = Nets.trainToFullAccuracy(net, params, train,
                TrainConfig.sgd(c.lr(), c.batchSize(), 1, ctx.seed()), 5, c.maxEpochs(), ctx.progress());
        ctx.progress().step(1, "trained " + tr.epochs() + " epochs");

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
            table.row(a, Nets.accuracy(net, th, train), Nets.accuracy(net, th, test), changed, outMed[i], snp,
                    normMed[i], traces[i], tops[i]);
            ctx.progress().step(1, "alpha " + a);
        }
        table.writeCsv(dir.resolve("scaling.csv"));
        new Plots.Line("E4: curvature after scaling the last layer by alpha", "alpha", "value").log(true, true)
                .series("Hessian trace (exact-ggn)", c.alphas(), traces)
                .series("top eigenvalue (Lanczos)", c.alphas(), tops)
                .save(dir.resolve("curvature-vs-alpha.png"));
        new Plots.Line("E4: margins after scaling the last layer by alpha", "alpha", "median margin").log(true, true)
                .series("output margin", c.alphas(), outMed)
                .series("normalised margin (/ spectral norm product)", c.alphas(), normMed)
                .save(dir.resolve("margins-vs-alpha.png"));
        ctx.progress().finish();

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("epochs", tr.epochs());
        summary.put("trainAccuracy", tr.trainAccuracy());
        summary.put("capHit", tr.capHit());
        summary.put("alphas", c.alphas());
        summary.put("traces", traces);
        summary.put("topEigenvalues", tops);
        String training = tr.capHit()
                ? String.format(Locale.ROOT, "**the cap of %d epochs was hit at %.4f training accuracy: the premise "
                        + "of claim (4), every point correct, does not hold here**", c.maxEpochs(), tr.trainAccuracy())
                : String.format(Locale.ROOT, "100%% training accuracy reached after %d epochs (cap %d)", tr.epochs(),
                        c.maxEpochs());
        String md = String.format(Locale.ROOT, """
                `%s` (float64) trained with SGD (lr %s, momentum 0.9, batch %d) on the first %d points of `%s` until
                every training point is correct: %s. Then the last layer's weight and bias are multiplied by alpha.
                Accuracies are on the %d training and %d test points; `predictions_changed` counts training points
                whose predicted class differs from alpha = 1. Margins are medians over the training points; the
                normalised margin divides the output margin by the product of the weights' spectral norms. Trace:
                exact-ggn on the training points; top eigenvalue: Lanczos.

                %s
                ![curvature vs alpha](E4/curvature-vs-alpha.png)

                ![margins vs alpha](E4/margins-vs-alpha.png)

                Files: `E4/scaling.csv`.
                """, c.arch(), Results.format(c.lr(), 3), c.batchSize(), train.size(), c.data(), training,
                train.size(), test.size(), table.markdown(5));
        return new Section(md, summary, List.of("E4/curvature-vs-alpha.png", "E4/margins-vs-alpha.png"));
    }
}
