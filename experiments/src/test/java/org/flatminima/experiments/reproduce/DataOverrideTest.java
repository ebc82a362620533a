package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.CifarFiles;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reproduce --data}: E2 and E3 on another data set, their models adapted to its images. */
class DataOverrideTest {

    @TempDir
    Path tmp;

    @Test
    void modelsGetTheDataInput() {
        assertThat(DataOverride.adaptArch("mlp:784-256-256-10", "cifar10")).isEqualTo("mlp:3072-256-256-10");
        assertThat(DataOverride.adaptArch("affine:784-10", "cifar-10")).isEqualTo("affine:3072-10");
        assertThat(DataOverride.adaptArch(E2Config.CNN_QUICK, "cifar10")).isEqualTo(
                "seq:3x32x32:conv(8,3,pad=1),relu,maxpool(2),conv(16,3,pad=1),relu,maxpool(2),flatten,linear(10)");
        assertThat(ModelSpec.parse(DataOverride.adaptArch(E2Config.CNN_QUICK, "cifar10")).sampleShape())
                .containsExactly(3, 32, 32);
        assertThat(DataOverride.adaptArch("mlp:784-8-10", "fashion-mnist")).isEqualTo("mlp:784-8-10");
        assertThat(DataOverride.adaptArch("mlp:3072-8-10", "mnist")).isEqualTo("mlp:784-8-10");
        assertThatThrownBy(() -> DataOverride.adaptArch("seq:3x32x32:conv(2,30),flatten,linear(10)", "mnist"))
                .isInstanceOf(UserException.class)
                .hasMessageStartingWith("model seq:3x32x32:conv(2,30),flatten,linear(10) does not fit mnist's "
                        + "1x28x28 images as seq:1x28x28:conv(2,30),flatten,linear(10) (")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> DataOverride.names(List.of("cifar10", "CIFAR-10")))
                .hasMessage("--data names cifar-10 twice: give each data set once");
        assertThat(DataOverride.names(List.of(" Cifar10 ", "embedded"))).containsExactly("cifar-10", "embedded");
    }

    @Test
    void e3AndE2ConfigurationsTakeTheData() {
        E3BatchSize e3 = new E3BatchSize();
        e3.overrideData(List.of("cifar-10"));
        assertThat(e3.cfg(Scale.QUICK).data()).isEqualTo("cifar-10");
        assertThat(e3.cfg(Scale.QUICK).arch()).isEqualTo("mlp:3072-128-10");
        assertThat(e3.cfg(Scale.FULL).arch()).isEqualTo(DataOverride.adaptArch(E3Config.full().arch(), "cifar-10"))
                .startsWith("mlp:3072-");
        assertThat(e3.config(Scale.QUICK)).containsEntry("data", "cifar-10");
        assertThat(e3.requiredData(Scale.QUICK)).containsExactly("cifar-10");
        // every other setting is the configuration's own
        E3Config own = E3Config.quick();
        assertThat(e3.cfg(Scale.QUICK).largeBatch()).isEqualTo(own.largeBatch());
        assertThat(e3.cfg(Scale.QUICK).milestoneFractions()).isEqualTo(own.milestoneFractions());

        E2FlatnessVsMargins e2 = new E2FlatnessVsMargins();
        e2.overrideData(List.of("cifar-10"));
        E2Config c = e2.cfg(Scale.FULL);
        assertThat(c.data()).containsExactly("cifar-10");
        assertThat(c.archs()).containsExactly("affine:3072-10", "mlp:3072-256-256-256-256-10",
                "seq:3x32x32:" + E2Config.CNN_FULL.substring("seq:1x28x28:".length()));
        assertThat(c.authorsArch()).isEqualTo("mlp:3072-256-256-256-256-10");
        assertThat(c.lrs()).isEqualTo(E2Config.full().lrs());
        assertThat(c.seeds()).isEqualTo(E2Config.full().seeds());
        e2.overrideData(List.of());
        assertThat(e2.cfg(Scale.FULL).data()).isEqualTo(E2Config.full().data());
    }

    /** Two models on the embedded subset, 30 points, batch 10, one epoch, one seed. */
    private static E2Config tiny() {
        return E2Config.builder().archs("affine:784-10", "mlp:784-8-10").lrs(0.01, 0.05).data(DataSets.EMBEDDED)
                .trainPoints(30).testPoints(6).epochs(1).batchSize(10).checkpoints(2).resamples(10)
                .authorsArch("mlp:784-8-10").authorsPoints(2).build();
    }

    @Test
    void e2RunsOnCifar10WhenReproduceSaysSo() throws Exception {
        Path cifar = CifarFiles.writeDir(tmp.resolve("cifar-10-batches-bin"), 6);
        E2FlatnessVsMargins e2 = new E2FlatnessVsMargins(tiny());
        Path out = tmp.resolve("out");
        ReproduceContext ctx = new ReproduceContext(out, 3, Scale.QUICK,
                new DataSets(DataSets.Locations.fromEnvironment().withCifarDir(cifar)), DType.F64, Progress.NONE,
                List.of("cifar10"));
        assertThat(ctx.data()).containsExactly("cifar-10");
        List<Reproduction.Outcome> o = Reproduction.run(List.of(e2), ctx, false);
        assertThat(o.getFirst().reused()).isFalse();
        assertThat(out.resolve("E2/cifar-10/seed-0/points.csv")).isRegularFile();
        assertThat(out.resolve("E2/embedded")).doesNotExist();
        Map<String, Object> config = o.getFirst().config();
        assertThat(config.get("data")).isEqualTo(List.of("cifar-10"));
        assertThat(config.get("archs")).isEqualTo(List.of("affine:3072-10", "mlp:3072-8-10"));
        // the affine model's exact per-point trace is its closed form on the CIFAR-10 points (as on MNIST)
        Map<String, double[]> p = ReproduceTest.csv(out.resolve("E2/cifar-10/seed-0/points.csv"));
        List<String[]> raw = E2Test.rows(out.resolve("E2/cifar-10/seed-0/points.csv"));
        int affine = 0;
        for (int i = 0; i < raw.size(); i++) {
            if (raw.get(i)[0].equals("affine")) {
                affine++;
                assertThat(p.get("affine_trace_expr")[i]).isCloseTo(p.get("trace")[i],
                        org.assertj.core.data.Offset.offset(1e-10 * Math.abs(p.get("trace")[i])));
            }
        }
        assertThat(affine % 30).isZero();
        assertThat(affine).isGreaterThanOrEqualTo(2 * 30);
        // the same command again reuses it; without --data the configuration differs, so E2 would run again
        E2FlatnessVsMargins again = new E2FlatnessVsMargins(tiny());
        assertThat(Reproduction.run(List.of(again), ctx, false).getFirst().reused()).isTrue();
        E2FlatnessVsMargins own = new E2FlatnessVsMargins(tiny());
        assertThat(Reproduction.config(own, ctx.withData(List.of()))).isNotEqualTo(config);
    }
}
