package org.flatminima.experiments.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

class DatasetTest {

    /** Point i has label i % 3 and pixels (i + 37 f) % 256 over 2 x 2 x 2 = 8 features (pixel 0 is i). */
    static Dataset tiny(int n) {
        byte[] px = new byte[n * 8];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int f = 0; f < 8; f++) {
                px[i * 8 + f] = (byte) ((i + 37 * f) % 256);
            }
        }
        return Dataset.of("tiny", "test", 2, 2, 2, px, labels, 3);
    }

    @Test
    void imagesArePixelsOver255InEitherLayoutAndDtype() {
        Dataset d = tiny(5);
        Tensor t = d.images();
        assertThat(t.dtype()).isEqualTo(DType.F32);
        assertThat(t.shape()).containsExactly(5, 2, 2, 2);
        assertThat(t.get(3, 1, 0, 1)).isEqualTo((float) ((3 + 37 * 5) / 255.0));
        Tensor f = d.as(DType.F64).as(Dataset.Layout.FLAT).images();
        assertThat(f.shape()).containsExactly(5, 8);
        assertThat(f.get(4, 7)).isEqualTo(((4 + 37 * 7) % 256) / 255.0);
        assertThat(f.get(0, 0)).isZero();
    }

    @Test
    void pixel255MapsToExactlyOne() {
        Dataset d = Dataset.of("w", "test", 1, 1, 2, new byte[] {(byte) 255, (byte) 128}, new int[] {0}, 2);
        Tensor t = d.as(DType.F64).images();
        assertThat(t.get(0, 0, 0, 0)).isEqualTo(1.0);
        assertThat(t.get(0, 0, 0, 1)).isEqualTo(128 / 255.0);
    }

    @Test
    void standardisationMatchesAHandComputation() {
        // feature 0: values 0, 51, 102 (/255 = 0, .2, .4): mean .2, population std sqrt(.08/3)
        // feature 1: constant 7: std 0 -> 1, so it maps to 0
        byte[] px = {0, 7, 51, 7, 102, 7};
        Dataset d = Dataset.of("s", "test", 1, 1, 2, px, new int[] {0, 1, 0}, 2).as(DType.F64);
        Dataset.Standardization s = Dataset.Standardization.of(d);
        assertThat(s.mean()[0]).isCloseTo(0.2, within(1e-15));
        assertThat(s.std()[0]).isCloseTo(Math.sqrt(0.08 / 3), within(1e-15));
        assertThat(s.mean()[1]).isCloseTo(7 / 255.0, within(1e-15));
        assertThat(s.std()[1]).isEqualTo(1.0);
        Tensor t = d.standardized(s).as(Dataset.Layout.FLAT).images();
        assertThat(t.get(2, 0)).isCloseTo(0.2 / Math.sqrt(0.08 / 3), within(1e-12));
        assertThat(t.get(1, 0)).isCloseTo(0.0, within(1e-15));
        assertThat(t.get(0, 1)).isCloseTo(0.0, within(1e-15));
        // the training statistics apply unchanged to another split
        Dataset other = Dataset.of("o", "test", 1, 1, 2, new byte[] {(byte) 255, 8}, new int[] {1}, 2)
                .as(DType.F64).standardized(s);
        assertThat(other.as(Dataset.Layout.FLAT).images().get(0, 0))
                .isCloseTo((1.0 - 0.2) / Math.sqrt(0.08 / 3), within(1e-12));
        assertThatThrownBy(() -> tiny(2).standardized(s)).hasMessageContaining("2 features");
    }

    @Test
    void subsetIsDeterministicDistinctAndOrdered() {
        Dataset d = tiny(50);
        Dataset a = d.subset(20, 42);
        Dataset b = d.subset(20, 42);
        Dataset c = d.subset(20, 43);
        assertThat(a.labels()).containsExactly(b.labels());
        int[] ia = ids(a);
        assertThat(ia).containsExactly(ids(b)).isSorted();
        assertThat(Arrays.stream(ia).distinct().count()).isEqualTo(20);
        assertThat(ids(c)).isNotEqualTo(ia);
        for (int k = 0; k < a.size(); k++) {
            assertThat(a.label(k)).isEqualTo(ia[k] % 3);
        }
        assertThat(d.subset(50, 1).labels()).containsExactly(d.labels());
        assertThatThrownBy(() -> d.subset(51, 1)).hasMessageContaining("cannot take 51 points");
    }

    /** Each point's original index (its pixel 0). */
    private static int[] ids(Dataset d) {
        int[] out = new int[d.size()];
        for (int k = 0; k < d.size(); k++) {
            out[k] = d.pixel(k, 0);
        }
        return out;
    }

    @Test
    void permutationIsAPermutationAndSeedDependent() {
        int[] p = Dataset.permutation(1000, 7);
        assertThat(Arrays.stream(p).sorted().toArray()).isEqualTo(java.util.stream.IntStream.range(0, 1000).toArray());
        assertThat(Dataset.permutation(1000, 7)).containsExactly(p);
        assertThat(Dataset.permutation(1000, 8)).isNotEqualTo(p);
        assertThat(Dataset.permutation(0, 1)).isEmpty();
    }

    @Test
    void shuffledKeepsEveryPointOnce() {
        Dataset d = tiny(40);
        Dataset s = d.shuffled(3);
        int[] counts = s.classCounts();
        assertThat(counts).containsExactly(d.classCounts());
        assertThat(s.labels()).isNotEqualTo(d.labels());
        int[] perm = Dataset.permutation(40, 3);
        for (int k = 0; k < 40; k++) {
            assertThat(s.label(k)).isEqualTo(d.label(perm[k]));
            assertThat(s.pixel(k, 3)).isEqualTo(d.pixel(perm[k], 3));
        }
    }

    @Test
    void batchesCoverTheEpochOnceInSeededOrder() {
        Dataset d = tiny(23).as(Dataset.Layout.FLAT);
        List<Dataset.Batch> batches = new ArrayList<>();
        d.batches(5, 11).forEach(batches::add);
        assertThat(batches).hasSize(5);
        assertThat(batches.getLast().labels()).hasSize(3);
        Set<Integer> seen = new HashSet<>();
        int[] order = Dataset.permutation(23, 11);
        int at = 0;
        for (Dataset.Batch b : batches) {
            assertThat(b.images().shape()).containsExactly(b.indices().length, 8);
            for (int k = 0; k < b.indices().length; k++) {
                int i = b.indices()[k];
                assertThat(i).isEqualTo(order[at++]);
                assertThat(seen.add(i)).isTrue();
                assertThat(b.labels()[k]).isEqualTo(d.label(i));
                assertThat(b.images().get(k, 2)).isEqualTo((float) (((i + 74) % 256) / 255.0));
            }
        }
        assertThat(seen).hasSize(23);
        List<int[]> again = new ArrayList<>();
        d.batches(5, 11).forEach(b -> again.add(b.indices()));
        assertThat(again.getFirst()).containsExactly(batches.getFirst().indices());
        assertThatThrownBy(() -> d.batches(0, 1)).hasMessageContaining("at least 1");
    }

    @Test
    void firstAndSelect() {
        Dataset d = tiny(10);
        assertThat(d.first(4).labels()).containsExactly(0, 1, 2, 0);
        assertThat(d.first(100).size()).isEqualTo(10);
        assertThat(d.select(new int[] {9, 9, 1}).labels()).containsExactly(0, 0, 1);
        assertThatThrownBy(() -> d.select(new int[] {10})).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void constructionValidates() {
        assertThatThrownBy(() -> Dataset.of("x", "s", 1, 2, 2, new byte[7], new int[] {0, 0}, 2))
                .hasMessageContaining("7 pixels do not make 2 images");
        assertThatThrownBy(() -> Dataset.of("x", "s", 1, 1, 1, new byte[1], new int[] {5}, 2))
                .hasMessageContaining("label 5 at index 0");
    }
}
