package org.flatminima.experiments.models;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flatminima.engine.Tensor;
import org.flatminima.experiments.MemoryBudget;
import org.flatminima.kernels.DType;

/**
 * Reads and writes the safetensors format (Hugging Face's; what {@code safetensors.torch.save_file} writes):
 * an 8-byte little-endian unsigned header length {@code N}, {@code N} bytes of UTF-8 JSON
 * {@code {"__metadata__": {string: string}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
 * ...}}, then the data buffer; offsets are in bytes relative to the buffer's start, data are row-major and little
 * endian.
 *
 * <p><b>Reading</b> validates everything before any tensor is made: the header length lies within the file, the
 * header is well-formed JSON (no duplicate keys, nothing after the object), each entry has exactly
 * {@code dtype}, {@code shape} and {@code data_offsets}, each size is {@code product(shape) * dtype size}, the
 * tensors cover the buffer exactly (in range, no overlap, no gap, no trailing bytes). Every problem is one line
 * naming the file ({@link SafetensorsException}). Dtypes read: F64, F32, F16, BF16 (converted exactly to F32 or
 * F64) and the integer types I64, I32, I16, I8, U8 and BOOL (converted to floating point; PyTorch stores batch
 * normalisation's {@code num_batches_tracked} as I64). Other dtypes (F8_*, U16, U32, U64, ...) are reported as
 * unsupported.
 *
 * <p><b>Writing</b> produces F64, F32 and I64 tensors in PyTorch's layout: the header compact, {@code __metadata__}
 * first, the tensors ordered by dtype (I64, F64, F32) then by name, the header padded with spaces to a multiple of
 * 8 bytes, and the file written to a temporary file in the same directory and renamed into place (atomic: a crash
 * leaves the old file or the new one, never half of one).
 */
public final class Safetensors {

    /** The safetensors limit on the header's size (100 MB), also enforced by the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA = "__metadata__";
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble LE_DOUBLE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Dtype names of the format that this reader does not convert. */
    private static final Set<String> UNSUPPORTED = Set.of("F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3",
            "F6_E3M2", "E8M0", "U16", "U32", "U64", "C64");

    static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Safetensors() {
    }

    /**
     * The element types this class reads (all) and writes (F64, F32, I64), with their size in bytes. The declaration
     * order follows the reference implementation's, whose writer puts larger-ranked dtypes first.
     */
    public enum Dtype {
        BOOL(1), U8(1), I8(1), I16(2), F16(2), BF16(2), I32(4), F32(4), F64(8), I64(8);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        /** Size of one element in bytes. */
        public int byteSize() {
            return bytes;
        }

        /** True for F16, BF16, F32 and F64. */
        public boolean isFloatingPoint() {
            return this == F16 || this == BF16 || this == F32 || this == F64;
        }

        /** The safetensors dtype of an engine dtype. */
        public static Dtype of(DType d) {
            return d == DType.F32 ? F32 : F64;
        }

        /** The engine dtype a tensor of this dtype is read into by {@link #read(Path)}: F64 or F32. */
        public DType natural() {
            return this == F64 || !isFloatingPoint() ? DType.F64 : DType.F32;
        }

        static Dtype parse(String s) {
            for (Dtype d : values()) {
                if (d.name().equals(s)) {
                    return d;
                }
            }
            return null;
        }
    }

    /**
     * One header entry: name, dtype, shape and the byte range {@code [begin, end)} relative to the start of the data
     * buffer.
     */
    public record TensorInfo(String name, Dtype dtype, int[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** Number of elements (1 for a rank-0 tensor). */
        public long elements() {
            long n = 1;
            for (int d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    /**
     * A validated header: the entries in data order (by offset), the {@code __metadata__} (empty if absent), and
     * where the data buffer starts in the file ({@code 8 + N}) and its length in bytes.
     */
    public record Header(List<TensorInfo> tensors, Map<String, String> metadata, long dataStart, long dataLength) {
        public Header {
            tensors = List.copyOf(tensors);
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /** The entry {@code name}, or null. */
        public TensorInfo get(String name) {
            for (TensorInfo t : tensors) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
            return null;
        }
    }

    /** What a file holds: its tensors by name (in data order), each one's dtype in the file, and the metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, Dtype> fileDtypes, Map<String, String> metadata) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            fileDtypes = Collections.unmodifiableMap(new LinkedHashMap<>(fileDtypes));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /** A tensor to write: its name, the dtype to store it as, and its values (any engine dtype and layout). */
    public record Item(String name, Dtype dtype, Tensor value) {
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads and validates only the header of {@code file}, a regular file (the layout check needs its length;
     * {@link #read} also takes a FIFO or pipe).
     */
    public static Header readHeader(Path file) {
        if (SafetensorsStream.isStream(file)) {
            throw new SafetensorsException(file, "is not a regular file (a pipe or FIFO): its header alone cannot be "
                    + "validated without reading the whole stream");
        }
        try (FileChannel ch = open(file)) {
            return header(file, ch);
        } catch (IOException e) {
            throw ioError(file, "cannot read", e);
        }
    }

    /**
     * Reads every tensor of {@code file}: F64 and integer tensors as {@link DType#F64}, F32, F16 and BF16 as
     * {@link DType#F32} (all exact).
     */
    public static Contents read(Path file) {
        return read(file, null);
    }

    /** Reads every tensor of {@code file} converted to {@code dtype} (F64 to F32 rounds to nearest). */
    public static Contents read(Path file, DType dtype) {
        if (SafetensorsStream.isStream(file)) {
            return SafetensorsStream.read(file, dtype);
        }
        try (FileChannel ch = open(file); Arena arena = Arena.ofConfined()) {
            Header h = header(file, ch);
            checkBudget(file, h, dtype);
            MemorySegment data = h.dataLength() == 0 ? MemorySegment.NULL
                    : ch.map(FileChannel.MapMode.READ_ONLY, h.dataStart(), h.dataLength(), arena);
            return contents(h, data, dtype);
        } catch (IOException e) {
            throw ioError(file, "cannot read", e);
        }
    }

    /** The tensors of a validated header over its data buffer {@code data}, converted to {@code dtype} (or natural). */
    static Contents contents(Header h, MemorySegment data, DType dtype) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Dtype> dtypes = new LinkedHashMap<>();
        for (TensorInfo t : h.tensors()) {
            tensors.put(t.name(), tensor(data, t, dtype == null ? t.dtype().natural() : dtype));
            dtypes.put(t.name(), t.dtype());
        }
        return new Contents(tensors, dtypes, h.metadata());
    }

    /** Refuses, with the estimate, tensors that would not fit in this JVM's tensor memory. */
    static void checkBudget(Path file, Header h, DType dtype) {
        long need = 0;
        for (TensorInfo t : h.tensors()) {
            int size = (dtype == null ? t.dtype().natural() : dtype).byteSize();
            need = Math.addExact(need, MemoryBudget.bytes(t.elements(), size));
        }
        long budget = MemoryBudget.tensorBytes();
        if (need > budget) {
            throw new SafetensorsException(file, "its tensors need " + MemoryBudget.show(need) + " in memory; this "
                    + "JVM can use " + MemoryBudget.show(budget) + " (" + MemoryBudget.FIX + ")");
        }
    }

    private static FileChannel open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new SafetensorsException(file, "is a directory, not a safetensors file");
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    static SafetensorsException ioError(Path file, String what, IOException e) {
        String why = e instanceof NoSuchFileException ? "no such file"
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new SafetensorsException(file, what + ": " + why.replace('\n', ' '), e);
    }

    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafetensorsException(file, "truncated: " + size + " byte" + (size == 1 ? "" : "s")
                    + ", but a safetensors file starts with an 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        if (n < 0 || n > size - 8) {
            throw new SafetensorsException(file, "header length " + Long.toUnsignedString(n) + " exceeds the file ("
                    + (size - 8) + " bytes after the 8-byte length): truncated, or not a safetensors file");
        }
        checkHeaderLength(file, n);
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8);
        return parseHeader(file, hb.array(), 8 + n, size - 8 - n);
    }

    /** Checks a header length that is known to lie within the file (or not yet known to lie beyond it). */
    static void checkHeaderLength(Path file, long n) {
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsException(file, "header length " + Long.toUnsignedString(n) + " is over the "
                    + "format's limit of " + MAX_HEADER_BYTES + " bytes: not a safetensors file, or a damaged one");
        }
        if (n == 0) {
            throw new SafetensorsException(file, "empty header: expected a JSON object");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    /** Validates the header JSON {@code bytes} of a file whose data buffer has {@code dataLength} bytes. */
    static Header parseHeader(Path file, byte[] bytes, long dataStart, long dataLength) {
        Header entries = parseEntries(file, bytes);
        checkLayout(file, entries.tensors(), dataLength);
        List<TensorInfo> tensors = new ArrayList<>(entries.tensors());
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        return new Header(tensors, entries.metadata(), dataStart, dataLength);
    }

    /** The entries and metadata of the header JSON {@code bytes}, each entry validated alone (no layout yet). */
    static Header parseEntries(Path file, byte[] bytes) {
        if (bytes[0] != '{') {
            throw new SafetensorsException(file, "the header does not start with '{' (byte 0 is 0x"
                    + String.format("%02x", bytes[0] & 0xff) + "): not a safetensors file");
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new SafetensorsException(file, SafetensorsStream.jsonError(e), e);
        } catch (IOException e) {
            throw ioError(file, "cannot parse the header", e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(file, "the header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals(METADATA)) {
                if (!v.isObject()) {
                    throw new SafetensorsException(file, "__metadata__ is not a JSON object of strings");
                }
                for (Map.Entry<String, JsonNode> m : v.properties()) {
                    if (!m.getValue().isTextual()) {
                        throw new SafetensorsException(file, "__metadata__ value of '" + m.getKey()
                                + "' is not a string: " + m.getValue());
                    }
                    metadata.put(m.getKey(), m.getValue().textValue());
                }
                continue;
            }
            tensors.add(entry(file, name, v));
        }
        return new Header(tensors, metadata, -1, -1);
    }

    private static TensorInfo entry(Path file, String name, JsonNode v) {
        String what = "tensor '" + name + "'";
        if (!v.isObject()) {
            throw new SafetensorsException(file, what + ": expected an object with dtype, shape and data_offsets, got "
                    + abbreviate(v.toString()));
        }
        for (Map.Entry<String, JsonNode> f : v.properties()) {
            if (!Set.of("dtype", "shape", "data_offsets").contains(f.getKey())) {
                throw new SafetensorsException(file, what + ": unknown field '" + f.getKey()
                        + "' (expected dtype, shape, data_offsets)");
            }
        }
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new SafetensorsException(file, what + ": " + (dt == null ? "missing dtype" : "dtype is not a string"));
        }
        Dtype dtype = Dtype.parse(dt.textValue());
        if (dtype == null) {
            String known = "supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";
            throw new SafetensorsException(file, what + (UNSUPPORTED.contains(dt.textValue())
                    ? ": dtype " + dt.textValue() + " is not supported (" + known + ")"
                    : ": unknown dtype '" + abbreviate(dt.textValue()) + "' (" + known + ")"));
        }
        JsonNode sh = v.get("shape");
        if (sh == null || !sh.isArray()) {
            throw new SafetensorsException(file, what + ": " + (sh == null ? "missing shape" : "shape is not an array"));
        }
        int[] shape = new int[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            long d = nonNegative(file, what, "shape", sh, sh.get(i));
            if (d > Integer.MAX_VALUE) {
                throw new SafetensorsException(file, what + ": dimension " + d + " of shape " + sh
                        + " is larger than this engine supports (" + Integer.MAX_VALUE + ")");
            }
            shape[i] = (int) d;
        }
        JsonNode off = v.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw new SafetensorsException(file, what + ": " + (off == null ? "missing data_offsets"
                    : "data_offsets must be [begin, end], got " + abbreviate(off.toString())));
        }
        long begin = nonNegative(file, what, "data_offsets", off, off.get(0));
        long end = nonNegative(file, what, "data_offsets", off, off.get(1));
        if (end < begin) {
            throw new SafetensorsException(file, what + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        TensorInfo t = new TensorInfo(name, dtype, shape, begin, end);
        long need;
        try {
            need = Math.multiplyExact(t.elements(), dtype.byteSize());
        } catch (ArithmeticException ex) {
            throw new SafetensorsException(file, what + ": shape " + Arrays.toString(shape) + " is too large");
        }
        if (need != end - begin) {
            throw new SafetensorsException(file, what + " (" + dtype + " " + Arrays.toString(shape) + ") needs "
                    + need + " bytes, but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return t;
    }

    private static long nonNegative(Path file, String what, String field, JsonNode array, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw new SafetensorsException(file, what + ": " + field + " " + abbreviate(array.toString())
                    + " must hold non-negative integers");
        }
        return n.longValue();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** The tensors must tile the data buffer exactly: in range, no overlap, no gap, nothing after the last. */
    static void checkLayout(Path file, List<TensorInfo> tensors, long dataLength) {
        for (TensorInfo t : tensors) {
            if (t.end() > dataLength) {
                throw new SafetensorsException(file, "tensor '" + t.name() + "': data_offsets [" + t.begin() + ", "
                        + t.end() + "] lie beyond the data buffer (" + dataLength
                        + " bytes): the file is truncated or the offsets are wrong");
            }
        }
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long pos = 0;
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < pos) {
                throw new SafetensorsException(file, "tensors '" + prev.name() + "' [" + prev.begin() + ", "
                        + prev.end() + ") and '" + t.name() + "' [" + t.begin() + ", " + t.end() + ") overlap");
            }
            if (t.begin() > pos) {
                throw new SafetensorsException(file, "bytes [" + pos + ", " + t.begin()
                        + ") of the data buffer belong to no tensor");
            }
            pos = t.end();
            prev = t;
        }
        if (pos != dataLength) {
            throw new SafetensorsException(file, (dataLength - pos) + " bytes of trailing data after the last tensor "
                    + "(the tensors end at byte " + pos + " of a " + dataLength + "-byte data buffer)");
        }
    }

    /** The tensor {@code t} of the mapped data buffer, converted to {@code target}. */
    private static Tensor tensor(MemorySegment data, TensorInfo t, DType target) {
        Tensor out = Tensor.zeros(target, t.shape());
        MemorySegment dst = out.segment();
        long n = t.elements();
        long b = t.begin();
        if (t.dtype() == Dtype.F32 && target == DType.F32) {
            MemorySegment.copy(data, LE_FLOAT, b, dst, ValueLayout.JAVA_FLOAT, 0, n);
        } else if (t.dtype() == Dtype.F64 && target == DType.F64) {
            MemorySegment.copy(data, LE_DOUBLE, b, dst, ValueLayout.JAVA_DOUBLE, 0, n);
        } else {
            for (long i = 0; i < n; i++) {
                target.set(dst, i, element(data, t.dtype(), b, i));
            }
        }
        return out;
    }

    /** Element {@code i} of a tensor of {@code dtype} starting at byte {@code base}, as a double (exact except I64 beyond 2^53). */
    private static double element(MemorySegment s, Dtype dtype, long base, long i) {
        return switch (dtype) {
            case F64 -> s.get(LE_DOUBLE, base + 8 * i);
            case F32 -> s.get(LE_FLOAT, base + 4 * i);
            case F16 -> Float.float16ToFloat(s.get(LE_SHORT, base + 2 * i));
            case BF16 -> Float.intBitsToFloat((s.get(LE_SHORT, base + 2 * i) & 0xffff) << 16);
            case I64 -> s.get(LE_LONG, base + 8 * i);
            case I32 -> s.get(LE_INT, base + 4 * i);
            case I16 -> s.get(LE_SHORT, base + 2 * i);
            case I8 -> s.get(ValueLayout.JAVA_BYTE, base + i);
            case U8 -> s.get(ValueLayout.JAVA_BYTE, base + i) & 0xff;
            case BOOL -> s.get(ValueLayout.JAVA_BYTE, base + i) != 0 ? 1 : 0;
        };
    }

    // ------------------------------------------------------------------ writing

    /** Writes {@code tensors}, each in its own dtype (F32 or F64), with {@code metadata} (may be empty). */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<Item> items = new ArrayList<>();
        tensors.forEach((name, t) -> items.add(new Item(name, Dtype.of(t.dtype()), t)));
        write(file, items, metadata);
    }

    /**
     * Writes {@code items} (stored as F64, F32 or I64; I64 values must be integers) with {@code metadata}, atomically:
     * to a temporary file in the same directory, forced to disk, then renamed over {@code file}.
     */
    public static void write(Path file, List<Item> items, Map<String, String> metadata) {
        List<Item> order = SafetensorsWriter.checkedOrder(file, items);
        byte[] header = SafetensorsWriter.headerBytes(file, order, metadata);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = org.flatminima.experiments.data.AtomicFiles.newTemporary(dir, file.getFileName().toString());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                SafetensorsWriter.writeFully(ch, len);
                SafetensorsWriter.writeFully(ch, ByteBuffer.wrap(header));
                for (Item it : order) {
                    SafetensorsWriter.writeData(ch, it);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw ioError(file, "cannot write", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temporary file stays; the target is untouched either way
                }
            }
        }
    }
}
