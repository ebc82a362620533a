package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a class's {@code main} in a fresh JVM (the BLAS library is loaded once per process, so each setting of
 * {@code flatminima.blas} needs its own), without {@code FLATMINIMA_BLAS} in its environment, and returns what it
 * printed; the JVM must exit with 0 within two minutes. Shared with the mkl module's tests (the kernels test-jar).
 */
final class ForkedJvm {

    /** What the JVM printed, trimmed. */
    record Run(String out, String err) {
    }

    private ForkedJvm() {
    }

    static Run run(String classPath, List<String> jvmOptions, Class<?> main) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", classPath));
        cmd.addAll(jvmOptions);
        cmd.add(main.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(BlasSource.ENV);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        String err = new String(p.getErrorStream().readAllBytes()).trim();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        return new Run(out, err);
    }
}
