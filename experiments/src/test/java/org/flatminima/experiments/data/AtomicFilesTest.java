package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link AtomicFiles} replaces, refuses, leaves behind and cleans up. */
class AtomicFilesTest {

    @TempDir
    Path dir;

    private static void write(Path p, String text) throws IOException {
        AtomicFiles.write(p, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private Set<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void aSymbolicLinkIsWrittenThroughAndStaysALink() throws IOException {
        Path target = dir.resolve("real.json");
        Files.writeString(target, "old");
        Path link = dir.resolve("link.json");
        Files.createSymbolicLink(link, Path.of("real.json")); // relative, as users make them
        write(link, "new");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(target)).isEqualTo("new");
        // a dangling link creates the file it names
        Path dangling = dir.resolve("dangling.json");
        Files.createSymbolicLink(dangling, dir.resolve("made.json"));
        write(dangling, "made");
        assertThat(Files.isSymbolicLink(dangling)).isTrue();
        assertThat(Files.readString(dir.resolve("made.json"))).isEqualTo("made");
    }

    @Test
    void directoriesFifosAndDevicesAreRefusedAndLeftAlone() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> write(empty, "x")).isInstanceOf(FileSystemException.class)
                .hasMessage(empty + ": Is a directory");
        assertThat(Files.isDirectory(empty)).isTrue();
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertThatThrownBy(() -> write(fifo, "x")).isInstanceOf(FileSystemException.class)
                .hasMessageContaining("Not a regular file");
        assertThat(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.exists(fifo, LinkOption.NOFOLLOW_LINKS)).isTrue();
        // a device, and a link to one: only attributes are read, never written
        assertThatThrownBy(() -> AtomicFiles.destination(Path.of("/dev/null")))
                .hasMessage("/dev/null: Not a regular file but a FIFO, socket or device");
        Path toDevice = dir.resolve("to-null");
        Files.createSymbolicLink(toDevice, Path.of("/dev/null"));
        assertThatThrownBy(() -> AtomicFiles.destination(toDevice)).hasMessageContaining("Not a regular file");
        assertThatThrownBy(() -> AtomicFiles.destination(Path.of("/"))).hasMessage("/: Is a directory");
        assertThat(names()).containsExactlyInAnyOrder("empty", "fifo", "to-null");
    }

    @Test
    void aFullDiskNamesTheTargetKeepsItsOldContentAndLeavesNoTemporary() throws IOException {
        Path target = dir.resolve("result.json");
        Files.writeString(target, "previous");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]); // half written, then the disk is full
            throw new IOException("No space left on device");
        })).isInstanceOf(FileSystemException.class).hasMessage(target + ": No space left on device");
        assertThat(Files.readString(target)).isEqualTo("previous");
        assertThat(names()).containsExactly("result.json");
    }

    @Test
    void otherWriterErrorsPassUnchanged() {
        assertThatThrownBy(() -> AtomicFiles.write(dir.resolve("x"), out -> {
            throw new java.io.EOFException("a format error");
        })).isExactlyInstanceOf(java.io.EOFException.class);
    }

    /** The permissions a new file gets from this process's umask. */
    private Set<PosixFilePermission> umaskPermissions() throws IOException {
        Path probe = dir.resolve("probe");
        try (OutputStream o = Files.newOutputStream(probe)) {
            o.write(1);
        }
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(probe);
        Files.delete(probe);
        return p;
    }

    @Test
    void everyWrittenFileGetsTheUmasksPermissions() throws IOException {
        Set<PosixFilePermission> expected = umaskPermissions();
        Path json = dir.resolve("a.json");
        write(json, "{}");
        assertThat(Files.getPosixFilePermissions(json)).isEqualTo(expected);
        // safetensors files (models, checkpoints) too; they used to be owner-only
        Network net = ModelSpec.parse("affine:4-2").network();
        Path model = dir.resolve("model.safetensors");
        Weights.save(model, net, net.initParams(DType.F32, 1), Map.of("format", "pt"));
        assertThat(Files.getPosixFilePermissions(model)).isEqualTo(expected);
    }

    @Test
    void staleTemporariesOfOurPatternAreRemovedByTheNextWriteOthersStay() throws IOException {
        FileTime old = FileTime.from(Instant.now().minus(AtomicFiles.STALE).minusSeconds(60));
        Path stale = Files.writeString(dir.resolve(".result.json.123456789.tmp"), "half");
        Files.setLastModifiedTime(stale, old);
        Path fresh = Files.writeString(dir.resolve(".result.json.987654321.tmp"), "in progress elsewhere");
        Path otherName = Files.writeString(dir.resolve(".other.csv.42.tmp"), "half");
        Files.setLastModifiedTime(otherName, old);
        Path plot = Files.writeString(dir.resolve("curve.png.tmp.png"), "half");
        Files.setLastModifiedTime(plot, old);
        Path notOurs = Files.writeString(dir.resolve(".result.json.notdigits.tmp"), "user's");
        Files.setLastModifiedTime(notOurs, old);
        write(dir.resolve("result.json"), "{}");
        // the write of result.json removes only result.json's stale temporaries
        assertThat(names()).containsExactlyInAnyOrder("result.json", fresh.getFileName().toString(),
                ".other.csv.42.tmp", "curve.png.tmp.png", ".result.json.notdigits.tmp");
        AtomicFiles.removeStaleTemporaries(dir);
        assertThat(names()).containsExactlyInAnyOrder("result.json", fresh.getFileName().toString(),
                ".result.json.notdigits.tmp");
    }
}
