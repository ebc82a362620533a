package org.flatminima.experiments.models;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafetensorsTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ building files byte by byte

    /** A safetensors file: 8-byte little-endian length, the header (padded with spaces to 8 if asked), the data. */
    static byte[] file(String header, byte[] data, boolean pad) {
        byte[] h = header.getBytes(UTF_8);
        int n = pad ? (h.length + 7) / 8 * 8 : h.length;
        ByteBuffer b = ByteBuffer.allocate(8 + n + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(h);
        for (int i = h.length; i < n; i++) {
            b.put((byte) ' ');
        }
        return b.put(data).array();
    }

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    // ------------------------------------------------------------------ round trips

    /** A tensor whose elements have the given raw bit patterns (NaN payloads, -0, subnormals included). */
    static Tensor rawF32(int[] bits, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        for (int i = 0; i < bits.length; i++) {
            t.segment().setAtIndex(ValueLayout.JAVA_INT, i, bits[i]);
        }
        return t;
    }

    static Tensor rawF64(long[] bits, int... shape) {
        Tensor t = Tensor.zeros(DType.F64, shape);
        for (int i = 0; i < bits.length; i++) {
            t.segment().setAtIndex(ValueLayout.JAVA_LONG, i, bits[i]);
        }
        return t;
    }

    static int[] bitsF32(Tensor t) {
        MemorySegment s = t.contiguous().segment();
        int[] b = new int[Math.toIntExact(t.size())];
        for (int i = 0; i < b.length; i++) {
            b[i] = s.getAtIndex(ValueLayout.JAVA_INT, i);
        }
        return b;
    }

    static long[] bitsF64(Tensor t) {
        MemorySegment s = t.contiguous().segment();
        long[] b = new long[Math.toIntExact(t.size())];
        for (int i = 0; i < b.length; i++) {
            b[i] = s.getAtIndex(ValueLayout.JAVA_LONG, i);
        }
        return b;
    }

    @Test
    void f32RoundTripIsBitExact() {
        SplittableRandom rnd = new SplittableRandom(5);
        int[] bits = new int[6 * 7];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = rnd.nextInt();
        }
        int[] special = {0x80000000, 0x00000001, 0x007fffff, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
            0x7fa00001, 0xffc12345};
        System.arraycopy(special, 0, bits, 0, special.length);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", rawF32(bits, 6, 7));
        m.put("scalar", rawF32(new int[] {Float.floatToRawIntBits(-3.5f)}));
        m.put("empty", Tensor.zeros(DType.F32, 0, 3));
        Path f = dir.resolve("a.safetensors");
        Safetensors.write(f, m, Map.of("format", "pt", "note", "ünïcode \"quoted\""));
        Safetensors.Contents c = Safetensors.read(f);
        assertThat(c.tensors().keySet()).containsExactlyInAnyOrder("w", "scalar", "empty");
        assertThat(c.tensors().get("w").dtype()).isEqualTo(DType.F32);
        assertThat(c.tensors().get("w").shape()).containsExactly(6, 7);
        assertThat(bitsF32(c.tensors().get("w"))).containsExactly(bits);
        assertThat(c.tensors().get("scalar").shape()).isEmpty();
        assertThat(c.tensors().get("scalar").item()).isEqualTo(-3.5);
        assertThat(c.tensors().get("empty").shape()).containsExactly(0, 3);
        assertThat(c.fileDtypes()).containsEntry("w", Safetensors.Dtype.F32);
        assertThat(c.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("format", "pt", "note",
                "ünïcode \"quoted\""));
    }

    @Test
    void f64RoundTripIsBitExact() {
        SplittableRandom rnd = new SplittableRandom(6);
        long[] bits = new long[3 * 4 * 5];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = rnd.nextLong();
        }
        long[] special = {0x8000000000000000L, 1L, 0x7ff0000000000000L, 0x7ff8000000000000L, 0x7ff4000000000001L};
        System.arraycopy(special, 0, bits, 0, special.length);
        Path f = dir.resolve("b.safetensors");
        Safetensors.write(f, Map.of("x.y", rawF64(bits, 3, 4, 5)), Map.of());
        Safetensors.Contents c = Safetensors.read(f);
        assertThat(c.tensors().get("x.y").dtype()).isEqualTo(DType.F64);
        assertThat(c.tensors().get("x.y").shape()).containsExactly(3, 4, 5);
        assertThat(bitsF64(c.tensors().get("x.y"))).containsExactly(bits);
        assertThat(c.metadata()).isEmpty();
        // no __metadata__ key when there is none, and the header is padded to 8 bytes
        Safetensors.Header h = Safetensors.readHeader(f);
        assertThat((h.dataStart() - 8) % 8).isZero();
        assertThat(h.dataLength()).isEqualTo(8L * bits.length);
    }

    @Test
    void conversionOnReadBetweenF32AndF64() {
        Path f = dir.resolve("c.safetensors");
        Safetensors.write(f, Map.of("d", Tensor.of(DType.F64, new double[] {0.1, 1.0 / 3, -2.5e-300}, 3),
                "s", Tensor.of(new float[] {0.1f, 1e30f}, 2)), Map.of());
        Safetensors.Contents as32 = Safetensors.read(f, DType.F32);
        assertThat(as32.tensors().get("d").dtype()).isEqualTo(DType.F32);
        assertThat(as32.tensors().get("d").toDoubleArray()).containsExactly((float) 0.1, (float) (1.0 / 3), -0.0f);
        Safetensors.Contents as64 = Safetensors.read(f, DType.F64);
        assertThat(as64.tensors().get("s").toDoubleArray()).containsExactly((double) 0.1f, (double) 1e30f);
        assertThat(as64.fileDtypes()).containsEntry("s", Safetensors.Dtype.F32).containsEntry("d", Safetensors.Dtype.F64);
    }

    @Test
    void readsHalfBfloatAndIntegerDtypes() throws IOException {
        // F16 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff; BF16 1.0 = 0x3f80, 3.140625 = 0x4049
        byte[] f16 = {0x00, 0x3c, 0x00, (byte) 0xc0, (byte) 0xff, 0x7b, 0, 0};
        byte[] bf16 = {(byte) 0x80, 0x3f, 0x49, 0x40};
        ByteBuffer ints = ByteBuffer.allocate(8 + 4 + 2 + 1 + 1 + 2).order(ByteOrder.LITTLE_ENDIAN);
        ints.putLong(-(1L << 40)).putInt(-7).putShort((short) 300).put((byte) -5).put((byte) 200).put((byte) 0)
                .put((byte) 1);
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"l\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[12,20]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                + "\"s\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[24,26]},"
                + "\"c\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[26,27]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[27,28]},"
                + "\"z\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[28,30]}}";
        Path f = write("d.safetensors", file(header, concat(f16, bf16, ints.array()), false));
        Safetensors.Contents c = Safetensors.read(f);
        assertThat(c.tensors().get("h").dtype()).isEqualTo(DType.F32);
        assertThat(c.tensors().get("h").toDoubleArray()).containsExactly(1.0, -2.0, 65504.0, 0.0);
        assertThat(c.tensors().get("b").toDoubleArray()).containsExactly(1.0, 3.140625);
        assertThat(c.tensors().get("l").dtype()).isEqualTo(DType.F64);
        assertThat(c.tensors().get("l").item()).isEqualTo(-(double) (1L << 40));
        assertThat(c.tensors().get("i").item()).isEqualTo(-7);
        assertThat(c.tensors().get("s").item()).isEqualTo(300);
        assertThat(c.tensors().get("c").item()).isEqualTo(-5);
        assertThat(c.tensors().get("u").item()).isEqualTo(200);
        assertThat(c.tensors().get("z").toDoubleArray()).containsExactly(0.0, 1.0);
        // data order, not header order
        assertThat(c.tensors().keySet()).containsExactly("h", "b", "l", "i", "s", "c", "u", "z");
    }

    // ------------------------------------------------------------------ PyTorch's layout

    /**
     * The bytes {@code safetensors.torch.save_file(model.state_dict(), f, metadata={"format": "pt"})} writes: a
     * compact header with __metadata__ first and the tensors sorted by dtype (I64 before F32) then by name, padded
     * with spaces to 8 bytes, the data in the same order. Values: element i of the k-th tensor is sin(1000 k + i).
     */
    static byte[] torchFile(List<String[]> i64, List<Object[]> f32) {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        List<byte[]> data = new ArrayList<>();
        long pos = 0;
        for (String[] name : i64) {
            h.append(",\"").append(name[0]).append("\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[")
                    .append(pos).append(',').append(pos + 8).append("]}");
            data.add(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.parseLong(name[1])).array());
            pos += 8;
        }
        int k = 0;
        for (Object[] e : f32) {
            int[] shape = (int[]) e[1];
            int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            h.append(",\"").append(e[0]).append("\":{\"dtype\":\"F32\",\"shape\":[");
            for (int d = 0; d < shape.length; d++) {
                h.append(d == 0 ? "" : ",").append(shape[d]);
            }
            h.append("],\"data_offsets\":[").append(pos).append(',').append(pos + 4L * n).append("]}");
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) Math.sin(1000.0 * k + i);
            }
            data.add(f32(v));
            pos += 4L * n;
            k++;
        }
        h.append('}');
        return file(h.toString(), concat(data.toArray(byte[][]::new)), true);
    }

    @Test
    void pytorchLayoutOfTheCnnLoadsWithTheRightNamesShapesAndValues() throws IOException {
        List<Object[]> sorted = List.of(new Object[] {"0.bias", new int[] {32}},
                new Object[] {"0.weight", new int[] {32, 1, 3, 3}}, new Object[] {"3.bias", new int[] {64}},
                new Object[] {"3.weight", new int[] {64, 32, 3, 3}}, new Object[] {"7.bias", new int[] {128}},
                new Object[] {"7.weight", new int[] {128, 3136}}, new Object[] {"9.bias", new int[] {10}},
                new Object[] {"9.weight", new int[] {10, 128}});
        byte[] bytes = torchFile(List.of(), sorted);
        assertThat((ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0)) % 8).isZero();
        Path f = write("cnn.safetensors", bytes);
        Network net = ModelSpec.parse(ModelSpecTest.CNN).network();

        Safetensors.Header h = Safetensors.readHeader(f);
        assertThat(h.metadata()).containsExactly(Map.entry("format", "pt"));
        assertThat(h.tensors().stream().map(Safetensors.TensorInfo::name))
                .containsExactly(sorted.stream().map(e -> (String) e[0]).toArray(String[]::new));

        for (DType dtype : DType.values()) {
            Tensor flat = Weights.load(f, net, dtype);
            assertThat(flat.dtype()).isEqualTo(dtype);
            assertThat(flat.shape()).containsExactly(421_642);
            Map<String, Tensor> sd = net.layout().toMap(flat);
            for (int k = 0; k < sorted.size(); k++) {
                String name = (String) sorted.get(k)[0];
                assertThat(sd.get(name).shape()).as(name).containsExactly((int[]) sorted.get(k)[1]);
                double[] v = sd.get(name).toDoubleArray();
                for (int i : new int[] {0, 1, v.length - 1}) {
                    assertThat(v[i]).as(name + "[" + i + "]").isEqualTo((float) Math.sin(1000.0 * k + i));
                }
            }
            // and our writer reproduces PyTorch's bytes exactly
            Path again = dir.resolve("again-" + dtype + ".safetensors");
            Weights.save(again, net, dtype == DType.F32 ? flat : flat.to(DType.F32), Map.of("format", "pt"));
            assertThat(Files.readAllBytes(again)).isEqualTo(bytes);
        }
    }

    @Test
    void pytorchLayoutWithBatchNormBuffersAndInt64Counter() throws IOException {
        // seq:1x2x2:flatten,batchnorm,linear(3): 1.* is BatchNorm1d(4), 2.* is Linear(4, 3)
        byte[] bytes = torchFile(List.<String[]>of(new String[] {"1.num_batches_tracked", "7"}),
                List.of(new Object[] {"1.bias", new int[] {4}}, new Object[] {"1.running_mean", new int[] {4}},
                        new Object[] {"1.running_var", new int[] {4}}, new Object[] {"1.weight", new int[] {4}},
                        new Object[] {"2.bias", new int[] {3}}, new Object[] {"2.weight", new int[] {3, 4}}));
        Path f = write("bn.safetensors", bytes);
        Network net = ModelSpec.parse("seq:1x2x2:flatten,batchnorm,linear(3)").network();
        Tensor flat = Weights.load(f, net, DType.F32);
        assertThat(net.buffers().get("1.num_batches_tracked").item()).isEqualTo(7);
        assertThat(net.buffers().get("1.running_var").toDoubleArray())
                .containsExactly((float) Math.sin(2000), (float) Math.sin(2001), (float) Math.sin(2002),
                        (float) Math.sin(2003));
        assertThat(net.layout().toMap(flat).get("2.weight").shape()).containsExactly(3, 4);
        Path again = dir.resolve("bn2.safetensors");
        Weights.save(again, net, flat, Map.of("format", "pt"));
        assertThat(Files.readAllBytes(again)).isEqualTo(bytes);
        assertThat(Safetensors.readHeader(again).get("1.num_batches_tracked").dtype()).isEqualTo(Safetensors.Dtype.I64);
    }

    // ------------------------------------------------------------------ state_dict mismatches

    @Test
    void mismatchedWeightsNameEveryProblemInOneLine() {
        Path small = dir.resolve("small.safetensors");
        Network a = ModelSpec.parse("mlp:784-10").network();
        Weights.save(small, a, a.initParams(DType.F32, 1), Map.of());
        Network b = ModelSpec.parse("mlp:784-20-10").network();
        assertThatThrownBy(() -> Weights.load(small, b, DType.F32)).isInstanceOf(SafetensorsException.class)
                .hasMessage(small + ": does not match the model: missing 2.weight [10, 20], 2.bias [10]; "
                        + "0.weight has shape [10, 784], expected [20, 784]; 0.bias has shape [10], expected [20]");

        Path big = dir.resolve("big.safetensors");
        Weights.save(big, b, b.initParams(DType.F64, 1), Map.of());
        assertThatThrownBy(() -> Weights.load(big, a, DType.F64))
                .hasMessage(big + ": does not match the model: 0.weight has shape [20, 784], expected [10, 784]; "
                        + "0.bias has shape [20], expected [10]; unexpected 2.bias [10], 2.weight [10, 20]"); // file order

        Path prefixed = dir.resolve("prefixed.safetensors");
        Safetensors.write(prefixed, Map.of("module.0.weight", Tensor.zeros(DType.F32, 10, 784),
                "module.0.bias", Tensor.zeros(DType.F32, 10)), Map.of());
        assertThatThrownBy(() -> Weights.load(prefixed, a, DType.F32))
                .hasMessageContaining("missing 0.weight [10, 784], 0.bias [10]; unexpected ")
                .hasMessageContaining("(the names carry the prefix 'module.': save the state_dict of the "
                        + "nn.Sequential itself, or strip the prefix)")
                .hasMessageNotContaining("\n");
    }

    @Test
    void weightsRoundTripThroughTheNetworkInBothDtypes() {
        Network net = ModelSpec.parse("seq:1x6x6:conv(2,3),batchnorm,relu,flatten,linear(3)").network();
        for (DType dtype : DType.values()) {
            Tensor flat = net.initParams(dtype, 42);
            Path f = dir.resolve("w-" + dtype + ".safetensors");
            Weights.save(f, net, flat, Map.of());
            Tensor back = Weights.load(f, net, dtype);
            if (dtype == DType.F32) {
                assertThat(bitsF32(back)).containsExactly(bitsF32(flat));
            } else {
                assertThat(bitsF64(back)).containsExactly(bitsF64(flat));
            }
            Tensor other = Weights.load(f, net, dtype == DType.F32 ? DType.F64 : DType.F32);
            double[] x = flat.toDoubleArray();
            double[] y = other.toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).isEqualTo(dtype == DType.F32 ? x[i] : (float) x[i]);
            }
        }
    }

    // ------------------------------------------------------------------ atomic writes

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, Map.of("a", Tensor.of(new float[] {1, 2}, 2)), Map.of());
        Safetensors.write(f, Map.of("b", Tensor.of(new float[] {3}, 1)), Map.of());
        assertThat(Safetensors.read(f).tensors().keySet()).containsExactly("b");
        byte[] before = Files.readAllBytes(f);
        List<Safetensors.Item> bad = List.of(new Safetensors.Item("n", Safetensors.Dtype.I64,
                Tensor.of(DType.F64, new double[] {0.5}, 1)));
        assertThatThrownBy(() -> Safetensors.write(f, bad, Map.of())).isInstanceOf(SafetensorsException.class)
                .hasMessage(f + ": cannot write tensor 'n' as I64: it holds 0.5, not an integer of 64 bits");
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("m.safetensors");
        }
        Path sub = dir.resolve("new/sub/w.safetensors");
        Safetensors.write(sub, Map.of("a", Tensor.of(new float[] {1}, 1)), Map.of());
        assertThat(Files.exists(sub)).isTrue();
        assertThatThrownBy(() -> Safetensors.write(f, List.of(new Safetensors.Item("__metadata__",
                Safetensors.Dtype.F32, Tensor.of(new float[] {1}, 1))), Map.of()))
                .hasMessageContaining("reserved");
    }

    // ------------------------------------------------------------------ bad files

    static final String A8 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    static Stream<Arguments> badFiles() {
        byte[] eight = new byte[8];
        byte[] good = file(A8, eight, true);
        return Stream.of(
                Arguments.of("truncated to 3 bytes", Arrays.copyOf(good, 3),
                        "truncated: 3 bytes, but a safetensors file starts with an 8-byte header length"),
                Arguments.of("empty file", new byte[0],
                        "truncated: 0 bytes, but a safetensors file starts with an 8-byte header length"),
                Arguments.of("header length beyond the file", concat(
                        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array(), new byte[20]),
                        "header length 1000 exceeds the file (20 bytes after the 8-byte length): truncated, or not a "
                                + "safetensors file"),
                Arguments.of("header length negative as a signed long", concat(
                        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array(), new byte[20]),
                        "header length 18446744073709551615 exceeds the file"),
                Arguments.of("data truncated", Arrays.copyOf(good, good.length - 4),
                        "tensor 'a': data_offsets [0, 8] lie beyond the data buffer (4 bytes): the file is truncated "
                                + "or the offsets are wrong"),
                Arguments.of("empty header", file("", eight, false), "empty header: expected a JSON object"),
                Arguments.of("bad JSON", file(A8.substring(0, A8.length() - 1), eight, false),
                        "the header is not valid JSON at line 1 column "),
                Arguments.of("bad JSON syntax", file("{\"a\":{dtype:\"F32\"}}", eight, false),
                        "the header is not valid JSON at line 1 column 7: Unexpected character ('d' (code 100))"),
                Arguments.of("duplicate key", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight, false),
                        "the header is not valid JSON at line 1 column "),
                Arguments.of("two JSON values", file(A8 + "{}", eight, false),
                        "the header is not valid JSON at line 1 column "),
                Arguments.of("not an object", file("[1,2]", eight, false),
                        "the header does not start with '{' (byte 0 is 0x5b): not a safetensors file"),
                Arguments.of("overlapping offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12], false),
                        "tensors 'a' [0, 8) and 'b' [4, 12) overlap"),
                Arguments.of("wrong byte count", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                        eight, false), "tensor 'a' (F32 [3]) needs 12 bytes, but data_offsets [0, 8] hold 8"),
                Arguments.of("gap between tensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12], false),
                        "bytes [4, 8) of the data buffer belong to no tensor"),
                Arguments.of("trailing garbage", file(A8, new byte[12], true),
                        "4 bytes of trailing data after the last tensor (the tensors end at byte 8 of a 12-byte data "
                                + "buffer)"),
                Arguments.of("unknown dtype", file(A8.replace("F32", "F17"), eight, false),
                        "tensor 'a': unknown dtype 'F17' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)"),
                Arguments.of("unsupported dtype", file(A8.replace("F32", "F8_E4M3"), eight, false),
                        "tensor 'a': dtype F8_E4M3 is not supported (supported: F64, F32, F16, BF16, I64, I32, I16, "
                                + "I8, U8, BOOL)"),
                Arguments.of("missing shape", file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", eight, false),
                        "tensor 'a': missing shape"),
                Arguments.of("missing dtype", file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", eight, false),
                        "tensor 'a': missing dtype"),
                Arguments.of("missing offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", eight, false),
                        "tensor 'a': missing data_offsets"),
                Arguments.of("unknown field", file(A8.replace("\"shape\"", "\"extra\":1,\"shape\""), eight, false),
                        "tensor 'a': unknown field 'extra' (expected dtype, shape, data_offsets)"),
                Arguments.of("negative dimension", file(A8.replace("[2]", "[-2]"), eight, false),
                        "tensor 'a': shape [-2] must hold non-negative integers"),
                Arguments.of("fractional dimension", file(A8.replace("[2]", "[2.0]"), eight, false),
                        "tensor 'a': shape [2.0] must hold non-negative integers"),
                Arguments.of("three offsets", file(A8.replace("[0,8]", "[0,4,8]"), eight, false),
                        "tensor 'a': data_offsets must be [begin, end], got [0,4,8]"),
                Arguments.of("offsets reversed", file(A8.replace("[0,8]", "[8,0]"), eight, false),
                        "tensor 'a': data_offsets [8, 0] end before they begin"),
                Arguments.of("entry not an object", file("{\"a\":[1]}", new byte[0], false),
                        "tensor 'a': expected an object with dtype, shape and data_offsets, got [1]"),
                Arguments.of("metadata value not a string", file("{\"__metadata__\":{\"epoch\":3}}", new byte[0], false),
                        "__metadata__ value of 'epoch' is not a string: 3"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void badFilesGiveOneLineNamingFileAndProblem(String what, byte[] bytes, String problem) throws IOException {
        Path f = write("bad.safetensors", bytes);
        assertThatThrownBy(() -> Safetensors.read(f)).isInstanceOf(SafetensorsException.class)
                .hasMessageStartingWith(f + ": " + problem)
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> Safetensors.readHeader(f)).hasMessageStartingWith(f + ": " + problem);
    }

    static Stream<Arguments> jsonErrors() {
        byte[] eight = new byte[8];
        return Stream.of(
                Arguments.of(A8.substring(0, A8.length() - 1), "Unexpected end-of-input: expected close marker for Object"),
                Arguments.of("{\"a\":{dtype:\"F32\"}}", "Unexpected character ('d' (code 100)): was expecting "
                        + "double-quote to start field name"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{}}",
                        "duplicate key 'a'"),
                Arguments.of(A8 + "{}", "something follows the JSON object"),
                Arguments.of(A8 + " x", "Unrecognized token 'x'"))
                .map(a -> Arguments.of(file((String) a.get()[0], eight, false), a.get()[1]));
    }

    /** Issue 12 (13): the parser's internals (feature names, bound types, source descriptions) never show. */
    @ParameterizedTest
    @MethodSource("jsonErrors")
    void jsonErrorsSayWhereAndWhatWithoutParserInternals(byte[] bytes, String reason) throws IOException {
        Path f = write("bad.safetensors", bytes);
        assertThatThrownBy(() -> Safetensors.read(f)).isInstanceOf(SafetensorsException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .matches(java.util.regex.Pattern.quote(f + ": the header is not valid JSON at line 1 column ")
                                + "\\d+: " + java.util.regex.Pattern.quote(reason))
                        .doesNotContain("jackson", "Feature", "JsonNode", "Source", "`", "\n"));
    }

    /** A FIFO (what a process substitution {@code <(cat file)} is) is read as a stream, not as 0 bytes. */
    @Test
    void aFifoIsReadAsAStream() throws Exception {
        Path good = dir.resolve("good.safetensors");
        Safetensors.write(good, Map.of("w", Tensor.of(new float[] {1.5f, -2f, 3f}, 3)), Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(good);
        Path fifo = org.flatminima.experiments.data.CliTestSupport.fifo(dir, "w.safetensors", bytes);
        Safetensors.Contents c = Safetensors.read(fifo);
        assertThat(c.tensors().get("w").toDoubleArray()).containsExactly(1.5, -2, 3);
        assertThat(c.metadata()).containsEntry("k", "v");
        Path cut = org.flatminima.experiments.data.CliTestSupport.fifo(dir, "cut.safetensors",
                Arrays.copyOf(bytes, bytes.length - 2));
        assertThatThrownBy(() -> Safetensors.read(cut)).isInstanceOf(SafetensorsException.class)
                .hasMessage(cut + ": tensor 'w': data_offsets [0, 12] lie beyond the data buffer (10 bytes): the file "
                        + "is truncated or the offsets are wrong");
        Path longer = org.flatminima.experiments.data.CliTestSupport.fifo(dir, "long.safetensors",
                concat(bytes, new byte[5]));
        assertThatThrownBy(() -> Safetensors.read(longer)).hasMessageContaining("5 bytes of trailing data");
    }

    @Test
    void missingFileAndDirectory() {
        Path none = dir.resolve("none.safetensors");
        assertThatThrownBy(() -> Safetensors.read(none)).isInstanceOf(SafetensorsException.class)
                .hasMessage(none + ": cannot read: no such file");
        assertThatThrownBy(() -> Safetensors.read(dir)).hasMessage(dir + ": is a directory, not a safetensors file");
    }

    @Test
    void anEmptyModelFileIsValid() throws IOException {
        Path f = write("empty.safetensors", file("{}", new byte[0], true));
        assertThat(Safetensors.read(f).tensors()).isEmpty();
        Path g = dir.resolve("empty2.safetensors");
        Safetensors.write(g, Map.of(), Map.of());
        assertThat(Files.readAllBytes(g)).isEqualTo(Files.readAllBytes(f));
    }
}
