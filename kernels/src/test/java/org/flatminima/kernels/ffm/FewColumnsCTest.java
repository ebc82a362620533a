package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ScalarBackend;
import org.flatminima.kernels.vector.VectorBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The C kernels for products with few columns of C ({@code fm_fewcol_gemm}, AVX-512): against the scalar oracle
 * (every orientation, edge rows, columns and depths, alpha and beta with a NaN-filled C at beta 0, padded leading
 * dimensions, C's padding untouched); to the bit against the vector backend's kernels for the same products with
 * 512-bit vectors (the promise that lets the native backend pick either); and the bits of one thread at two and
 * three, through {@link CKernelBackend}'s bands.
 */
class FewColumnsCTest {

    @BeforeAll
    static void needsTheKernels() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.fewColumnsSupported(), "this CPU has no AVX-512");
    }

    static Stream<Arguments> shapes() {
        List<Arguments> all = new ArrayList<>();
        for (DType t : DType.values()) {
            for (int m : new int[] {1, 5, 64, 67, 131}) {
                for (int n : new int[] {1, 5, 6, 10, 16}) {
                    for (int k : new int[] {1, 15, 64, 100, 257}) {
                        for (int o = 0; o < 4; o++) {
                            all.add(Arguments.of(t, m, n, k, (o & 1) != 0, (o & 2) != 0));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} ta={4} tb={5}")
    @MethodSource("shapes")
    void matchesTheOracleAndTheVectorKernels(DType t, int m, int n, int k, boolean ta, boolean tb) {
        check(t, m, n, k, ta, tb, 1.0, 0.0);
        check(t, m, n, k, ta, tb, 0.75, 0.0);
        check(t, m, n, k, ta, tb, -1.5, 0.5);
    }

    private static void check(DType t, int m, int n, int k, boolean ta, boolean tb, double alpha, double beta) {
        SplittableRandom r = new SplittableRandom(31L * m + 17L * n + k);
        try (Arena arena = Arena.ofConfined()) {
            int lda = (ta ? m : k) + 3;
            int ldb = (tb ? k : n) + 1;
            int ldc = n + 2;
            MemorySegment a = random(arena, t, (long) (ta ? k : m) * lda, r);
            MemorySegment b = random(arena, t, (long) (tb ? n : k) * ldb, r);
            MemorySegment c0 = random(arena, t, (long) m * ldc, r);
            if (beta == 0) {
                for (long i = 0; i < (long) m * ldc; i += 3) {
                    t.set(c0, i, Double.NaN); // must not be read
                }
            }
            MemorySegment cc = copy(arena, c0, t);
            MemorySegment cs = copy(arena, c0, t);
            CKernels.fewColumnsGemm(t, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc);
            new ScalarBackend().gemm(t, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, cs, ldc);
            String what = String.format("%s %dx%dx%d ta=%b tb=%b alpha=%s beta=%s", t, m, n, k, ta, tb, alpha, beta);
            double tol = 8 * t.epsilon() * (k + 2) * (Math.abs(alpha) + Math.abs(beta) + 1);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < ldc; j++) {
                    long ci = (long) i * ldc + j;
                    if (j >= n) {
                        assertThat(Double.doubleToRawLongBits(t.get(cc, ci))).as("padding of C")
                                .isEqualTo(Double.doubleToRawLongBits(t.get(c0, ci)));
                    } else {
                        assertThat(t.get(cc, ci)).as("%s C[%d,%d]", what, i, j)
                                .isCloseTo(t.get(cs, ci), Offset.offset(tol));
                    }
                }
            }
            if (VectorBackend.preferredVectorBits() == 512 && VectorBackend.fewColumnsGemm(m, n, k)) {
                MemorySegment cv = copy(arena, c0, t);
                Backend vb = VectorBackend.create();
                vb.setThreads(1);
                vb.gemm(t, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, cv, ldc);
                assertThat(cc.mismatch(cv)).as("bits against the vector kernels: %s", what).isEqualTo(-1L);
            }
        } catch (org.flatminima.kernels.BackendUnavailableException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void twoAndThreeThreadsGiveTheBitsOfOne() {
        Assumptions.assumeTrue(System.getProperty(NativeBackend.FEW_COLUMNS_PROPERTY) == null, "property set");
        Backend cb = new CKernelBackend();
        int before = cb.threads();
        int[][] shapes = {{1000, 10, 784}, {784, 10, 1000}, {301, 16, 260}, {777, 7, 200}, {200, 3, 2000}};
        // (each above OpenBLAS's small-matrix limit, so that the native backend gives them to the C kernels)
        try (Arena arena = Arena.ofShared()) {
            for (DType t : DType.values()) {
                for (int[] s : shapes) {
                    for (int o = 0; o < 4; o++) {
                        boolean ta = (o & 1) != 0;
                        boolean tb = (o & 2) != 0;
                        int m = s[0];
                        int n = s[1];
                        int k = s[2];
                        SplittableRandom r = new SplittableRandom(m + n + k);
                        MemorySegment a = random(arena, t, (long) m * k, r);
                        MemorySegment b = random(arena, t, (long) k * n, r);
                        MemorySegment c0 = random(arena, t, (long) m * n, r);
                        MemorySegment c1 = copy(arena, c0, t);
                        CKernels.fewColumnsGemm(t, ta, tb, m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, 0.5, c1, n);
                        for (int threads : new int[] {2, 3}) {
                            cb.setThreads(threads);
                            MemorySegment c2 = copy(arena, c0, t);
                            cb.gemm(t, ta, tb, m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, 0.5, c2, n);
                            assertThat(c2.mismatch(c1)).as("%s %s threads=%d ta=%b tb=%b", t,
                                    java.util.Arrays.toString(s), threads, ta, tb).isEqualTo(-1L);
                        }
                    }
                }
            }
        } finally {
            cb.setThreads(before);
        }
    }

    private static MemorySegment random(Arena arena, DType t, long n, SplittableRandom r) {
        MemorySegment s = arena.allocate(n * t.byteSize(), t.byteSize());
        for (long i = 0; i < n; i++) {
            t.set(s, i, r.nextDouble(-1, 1));
        }
        return s;
    }

    private static MemorySegment copy(Arena arena, MemorySegment from, DType t) {
        return arena.allocate(from.byteSize(), t.byteSize()).copyFrom(from);
    }
}
