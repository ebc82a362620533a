package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.flatminima.experiments.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {

    @TempDir
    Path dir;

    static Idx.Images randomImages(int n, int rows, int cols, long seed) {
        byte[] px = new byte[n * rows * cols];
        new SplittableRandom(seed).nextBytes(px);
        return new Idx.Images(n, rows, cols, px);
    }

    /** An IDX header written by hand (independently of the writer): magic, then each size, big-endian. */
    static byte[] header(int magic, int... dims) {
        byte[] h = new byte[4 + 4 * dims.length];
        int[] all = new int[dims.length + 1];
        all[0] = magic;
        System.arraycopy(dims, 0, all, 1, dims.length);
        for (int i = 0; i < all.length; i++) {
            h[4 * i] = (byte) (all[i] >>> 24);
            h[4 * i + 1] = (byte) (all[i] >>> 16);
            h[4 * i + 2] = (byte) (all[i] >>> 8);
            h[4 * i + 3] = (byte) all[i];
        }
        return h;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
            g.write(data);
        }
        return bo.toByteArray();
    }

    private Path file(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    @Test
    void writerProducesTheDocumentedLayout() throws IOException {
        Idx.Images im = randomImages(3, 2, 5, 1);
        Path p = dir.resolve("x-images");
        Idx.writeImages(p, im, false);
        assertThat(Files.readAllBytes(p)).isEqualTo(concat(header(0x803, 3, 2, 5), im.pixels()));
        Path l = dir.resolve("x-labels");
        Idx.writeLabels(l, new int[] {7, 0, 255}, false);
        assertThat(Files.readAllBytes(l)).isEqualTo(concat(header(0x801, 3), new byte[] {7, 0, (byte) 255}));
    }

    @Test
    void roundTripsRawAndGzip() throws IOException {
        for (boolean gz : new boolean[] {false, true}) {
            Idx.Images im = randomImages(17, 28, 28, gz ? 2 : 3);
            int[] labels = new SplittableRandom(4).ints(17, 0, 10).toArray();
            Path pi = dir.resolve("images" + gz);
            Path pl = dir.resolve("labels" + gz);
            Idx.writeImages(pi, im, gz);
            Idx.writeLabels(pl, labels, gz);
            assertThat(Files.readAllBytes(pi)[0] == 0x1f).isEqualTo(gz);
            Idx.Images back = Idx.readImages(pi);
            assertThat(back.count()).isEqualTo(17);
            assertThat(back.rows()).isEqualTo(28);
            assertThat(back.cols()).isEqualTo(28);
            assertThat(back.pixels()).isEqualTo(im.pixels());
            assertThat(Idx.readLabels(pl, 10)).containsExactly(labels);
            assertThat(Idx.count(pi, 3)).isEqualTo(17);
            assertThat(Idx.count(pl, 1)).isEqualTo(17);
        }
    }

    @Test
    void compressionIsDetectedByContentNotName() throws IOException {
        byte[] raw = concat(header(0x801, 2), new byte[] {3, 4});
        assertThat(Idx.readLabels(file("raw-named.gz", raw), 10)).containsExactly(3, 4);
        assertThat(Idx.readLabels(file("gzip-named-raw", gzip(raw)), 10)).containsExactly(3, 4);
    }

    @Test
    void gzipStreamOfConcatenatedMembersIsOneFile() throws IOException {
        byte[] raw = concat(header(0x801, 4), new byte[] {1, 2, 3, 4});
        byte[] twoMembers = concat(gzip(Arrays.copyOf(raw, 6)), gzip(Arrays.copyOfRange(raw, 6, raw.length)));
        assertThat(Idx.readLabels(file("multi.gz", twoMembers), 10)).containsExactly(1, 2, 3, 4);
    }

    private void assertBad(Path p, boolean images, String... fragments) {
        var call = images ? (org.assertj.core.api.ThrowableAssert.ThrowingCallable) () -> Idx.readImages(p)
                : (org.assertj.core.api.ThrowableAssert.ThrowingCallable) () -> Idx.readLabels(p, 10);
        assertThatThrownBy(call).isInstanceOf(DataFileException.class).isInstanceOf(UserException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith(p + ": ").doesNotContain("\n");
                    assertThat(e.getMessage()).contains(fragments);
                    assertThat(((DataFileException) e).file()).isEqualTo(p.toString());
                });
    }

    @Test
    void wrongMagicNumbers() throws IOException {
        byte[] body = new byte[2 * 2 * 2];
        assertBad(file("a", concat(header(0x12345678, 2, 2, 2), body)), true,
                "not an IDX file: it starts with 0x12345678, expected an IDX image file (magic 0x00000803)");
        assertBad(file("b", concat(header(0x801, 8), body)), true,
                "is a label file (magic 0x00000801), expected an IDX image file", "swapped");
        assertBad(file("c", concat(header(0x803, 1, 2, 2), new byte[4])), false,
                "is an image file (magic 0x00000803), expected an IDX label file (magic 0x00000801)");
        assertBad(file("d", concat(header(0x0D03, 1, 1, 1), new byte[4])), true,
                "element type 0x0d (float32", "not supported");
        assertBad(file("e", concat(header(0x804, 1, 1, 1, 1), new byte[1])), true,
                "an IDX file with 4 dimensions");
    }

    @Test
    void truncatedFiles() throws IOException {
        Idx.Images im = randomImages(5, 4, 4, 9);
        byte[] full = concat(header(0x803, 5, 4, 4), im.pixels());
        assertBad(file("short", Arrays.copyOf(full, full.length - 3)), true,
                "truncated: the header declares 5 images of 4 x 4 but the file holds 4 (93 of 96 bytes)");
        assertBad(file("short.gz", gzip(Arrays.copyOf(full, full.length - 3))), true,
                "truncated: the header declares 5 images of 4 x 4 but the decompressed data holds 4 (it ends "
                        + "after 93 bytes)");
        assertBad(file("header-only", Arrays.copyOf(full, 10)), true, "truncated", "inside the IDX header");
        assertBad(file("three-bytes", new byte[] {0, 0, 8}), true, "truncated", "fewer than the 4-byte");
        byte[] gz = gzip(full);
        assertBad(file("cut.gz", Arrays.copyOf(gz, gz.length / 2)), true, "truncated gzip data");
    }

    @Test
    void trailingBytes() throws IOException {
        byte[] full = concat(header(0x801, 3), new byte[] {1, 2, 3});
        assertBad(file("long", concat(full, new byte[] {9, 9})), false,
                "2 trailing bytes: the header declares 3 labels (11 bytes) but the file has 13 bytes");
        assertBad(file("long.gz", gzip(concat(full, new byte[] {9}))), false,
                "trailing bytes: the decompressed data goes on after the 3 labels");
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path p = file("labels", concat(header(0x801, 4), new byte[] {1, 9, 10, 2}));
        assertBad(p, false, "label 10 at index 2 is out of range 0..9");
        assertThat(Idx.readLabels(p, 11)).containsExactly(1, 9, 10, 2);
        assertThatThrownBy(() -> Idx.readLabels(p, 3)).hasMessageContaining("label 9 at index 1 is out of range 0..2");
    }

    @Test
    void emptyMissingAndDirectory() throws IOException {
        assertBad(file("empty", new byte[0]), true, "empty file (0 bytes): expected an IDX image file");
        assertBad(dir.resolve("nope"), true, "file not found");
        assertBad(dir, false, "is a directory");
    }

    @Test
    void notGzipButGzName() throws IOException {
        Path p = file("train-images-idx3-ubyte.gz", "<html>not found</html>".getBytes());
        assertBad(p, true, "not an IDX file", "the name ends in .gz, but the content is not gzip-compressed");
    }

    @Test
    void corruptGzip() throws IOException {
        byte[] gz = gzip(concat(header(0x801, 3), new byte[] {1, 2, 3}));
        gz[12] ^= (byte) 0xFF;
        gz[13] ^= (byte) 0xFF;
        Path p = file("corrupt.gz", gz);
        assertThatThrownBy(() -> Idx.readLabels(p, 10)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(p + ": ");
    }

    @Test
    void absurdHeaderSizesFailBeforeAllocating() throws IOException {
        assertBad(file("huge", concat(header(0x803, 60000, 60000, 28), new byte[10])), true,
                "more than one file may hold");
        assertBad(file("neg", concat(header(0x803, -1, 28, 28), new byte[10])), true, "too large");
        assertBad(file("zero", concat(header(0x803, 3, 0, 28))), true, "a size of 0 is not allowed");
        // a plausible header that a gzip stream does not back up: a short read, not an allocation of 47 MB
        assertBad(file("liar.gz", gzip(concat(header(0x803, 60000, 28, 28), new byte[100]))), true,
                "truncated", "60000 images of 28 x 28");
    }

    @Test
    void countMismatchNamesBothFiles() throws IOException {
        Path im = dir.resolve("im");
        Path lb = dir.resolve("lb");
        Idx.writeImages(im, randomImages(4, 2, 2, 1), true);
        Idx.writeLabels(lb, new int[] {1, 2, 3}, true);
        assertThatThrownBy(() -> Dataset.readIdx("t", im, lb, 10)).isInstanceOf(DataFileException.class)
                .hasMessage(lb + ": has 3 labels but " + im + " has 4 images: they must be the same count");
    }

    @Test
    void writerRejectsLabelsThatDoNotFitAByte() {
        assertThatThrownBy(() -> Idx.writeLabels(dir.resolve("x"), new int[] {1, 256}, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 256 at index 1");
        assertThat(dir.resolve("x")).doesNotExist();
        try (var s = Files.list(dir)) {
            assertThat(s).as("no temporary file left").isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
