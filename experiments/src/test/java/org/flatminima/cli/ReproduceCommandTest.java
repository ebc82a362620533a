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
}
