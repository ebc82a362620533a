package org.flatminima.experiments.reproduce.doc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each renderer on small result files written here, against tables written by hand (the means and standard deviations
 * of the sweep table computed by hand in the comments).
 */
class DocRenderersTest {

    @TempDir
    Path dir;

    static void marker(Path dir, String id, String scale, String config) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("done.json"), "{\"id\": \"" + id + "\", \"config\": {\"scale\": \"" + scale + "\""
                + (config.isEmpty() ? "" : ", " + config) + "}, \"markdown\": \"...\"}");
    }

    @Test
    void e1TracesHeaderCountsFromTheMarkerAndNumbersFormatted() throws IOException {
        marker(dir, "E1", "quick", "\"trainPoints\": 2000, \"hvpPoints\": 50");
        Files.writeString(dir.resolve("traces.csv"), """
                step,train_acc,trace_closed_form,trace_exact_ggn,reldiff_whole_ggn,reldiff_point_ggn_max,\
                subset_trace_closed_form,subset_trace_exact_hvp,reldiff_whole_hvp,reldiff_point_hvp_max
                0,0.0575,79.36981234,79.36981234,0.0,7.6234e-16,80.1,80.1,2.0999e-15,1.25e-14
                60,0.848,44.85474,44.85474,1.8e-16,1.3e-14,40.0,40.0,3.64e-15,2.2e-14
                """);
        assertThat(new E1TracesTable().render(dir, Map.of("scale", "quick"))).isEqualTo("""
                | step | train acc | trace (closed form, 2,000 pts) | rel. diff exact-ggn, whole / worst point \
                | rel. diff exact-hvp (50 pts), whole / worst point |
                |---|---|---|---|---|
                | 0 | 0.0575 | 79.3698 | 0 / 7.6e-16 | 2.1e-15 / 1.3e-14 |
                | 60 | 0.848 | 44.8547 | 1.8e-16 / 1.3e-14 | 3.6e-15 / 2.2e-14 |
                """);
    }

    @Test
    void theMarkerMustBeTheExperimentsAndOfTheStatedScale() throws IOException {
        marker(dir, "E1", "full", "\"trainPoints\": 2000, \"hvpPoints\": 50");
        assertThatThrownBy(() -> new E1TracesTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class).hasMessageContaining("was run at scale 'full', the marker says 'quick'");
        marker(dir, "E4", "quick", "");
        assertThatThrownBy(() -> new E1TracesTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class).hasMessageContaining("is the marker of 'E4', not of E1");
    }

    @Test
    void e4ScalingOneDataSetFractionsAndRoundOff() throws IOException {
        marker(dir, "E4", "quick", "");
        Files.writeString(dir.resolve("scaling.csv"), """
                data,alpha,train_acc,test_acc,predictions_changed,output_margin_median,spectral_norm_product,\
                normalised_margin_median,trace_exact_ggn,top_eigenvalue
                embedded,0.25,1.0,0.8405,0,1.53362,2.6,0.586712,74.8931,6.64731
                embedded,32.0,1.0,0.8405,0,196.3005,333.0,0.586712,1.9345e-15,9.18e-16
                fashion-mnist,0.25,1.0,0.801,0,1.0,1.0,0.2685,53.3,5.76
                """);
        String head = "| alpha | train acc | test acc | predictions changed | output margin | normalised margin | trace "
                + "| top eigenvalue |\n|---|---|---|---|---|---|---|---|\n";
        assertThat(new E4ScalingTable().render(dir, Map.of("scale", "quick"))).isEqualTo(head
                + "| 1/4 | 1 | 0.8405 | 0 | 1.5336 | 0.58671 | 74.893 | 6.6473 |\n"
                + "| 32 | 1 | 0.8405 | 0 | 196.3 | 0.58671 | 1.9e-15 | 9.2e-16 |\n");
        assertThat(new E4ScalingTable().render(dir, Map.of("scale", "quick", "data", "fashion-mnist")))
                .isEqualTo(head + "| 1/4 | 1 | 0.801 | 0 | 1 | 0.2685 | 53.3 | 5.76 |\n");
        assertThatThrownBy(() -> new E4ScalingTable().render(dir, Map.of("scale", "quick", "data", "mnist")))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("no rows of data set 'mnist' (it has [embedded, fashion-mnist])");
    }

    @Test
    void e5OneColumnPerAlpha() throws IOException {
        marker(dir, "E5", "quick", "");
        Files.writeString(dir.resolve("reparametrisation.csv"), """
                alpha,logits_max_abs_diff,normalised_margin_median,normalised_margin_max_rel_diff,trace_exact_ggn,\
                top_eigenvalue
                0.125,0.0,0.5,0.0,2287.3401,296.5912
                1.0,0.0,0.5,0.0,73.79204,9.798512
                8.0,0.0,0.5,0.0,1018.149,169.1549
                """);
        assertThat(new E5ReparametrisationTable().render(dir, Map.of("scale", "quick"))).isEqualTo("""
                | alpha | 1/8 | 1 | 8 |
                |---|---|---|---|
                | trace (exact-ggn) | 2287.3 | 73.792 | 1018.1 |
                | top eigenvalue | 296.59 | 9.7985 | 169.15 |
                """);
    }

    @Test
    void aMissingColumnIsOneLineNamingIt() throws IOException {
        marker(dir, "E5", "quick", "");
        Files.writeString(dir.resolve("reparametrisation.csv"), "alpha,trace\n1.0,2.0\n");
        assertThatThrownBy(() -> new E5ReparametrisationTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class)
                .satisfies(e -> assertThat(e.getMessage()).endsWith("reparametrisation.csv has no column "
                        + "'trace_exact_ggn': the renderer needs it; the file's format changed, so update the renderer "
                        + "or the file").doesNotContain("\n"));
        Files.delete(dir.resolve("reparametrisation.csv"));
        assertThatThrownBy(() -> new E5ReparametrisationTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class).hasMessageContaining("no result file ")
                .hasMessageContaining("reparametrisation.csv");
    }

    static final String SWEEP_HEAD = "run_id,status,seed,step,batch_size,lr,weight_decay,train_accuracy,test_accuracy,"
            + "gap_accuracy,trace,output_margin_median,top_eigenvalue\n";

    @Test
    void sweepConfigurationsMeansAndSampleSdOverSeedsAtTheLastStep() throws IOException {
        Files.writeString(dir.resolve("table.csv"), SWEEP_HEAD
                // configuration (256, 0.1, 0): seeds a, b, c at their last step 100; a's step 10 is not taken
                + "a,finished,0,10,256,0.1,0.0,0.5,0.5,0.0,999,999,999\n"
                + "a,finished,0,100,256,0.1,0.0,0.99,0.98,0.01,10.0,5.0,1.0\n"
                + "b,finished,1,100,256,0.1,0.0,0.98,0.96,0.02,20.0,6.0,2.0\n"
                + "c,finished,2,100,256,0.1,0.0,0.97,0.94,0.03,30.0,7.0,3.0\n"
                // configuration (4096, 0.1, 5e-4): d and e; f diverged and is left out
                + "d,finished,0,9,4096,0.1,0.0005,0.9,0.9,0.0,100.0,1.0,10.0\n"
                + "e,finished,1,9,4096,0.1,0.0005,0.8,0.9,-0.1,200.0,2.0,20.0\n"
                + "f,diverged,2,9,4096,0.1,0.0005,NaN,NaN,NaN,NaN,NaN,NaN\n");
        // (256): means 0.98, 0.96, 0.02, 20, 6, 2; sd of the gaps 0.01, 0.02, 0.03 with divisor 2: 0.01
        // (4096): means 0.85, 0.9, -0.05, 150, 1.5, 15; sd of 0 and -0.1 with divisor 1: sqrt(0.005) = 0.0707
        assertThat(new SweepConfigurationsTable().render(dir, Map.of())).isEqualTo("""
                | batch | lr | wd | seeds | steps | train acc | test acc | gap ± sd | trace | output margin (median) \
                | top eigenvalue |
                |--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|
                | 256 | 0.1 | 0 | 3 | 100 | 0.9800 | 0.9600 | 0.0200 ± 0.0100 | 20.0 | 6.00 | 2 |
                | 4096 | 0.1 | 5e-4 | 2 | 9 | 0.8500 | 0.9000 | -0.0500 ± 0.0707 | 150.0 | 1.50 | 15 |
                """);
    }

    @Test
    void sweepConfigurationsRefusesASweepThatVariesAnotherAxis() throws IOException {
        Files.writeString(dir.resolve("table.csv"), "arch," + SWEEP_HEAD
                + "mlp:784-10,a,finished,0,1,256,0.1,0.0,1,1,0,1,1,1\n"
                + "mlp:784-20-10,b,finished,0,1,256,0.1,0.0,1,1,0,1,1,1\n");
        assertThatThrownBy(() -> new SweepConfigurationsTable().render(dir, Map.of()))
                .isInstanceOf(UserException.class).hasMessageContaining("the sweep also varies 'arch'");
    }

    @Test
    void sweepRankingTheSelectedMeasuresInTheFilesOrder() throws IOException {
        StringBuilder csv = new StringBuilder("measure,expected_sign,tau,tau_low,tau_high,verdict,psi\n");
        csv.append("output_margin_mean,1,0.9,0.8,1.0,as expected,0.5\n"); // not selected: left out
        int i = 0;
        for (String m : SweepRankingTable.SELECTED.keySet()) {
            double tau = -0.8 + 0.1 * i++;
            csv.append(m).append(",-1,").append(tau).append(",-0.99951,0.2,inconclusive,0.0\n");
        }
        Files.writeString(dir.resolve("rank.csv"), csv.toString());
        String table = new SweepRankingTable().render(dir, Map.of());
        assertThat(table.lines()).hasSize(2 + SweepRankingTable.SELECTED.size());
        assertThat(table.lines().skip(2).findFirst().orElseThrow())
                .isEqualTo("| 1 - m² (mean) | -0.800 | [-1.000, 0.200] | 0.000 | inconclusive |");
        assertThat(table.lines().skip(10).findFirst().orElseThrow())
                .isEqualTo("| trace of the mean loss | 0.000 | [-1.000, 0.200] | 0.000 | inconclusive |");
        assertThat(table).doesNotContain("output margin (mean)");

        Files.writeString(dir.resolve("rank.csv"), csv.toString().replace("\ntop_eigenvalue,", "\ntop_eig,"));
        assertThatThrownBy(() -> new SweepRankingTable().render(dir, Map.of())).isInstanceOf(UserException.class)
                .hasMessageContaining("has no row for measure 'top_eigenvalue'");
    }
}
