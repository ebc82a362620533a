package org.flatminima.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector GEMM's kernels for products with few columns of C ({@code FloatSkinnyGemm}, {@code DoubleSkinnyGemm}):
 * every orientation, edge rows, columns and depths, alpha and beta, against the scalar oracle; the bits across
 * thread counts; the transposed case's one chain of multiply-adds per entry.
 */
class SkinnyGemmTest {

    static Stream<Arguments> shapes() {
        List<Arguments> all = new ArrayList<>();
        for (DType t : DType.values()) {
            for (int m : new int[] {64, 67, 131}) {
                for (int n : new int[] {1, 5, 6, 10, 16}) {
                    for (int k : new int[] {64, 100, 257}) {
                        for (int o = 0; o < 4; o++) {
                            all.add(Arguments.of(t, m, n, k, (o & 1) != 0, (o & 2) != 0));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    @Test
    void takesTheProductsWithFewColumnsAboveItsThresholds() {
        assertThat(VectorBackend.fewColumnsGemm(1000, 10, 784)).isTrue();
        assertThat(VectorBackend.fewColumnsGemm(784, 10, 1000)).isTrue();
        assertThat(VectorBackend.fewColumnsGemm(64, 16, 64)).isTrue();
        assertThat(VectorBackend.fewColumnsGemm(1000, 17, 784)).isFalse();
        assertThat(VectorBackend.fewColumnsGemm(63, 10, 784)).isFalse();
        assertThat(VectorBackend.fewColumnsGemm(784, 10, 32)).isFalse();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} ta={4} tb={5}")
    @MethodSource("shapes")
    void matchesTheOracle(DType t, int m, int n, int k, boolean ta, boolean tb) throws Exception {
        assertThat(VectorBackend.fewColumnsGemm(m, n, k)).isTrue();
        Backend vb = VectorBackend.create();
        VectorGemmTest.check(vb, t, m, n, k, ta, tb, 1.0, 0.0);
        VectorGemmTest.check(vb, t, m, n, k, ta, tb, 0.75, 0.0); // C NaN-filled: not read
        VectorGemmTest.check(vb, t, m, n, k, ta, tb, -1.5, 0.5);
    }

    @Test
    void twoAndThreeThreadsGiveTheBitsOfOne() throws Exception {
        Backend one = VectorBackend.create();
        int[][] shapes = {{1000, 10, 784}, {784, 10, 1000}, {301, 16, 130}, {777, 7, 65}, {70, 3, 300}};
        for (int threads : new int[] {2, 3}) {
            Backend many = VectorBackend.create();
            many.setThreads(threads);
            for (DType t : DType.values()) {
                for (int[] s : shapes) {
                    for (int o = 0; o < 4; o++) {
                        boolean ta = (o & 1) != 0;
                        boolean tb = (o & 2) != 0;
                        int m = s[0];
                        int n = s[1];
                        int k = s[2];
                        SplittableRandom r = new SplittableRandom(m + n + k);
                        try (Arena arena = Arena.ofShared()) {
                            MemorySegment a = VectorGemmTest.random(arena, t, (long) m * k, r);
                            MemorySegment b = VectorGemmTest.random(arena, t, (long) k * n, r);
                            MemorySegment c1 = VectorGemmTest.random(arena, t, (long) m * n, r);
                            MemorySegment c2 = arena.allocate(c1.byteSize(), t.byteSize()).copyFrom(c1);
                            int lda = ta ? m : k;
                            int ldb = tb ? k : n;
                            one.gemm(t, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.5, c1, n);
                            many.gemm(t, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.5, c2, n);
                            assertThat(c2.mismatch(c1)).as("%s %s threads=%d ta=%b tb=%b", t,
                                    java.util.Arrays.toString(s), threads, ta, tb).isEqualTo(-1L);
                        }
                    }
                }
            }
        }
    }

    /**
     * With A not transposed an entry is VL chains of multiply-adds over the depth (lane x takes p = x, x + VL, ...
     * below the last whole vector), those lanes added pairwise by halves (lane x plus lane x + VL / 2, then x + VL
     * / 4, ...), then the remainder of the depth as multiply-adds in order: the order the C kernels keep too.
     */
    @Test
    void notTransposedAddsAnEntrysLanesPairwiseByHalves() throws Exception {
        int k = 301;
        entries(false, 70, 10, k, 7, (t, a, b, i, j) -> {
            int vl = t == DType.F32 ? FloatVector.SPECIES_PREFERRED.length() : DoubleVector.SPECIES_PREFERRED.length();
            int kv = k / vl * vl;
            double[] lanes = new double[vl];
            for (int p = 0; p < kv; p++) {
                lanes[p % vl] = fma(t, t.get(a, (long) i * k + p), t.get(b, (long) j * k + p), lanes[p % vl]);
            }
            for (int h = vl / 2; h > 0; h /= 2) {
                for (int x = 0; x < h; x++) {
                    double sum = lanes[x] + lanes[x + h]; // a float sum is exact in double
                    lanes[x] = t == DType.F32 ? (float) sum : sum;
                }
            }
            double want = lanes[0];
            for (int p = kv; p < k; p++) {
                want = fma(t, t.get(a, (long) i * k + p), t.get(b, (long) j * k + p), want);
            }
            return want;
        });
    }

    /**
     * With A transposed every entry is one chain of multiply-adds over the depth in order, rounded to the element
     * type at each step (what the Javadoc promises, and why its bits do not depend on the vector length).
     */
    @Test
    void transposedAIsOneChainOfMultiplyAddsPerEntry() throws Exception {
        int m = 100;
        int n = 10;
        entries(true, m, n, 300, 5, (t, a, b, i, j) -> {
            double s = 0;
            for (int p = 0; p < 300; p++) {
                s = fma(t, t.get(a, (long) p * m + i), t.get(b, (long) p * n + j), s);
            }
            return s;
        });
    }

    /** What an entry of C must be, from A and B as stored. */
    @FunctionalInterface
    private interface Entry {
        double of(DType t, MemorySegment a, MemorySegment b, int i, int j);
    }

    /**
     * The vector backend's {@code A B^T} (A {@code m x k}, B {@code n x k}) or, {@code transA}, {@code A^T B} (A
     * {@code k x m}, B {@code k x n}) of random operands, each entry of C against {@code want} to the bit, both dtypes.
     */
    private static void entries(boolean transA, int m, int n, int k, long seed, Entry want) throws Exception {
        Backend vb = VectorBackend.create();
        for (DType t : DType.values()) {
            SplittableRandom r = new SplittableRandom(seed);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment a = VectorGemmTest.random(arena, t, (long) m * k, r);
                MemorySegment b = VectorGemmTest.random(arena, t, (long) n * k, r);
                MemorySegment c = arena.allocate((long) m * n * t.byteSize(), t.byteSize());
                vb.gemm(t, transA, !transA, m, n, k, 1.0, a, transA ? m : k, b, transA ? n : k, 0.0, c, n);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        assertThat(t.get(c, (long) i * n + j)).as("%s C[%d,%d]", t, i, j)
                                .isEqualTo(want.of(t, a, b, i, j));
                    }
                }
            }
        }
    }

    /** {@code x y + s} rounded once to the element type. */
    private static double fma(DType t, double x, double y, double s) {
        return t == DType.F32 ? Math.fma((float) x, (float) y, (float) s) : Math.fma(x, y, s);
    }
}
