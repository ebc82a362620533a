package org.flatminima.experiments.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes files so that a crash never leaves a half-written one: the content goes to a temporary file in the
 * target's directory, is forced to disk, and is then renamed over the target in one step.
 */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    /** Writes the content of an output stream; the stream is owned by {@link #write}. */
    @FunctionalInterface
    public interface Writer {
        /** Writes the whole content to {@code out} (do not close it). */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} atomically: the temporary file is removed when {@code writer} fails, and the
     * target keeps its previous content (or stays absent).
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch),
                         1 << 16)) {
                writer.writeTo(out);
                out.flush();
                ch.force(true);
            }
            readableByAll(tmp);
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Temporary files are created owner-only; the finished file gets the usual rw-r--r--. */
    static void readableByAll(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** Renames {@code from} to {@code to} atomically where the file system allows, replacing {@code to}. */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
