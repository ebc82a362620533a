package org.flatminima.experiments.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Opens a data file as a stream of its (decompressed) content, the same way for every reader: raw or gzip
 * (recognised by the magic bytes {@code 1f 8b}, not by the name), a regular file or anything else that can be
 * read (a pipe, a FIFO, a process substitution {@code <(...)}), which is read as a stream with no size-based
 * shortcut. Gzip follows gzip(1): concatenated members are one stream; bytes after the last member that do not
 * start another member are an error naming their offset. Every I/O problem becomes a {@link DataFileException}
 * naming the file (see {@link #error}).
 */
final class DataStreams {

    private static final String GARBAGE = "Unexpected data after a valid .gz stream";

    /**
     * An opened data file: its content ({@code in}, decompressed when {@code gzip}), and {@code rawLength}, the
     * file's length when it is a regular uncompressed file (else -1: the length is only known by reading).
     */
    record Opened(String name, InputStream in, boolean gzip, long rawLength, GzipCompressorInputStream gz)
            implements AutoCloseable {
        /** "the file" or "the decompressed data", for messages. */
        String where() {
            return gzip ? "the decompressed data" : "the file";
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private DataStreams() {
    }

    /**
     * Opens {@code file}; {@code expected} describes what it should hold, for the message of an empty file.
     *
     * @throws DataFileException naming the file when it is missing, a directory, unreadable, empty, or not gzip
     *     although it starts with the gzip magic
     */
    static Opened open(Path file, String expected) {
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new DataFileException(name, "is a directory, not " + expected, null);
        }
        InputStream raw;
        long length;
        try {
            length = Files.isRegularFile(file) ? Files.size(file) : -1;
            raw = Files.newInputStream(file);
        } catch (IOException e) {
            throw error(name, e, null);
        }
        return open(name, raw, length, expected);
    }

    /** Opens a stream (e.g. a class-path resource) named {@code name} in messages; its length is unknown. */
    static Opened open(String name, InputStream source, long length, String expected) {
        try {
            BufferedInputStream bin = new BufferedInputStream(source, 1 << 16);
            bin.mark(2);
            int b0 = bin.read();
            int b1 = bin.read();
            bin.reset();
            if (b0 < 0) {
                source.close();
                throw new DataFileException(name, "empty file (0 bytes): expected " + expected, null);
            }
            if (b0 == 0x1f && b1 == 0x8b) {
                GzipCompressorInputStream gz = GzipCompressorInputStream.builder().setInputStream(bin)
                        .setDecompressConcatenated(true).get();
                return new Opened(name, gz, true, -1, gz);
            }
            return new Opened(name, bin, false, length, null);
        } catch (IOException e) {
            closeQuietly(source);
            throw error(name, e, null);
        }
    }

    /** The one-line {@link DataFileException} for an I/O problem while reading {@code name}. */
    static DataFileException error(String name, IOException e, Opened opened) {
        String m = e.getMessage() == null ? "" : e.getMessage().strip();
        if (e instanceof NoSuchFileException) {
            return new DataFileException(name, "file not found", e);
        }
        if (e instanceof AccessDeniedException) {
            return new DataFileException(name, "permission denied", e);
        }
        if (m.startsWith(GARBAGE)) {
            // the count includes the first byte read in search of another member's header
            String at = opened != null && opened.gz() != null
                    ? " at byte " + (opened.gz().getCompressedCount() - 1) : "";
            return new DataFileException(name, "trailing bytes after the gzip data" + at
                    + " that are not another gzip member: the file is damaged, or two files were joined", e);
        }
        if (e instanceof EOFException || m.contains("Truncated") || m.contains("Unexpected end")) {
            return new DataFileException(name, "truncated gzip data: the compressed stream ends early (an "
                    + "interrupted download or copy?)", e);
        }
        if (opened != null && opened.gzip() || m.contains(".gz") || m.contains("Gzip") || m.contains("gzip")
                || e instanceof java.util.zip.ZipException) {
            return new DataFileException(name, "corrupt gzip data (" + oneLine(m) + ")", e);
        }
        return new DataFileException(name, "cannot read: " + oneLine(m.isEmpty() ? e.toString() : m), e);
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("\\s*\\R\\s*", " ");
        return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the read already failed; that failure is the one reported
        }
    }
}
