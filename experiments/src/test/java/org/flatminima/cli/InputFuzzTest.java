package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.Idx;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of the input readers through the command line: mutated IDX files (raw and gzip) and mutated
 * safetensors files, each given to {@code analyze} in-process. Every case must end in exit status 2 with exactly
 * one stderr line that names the mutated file (no stack trace, no "a bug", no OutOfMemoryError), or in exit
 * status 0 with a valid result when the mutation left a valid file.
 */
class InputFuzzTest {
    private static final long SEED = 20261202L;
    private static final int N = 6;
    private static final int CASES = 200;
    private static final String ARCH = "affine:784-10";

    @TempDir
    static Path dir;

    static byte[] images;
    static byte[] labels;
    static byte[] weights;
    static Path goodImages;
    static Path goodLabels;
    static Path goodWeights;

    @BeforeAll
    static void validFiles() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        byte[] px = new byte[N * 28 * 28];
        int[] lab = new int[N];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) rnd.nextInt(256);
        }
        for (int i = 0; i < N; i++) {
            lab[i] = rnd.nextInt(10);
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Idx.writeImages(b, new Idx.Images(N, 28, 28, px), false);
        images = b.toByteArray();
        b = new ByteArrayOutputStream();
        Idx.writeLabels(b, lab, false);
        labels = b.toByteArray();
        goodImages = write("images.idx", images);
        goodLabels = write("labels.idx", labels);
        Network net = ModelSpec.parse(ARCH).network();
        goodWeights = dir.resolve("weights.safetensors");
        Weights.save(goodWeights, net, net.initParams(DType.F32, 1), Map.of("format", "pt"));
        weights = Files.readAllBytes(goodWeights);
    }

    private static Path write(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    /** What the cases gave. */
    private record Tally(int cases, int cleanErrors, int valid, int traces) {
    }

    @Test
    void mutatedIdxFilesGiveOneLineOrAValidResult() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        int[] t = new int[4];
        long start = System.nanoTime();
        for (int c = 0; c < CASES; c++) {
            boolean labelFile = rnd.nextInt(4) == 0;
            byte[] raw = mutateIdx(labelFile ? labels : images, labelFile, rnd);
            boolean gzip = rnd.nextBoolean();
            byte[] content = gzip ? gzipMaybeDamaged(raw, rnd) : raw;
            Path p = write("case-" + c + (gzip ? ".idx.gz" : ".idx"), content);
            CliRun r = analyze(labelFile ? goodImages : p, labelFile ? p : goodLabels, goodWeights);
            check(r, p, t);
            Files.delete(p);
        }
        report("IDX", t, start);
    }

    @Test
    void mutatedSafetensorsFilesGiveOneLineOrAValidResult() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED + 2);
        int[] t = new int[4];
        long start = System.nanoTime();
        for (int c = 0; c < CASES; c++) {
            Path p = write("case-" + c + ".safetensors", mutateSafetensors(rnd));
            check(analyze(goodImages, goodLabels, p), p, t);
            Files.delete(p);
        }
        report("safetensors", t, start);
    }

    /** Issue 12, defect 9: {@code --limit 10} on a small gzip file declaring 2.7 million images reads 10. */
    @Test
    void limitReadsOnlyWhatItNeedsFromAFileDeclaringMillionsOfImages() throws IOException {
        byte[] liar = images.clone();
        putInt(liar, 4, 2_700_000);
        byte[] liarLabels = labels.clone();
        putInt(liarLabels, 4, 2_700_000);
        Path im = write("liar-images.gz", gzip(liar));
        Path lb = write("liar-labels.gz", gzip(liarLabels));
        CliRun r = CliRun.main("analyze", "--arch", ARCH, "--weights", goodWeights.toString(), "--images",
                im.toString(), "--labels", lb.toString(), "--limit", "4");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("points    4");
        CliRun all = analyze(im, lb, goodWeights);
        assertThat(all.status()).isEqualTo(2);
        assertThat(all.errLines()).containsExactly("flatminima: " + im + ": truncated: the header declares 2700000 "
                + "images of 28 x 28 but the decompressed data holds " + N + " (it ends after " + images.length
                + " bytes)");
    }

    /** Issue 12, defect 13: zero images is one line naming the file (was "cannot summarise an empty column"). */
    @Test
    void zeroImagesIsOneLineNamingTheFile() throws IOException {
        byte[] h = Arrays.copyOf(images, 16);
        putInt(h, 4, 0);
        Path im = write("zero-images", h);
        byte[] l = Arrays.copyOf(labels, 8);
        putInt(l, 4, 0);
        Path lb = write("zero-labels", l);
        CliRun r = analyze(im, lb, goodWeights);
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("flatminima: " + im + ": holds 0 images: a data set needs at least "
                + "one point");
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(raw);
        }
        return out.toByteArray();
    }

    private static void report(String what, int[] t, long start) {
        Tally tally = new Tally(t[0], t[1], t[2], t[3]);
        System.out.printf("InputFuzzTest %s: %s in %.1f s%n", what, tally, (System.nanoTime() - start) * 1e-9);
        assertThat(tally.cases()).isEqualTo(CASES);
        assertThat(tally.traces()).isZero();
        assertThat(tally.cleanErrors() + tally.valid()).isEqualTo(CASES);
        assertThat(tally.cleanErrors()).as("most mutations must be caught").isGreaterThan(CASES / 2);
    }

    /** One command line for all cases (picocli resets the options of each run), built once: cases stay fast. */
    private static final picocli.CommandLine CLI = Main.commandLine();

    private static CliRun analyze(Path im, Path lb, Path w) {
        return CliRun.of(CLI, "analyze", "--arch", ARCH, "--weights", w.toString(), "--images", im.toString(),
                "--labels", lb.toString());
    }

    private static void check(CliRun r, Path file, int[] t) {
        t[0]++;
        String all = r.out() + r.err();
        boolean trace = all.contains("\tat ") || all.contains("a bug") || all.contains("OutOfMemoryError")
                || all.contains("Exception") || all.contains("jackson") || all.contains("Feature");
        if (trace) {
            t[3]++;
        }
        assertThat(trace).as("case %s: %s", file, r.err()).isFalse();
        if (r.status() == 0) {
            assertThat(r.errLines()).as(file.toString()).isEmpty();
            assertThat(r.out()).contains("points    " + N);
            String traceLine = r.out().lines().filter(l -> l.startsWith("trace")).findFirst().orElseThrow();
            double value = Double.parseDouble(traceLine.split("\\s+")[1]);
            assertThat(value).as(file + ": " + traceLine).isFinite().isGreaterThanOrEqualTo(0);
            t[2]++;
            return;
        }
        assertThat(r.status()).as("%s: %s", file, r.err()).isEqualTo(2);
        assertThat(r.errLines()).as(file.toString()).hasSize(1);
        assertThat(r.errLines().getFirst()).startsWith("flatminima: ").contains(file.toString());
        t[1]++;
    }

    // ------------------------------------------------------------------ IDX mutations

    private static byte[] mutateIdx(byte[] valid, boolean labelFile, SplittableRandom rnd) {
        byte[] b = valid.clone();
        int headerBytes = labelFile ? 8 : 16;
        switch (rnd.nextInt(9)) {
            case 0 -> { // byte flips anywhere
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
                }
            }
            case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncation
            case 2 -> b[rnd.nextInt(4)] = (byte) rnd.nextInt(256); // magic
            case 3 -> putInt(b, 4 + 4 * rnd.nextInt(headerBytes / 4 - 1), rnd.nextInt()); // any dimension
            case 4 -> putInt(b, 4, List.of(0, N + 1, N - 1, 1 << 20, 2_700_000, Integer.MAX_VALUE, -1)
                    .get(rnd.nextInt(7))); // counts: zero, off by one, huge
            case 5 -> { // image sizes
                if (!labelFile) {
                    putInt(b, 8 + 4 * rnd.nextInt(2), List.of(0, 1, 27, 29, 65536, 1 << 30).get(rnd.nextInt(6)));
                } else {
                    b[3] = 3;
                }
            }
            case 6 -> b = concat(b, randomBytes(1 + rnd.nextInt(40), rnd)); // appended garbage
            case 7 -> { // pixel or label values
                int at = headerBytes + rnd.nextInt(b.length - headerBytes);
                b[at] = (byte) rnd.nextInt(256);
            }
            default -> { // an empty header-only file declaring zero items
                b = Arrays.copyOf(b, headerBytes);
                putInt(b, 4, 0);
            }
        }
        return b;
    }

    /** gzip of {@code raw}, sometimes cut, with a flipped byte, or with bytes after the member. */
    private static byte[] gzipMaybeDamaged(byte[] raw, SplittableRandom rnd) throws IOException {
        byte[] gz = gzip(raw);
        return switch (rnd.nextInt(6)) {
            case 0 -> Arrays.copyOf(gz, 1 + rnd.nextInt(gz.length - 1));
            case 1 -> {
                gz[10 + rnd.nextInt(gz.length - 10)] ^= (byte) (1 + rnd.nextInt(255));
                yield gz;
            }
            case 2 -> concat(gz, randomBytes(1 + rnd.nextInt(20), rnd));
            default -> gz;
        };
    }

    // ------------------------------------------------------------------ safetensors mutations

    private static byte[] mutateSafetensors(SplittableRandom rnd) {
        long n = ByteBuffer.wrap(weights).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String json = new String(weights, 8, (int) n, StandardCharsets.UTF_8).stripTrailing();
        byte[] data = Arrays.copyOfRange(weights, 8 + (int) n, weights.length);
        switch (rnd.nextInt(10)) {
            case 0 -> { // the header length
                long bad = List.of(0L, 1L, n - 1, n + 1, n + 8, -1L, Long.MAX_VALUE, 1L << 40, 200_000_000L,
                        (long) weights.length).get(rnd.nextInt(10));
                byte[] b = weights.clone();
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bad);
                return b;
            }
            case 1 -> { // byte flips in the JSON
                byte[] j = json.getBytes(StandardCharsets.UTF_8);
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                    j[rnd.nextInt(j.length)] = (byte) "{}[]\",:0123456789xe-. \u0000\u00ff".charAt(rnd.nextInt(24));
                }
                return file(j, data);
            }
            case 2 -> { // JSON structure: cut, duplicated, trailing tokens, not an object
                String[] forms = {json.substring(0, rnd.nextInt(json.length())), json + json, json + " x",
                    json.replaceFirst("\\{", "{\"0.bias\":{},"), "[" + json + "]", "{}", "null", "{\"a\":1}",
                    json.replace("\"format\":\"pt\"", "\"format\":7")};
                return file(forms[rnd.nextInt(forms.length)], data);
            }
            case 3 -> { // dtype
                String[] dtypes = {"F16", "BF16", "F64", "I64", "U8", "BOOL", "F8_E5M2", "U32", "X", "f32", ""};
                return file(json.replaceFirst("\"F32\"", "\"" + dtypes[rnd.nextInt(dtypes.length)] + "\""), data);
            }
            case 4 -> { // shape
                String[] shapes = {"[10,785]", "[785,10]", "[]", "[0]", "[-1,784]", "[10,784,1]", "[2147483648,4]",
                    "[99999999999999,99999999]", "[10.5,784]", "[\"10\",784]", "7"};
                return file(json.replace("[10,784]", shapes[rnd.nextInt(shapes.length)]), data);
            }
            case 5 -> { // offsets
                String[] offs = {"[0,0]", "[1,41]", "[0,39]", "[40,0]", "[0,9223372036854775807]",
                    "[0,18446744073709551616]", "[-40,0]", "[0]", "[0,40,5]", "[31400,31440]"};
                return file(json.replaceFirst("\\[0,\\d+]", offs[rnd.nextInt(offs.length)]), data);
            }
            case 6 -> { // huge sizes that agree with each other
                return file(json.replace("[10,784]", "[100000,100000]").replace("[40,31400]",
                        "[40,40000000040]"), data);
            }
            case 7 -> { // truncation
                return Arrays.copyOf(weights, rnd.nextInt(weights.length));
            }
            case 8 -> { // appended bytes
                return concat(weights, randomBytes(1 + rnd.nextInt(16), rnd));
            }
            default -> { // low mantissa bits of the data: still a valid file, finite values
                byte[] b = weights.clone();
                for (int k = 1 + rnd.nextInt(8); k > 0; k--) {
                    int at = 8 + (int) n + 4 * rnd.nextInt(data.length / 4);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
        }
    }

    /** A safetensors file of header {@code json} (padded to 8 bytes, its length right) and {@code data}. */
    private static byte[] file(String json, byte[] data) {
        return file(json.getBytes(StandardCharsets.UTF_8), data);
    }

    private static byte[] file(byte[] json, byte[] data) {
        int padded = (json.length + 7) / 8 * 8;
        byte[] h = Arrays.copyOf(json, padded);
        Arrays.fill(h, json.length, padded, (byte) ' ');
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h).put(data);
        return b.array();
    }

    // ------------------------------------------------------------------ helpers

    private static void putInt(byte[] b, int at, int v) {
        ByteBuffer.wrap(b).putInt(at, v);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static byte[] randomBytes(int n, SplittableRandom rnd) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rnd.nextInt(256);
        }
        return b;
    }
}
