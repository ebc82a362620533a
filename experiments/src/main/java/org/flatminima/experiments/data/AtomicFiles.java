package org.flatminima.experiments.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes files so that a crash never leaves a half-written one: the content goes to a temporary file in the
 * target's directory, is forced to disk, and is then renamed over the target in one step.
 *
 * <p>What may be replaced: a regular file or a new path. A symbolic link is written through: the file it points
 * to (following chains) is replaced, and the link stays. A directory, FIFO, socket or device is refused with a
 * {@link FileSystemException} naming the path; nothing is written.
 *
 * <p>Permissions: temporary files are created without explicit permissions, so every file written here gets
 * what the process's umask gives a new file (rw-r--r-- under the usual umask 022).
 *
 * <p>Temporary files are named {@code .<name>.<digits>.tmp} beside the target. A crash can leave one behind;
 * the next write of the same name, or {@link #removeStaleTemporaries} on the directory, removes those not
 * modified for {@link #STALE} (younger ones may belong to a write in progress in another process).
 */
public final class AtomicFiles {

    /** How long a temporary file must have been left unmodified before a later run removes it. */
    public static final Duration STALE = Duration.ofMinutes(1);

    /** Names of our temporary files: {@code .<name>.<digits>.tmp}, and the plots' older {@code <name>.png.tmp.png}. */
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.\\d+\\.tmp|.+\\.png\\.tmp\\.png");

    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {
    }

    /** Writes the content of an output stream; the stream is owned by {@link #write}. */
    @FunctionalInterface
    public interface Writer {
        /** Writes the whole content to {@code out} (do not close it). */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} atomically (creating its directories): the temporary file is removed when anything
     * fails, and the target keeps its previous content (or stays absent). An I/O error of the file system (no
     * space left, a read-only file system) is thrown as a {@link FileSystemException} naming {@code target}.
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dest = destination(target);
        Path dir = dest.getParent();
        String name = dest.getFileName().toString();
        Files.createDirectories(dir);
        removeStaleTemporaries(dir, name);
        Path tmp = null;
        boolean moved = false;
        try {
            tmp = newTemporary(dir, name);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
                writer.writeTo(out);
                out.flush();
                ch.force(true);
            }
            move(tmp, dest);
            moved = true;
        } catch (IOException e) {
            throw naming(target, dir, e);
        } finally {
            if (tmp != null && !moved) {
                deleteQuietly(tmp);
            }
        }
    }

    /**
     * {@code e} naming {@code target} instead of our temporary file in {@code dir}: a write error of the file system
     * itself (no space left, an I/O error) comes as a plain {@link IOException} without a path, and errors of the
     * temporary file name a file the user never asked for. Other exceptions pass unchanged.
     */
    private static IOException naming(Path target, Path dir, IOException e) {
        String reason;
        if (e instanceof FileSystemException f) {
            Path file = f.getFile() == null ? null : Path.of(f.getFile());
            if (file == null || !dir.equals(file.getParent()) || !TEMPORARY.matcher(file.getFileName().toString()).matches()) {
                return e;
            }
            reason = f.getReason();
        } else if (e.getClass() == IOException.class) {
            reason = e.getMessage();
        } else {
            return e;
        }
        FileSystemException named = e instanceof AccessDeniedException
                ? new AccessDeniedException(target.toString(), null, reason)
                : new FileSystemException(target.toString(), null, reason);
        named.initCause(e);
        return named;
    }

    /**
     * The file that writing {@code target} replaces: {@code target} itself (absolute) when it is a regular file or
     * does not exist, the file a symbolic link points to (through chains of links). A directory, FIFO, socket or
     * device is refused with a {@link FileSystemException} naming {@code target}.
     */
    public static Path destination(Path target) throws IOException {
        Path p = target.toAbsolutePath();
        for (int links = 0; ; links++) {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return p;
            }
            if (a.isRegularFile()) {
                return p;
            }
            if (a.isSymbolicLink() && links < 40) {
                p = p.resolveSibling(Files.readSymbolicLink(p)).normalize();
                continue;
            }
            String what = a.isSymbolicLink() ? "Too many levels of symbolic links"
                    : a.isDirectory() ? "Is a directory" : "Not a regular file but a FIFO, socket or device";
            throw new FileSystemException(target.toString(), null, what);
        }
    }

    /**
     * A new, empty temporary file {@code .<name>.<digits>.tmp} in {@code dir}, with the permissions the umask
     * gives (unlike {@link Files#createTempFile}, which makes it owner-only).
     */
    public static Path newTemporary(Path dir, String name) throws IOException {
        while (true) {
            Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(RANDOM.nextLong()) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                // another name
            }
        }
    }

    /** Removes our stale temporary files of every name in {@code dir} (see the class comment); never fails. */
    public static void removeStaleTemporaries(Path dir) {
        removeStaleTemporaries(dir, null);
    }

    /** Removes our stale temporary files for {@code name} in {@code dir} (every name when null). */
    private static void removeStaleTemporaries(Path dir, String name) {
        FileTime before = FileTime.from(Instant.now().minus(STALE));
        String glob = name == null ? "*" : "." + name.replaceAll("[\\\\*?\\[\\]{}]", "\\\\$0") + ".*.tmp";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path f : ds) {
                if (TEMPORARY.matcher(f.getFileName().toString()).matches()
                        && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                        && Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS).compareTo(before) < 0) {
                    deleteQuietly(f);
                }
            }
        } catch (IOException e) {
            // a directory we cannot list holds nothing we could remove; the write itself reports real problems
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

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // it stays; a later run removes it once stale
        }
    }

    /** Deletes {@code dir} and everything below it (children first); a missing {@code dir} is not an error. */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
