package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.flatminima.experiments.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryLockTest {

    @TempDir
    Path tmp;

    @Test
    void aSecondHolderInThisJvmIsRefusedWithTheFirstOnesPidAndCommand() throws Exception {
        Path dir = tmp.resolve("run");
        try (DirectoryLock first = DirectoryLock.acquire(dir, "train", "--out")) {
            assertThatThrownBy(() -> DirectoryLock.acquire(dir, "sweep", "--out"))
                    .isInstanceOf(UserException.class)
                    .hasMessageStartingWith("--out " + dir + " is in use by another flatminima process (pid "
                            + ProcessHandle.current().pid() + ", flatminima train, since ")
                    .hasMessageEndingWith("): wait for it to finish, or choose another --out")
                    .hasMessageNotContaining("\n");
        }
        try (DirectoryLock again = DirectoryLock.acquire(dir, "sweep", "--out")) {
            assertThat(again.dir()).isEqualTo(dir.toAbsolutePath().normalize());
        }
    }

    @Test
    void aLockCreatedForNothingLeavesNoDirectoryButResultsKeepTheirs() throws Exception {
        Path empty = tmp.resolve("a/b");
        DirectoryLock.acquire(empty, "reproduce", "--out").close();
        assertThat(empty).doesNotExist();
        assertThat(tmp.resolve("a")).exists(); // only the directory the lock made is removed

        Path used = tmp.resolve("used");
        try (DirectoryLock l = DirectoryLock.acquire(used, "reproduce", "--out")) {
            Files.writeString(used.resolve("report.md"), "x");
        }
        assertThat(used.resolve("report.md")).hasContent("x");
        assertThat(used.resolve(DirectoryLock.NAME)).exists();

        Path existing = Files.createDirectories(tmp.resolve("existing"));
        DirectoryLock.acquire(existing, "train", "--out").close();
        assertThat(existing).isDirectory(); // it was there before: never removed
    }

    @Test
    void aFileIsRefusedAndLeftAsItWas() throws Exception {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        assertThatThrownBy(() -> DirectoryLock.acquire(f, "train", "--out"))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(f).hasContent("x");
    }

    /** Another process holds the lock; once it is killed (no clean-up runs) the lock is free again. */
    @Test
    void anotherProcessIsRefusedUntilItDiesEvenByKill9() throws Exception {
        Path dir = tmp.resolve("shared");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Holder.class.getName(), dir.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertThat(r.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> DirectoryLock.acquire(dir, "rank", "DIR"))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("is in use by another flatminima process (pid " + p.pid() + ", flatminima sweep");
        } finally {
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (DirectoryLock l = DirectoryLock.acquire(dir, "rank", "DIR")) {
            assertThat(Files.readString(dir.resolve(DirectoryLock.NAME)))
                    .startsWith("pid " + ProcessHandle.current().pid() + ", flatminima rank, since ");
        }
    }

    /** The other process of {@link #anotherProcessIsRefusedUntilItDiesEvenByKill9}: locks, says so, waits. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            DirectoryLock.acquire(Path.of(args[0]), "sweep", "--out");
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(120_000);
        }
    }
}
