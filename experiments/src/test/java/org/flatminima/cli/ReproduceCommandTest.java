package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The reproduce command's user errors: one line, exit status 2, nothing written. */
class ReproduceCommandTest {

    @Test
    void unknownExperimentIsOneLineExit2(@TempDir Path dir) {
        CliRun r = CliRun.main("reproduce", "--only", "E1,E9", "--out", dir.resolve("r").toString());
        assertThat(r.status()).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("flatminima: unknown experiment 'E9'");
        assertThat(Files.exists(dir.resolve("r"))).isFalse();
    }

    @Test
    void badScaleIsOneLineExit2(@TempDir Path dir) {
        CliRun r = CliRun.main("reproduce", "--scale", "huge", "--out", dir.toString());
        assertThat(r.status()).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(r.errLines()).containsExactly("flatminima: unknown scale 'huge': use quick or full");
    }

    @Test
    void badSeedIsOneLineExit2(@TempDir Path dir) {
        CliRun r = CliRun.main("reproduce", "--seed", "x1", "--out", dir.resolve("r").toString());
        assertThat(r.status()).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(r.errLines()).containsExactly(
                "flatminima: Invalid value for option '--seed': 'x1' is not a long (see 'flatminima reproduce --help')");
        assertThat(Files.exists(dir.resolve("r"))).isFalse();
    }

    @Test
    void emptyOnlyIsOneLineExit2(@TempDir Path dir) {
        CliRun r = CliRun.main("reproduce", "--only", "E1,,E4", "--out", dir.resolve("r").toString());
        assertThat(r.status()).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(r.errLines()).containsExactly("flatminima: unknown experiment '': use one of E1,E2,E3,E4,E5");
        assertThat(Files.exists(dir.resolve("r"))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"E1", "E4", "E5", "E1,E4,E5"})
    void fullScaleWithoutMnistFailsBeforeAnythingRuns(String only, @TempDir Path dir) throws Exception {
        Path cache = Files.createDirectories(dir.resolve("empty-cache"));
        CliRun r = CliRun.main("reproduce", "--scale", "full", "--only", only, "--cache", cache.toString(),
                "--out", dir.resolve("r").toString());
        assertThat(r.status()).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("flatminima: " + only.substring(0, 2) + " at full scale needs mnist")
                .contains("'flatminima data fetch mnist'", cache.resolve("mnist").toString());
        assertThat(Files.exists(dir.resolve("r"))).isFalse();
    }

    /** --out naming a file (or /dev/null): one line naming it, exit status 1, the file untouched. */
    @Test
    void outNamingAFileIsOneLineExit1(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "mine");
        for (String out : new String[] {file.toString(), "/dev/null"}) {
            CliRun r = CliRun.main("reproduce", "--only", "E1", "--out", out);
            assertThat(r.status()).as(r.err()).isEqualTo(ErrorHandling.EXIT_ENVIRONMENT);
            assertThat(r.errLines()).as(r.err()).containsExactly("flatminima: " + out + ": File exists (and is not a "
                    + "directory) (a directory is needed there: choose another path)");
        }
        assertThat(Files.readString(file)).isEqualTo("mine");
    }

    private static void assertOneLine(CliRun r, Path out, String line) {
        assertThat(r.status()).as(r.err()).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(r.errLines()).as(r.err()).containsExactly(line);
        assertThat(r.out()).isEmpty();
        assertThat(Files.exists(out)).isFalse();
    }

    /** --arch: a spec that does not parse is one line naming it and docs/models.md, before anything runs. */
    @Test
    void archThatDoesNotParseIsOneLineExit2(@TempDir Path dir) {
        Path out = dir.resolve("r");
        CliRun r = CliRun.main("reproduce", "--only", "E2", "--arch", "lenet:1x28x28", "--out", out.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(ErrorHandling.EXIT_USER);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().getFirst()).startsWith("flatminima: --arch lenet:1x28x28 does not parse (spec "
                + "'lenet:1x28x28': lenet needs the input shape and the class count").endsWith(
                "); see docs/models.md for the spec forms");
        assertThat(Files.exists(out)).isFalse();
        assertOneLine(CliRun.main("reproduce", "--only", "E2", "--arch", "lenet:1x28x28-10", "--arch",
                "lenet:1x28x28-10", "--out", out.toString()), out,
                "flatminima: --arch lenet:1x28x28-10 is given twice: give each model once");
    }

    /**
     * --arch is not split at commas (specs contain them): two specs with commas are two models, so E3 refuses them
     * as two, and E2 checks the second one's input against its data sets.
     */
    @Test
    void archSpecsKeepTheirCommasAndAreCheckedAgainstTheExperimentBeforeAnythingRuns(@TempDir Path dir) {
        Path out = dir.resolve("r");
        String cnn = "seq:1x28x28:conv(2,3,pad=1),relu,maxpool(2),flatten,linear(10)";
        assertOneLine(CliRun.main("reproduce", "--only", "E3", "--arch", cnn, "--arch", "mlp:784-8-10,bn,dropout=0.5",
                "--out", out.toString()), out, "flatminima: E3 trains one model: give one --arch, or --only E2");
        assertOneLine(CliRun.main("reproduce", "--only", "E2", "--arch", cnn, "--arch", "lenet:3x32x32-10",
                "--out", out.toString()), out, "flatminima: --arch lenet:3x32x32-10 takes inputs of shape [3, 32, 32] "
                + "but embedded has 1x28x28 images: give a spec for 1x28x28, or add --data to adapt it");
        assertOneLine(CliRun.main("reproduce", "--only", "E2", "--arch", "mlp:784-8-7", "--out", out.toString()), out,
                "flatminima: --arch mlp:784-8-7 has 7 outputs but the data sets have 10 classes: end the spec with -10");
        assertOneLine(CliRun.main("reproduce", "--only", "E1,E4", "--arch", "lenet:1x28x28-10", "--out",
                out.toString()), out, "flatminima: --arch applies to E2 and E3 only: add them to --only, or drop --arch");
        assertThat(CliRun.main("reproduce", "--help").out().replaceAll("\\s+", " ")).contains("--arch=SPEC",
                "repeatable", "learning rate of its own non-affine models (0.05", "E3 takes exactly one");
    }

    /** --standardize and --epochs: bad values and experiments they do not apply to are one line, before anything runs. */
    @Test
    void standardizeAndEpochsAreCheckedBeforeAnythingRuns(@TempDir Path dir) {
        Path out = dir.resolve("r");
        assertOneLine(CliRun.main("reproduce", "--only", "E2", "--standardize", "zscore", "--out", out.toString()), out,
                "flatminima: --standardize zscore is not known: give none, global (the authors' one mean and "
                        + "deviation) or per-pixel");
        assertOneLine(CliRun.main("reproduce", "--only", "E2", "--epochs", "0", "--out", out.toString()), out,
                "flatminima: --epochs 0 is not a number of epochs: give N >= 1");
        assertOneLine(CliRun.main("reproduce", "--only", "E4", "--epochs", "5", "--out", out.toString()), out,
                "flatminima: --epochs applies to E2 and E3 only: add them to --only, or drop --epochs");
        assertOneLine(CliRun.main("reproduce", "--only", "E1", "--standardize", "global", "--out", out.toString()),
                out, "flatminima: --standardize applies to E2 and E3 only: add them to --only, or drop --standardize");
        assertThat(CliRun.main("reproduce", "--help").out().replaceAll("\\s+", " ")).contains(
                "--standardize=none|global|per-pixel", "Normalize((0.1307,), (0.3081,))", "--epochs=N");
    }

    /** --seeds: a bad value is one line before anything runs; a good one sets every experiment's seeds. */
    @Test
    void seedsSetsEveryExperimentsNumberOfNetworks(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("r");
        assertOneLine(CliRun.main("reproduce", "--only", "E1", "--seeds", "0", "--out", out.toString()), out,
                "flatminima: --seeds 0 is not a number of seeds: give N >= 1");
        CliRun r = CliRun.main("reproduce", "--only", "E5", "--seeds", "1", "--out", out.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("--seeds 1: E5 trains 1 network each\n");
        java.util.List<String> rows = java.nio.file.Files.readAllLines(out.resolve("E5/reparametrisation.csv"));
        assertThat(rows.getFirst()).startsWith("seed,alpha,");
        assertThat(rows.stream().skip(1).map(l -> l.split(",")[0]).distinct()).containsExactly("0");
        assertThat(CliRun.main("reproduce", "--help").out().replaceAll("\\s+", " ")).contains("--seeds=N",
                "seed k's network depends only on --seed and k");
    }
}
