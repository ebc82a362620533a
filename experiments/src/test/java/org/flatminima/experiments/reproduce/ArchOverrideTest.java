package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.CifarFiles;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reproduce --arch}: E2 and E3 training the user's models (the authors' architectures among them). */
class ArchOverrideTest {

    static final String LENET = "lenet:1x28x28-10";
    static final String BN = "mlp:784-8-10,bn,dropout=0.5";

    @TempDir
    Path tmp;

    @Test
    void specsAreCheckedAndNamedArchitecturesTakeTheDataShape() {
        assertThat(ArchOverride.specs(List.of(" lenet:1x28x28-10 ", BN))).containsExactly(LENET, BN);
        assertThatThrownBy(() -> ArchOverride.specs(List.of("lenet:1x28x28")))
                .isInstanceOf(UserException.class).hasMessageContaining("docs/models.md").hasMessageNotContaining("\n");
        // the authors' architectures become the same architecture for the other image shape (P by hand, docs/models.md)
        String lenet = DataOverride.adaptArch(LENET, "cifar10");
        assertThat(lenet).isEqualTo("lenet:3x32x32-10");
        assertThat(ModelSpec.parse(lenet).sampleShape()).containsExactly(3, 32, 32);
        assertThat(ModelSpec.parse(lenet).network().parameterCount()).isEqualTo(62_006);
        String keskar = DataOverride.adaptArch("keskar-c3:3x32x32-10", "mnist");
        assertThat(keskar).isEqualTo("keskar-c3:1x28x28-10");
        assertThat(ModelSpec.parse(keskar).network().parameterCount()).isEqualTo(3_646_032);
        String simple = DataOverride.adaptArch("simplenet(width=64,layers=2):1x28x28-10", "cifar-10");
        assertThat(simple).isEqualTo("simplenet(width=64,layers=2):3x32x32-10");
        assertThat(ModelSpec.parse(simple).network().parameterCount())
                .isEqualTo(3072 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10);
        assertThat(DataOverride.adaptArch("simplenet-bn:1x28x28-10", "fashion-mnist")).isEqualTo(
                "simplenet-bn:1x28x28-10");
    }

    @Test
    void e2TrainsTheAffineModelAndTheGivenSpecsThenTheDataAdaptsThem() {
        E2FlatnessVsMargins e2 = new E2FlatnessVsMargins();
        Map<String, Object> own = e2.config(Scale.QUICK);
        e2.overrideArchs(List.of(LENET, "simplenet:1x28x28-10"));
        E2Config c = e2.cfg(Scale.QUICK);
        assertThat(c.archs()).containsExactly("affine:784-10", LENET, "simplenet:1x28x28-10");
        assertThat(c.lrs()).containsExactly(0.01, 0.05, 0.05);
        assertThat(c.authorsArch()).isEqualTo(LENET);
        assertThat(c.data()).isEqualTo(E2Config.quick().data());
        assertThat(c.seeds()).isEqualTo(E2Config.quick().seeds());
        Map<String, Object> two = e2.config(Scale.QUICK);
        assertThat(two).isNotEqualTo(own).containsEntry("authorsArch", LENET);
        e2.overrideArchs(List.of(LENET));
        assertThat(e2.config(Scale.QUICK)).isNotEqualTo(two).isNotEqualTo(own);
        // --arch first, then --data's adaptation
        e2.overrideArchs(List.of(LENET, "simplenet:1x28x28-10"));
        e2.overrideData(List.of(DataSets.CIFAR));
        c = e2.cfg(Scale.FULL);
        assertThat(c.archs()).containsExactly("affine:3072-10", "lenet:3x32x32-10", "simplenet:3x32x32-10");
        assertThat(c.lrs()).containsExactly(0.01, 0.05, 0.05);
        assertThat(c.authorsArch()).isEqualTo("lenet:3x32x32-10");
        assertThat(c.epochs()).isEqualTo(E2Config.full().epochs());
    }

    @Test
    void e3TrainsExactlyOneGivenSpec() {
        E3BatchSize e3 = new E3BatchSize();
        Map<String, Object> own = e3.config(Scale.QUICK);
        e3.overrideArchs(List.of(LENET));
        assertThat(e3.cfg(Scale.QUICK).arch()).isEqualTo(LENET);
        assertThat(e3.config(Scale.QUICK)).containsEntry("arch", LENET).isNotEqualTo(own);
        e3.overrideData(List.of(DataSets.CIFAR));
        assertThat(e3.cfg(Scale.QUICK).arch()).isEqualTo("lenet:3x32x32-10");
        assertThat(e3.cfg(Scale.QUICK).data()).isEqualTo(DataSets.CIFAR);
        e3.overrideArchs(List.of(LENET, BN));
        assertThatThrownBy(() -> e3.cfg(Scale.QUICK)).isInstanceOf(UserException.class)
                .hasMessage("E3 trains one model: give one --arch, or --only E2");
    }

    @Test
    void labelsAreUniqueAndOursAffineOnlyAppliesAfterALastLinearLayer() {
        String cnn1 = "seq:1x28x28:conv(2,3),relu,flatten,linear(10)";
        String cnn2 = "seq:1x28x28:conv(3,3),relu,flatten,linear(10)";
        E2Config c = E2Config.builder().archs("affine:784-10", cnn1, cnn2, BN).lrs(0.01, 0.05, 0.05, 0.05).build();
        assertThat(c.archs().stream().map(c::label)).containsExactly("affine", "cnn", "cnn-2",
                "mlp:784-8-10;bn;dropout=0.5");
        assertThat(E2FlatnessVsMargins.oursAffineApplies(LENET)).isFalse();
        for (String a : List.of("keskar-c3:1x28x28-10", "simplenet-bn(width=8):1x28x28-10", BN, cnn1,
                "affine:784-10")) {
            assertThat(E2FlatnessVsMargins.oursAffineApplies(a)).as(a).isTrue();
        }
    }

    /** Logits of {@code net} (eval mode) at {@code theta} on {@code x}, row-major {@code [N, 10]}. */
    private static double[] logits(Network net, Tensor theta, Tensor x) {
        return net.withMode(Mode.EVAL).logits(Var.of(theta), x).value().toDoubleArray();
    }

    private static double outputMargin(double[] z, int i, int y) {
        double other = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < 10; j++) {
            other = j == y ? other : Math.max(other, z[i * 10 + j]);
        }
        return z[i * 10 + y] - other;
    }

    /**
     * E2 with {@code --arch lenet:1x28x28-10 --arch mlp:784-8-10,bn,dropout=0.5} on 40 points: it trains the affine
     * model, LeNet and the batch-norm model; LeNet's ours-affine column is NaN (n/a in the report) while its other
     * measures are those of its logits; the batch-norm model is measured with the running statistics of the
     * checkpoint (its margins equal those of an independent training's final parameters and buffers).
     */
    @Test
    void e2WithTheAuthorsLeNetTrainsItAndWritesNotApplicableForOurAffineExpression() throws Exception {
        E2Config tiny = E2Config.builder().archs("affine:784-10", "mlp:784-8-10").lrs(0.01, 0.05)
                .data(DataSets.EMBEDDED).trainPoints(40).testPoints(10).epochs(1).batchSize(10).checkpoints(2)
                .resamples(10).authorsArch("mlp:784-8-10").authorsPoints(2).build();
        Path out = tmp.resolve("out");
        DataSets ds = new DataSets(DataSets.Locations.fromEnvironment());
        ReproduceContext ctx = new ReproduceContext(out, 5, Scale.QUICK, ds, DType.F64, Progress.NONE)
                .withArchs(List.of(LENET, BN));
        Reproduction.Outcome o = Reproduction.run(List.of(new E2FlatnessVsMargins(tiny)), ctx, false).getFirst();
        assertThat(o.config().get("archs")).isEqualTo(List.of("affine:784-10", LENET, BN));
        assertThat(o.config().get("lrs")).isEqualTo(List.of(0.01, 0.05, 0.05));
        assertThat(o.config().get("authorsArch")).isEqualTo(LENET);
        Path seed0 = out.resolve("E2/embedded/seed-0/points.csv");
        String bnLabel = "mlp:784-8-10;bn;dropout=0.5";
        for (String label : List.of("affine", LENET, bnLabel)) {
            assertThat(out.resolve("E2/checkpoints/embedded/seed-0").resolve(label)).isDirectory();
        }

        Dataset d = ds.load(DataSets.EMBEDDED, DataSets.Split.TRAIN).as(DType.F64).as(Dataset.Layout.IMAGES).first(40);
        Map<String, double[]> lenet = ReproduceTest.csvWhere(seed0, LENET);
        long last = (long) lenet.get("step")[lenet.get("step").length - 1];
        assertThat(last).isEqualTo(4);
        for (double v : lenet.get("affine_trace_expr")) {
            assertThat(v).isNaN();
        }
        // step 0: 1 - m^2 and the output margin of LeNet's logits at its seeded initialisation, by hand
        Network net = ModelSpec.parse(LENET).network();
        double[] z = logits(net, net.initParams(DType.F64, E2Seeds.seed(5, 0)), d.images());
        int checked = 0;
        for (int i = 0; i < lenet.get("step").length; i++) {
            if (lenet.get("step")[i] != 0) {
                continue;
            }
            int p = (int) lenet.get("point")[i];
            int y = d.labels()[p];
            double[] prob = ReproduceTest.softmaxRow(z, p, 10);
            double py = prob[y];
            double other = 0;
            for (int j = 0; j < 10; j++) {
                other = j == y ? other : Math.max(other, prob[j]);
            }
            assertThat(lenet.get("one_minus_m2")[i]).isCloseTo(1 - (py - other) * (py - other), within(1e-12));
            assertThat(lenet.get("output_margin")[i]).isCloseTo(outputMargin(z, p, y), within(1e-12));
            assertThat(lenet.get("trace")[i]).isGreaterThanOrEqualTo(0).isFinite();
            assertThat(lenet.get(E2Authors.RAW)[i]).isFinite().isPositive();
            checked++;
        }
        assertThat(checked).isEqualTo(40);

        // the batch-norm model at its last checkpoint: the margins of an independent training's parameters and
        // running statistics, in eval mode
        Map<String, double[]> bn = ReproduceTest.csvWhere(seed0, bnLabel);
        Network bnNet = ModelSpec.parse(BN).network();
        long seed = E2Seeds.seed(5, 0);
        TrainConfig tc = TrainConfig.sgd(0.05, 10, 1, seed).toBuilder().logEvery(Integer.MAX_VALUE).build();
        Trainer.Result r = Trainer.train(bnNet, bnNet.initParams(DType.F64, seed), new Batch(d.images(), d.labels()),
                null, tc, null, null);
        r.buffers().forEach(bnNet.buffers()::set);
        double[] zb = logits(bnNet, r.params(), d.images());
        int lastRows = 0;
        for (int i = 0; i < bn.get("step").length; i++) {
            if (bn.get("step")[i] == last) {
                int p = (int) bn.get("point")[i];
                assertThat(bn.get("output_margin")[i]).isCloseTo(outputMargin(zb, p, d.labels()[p]), within(1e-9));
                assertThat(bn.get("affine_trace_expr")[i]).isFinite().isPositive();
                lastRows++;
            }
        }
        assertThat(lastRows).isEqualTo(40);

        // the report says n/a, and the verdicts leave LeNet out of our affine expression's
        String md = o.section().markdown();
        assertThat(md).contains("| " + LENET + " | the affine expression | + | n/a | n/a | n/a | n/a | n/a |")
                .contains("the affine expression: n/a for `" + LENET + "`");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Map<String, String>>> verdicts =
                (Map<String, Map<String, Map<String, String>>>) o.section().summary().get("verdicts");
        assertThat(verdicts.get("affine_trace_expr").get(DataSets.EMBEDDED)).containsOnlyKeys("affine", bnLabel);
        assertThat(verdicts.get("one_minus_m2").get(DataSets.EMBEDDED)).containsOnlyKeys("affine", LENET, bnLabel);

        // the same models again reuse the run; other models are another configuration
        assertThat(Reproduction.run(List.of(new E2FlatnessVsMargins(tiny)), ctx, false).getFirst().reused()).isTrue();
        assertThat(Reproduction.config(new E2FlatnessVsMargins(tiny), ctx.withArchs(List.of(LENET))))
                .isNotEqualTo(o.config());
    }

    /** E3 with {@code --arch lenet:1x28x28-10 --data cifar10} trains LeNet for 3x32x32 in every run. */
    @Test
    void e3TrainsTheGivenLeNetOnCifar10InEveryRun() throws Exception {
        Path cifar = CifarFiles.writeDir(tmp.resolve("cifar-10-batches-bin"), 13);
        DataSets ds = new DataSets(DataSets.Locations.fromEnvironment().withCifarDir(cifar));
        E3Config tiny = E3Test.TINY.toBuilder().seeds(1).trainPoints(64).testPoints(0).tracePoints(8).build();
        Path out = tmp.resolve("out");
        ReproduceContext ctx = new ReproduceContext(out, 3, Scale.QUICK, ds, DType.F64, Progress.NONE,
                List.of("cifar10")).withArchs(List.of(LENET));
        Reproduction.Outcome o = Reproduction.run(List.of(new E3BatchSize(tiny)), ctx, false).getFirst();
        assertThat(o.config()).containsEntry("arch", "lenet:3x32x32-10").containsEntry("data", DataSets.CIFAR);
        Network net = ModelSpec.parse("lenet:3x32x32-10").network();
        Dataset d = ds.load(DataSets.CIFAR, DataSets.Split.TRAIN).as(DType.F64).as(Dataset.Layout.IMAGES).first(64);
        List<E3Plan.Run> runs = E3Plan.runs(tiny, 64);
        assertThat(runs).hasSize(7);
        for (E3Plan.Run r : runs) {
            Path sd = out.resolve("E3/seed-3");
            // the final parameters are LeNet's for 3x32x32 (a wrong model would not load), and the saved margins
            // are theirs
            Tensor theta = Weights.load(sd.resolve(r.name() + "-final.safetensors"), net, DType.F64);
            double[] z = logits(net, theta, d.images());
            double[] m = ReproduceTest.csv(sd.resolve("margins-" + r.name() + ".csv")).get("output_margin");
            assertThat(m).hasSize(64);
            for (int i = 0; i < 64; i++) {
                assertThat(m[i]).as(r.name()).isCloseTo(outputMargin(z, i, d.labels()[i]), within(1e-10));
            }
        }
    }
}
