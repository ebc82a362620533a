package org.flatminima.experiments.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.flatminima.experiments.UserException;

/**
 * Keeps two flatminima processes out of one output directory: {@code train}, {@code reproduce} and {@code sweep}
 * hold this lock on their {@code --out} while they write there, so a second command on the same directory stops
 * at once with one line naming the process that holds it, instead of mixing its files with the first one's.
 *
 * <p>The lock is an operating-system lock ({@link FileChannel#tryLock()}) on the file {@value #NAME} inside the
 * directory: the operating system releases it when the process ends, however it ends (a crash, {@code kill -9}),
 * so a stale lock never blocks a later run. The file holds the holder's process id, command and start time, for
 * the message. A second acquisition inside the same JVM is refused the same way.
 *
 * <p>A directory that {@link #acquire} created and that is still empty apart from the lock file when the lock is
 * released (the command failed before writing anything) is removed again, so a refused command leaves nothing
 * behind. The lock file of a directory that holds results stays; it is harmless and reused by the next command.
 */
public final class DirectoryLock implements AutoCloseable {

    /** The lock file's name inside the locked directory. */
    public static final String NAME = ".flatminima.lock";

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean created;

    private DirectoryLock(Path dir, FileChannel channel, FileLock lock, boolean created) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
        this.created = created;
    }

    /**
     * Locks {@code dir} (created with its parents when missing) for {@code command} (e.g. {@code "train"}), or
     * throws a {@link UserException} naming the process that holds it and the fix ({@code option}: the option
     * that chose the directory, e.g. {@code "--out"}). A path that exists and is not a directory is the
     * {@link java.nio.file.FileAlreadyExistsException} of {@link Files#createDirectories}, which the command
     * line reports in one line.
     */
    public static DirectoryLock acquire(Path dir, String command, String option) throws IOException {
        Path d = dir.toAbsolutePath().normalize();
        boolean created = !Files.exists(d);
        Files.createDirectories(d);
        Path file = d.resolve(NAME);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            String holder = describeHolder(ch);
            ch.close();
            throw new UserException(option + " " + dir + " is in use by another flatminima process (" + holder
                    + "): wait for it to finish, or choose another " + option);
        }
        byte[] who = ("pid " + ProcessHandle.current().pid() + ", flatminima " + command + ", since "
                + Instant.now() + "\n").getBytes(StandardCharsets.UTF_8);
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(who), 0);
        ch.force(false);
        return new DirectoryLock(d, ch, l, created);
    }

    private static String describeHolder(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512);
        ch.read(b, 0);
        String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
        return s.isEmpty() ? "a process that has just started" : s;
    }

    /** The locked directory (absolute, normalised). */
    public Path dir() {
        return dir;
    }

    /** Releases the lock; removes the directory again if this lock created it and nothing else was written. */
    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
            if (created && onlyLockFile()) {
                Files.deleteIfExists(dir.resolve(NAME));
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the lock of " + dir + ": " + e.getMessage(), e);
        }
    }

    private boolean onlyLockFile() throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (!p.getFileName().toString().equals(NAME)) {
                    return false;
                }
            }
        }
        return true;
    }
}
