package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.flatminima.engine.Engine;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.CheckedBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} in child JVMs killed with SIGKILL at seeded random moments (and during a checkpoint write, held
 * open by a test hook), then resumed: the final model and metrics.csv must equal those of an uninterrupted run
 * byte for byte, with no temporary file left (on the scalar backend, whose arithmetic does not depend on the JIT
 * state of a fresh JVM). And SIGTERM through the launcher's exec path stops the JVM itself
 * at a step boundary with exit status 143.
 */
class TrainCrashTest {
    static final String[] RUN = {"train", "--arch", "mlp:784-16-10", "--limit", "200", "--epochs", "3",
        "--batch-size", "20", "--checkpoint-every", "3", "--log-every", "5", "--threads", "1"};

    @TempDir
    Path tmp;

    /** java, the JVM flags, the test class path and the CLI's main class. */
    static List<String> jvm(String... props) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(Arrays.asList(props));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.flatminima.cli.Main"));
        return cmd;
    }

    static Process start(List<String> cmd, Path log) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                log.toFile())).start();
    }

    /** True while a checkpoint is half-written: a temporary file, or an optimiser file without its model. */
    static boolean midCheckpoint(Path ckpts) {
        if (!Files.isDirectory(ckpts)) {
            return false;
        }
        try (Stream<Path> files = Files.list(ckpts)) {
            return files.map(p -> p.getFileName().toString()).anyMatch(n -> n.endsWith(".tmp")
                    || n.endsWith(".optim.safetensors")
                    && !Files.exists(ckpts.resolve(n.replace(".optim.safetensors", ".safetensors"))));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false; // a file vanished while listing: look again
        }
    }

    /** How many checkpoints of {@code run} are whole (their checksum file, written last, exists). */
    static int sidecars(Path run) {
        try (Stream<Path> files = Files.list(run.resolve("checkpoints"))) {
            return (int) files.filter(f -> f.getFileName().toString().matches("step-\\d+\\.sha256")).count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    static List<String> strays(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
        }
    }

    @Test
    void killedAtRandomMomentsAndResumedEndsBitIdenticalWithNoStrayFiles() throws Exception {
        Path reference = tmp.resolve("reference");
        List<String> refArgs = new ArrayList<>(Arrays.asList(RUN));
        refArgs.addAll(List.of("--out", reference.toString()));
        // the scalar backend: plain Java arithmetic, the same in every JIT state (see docs/runs.md)
        CliRun ref = Engine.with(CheckedBackend.wrap(Backends.get("scalar")),
                () -> CliRun.main(refArgs.toArray(String[]::new)));
        assertThat(ref.status()).as(ref.err()).isZero();

        Path run = tmp.resolve("crashed");
        Path log = tmp.resolve("children.log");
        Random rnd = new Random(Long.getLong("flatminima.test.crashSeed", 20261202));
        int kills = 0;
        int midWrite = 0;
        for (int i = 0; i < 4; i++) {
            List<String> cmd = jvm("-Dflatminima.backend=scalar", "-Dflatminima.test.checkpointPauseMillis=60");
            cmd.addAll(Arrays.asList(RUN));
            cmd.addAll(List.of("--out", run.toString()));
            if (Files.exists(run.resolve("config.json"))) {
                cmd.add("--resume");
            }
            int before = sidecars(run);
            Process p = start(cmd, log);
            // the moment: i = 0 anywhere from the start (JVM start-up, data loading, the first steps); i = 1, 3
            // inside a checkpoint write; i = 2 a random time after this child's first checkpoint
            boolean duringWrite = i % 2 == 1;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long killAt = i == 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(rnd.nextInt(1500)) : Long.MAX_VALUE;
            boolean hit = false;
            boolean progressed = false; // after this child's first checkpoint, what a crash left was cleaned up
            while (p.isAlive() && System.nanoTime() < Math.min(until, killAt) && !hit) {
                if (!progressed && i > 0 && sidecars(run) > before) {
                    progressed = true;
                    killAt = duringWrite ? Long.MAX_VALUE
                            : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(rnd.nextInt(300));
                }
                hit = duringWrite && progressed && midCheckpoint(run.resolve("checkpoints"));
                Thread.sleep(hit ? 0 : 2);
            }
            if (!p.isAlive()) {
                assertThat(p.exitValue()).as(Files.readString(log)).isZero();
                break; // it finished before the kill
            }
            midWrite += hit ? 1 : 0;
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(137);
            kills++;
        }
        List<String> last = new ArrayList<>(jvm("-Dflatminima.backend=scalar"));
        last.addAll(Arrays.asList(RUN));
        last.addAll(List.of("--out", run.toString(), "--resume"));
        Process p = start(last, log);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(log)).isZero();

        System.out.printf("crash test: %d kills (%d during a checkpoint write), final model bit-identical: %s, "
                + "stray files: %d%n", kills, midWrite, Arrays.equals(Files.readAllBytes(run.resolve(
                "model.safetensors")), Files.readAllBytes(reference.resolve("model.safetensors"))), strays(run).size());
        assertThat(kills).isEqualTo(4);
        assertThat(midWrite).isEqualTo(2);
        assertThat(Files.readAllBytes(run.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(reference.resolve("model.safetensors")));
        assertThat(Files.readString(run.resolve("metrics.csv")))
                .isEqualTo(Files.readString(reference.resolve("metrics.csv")));
        assertThat(strays(run)).isEmpty();
        try (Stream<Path> files = Files.list(run.resolve("checkpoints"))) {
            // every checkpoint is whole: model, optimiser state and checksums
            List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
            assertThat(names.stream().map(n -> n.replaceFirst("\\..*", "")).distinct()
                    .allMatch(s -> Stream.of(".safetensors", ".optim.safetensors", ".sha256")
                            .allMatch(x -> names.contains(s + x)))).as("checkpoint files %s", names).isTrue();
        }
    }

    @Test
    void sigtermThroughTheLauncherStopsTheJvmAtAStepBoundaryWithStatus143() throws Exception {
        Path lib = Path.of("").toAbsolutePath().getParent().resolve("scripts/flatminima-lib.sh");
        assumeTrue(Files.isRegularFile(lib) && new File("/bin/bash").canExecute(), "needs bash and the launcher");
        Path run = tmp.resolve("signalled");
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c", ". \"$0\"; fm_exec_filtered \"$@\"",
                lib.toString()));
        cmd.addAll(jvm());
        cmd.addAll(List.of("train", "--arch", "mlp:784-16-10", "--limit", "200", "--batch-size", "20",
                "--epochs", "2000000000", "--checkpoint-every", "1", "--log-every", "5", "--threads", "1",
                "--out", run.toString()));
        Path out = tmp.resolve("signalled.out");
        Path err = tmp.resolve("signalled.err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (p.isAlive() && System.nanoTime() < until
                && (!Files.exists(run.resolve("metrics.csv")) || Files.readAllLines(run.resolve("metrics.csv")).size() < 3)) {
            Thread.sleep(20);
        }
        assertThat(p.isAlive()).as(Files.readString(err)).isTrue();
        long pid = p.pid();
        p.destroy(); // SIGTERM to the launcher's process id, which exec made the JVM's
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(143);
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        Thread.sleep(200); // the stderr filter ends right after the JVM
        String e = Files.readString(err);
        assertThat(e).contains("stopped by a signal after step", "continue with --resume", "--checkpoint-every 1 writes")
                .doesNotContain("WARNING: Using incubator modules");
        long step = Long.parseLong(e.replaceAll("(?s).*stopped by a signal after step (\\d+).*", "$1"));
        assertThat(run.resolve(String.format("checkpoints/step-%08d.sha256", step))).isRegularFile();
        assertThat(strays(run)).isEmpty();
    }
}
