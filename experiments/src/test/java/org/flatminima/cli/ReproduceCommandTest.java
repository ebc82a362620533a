package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
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
}
