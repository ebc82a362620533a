package org.flatminima.experiments.models;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.flatminima.engine.Tensor;
import org.flatminima.experiments.models.Safetensors.Dtype;
import org.flatminima.experiments.models.Safetensors.Item;
import org.flatminima.kernels.DType;

/** The byte layout {@link Safetensors#write} produces: PyTorch's order, the header, the little-endian data. */
final class SafetensorsWriter {

    private static final String METADATA = "__metadata__";
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble LE_DOUBLE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SafetensorsWriter() {
    }

    /** The items in PyTorch's data order (dtype rank descending, then name), after checking names and dtypes. */
    static List<Item> checkedOrder(Path file, List<Item> items) {
        Set<String> names = new HashSet<>();
        for (Item it : items) {
            if (it.name().equals(METADATA)) {
                throw new SafetensorsException(file, "cannot write a tensor named __metadata__ (reserved)");
            }
            if (!names.add(it.name())) {
                throw new SafetensorsException(file, "cannot write tensor '" + it.name() + "' twice");
            }
            if (it.dtype() != Dtype.F32 && it.dtype() != Dtype.F64 && it.dtype() != Dtype.I64) {
                throw new SafetensorsException(file, "cannot write tensor '" + it.name() + "' as " + it.dtype()
                        + " (this writer writes F64, F32 and I64)");
            }
            if (it.dtype() == Dtype.I64) {
                for (double v : it.value().toDoubleArray()) {
                    if (v != Math.rint(v) || Math.abs(v) >= 0x1p63) {
                        throw new SafetensorsException(file, "cannot write tensor '" + it.name() + "' as I64: it holds "
                                + v + ", not an integer of 64 bits");
                    }
                }
            }
        }
        List<Item> order = new ArrayList<>(items);
        order.sort(Comparator.comparing((Item it) -> it.dtype().ordinal()).reversed().thenComparing(Item::name));
        return order;
    }

    static byte[] headerBytes(Path file, List<Item> order, Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = Safetensors.JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(METADATA);
                for (var m : new TreeMap<>(metadata).entrySet()) {
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            long pos = 0;
            for (Item it : order) {
                long bytes = Math.multiplyExact(it.value().size(), it.dtype().byteSize());
                g.writeObjectFieldStart(it.name());
                g.writeStringField("dtype", it.dtype().name());
                g.writeArrayFieldStart("shape");
                for (int d : it.value().shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(pos);
                g.writeNumber(pos + bytes);
                g.writeEndArray();
                g.writeEndObject();
                pos += bytes;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw Safetensors.ioError(file, "cannot write the header", e);
        }
        byte[] h = out.toByteArray();
        int padded = (h.length + 7) / 8 * 8;
        byte[] p = Arrays.copyOf(h, padded);
        Arrays.fill(p, h.length, padded, (byte) ' ');
        return p;
    }

    static void writeData(FileChannel ch, Item it) throws IOException {
        Tensor t = it.value();
        long n = t.size();
        int chunk = 1 << 17; // elements per write
        ByteBuffer buf = ByteBuffer.allocate(chunk * it.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        MemorySegment heap = MemorySegment.ofBuffer(buf);
        Tensor src = switch (it.dtype()) {
            case F32 -> t.dtype() == DType.F32 ? t.contiguous() : t.to(DType.F32);
            case F64 -> t.dtype() == DType.F64 ? t.contiguous() : t.to(DType.F64);
            default -> t.contiguous();
        };
        MemorySegment seg = src.segment();
        for (long start = 0; start < n; start += chunk) {
            int m = (int) Math.min(chunk, n - start);
            switch (it.dtype()) {
                case F32 -> MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, 4 * start, heap, LE_FLOAT, 0, m);
                case F64 -> MemorySegment.copy(seg, ValueLayout.JAVA_DOUBLE, 8 * start, heap, LE_DOUBLE, 0, m);
                default -> {
                    for (int i = 0; i < m; i++) {
                        heap.set(LE_LONG, 8L * i, (long) src.dtype().get(seg, start + i)); // checked integral
                    }
                }
            }
            buf.clear().limit(m * it.dtype().byteSize());
            writeFully(ch, buf);
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
