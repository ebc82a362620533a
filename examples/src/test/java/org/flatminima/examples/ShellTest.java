package org.flatminima.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code ./flatminima shell} with a few lines piped in: the engine is on the class path, the JVM options let it
 * run, and the startup script's imports ({@code Var}, {@code Tensor}, {@code F64}, {@code Autodiff},
 * {@code Correlation}) are there. Uses the runnable jar that {@code mvn verify} has just built (no build of its
 * own); skipped when that jar or jshell is missing.
 */
class ShellTest {

    @Test
    void pipedSnippetsRunWithTheEngineAndTheImports() throws Exception {
        Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
        Path launcher = root.resolve("flatminima");
        Path jar = root.resolve("experiments/target/flatminima.jar");
        assumeTrue(Files.isExecutable(launcher), "no launcher at " + launcher);
        assumeTrue(Files.isRegularFile(jar), "no runnable jar at " + jar + " (run mvn verify from the root)");
        assumeTrue(Files.isExecutable(Path.of(System.getProperty("java.home"), "bin", "jshell")),
                "this JDK has no jshell");

        String input = String.join("\n",
                "var x = Var.of(Tensor.of(F64, new double[] {1, 2, 3}, 3));",
                "System.out.println(\"grad=\" + java.util.Arrays.toString("
                        + "Autodiff.grad(v -> v.square().sum(), x).value().toDoubleArray()));",
                "System.out.println(\"hvp=\" + java.util.Arrays.toString("
                        + "Autodiff.hvp(v -> v.exp().sum(), x, x).value().toDoubleArray()));",
                "System.out.println(\"tau=\" + Correlation.kendallTauB(new double[] {1, 2, 3, 4}, "
                        + "new double[] {1, 3, 2, 4}));",
                "/exit", "");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "shell").redirectErrorStream(true);
        pb.environment().put("FLATMINIMA_NO_BUILD", "1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.println(text);
        assertThat(p.exitValue()).as(text).isZero();
        // d/dx sum(x^2) = 2x; H of sum(exp(x)) is diag(exp(x)), so H x = exp(x) * x; tau-b of one swap in 4 = 2/3
        assertThat(text).contains("grad=[2.0, 4.0, 6.0]");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("hvp=\\[([^]]*)]").matcher(text);
        assertThat(m.find()).as(text).isTrue();
        double[] hvp = java.util.Arrays.stream(m.group(1).split(", ")).mapToDouble(Double::parseDouble).toArray();
        assertThat(hvp).containsExactly(new double[] {Math.exp(1), 2 * Math.exp(2), 3 * Math.exp(3)},
                org.assertj.core.api.Assertions.within(1e-12));
        assertThat(text).contains("tau=0.6666666666666666");
        assertThat(text).doesNotContain("cannot find symbol").doesNotContain("Exception");
    }
}
