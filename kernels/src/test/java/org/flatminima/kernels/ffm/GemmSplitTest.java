package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BackendUnavailableException;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A large OpenBLAS product split across the backend's threads ({@link NativeBackend#SPLIT_PROPERTY}) gives the
 * single-threaded call's result to the bit (its blocks of rows start at multiples of the kernels' register blocks),
 * for every transpose, and so does a product of few rows, run as two blocks of columns at every thread count; both
 * agree with a double-precision product written out here.
 */
class GemmSplitTest {

    @Test
    void twoThreadsGiveTheOneThreadProductToTheBit() throws BackendUnavailableException {
        Backend be;
        try {
            be = NativeBackend.create();
        } catch (BackendUnavailableException e) {
            Assumptions.abort("native backend unavailable: " + e.getMessage());
            return;
        }
        int before = be.threads();
        try (Arena arena = Arena.ofShared()) {
            // split rows (m >= 96: the stacked directions' 100 x 1000 x 784 at 48), a product too short to split
            // (m = 40), every transpose, f32 and f64, beta 0 and 0.5
            // and products of few rows in two blocks of columns at every thread count (W2's at batch 32)
            int[][] shapes = {{300, 200, 150}, {40, 500, 300}, {257, 65, 129}, {1000, 512, 784}, {100, 1000, 784},
                {32, 512, 784}, {1, 300, 7000}};
            for (DType t : DType.values()) {
                for (int[] s : shapes) {
                    for (int tr = 0; tr < 4; tr++) {
                        boolean ta = (tr & 1) != 0;
                        boolean tb = (tr & 2) != 0;
                        check(be, arena, t, ta, tb, s[0], s[1], s[2], tr == 3 ? 0.5 : 0.0);
                    }
                }
            }
        } finally {
            be.setThreads(before);
        }
    }

    @Test
    void productsOfFewRowsRunAsTwoBlocksOfColumns() {
        assertThat(GemmRoutes.columnBlocks(32, 512, 784)).isTrue();
        assertThat(GemmRoutes.columnBlocks(95, 256, 100)).isTrue();
        assertThat(GemmRoutes.columnBlocks(96, 512, 784)).as("split by rows instead").isFalse();
        assertThat(GemmRoutes.columnBlocks(32, 255, 784)).as("too narrow").isFalse();
        assertThat(GemmRoutes.columnBlocks(32, 256, 100)).as("too few FLOPs").isFalse();
        // both blocks start at a multiple of the split's alignment
        assertThat(GemmRoutes.splitPoint(512, 2, 1) % GemmRoutes.SPLIT_ALIGN).isZero();
    }

    @Test
    void noPartIsSmallEnoughForOpenBlasSmallMatrixKernels() {
        // 257 rows at 2 threads split at 96: 96 x 65 x 129 = 804,960 <= 100^3 would run on the small-matrix
        // kernels of an AVX-512 core while the whole (2.2e6) does not: not split
        assertThat(GemmRoutes.splitParts(257, 65, 129, 2)).isEqualTo(1);
        // 300 rows split at 144: 144 x 200 x 150 = 4.3e6, both parts above
        assertThat(GemmRoutes.splitParts(300, 200, 150, 2)).isEqualTo(2);
        assertThat(GemmRoutes.splitParts(1000, 512, 784, 2)).isEqualTo(2);
        assertThat(GemmRoutes.splitParts(1000, 512, 784, 3)).isEqualTo(3);
        // too few rows, too few FLOPs
        assertThat(GemmRoutes.splitParts(40, 500, 300, 2)).isEqualTo(1);
        assertThat(GemmRoutes.splitParts(200, 10, 10, 2)).isEqualTo(1);
        assertThat(GemmRoutes.splitParts(1000, 512, 784, 1)).isEqualTo(1);
        // the stacked products of ten directions' few columns, rows as few as 96
        assertThat(GemmRoutes.splitParts(100, 1000, 784, 2)).isEqualTo(2);
        assertThat(GemmRoutes.splitParts(95, 1000, 784, 2)).isEqualTo(1);
        // every part of a split is above the small-matrix limit
        for (int m = 2 * GemmRoutes.SPLIT_MIN_SIDE; m < 1200; m += 7) {
            for (int n : new int[] {10, 65, 128, 500}) {
                for (int k : new int[] {9, 64, 129, 784}) {
                    int parts = GemmRoutes.splitParts(m, n, k, 2);
                    for (int p = 0; parts > 1 && p < parts; p++) {
                        long rows = GemmRoutes.splitPoint(m, parts, p + 1) - GemmRoutes.splitPoint(m, parts, p);
                        assertThat((double) rows * n * k).isGreaterThan(GemmRoutes.SMALL_KERNEL_MNK);
                    }
                }
            }
        }
    }

    private static void check(Backend be, Arena arena, DType t, boolean ta, boolean tb, int m, int n, int k,
                              double beta) {
        SplittableRandom rnd = new SplittableRandom(m * 31L + n * 7L + k + (ta ? 1 : 0) + (tb ? 2 : 0));
        double[] a = rnd.doubles((long) m * k, -1, 1).toArray();
        double[] b = rnd.doubles((long) k * n, -1, 1).toArray();
        double[] c0 = rnd.doubles((long) m * n, -1, 1).toArray();
        int lda = ta ? m : k;
        int ldb = tb ? k : n;
        MemorySegment sa = put(arena, t, a);
        MemorySegment sb = put(arena, t, b);
        be.setThreads(1);
        MemorySegment one = put(arena, t, c0);
        be.gemm(t, ta, tb, m, n, k, 1.5, sa, lda, sb, ldb, beta, one, n);
        be.setThreads(2);
        MemorySegment two = put(arena, t, c0);
        be.gemm(t, ta, tb, m, n, k, 1.5, sa, lda, sb, ldb, beta, two, n);
        double[] x = get(t, one, m * n);
        double[] y = get(t, two, m * n);
        int firstDiff = -1;
        for (int i = 0; i < x.length && firstDiff < 0; i++) {
            firstDiff = Double.doubleToRawLongBits(x[i]) == Double.doubleToRawLongBits(y[i]) ? -1 : i;
        }
        assertThat(firstDiff).as("first entry differing between 1 and 2 threads, %s %s%s %dx%dx%d", t,
                ta ? "T" : "N", tb ? "T" : "N", m, n, k).isEqualTo(-1);
        double tol = t == DType.F32 ? 1e-4 : 1e-12;
        for (int i = 0; i < m; i += 37) {
            for (int j = 0; j < n; j += 11) {
                double ref = beta * (t == DType.F32 ? (float) c0[i * n + j] : c0[i * n + j]);
                for (int p = 0; p < k; p++) {
                    double av = round(t, ta ? a[p * lda + i] : a[i * lda + p]);
                    double bv = round(t, tb ? b[j * ldb + p] : b[p * ldb + j]);
                    ref += 1.5 * av * bv;
                }
                assertThat(y[i * n + j]).isCloseTo(ref, org.assertj.core.api.Assertions.within(tol * k));
            }
        }
    }

    private static double round(DType t, double v) {
        return t == DType.F32 ? (float) v : v;
    }

    private static MemorySegment put(Arena arena, DType t, double[] v) {
        MemorySegment s = arena.allocate((long) v.length * t.byteSize(), 64);
        for (int i = 0; i < v.length; i++) {
            if (t == DType.F32) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v[i]);
            } else {
                s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v[i]);
            }
        }
        return s;
    }

    private static double[] get(DType t, MemorySegment s, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = t == DType.F32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i) : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
        }
        return r;
    }
}
