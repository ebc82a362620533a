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
 * The renderers of E2's, E3's and E4's multi-seed tables on small result files written here, against tables written by hand:
 * formatting of mean ± sd, the verdict marks, the run labels from {@code runs.csv}, any number of seeds and scale.
 */
class SeedTablesTest {

    @TempDir
    Path dir;

    /** One E2 coefficient in the summary's format. */
    static String pearson(String measure, String mean, String sd, String verdict) {
        return "\"pearson_" + measure + "\": {\"mean\": " + mean + ", \"sd\": " + sd + ", \"seeds\": [], "
                + "\"correctMean\": 0.5, \"misclassifiedMean\": -0.1, \"verdict\": \"" + verdict + "\"}";
    }

    /** An E2 model's entry of {@code acrossSeeds}. */
    static String model(String name, String trainAcc, String... pearsons) {
        return "\"" + name + "\": {\"lastStep\": 60, \"trainAccuracyMean\": " + trainAcc + ", "
                + String.join(", ", pearsons) + "}";
    }

    static void e2Marker(Path dir, String scale, String data, String summary) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("done.json"), "{\"id\": \"E2\", \"config\": {\"scale\": \"" + scale
                + "\", \"data\": [" + data + "]}, \"summary\": {" + summary + "}}");
    }

    static final String HEAD = "| data | model | train acc. | `1-m^2` | output margin | affine expr. (ours) "
            + "| affine expr. (authors', raw input) |\n|---|---|--:|---|---|---|---|\n";

    @Test
    void e2PearsonTwoSeedsMeanSdGroupMeansAndVerdictMarks() throws IOException {
        // seeds 0.7350 and 0.7296: mean 0.7323, sample sd |0.7350 - 0.7296| / sqrt(2) = 0.00383
        e2Marker(dir, "quick", "\"embedded\", \"fashion-mnist\"", "\"embedded\": {\"acrossSeeds\": {"
                + model("affine", "0.8525", pearson("one_minus_m2", "0.7323", "0.00383", "holds"),
                        pearson("output_margin", "-0.6431", "3.7E-4", "holds"),
                        pearson("affine_trace_expr", "0.9999999999999999", "1.57E-16", "holds"),
                        pearson("affine_trace_expr_raw", "1.0", "0.0", "holds")) + ", "
                + model("mlp:784-256-256-10", "0.7565", pearson("one_minus_m2", "0.4583", "0.0197", "weak"),
                        pearson("output_margin", "-0.0005", "0.2", "does not hold"),
                        pearson("affine_trace_expr", "0.8705", "0.0115", "holds"),
                        pearson("affine_trace_expr_raw", "0.83", "0.065", "holds"))
                + "}}, \"missingDataSets\": [\"fashion-mnist\"]");
        assertThat(new E2PearsonSeedsTable().render(dir, Map.of("scale", "quick"))).isEqualTo(HEAD
                + "| MNIST subset | affine | 0.853 | 0.732 ± 0.004 (0.500 / −0.100) | −0.643 ± 0.000 | 1.000 ± 0.000 "
                + "| 1.000 ± 0.000 |\n"
                + "| MNIST subset | MLP | 0.757 | 0.458 ± 0.020 (0.500 / −0.100) (weak) "
                + "| −0.001 ± 0.200 (does not hold) | 0.871 ± 0.012 | 0.830 ± 0.065 |\n");
    }

    @Test
    void e2PearsonOneSeedFullScaleMnistAndAnUnknownVerdict() throws IOException {
        // one seed: E2 writes the sd as NaN (Jackson: the string "NaN"); only the mean is shown
        String models = model("cnn", "0.98", pearson("one_minus_m2", "0.9", "\"NaN\"", "holds"),
                pearson("output_margin", "-0.3", "\"NaN\"", "weak"), pearson("affine_trace_expr", "0.95", "\"NaN\"",
                        "holds"), pearson("affine_trace_expr_raw", "0.9", "\"NaN\"", "holds"));
        e2Marker(dir, "full", "\"mnist\"", "\"mnist\": {\"acrossSeeds\": {" + models + "}}");
        assertThat(new E2PearsonSeedsTable().render(dir, Map.of("scale", "full"))).isEqualTo(HEAD
                + "| MNIST | CNN | 0.980 | 0.900 (0.500 / −0.100) | −0.300 (weak) | 0.950 | 0.900 |\n");
        assertThatThrownBy(() -> new E2PearsonSeedsTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class).hasMessageContaining("was run at scale 'full'");

        e2Marker(dir, "full", "\"mnist\"", "\"mnist\": {\"acrossSeeds\": {" + models.replace("\"weak\"", "\"so-so\"")
                + "}}");
        assertThatThrownBy(() -> new E2PearsonSeedsTable().render(dir, Map.of("scale", "full")))
                .isInstanceOf(UserException.class).hasMessageContaining("verdict 'so-so' of pearson_output_margin");
        // a data set of the configuration that is neither in the summary nor reported missing
        e2Marker(dir, "full", "\"mnist\", \"fashion-mnist\"", "\"mnist\": {\"acrossSeeds\": {" + models + "}}");
        assertThatThrownBy(() -> new E2PearsonSeedsTable().render(dir, Map.of("scale", "full")))
                .isInstanceOf(UserException.class).hasMessageContaining("has no object 'fashion-mnist'");
    }

    @Test
    void e2AuthorsEstimatorFirstAndLastStepOfEachDataSet() throws IOException {
        e2Marker(dir, "quick", "\"embedded\"", "");
        Files.writeString(dir.resolve("authors_estimator.csv"), """
                data,model,step,train_acc,points,probes_median,relerr_q1,relerr_median,relerr_q3,relerr_p90,\
                relerr_max,negative_fraction
                embedded,mlp:784-256-256-10,0,0.116,20,2.0,4.36,13.261954281931377,19.28,25.9,37.79,0.75
                embedded,mlp:784-256-256-10,5,0.12,20,3.0,2.8,8.1,13.9,22.9,23.8,0.6
                embedded,mlp:784-256-256-10,60,0.882,20,40.5,0.108,0.19008089166060405,0.5183,0.98,3.986,0.05
                fashion-mnist,mlp:784-256-256-10,0,0.104,200,2.0,2.1,5.660854434111419,14.52,25.5,28.01858,0.125
                """);
        assertThat(new E2AuthorsEstimatorTable().render(dir, Map.of("scale", "quick"))).isEqualTo("""
                | data | model | points | step | train acc | probes (median) | relative error: median / q3 / max \
                | negative estimates |
                |---|---|--:|--:|--:|--:|--:|--:|
                | MNIST subset | `mlp:784-256-256-10` | 20 | 0 | 0.116 | 2 | 13.3 / 19.3 / 37.8 | 75% |
                | MNIST subset | `mlp:784-256-256-10` | 20 | 60 | 0.882 | 40.5 | 0.19 / 0.518 / 3.99 | 5% |
                | Fashion-MNIST | `mlp:784-256-256-10` | 200 | 0 | 0.104 | 2 | 5.66 / 14.5 / 28 | 12.5% |
                """);
    }

    static final String RUNS_HEAD = "run,name,seed,batch,epochs,lr,momentum,schedule,steps,train_acc,diverged_at_step\n";
    static final String[] E3_MEASURES = {"train_acc", "test_acc", "trace", "output_margin_median",
        "normalised_margin_spectral_median", "normalised_margin_frobenius_median", "output_margin_skewness",
        "authors_margin_m3"};

    static void e3Files(Path dir, String runs, String a1Mean, String a1Sd) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("done.json"), "{\"id\": \"E3\", \"config\": {\"scale\": \"quick\"}}");
        StringBuilder s = new StringBuilder("run,name,measure,mean,sd,seeds\n");
        for (String m : E3_MEASURES) {
            s.append("A1,authors-small,").append(m).append(',').append(a1Mean).append(',').append(a1Sd).append(",2\n");
        }
        for (String m : E3_MEASURES) {
            s.append("C4,current-large-steps,").append(m).append(",4.676E-4,2.826E-4,2\n");
        }
        Files.writeString(dir.resolve("summary.csv"), s.toString());
        Files.writeString(dir.resolve("runs.csv"), RUNS_HEAD + runs);
    }

    static final String RUNS = """
            A1,authors-small,0,256,4,0.36,0.0,constant,128,0.9194,-1
            A1,authors-small,1,256,4,0.36,0.0,constant,128,0.9241,-1
            C4,current-large-steps,0,4096,32,0.05,0.9,multistep,64,0.86,-1
            C4,current-large-steps,1,4096,32,0.05,0.9,multistep,64,0.86,-1
            """;

    @Test
    void e3RunsLabelsFromRunsCsvAndMeanToThreeSignificantDigits() throws IOException {
        // A1: seeds 0.9194 and 0.9241 give mean 0.92175 and sample sd 0.0047 / sqrt(2) = 0.003323
        e3Files(dir, RUNS, "0.92175", "0.003323");
        String a1 = " | 0.922 ± 0.003".repeat(E3_MEASURES.length);
        String c4 = " | 0.000468 ± 0.000283".repeat(E3_MEASURES.length);
        assertThat(new E3RunsTable().render(dir, Map.of("scale", "quick"))).isEqualTo("""
                | run | steps | train acc | test acc | trace | output margin (median) | / spectral prod. \
                | / Frobenius prod. | g1 | authors' m3 |
                |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|
                """ + "| A1 B=256, 4 ep, lr 0.36 | 128" + a1 + " |\n"
                + "| C4 B=4096, 32 ep, lr 0.05, mom 0.9 | 64" + c4 + " |\n");

        // another scale's epochs and steps are read, not assumed; a diverged seed is named; one seed has no sd
        e3Files(dir, RUNS.replace(",4,0.36,0.0,constant,128,", ",15,0.36,0.0,constant,3525,")
                .replace("0.9241,-1", "0.9241,17"), "-23.34", "NaN");
        String table = new E3RunsTable().render(dir, Map.of("scale", "quick"));
        assertThat(table.lines().skip(2).findFirst().orElseThrow()).isEqualTo(
                "| A1 B=256, 15 ep, lr 0.36 (diverged: seed 1 at step 17) | 3525" + " | −23.3".repeat(8) + " |");
    }

    @Test
    void e3RunsRefusesSeedsThatDisagreeAndAMissingMeasure() throws IOException {
        e3Files(dir, RUNS.replace("1,256,4,0.36", "1,512,4,0.36"), "0.9", "0.01");
        assertThatThrownBy(() -> new E3RunsTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("run A1 has batch 256 in one seed and 512 in another");
        e3Files(dir, RUNS, "0.9", "0.01");
        Files.writeString(dir.resolve("summary.csv"), Files.readString(dir.resolve("summary.csv"))
                .replace("A1,authors-small,authors_margin_m3", "A1,authors-small,other_measure"));
        assertThatThrownBy(() -> new E3RunsTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class).hasMessageContaining("no row of run A1 for measure 'authors_margin_m3'");
        e3Files(dir, RUNS.replace("A1,", "A9,"), "0.9", "0.01");
        assertThatThrownBy(() -> new E3RunsTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class).hasMessageContaining("runs.csv has no row of run A1");
    }

    /** E4's scaling.csv with two seeds of one data set and one of another (written here, the format E4 writes). */
    private static final String E4_SEEDS = """
            data,seed,alpha,train_acc,test_acc,predictions_changed,output_margin_median,spectral_norm_product,\
            normalised_margin_median,trace_exact_ggn,top_eigenvalue
            mnist,0,0.25,1.0,0.95,0,2.0,1.0,0.43,68.0,4.9
            mnist,0,1.0,1.0,0.95,0,8.0,4.0,0.43,8.0,0.5
            mnist,1,0.25,1.0,0.96,0,2.2,1.0,0.41,70.0,5.1
            mnist,1,1.0,1.0,0.96,2,8.8,4.0,0.41,9.0,0.7
            fashion-mnist,0,0.25,1.0,0.86,0,3.3,1.0,0.15,44.0,3.2
            """;

    @Test
    void e4SeedsMeanSdPerAlphaAndTheMostPredictionsChanged() throws IOException {
        DocRenderersTest.marker(dir, "E4", "full", "");
        Files.writeString(dir.resolve("scaling.csv"), E4_SEEDS);
        // trace 68, 70: mean 69, sd sqrt(2) = 1.414; top 4.9, 5.1: 5.0 ± 0.1414; test acc 0.955 ± 0.00707 (the sd to
        // the mean's last decimal, the mean to 3 significant digits without padding zeros)
        assertThat(new E4SeedsTable().render(dir, Map.of("scale", "full", "data", "mnist"))).isEqualTo("""
                | alpha | seeds | test acc | predictions changed (most) | normalised margin | trace | top eigenvalue |
                |---|--:|---|--:|---|---|---|
                | 1/4 | 2 | 0.955 ± 0.007 | 0 | 0.42 ± 0.01 | 69.0 ± 1.4 | 5.0 ± 0.1 |
                | 1 | 2 | 0.955 ± 0.007 | 2 | 0.42 ± 0.01 | 8.5 ± 0.7 | 0.6 ± 0.1 |
                """);
        // one seed: the mean alone
        assertThat(new E4SeedsTable().render(dir, Map.of("scale", "full", "data", "fashion-mnist")))
                .endsWith("| 1/4 | 1 | 0.86 | 0 | 0.15 | 44.0 | 3.2 |\n");
        // e4-scaling picks one seed's rows (seed 0 by default) and refuses a seed the file does not have
        assertThat(new E4ScalingTable().render(dir, Map.of("scale", "full", "data", "mnist", "seed", "1")))
                .contains("| 1 | 1 | 0.96 | 2 | 8.8 | 0.41 | 9 | 0.7 |");
        assertThat(new E4ScalingTable().render(dir, Map.of("scale", "full", "data", "mnist")))
                .contains("| 1 | 1 | 0.95 | 0 | 8 | 0.43 | 8 | 0.5 |").doesNotContain("8.8");
        assertThatThrownBy(() -> new E4ScalingTable().render(dir, Map.of("scale", "full", "data", "mnist", "seed", "2")))
                .isInstanceOf(UserException.class).hasMessageContaining("no rows of seed 2 (it has seeds [0, 1])");
        // a file from before seeds has no seed column: e4-seeds needs it, e4-scaling takes it as seed 0
        Files.writeString(dir.resolve("scaling.csv"), E4_SEEDS.replace("data,seed,", "data,")
                .replaceAll("(?m)^(mnist|fashion-mnist),[01],", "$1,").replace("mnist,1.0,1.0,0.96,2", "mnist,9.0,1.0,0.96,2")
                .replace("mnist,0.25,1.0,0.96", "mnist,4.0,1.0,0.96"));
        assertThatThrownBy(() -> new E4SeedsTable().render(dir, Map.of("scale", "full", "data", "mnist")))
                .isInstanceOf(UserException.class).hasMessageContaining("no column 'seed'");
        assertThatThrownBy(() -> new E4ScalingTable().render(dir, Map.of("scale", "full", "data", "mnist", "seed", "1")))
                .isInstanceOf(UserException.class).hasMessageContaining("has no seed column");
    }

    @Test
    void e5TakesOneSeedsRowsSeedZeroByDefault() throws IOException {
        DocRenderersTest.marker(dir, "E5", "quick", "");
        Files.writeString(dir.resolve("reparametrisation.csv"), """
                seed,alpha,logits_max_abs_diff,normalised_margin_median,normalised_margin_max_rel_diff,trace_exact_ggn,\
                top_eigenvalue
                0,0.5,0.0,0.2,0.0,168.27,21.342
                0,1.0,0.0,0.2,0.0,73.792,9.7985
                1,0.5,0.0,0.3,0.0,150.0,20.0
                1,1.0,0.0,0.3,0.0,70.0,9.0
                """);
        String head = "| alpha | 1/2 | 1 |\n|---|---|---|\n";
        assertThat(new E5ReparametrisationTable().render(dir, Map.of("scale", "quick")))
                .isEqualTo(head + "| trace (exact-ggn) | 168.27 | 73.792 |\n| top eigenvalue | 21.342 | 9.7985 |\n");
        assertThat(new E5ReparametrisationTable().render(dir, Map.of("scale", "quick", "seed", "1")))
                .isEqualTo(head + "| trace (exact-ggn) | 150 | 70 |\n| top eigenvalue | 20 | 9 |\n");
    }

    @Test
    void e1SeedsAFinalRowPerSeedWithTheLargestDifferencesAndE1TracesTakesASeed() throws IOException {
        DocRenderersTest.marker(dir, "E1", "quick", "\"trainPoints\": 2000, \"hvpPoints\": 50, \"seeds\": 2");
        Files.writeString(dir.resolve("traces.csv"), """
                seed,step,train_acc,trace_closed_form,trace_exact_ggn,reldiff_whole_ggn,reldiff_point_ggn_max,\
                subset_trace_closed_form,subset_trace_exact_hvp,reldiff_whole_hvp,reldiff_point_hvp_max
                0,0,0.0575,79.36981234,79.36981234,0.0,7.6e-16,80.1,80.1,2.1e-15,1.25e-14
                0,60,0.8800,12.5,12.5,3.0e-16,9.1e-16,11.0,11.0,1.0e-15,2.0e-15
                1,0,0.1100,81.0,81.0,1.0e-16,2.0e-16,82.0,82.0,0.0,3.0e-15
                1,60,0.8712345,13.25,13.25,0.0,5.5e-16,12.0,12.0,4.0e-15,1.0e-15
                """);
        assertThat(new E1SeedsTable().render(dir, Map.of("scale", "quick"))).isEqualTo("""
                | seed | checkpoints | final train acc | trace at step 0 | final trace | largest rel. diff exact-ggn, \
                whole / worst point | largest rel. diff exact-hvp (50 pts), whole / worst point |
                |--:|--:|---|---|---|---|---|
                | 0 | 2 | 0.88 | 79.3698 | 12.5 | 3.0e-16 / 9.1e-16 | 2.1e-15 / 1.3e-14 |
                | 1 | 2 | 0.8712 | 81 | 13.25 | 1.0e-16 / 5.5e-16 | 4.0e-15 / 3.0e-15 |
                """);
        assertThat(new E1TracesTable().render(dir, Map.of("scale", "quick", "seed", "1")))
                .contains("| 0 | 0.11 | 81 |", "| 60 | 0.8712 | 13.25 |").doesNotContain("79.3698");
        assertThat(new E1TracesTable().render(dir, Map.of("scale", "quick"))).contains("| 0 | 0.0575 | 79.3698 |")
                .doesNotContain("| 81 |");
        assertThatThrownBy(() -> new E1TracesTable().render(dir, Map.of("scale", "quick", "seed", "2")))
                .isInstanceOf(UserException.class).hasMessageEndingWith("has no rows of seed 2 (it has seeds [0, 1]): "
                        + "correct the marker's seed option");
        // a file from before seeds: e1-traces takes it as seed 0, e1-seeds refuses it
        Files.writeString(dir.resolve("traces.csv"), """
                step,train_acc,trace_closed_form,trace_exact_ggn,reldiff_whole_ggn,reldiff_point_ggn_max,\
                subset_trace_closed_form,subset_trace_exact_hvp,reldiff_whole_hvp,reldiff_point_hvp_max
                0,0.0575,79.36981234,79.36981234,0.0,7.6e-16,80.1,80.1,2.1e-15,1.25e-14
                """);
        assertThat(new E1TracesTable().render(dir, Map.of("scale", "quick"))).contains("| 0 | 0.0575 | 79.3698 |");
        assertThatThrownBy(() -> new E1SeedsTable().render(dir, Map.of("scale", "quick")))
                .isInstanceOf(UserException.class)
                .hasMessageEndingWith("has no seed column (one seed, written before E1 had seeds): use e1-traces for it");
    }
}
