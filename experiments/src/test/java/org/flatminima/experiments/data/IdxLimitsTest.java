package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.flatminima.experiments.data.IdxTest.concat;
import static org.flatminima.experiments.data.IdxTest.gzip;
import static org.flatminima.experiments.data.IdxTest.header;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, defects 9 and 13: {@code --limit} reads only what it needs; gzip damage, FIFOs, empty sets. */
class IdxLimitsTest {

    @TempDir
    Path dir;

    private Path file(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    /** Counts the bytes taken from the underlying stream. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }
    }

    @Test
    void aLimitStopsReadingAfterTheFirstRecords() throws IOException {
        Idx.Images all = IdxTest.randomImages(4000, 28, 28, 5); // random pixels: 3.1 MB that gzip cannot shrink
        byte[] gz = gzip(concat(header(Idx.IMAGES_MAGIC, 4000, 28, 28), all.pixels()));
        Counting in = new Counting(new ByteArrayInputStream(gz));
        Idx.Images ten = Idx.readImages("many.gz", in, 10);
        assertThat(ten.count()).isEqualTo(10);
        assertThat(ten.pixels()).isEqualTo(Arrays.copyOf(all.pixels(), 10 * 784));
        assertThat(in.count).as("compressed bytes read of %d", gz.length).isLessThan(200_000);

        Path raw = file("many.idx", concat(header(Idx.IMAGES_MAGIC, 4000, 28, 28), all.pixels()));
        assertThat(Idx.readImages(raw, 3).pixels()).isEqualTo(Arrays.copyOf(all.pixels(), 3 * 784));
        assertThat(Idx.readImages(raw, 5000).count()).isEqualTo(4000);
    }

    /** The case: a small gzip file whose header declares millions of images. */
    @Test
    void aHeaderDeclaringMoreThanTheFileHoldsNamesBothCounts() throws IOException {
        Idx.Images twelve = IdxTest.randomImages(12, 28, 28, 6);
        Path liar = file("liar.gz", gzip(concat(header(Idx.IMAGES_MAGIC, 2_700_000, 28, 28), twelve.pixels())));
        assertThat(Idx.readImages(liar, 10).pixels()).isEqualTo(Arrays.copyOf(twelve.pixels(), 10 * 784));
        assertThatThrownBy(() -> Idx.readImages(liar, 20)).isInstanceOf(DataFileException.class)
                .hasMessage(liar + ": truncated: the header declares 2700000 images of 28 x 28 but the decompressed "
                        + "data holds 12 (it ends after 9424 bytes)");
        Path rawLiar = file("liar.idx", concat(header(Idx.IMAGES_MAGIC, 200_000, 28, 28), twelve.pixels()));
        assertThatThrownBy(() -> Idx.readImages(rawLiar)).hasMessage(rawLiar + ": truncated: the header declares "
                + "200000 images of 28 x 28 but the file holds 12 (9424 of 156800016 bytes)");
        Path absurd = file("absurd.gz", gzip(concat(header(Idx.IMAGES_MAGIC, Integer.MAX_VALUE, 28, 28),
                twelve.pixels())));
        assertThat(Idx.readImages(absurd, 2).count()).isEqualTo(2);
        assertThatThrownBy(() -> Idx.readImages(absurd)).hasMessageStartingWith(absurd + ": the header declares "
                + "2147483647 images of 28 x 28: reading them is 1.7 TB, more than one file may hold");
    }

    @Test
    void truncatedGzipSaysSoWithoutANullReason() throws IOException {
        byte[] gz = gzip(concat(header(Idx.LABELS_MAGIC, 3), new byte[] {1, 2, 3}));
        for (int cut : new int[] {1, 3, 8, gz.length / 2}) {
            Path p = file("cut" + cut + ".gz", Arrays.copyOf(gz, gz.length - cut));
            assertThatThrownBy(() -> Idx.readLabels(p, 10)).isInstanceOf(DataFileException.class)
                    .hasMessageStartingWith(p + ": truncated gzip data").hasMessageNotContaining("null");
        }
    }

    @Test
    void bytesAfterTheLastGzipMemberAreAnErrorNamingTheirOffset() throws IOException {
        byte[] gz = gzip(concat(header(Idx.LABELS_MAGIC, 3), new byte[] {1, 2, 3}));
        Path p = file("garbage.gz", concat(gz, "GARBAGE".getBytes()));
        assertThatThrownBy(() -> Idx.readLabels(p, 10)).isInstanceOf(DataFileException.class)
                .hasMessage(p + ": trailing bytes after the gzip data at byte " + gz.length + " that are not another "
                        + "gzip member: the file is damaged, or two files were joined");
        // two members are one stream, as for gzip(1)
        Path two = file("two.gz", concat(gzip(concat(header(Idx.LABELS_MAGIC, 3), new byte[] {1})),
                gzip(new byte[] {2, 3})));
        assertThat(Idx.readLabels(two, 10)).containsExactly(1, 2, 3);
    }

    @Test
    void aFifoIsReadAsAStream() throws Exception {
        Idx.Images im = IdxTest.randomImages(5, 28, 28, 7);
        byte[] raw = concat(header(Idx.IMAGES_MAGIC, 5, 28, 28), im.pixels());
        assertThat(Idx.readImages(CliTestSupport.fifo(dir, "raw.fifo", raw)).pixels()).isEqualTo(im.pixels());
        assertThat(Idx.readImages(CliTestSupport.fifo(dir, "gz.fifo", gzip(raw))).pixels()).isEqualTo(im.pixels());
        Path cut = CliTestSupport.fifo(dir, "cut.fifo", Arrays.copyOf(raw, raw.length - 784));
        assertThatThrownBy(() -> Idx.readImages(cut)).hasMessage(cut + ": truncated: the header declares 5 images "
                + "of 28 x 28 but the file holds 4 (it ends after 3152 bytes)");
    }

    @Test
    void zeroImagesIsOneLineNamingTheFile() throws IOException {
        Path im = file("empty-images", header(Idx.IMAGES_MAGIC, 0, 28, 28));
        Path lb = file("empty-labels", header(Idx.LABELS_MAGIC, 0));
        assertThatThrownBy(() -> Dataset.readIdx("t", im, lb, 10)).isInstanceOf(DataFileException.class)
                .hasMessage(im + ": holds 0 images: a data set needs at least one point");
        assertThatThrownBy(() -> Dataset.readIdx("t", im, lb, 10, 5)).hasMessageContaining("holds 0 images");
    }

    @Test
    void datasetLimitReadsTheFirstPointsOfBothFiles() throws IOException {
        Idx.Images im = IdxTest.randomImages(30, 28, 28, 8);
        int[] labels = new int[30];
        Arrays.setAll(labels, i -> i % 10);
        Path ip = dir.resolve("im.gz");
        Path lp = dir.resolve("lb.gz");
        Idx.writeImages(ip, im, true);
        Idx.writeLabels(lp, labels, true);
        Dataset d = Dataset.readIdx("t", ip, lp, 10, 7);
        assertThat(d.size()).isEqualTo(7);
        assertThat(d.labels()).containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThat(d.pixel(6, 783)).isEqualTo(im.pixels()[7 * 784 - 1] & 0xFF);
        assertThat(Dataset.readIdx("t", ip, lp, 10, 100).size()).isEqualTo(30);
        Path fewer = dir.resolve("fewer.gz");
        Idx.writeLabels(fewer, Arrays.copyOf(labels, 29), true);
        assertThatThrownBy(() -> Dataset.readIdx("t", ip, fewer, 10, 5))
                .hasMessage(fewer + ": has 29 labels but " + ip + " has 30 images: they must be the same count");
    }
}
