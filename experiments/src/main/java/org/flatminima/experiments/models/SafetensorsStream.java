package org.flatminima.experiments.models;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.flatminima.experiments.MemoryBudget;
import org.flatminima.kernels.DType;

/**
 * The parts of {@link Safetensors} reading that are not about a regular file: reading a file that is a stream
 * (a pipe, a FIFO, a process substitution {@code <(...)}), whose length is unknown until it has been read, and
 * turning a JSON parser's error into one line that says where and what, without the parser's internals.
 */
final class SafetensorsStream {

    private SafetensorsStream() {
    }

    /** True when {@code file} exists and is neither a regular file nor a directory: it is read as a stream. */
    static boolean isStream(Path file) {
        return Files.exists(file) && !Files.isRegularFile(file) && !Files.isDirectory(file);
    }

    /**
     * Reads a stream: the header, then exactly the bytes its tensors cover (into memory, after checking they fit),
     * then counts what follows, so the same validation as for a regular file applies (truncation, trailing data).
     */
    static Safetensors.Contents read(Path file, DType dtype) {
        try (InputStream in = Files.newInputStream(file); Arena arena = Arena.ofConfined()) {
            byte[] len = in.readNBytes(8);
            if (len.length < 8) {
                throw new SafetensorsException(file, "truncated: " + len.length + " byte" + (len.length == 1 ? "" : "s")
                        + ", but a safetensors file starts with an 8-byte header length");
            }
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            Safetensors.checkHeaderLength(file, n);
            byte[] header = in.readNBytes((int) n);
            if (header.length < n) {
                throw new SafetensorsException(file, "header length " + n + " exceeds the file (" + header.length
                        + " bytes after the 8-byte length): truncated, or not a safetensors file");
            }
            Safetensors.Header entries = Safetensors.parseEntries(file, header);
            long need = 0;
            for (Safetensors.TensorInfo t : entries.tensors()) {
                need = Math.max(need, t.end());
            }
            long budget = MemoryBudget.tensorBytes();
            if (need > budget / 2) {
                throw new SafetensorsException(file, "its header declares " + MemoryBudget.show(need) + " of tensor "
                        + "data; this JVM can use " + MemoryBudget.show(budget) + " (" + MemoryBudget.FIX + ")");
            }
            MemorySegment data = arena.allocate(Math.max(need, 1));
            long got = fill(in, data, need);
            long length = got < need ? got : got + in.transferTo(OutputStream.nullOutputStream());
            Safetensors.Header h = Safetensors.parseHeader(file, header, 8 + n, length);
            Safetensors.checkBudget(file, h, dtype);
            return Safetensors.contents(h, data, dtype);
        } catch (IOException e) {
            throw Safetensors.ioError(file, "cannot read", e);
        }
    }

    /** Reads up to {@code n} bytes of {@code in} into {@code data}; returns how many there were. */
    private static long fill(InputStream in, MemorySegment data, long n) throws IOException {
        byte[] buf = new byte[1 << 16];
        long got = 0;
        while (got < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (r < 0) {
                break;
            }
            MemorySegment.copy(MemorySegment.ofArray(buf), 0, data, got, r);
            got += r;
        }
        return got;
    }

    /**
     * One line for a JSON error in the header: {@code the header is not valid JSON at line L column C: <reason>},
     * the reason shortened to the parser's first clause, with no class, feature or source names.
     */
    static String jsonError(JacksonException e) {
        JsonLocation loc = e.getLocation();
        String at = loc != null && loc.getLineNr() > 0 && loc.getColumnNr() > 0
                ? " at line " + loc.getLineNr() + " column " + loc.getColumnNr() : "";
        return "the header is not valid JSON" + at + ": " + reason(e.getOriginalMessage());
    }

    static String reason(String message) {
        String m = message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ").strip();
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("trailing token")) {
            return "something follows the JSON object";
        }
        if (lower.startsWith("duplicate field")) {
            int q = m.indexOf('\'');
            int r = q < 0 ? -1 : m.indexOf('\'', q + 1);
            return r > q ? "duplicate key " + m.substring(q, r + 1) : "a duplicate key";
        }
        for (String cut : new String[] {" (for ", " (start marker", " at [Source", " (in ",
                " (bound as", " (through reference",
            ": was expecting ("}) {
            int i = m.indexOf(cut);
            if (i > 0) {
                m = m.substring(0, i);
            }
        }
        m = m.replaceAll("`[^`]*`", "").replaceAll("\\s+", " ").strip();
        if (m.isEmpty() || m.contains("jackson") || m.contains("Feature") || m.contains("Source")) {
            return "malformed JSON";
        }
        return m.length() <= 100 ? m : m.substring(0, 97) + "...";
    }
}
