package org.flatminima.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GemmChecks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The vector GEMM against the scalar oracle on awkward sizes (edge tiles), transposes, alpha/beta, threads. */
class VectorGemmTest {

    private static final int[] SIZES = {1, 2, 3, 5, 7, 13, 31, 64, 127};

    static Stream<Arguments> shapes() {
        List<Arguments> all = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(7);
        for (DType t : DType.values()) {
            for (int m : SIZES) {
                for (int n : SIZES) {
                    // all k for a few (m, n), one random k otherwise: keeps the run short
                    int kk = SIZES[r.nextInt(SIZES.length)];
                    for (int k : SIZES) {
                        if (k == kk || (m == 5 && n == 13) || (m == 127 && n == 31)) {
                            all.add(Arguments.of(t, m, n, k, r.nextBoolean(), r.nextBoolean()));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    /** The blocking of a dtype's GEMM: micro-tile rows, A block rows, micro-tile columns, depth block. */
    private record Blocking(int mr, int mc, int nr, int kc) {
        static Blocking of(DType t) {
            return t == DType.F32 ? new Blocking(FloatGemm.MR, FloatGemm.MC, FloatGemm.NR, FloatGemm.KC)
                    : new Blocking(DoubleGemm.MR, DoubleGemm.MC, DoubleGemm.NR, DoubleGemm.KC);
        }
    }

    static MemorySegment random(Arena arena, DType t, long n, SplittableRandom r) {
        return GemmChecks.random(arena, t, n, r);
    }

    /** Runs C = alpha op(A) op(B) + beta C on both backends (padded leading dimensions) and compares. */
    static void check(Backend vb, DType t, int m, int n, int k, boolean ta, boolean tb, double alpha, double beta) {
        GemmChecks.matchesOracle(vb::gemm, t, m, n, k, ta, tb, alpha, beta);
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} ta={4} tb={5}")
    @MethodSource("shapes")
    void matchesOracle(DType t, int m, int n, int k, boolean ta, boolean tb) throws Exception {
        Backend vb = VectorBackend.create();
        check(vb, t, m, n, k, ta, tb, 1.0, 0.0);
    }

    @Test
    void alphaBetaAndTransposes() throws Exception {
        Backend vb = VectorBackend.create();
        for (DType t : DType.values()) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    check(vb, t, 37, 53, 300, ta, tb, 0.75, 0.0);
                    check(vb, t, 37, 53, 300, ta, tb, -1.5, 1.0);
                    check(vb, t, 9, 70, 11, ta, tb, 2.0, -0.5);
                }
            }
        }
    }

    /**
     * Shapes one past and one short of the blocking of each dtype's GEMM: rows around a micro-tile and an A
     * block (MR, MC), columns around a tile (NR) and last panels one or two vectors wide (the narrow
     * kernel's), depth past a packed block (KC), so edge tiles, a second A block and a second pass over C all
     * run, for every pair of transposes.
     */
    @Test
    void edgesOfTheBlocking() throws Exception {
        Backend vb = VectorBackend.create();
        for (DType t : DType.values()) {
            Blocking bl = Blocking.of(t);
            int mr = bl.mr();
            int mc = bl.mc();
            int nr = bl.nr();
            int kc = bl.kc();
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    check(vb, t, mc + mr + 1, 2 * nr - 1, kc + 3, ta, tb, 1.0, 0.0);
                    check(vb, t, mc - 1, nr + 1, kc - 1, ta, tb, -0.5, 1.0);
                    check(vb, t, mr - 1, 2 * nr + 1, 2 * kc + 1, ta, tb, 1.0, 0.5);
                    // a last panel of one whole vector, of two vectors but one column, of two whole vectors
                    for (int w : new int[] {nr / 3, 2 * nr / 3 - 1, 2 * nr / 3}) {
                        check(vb, t, mr + 2, nr + w, kc + 3, ta, tb, 1.0, 0.5);
                    }
                }
            }
        }
    }

    /**
     * The bits of C, not only its values: each entry is {@code beta * C} (or 0), plus, for each KC-deep block of
     * depth, one chain of fused multiply-adds of {@code alpha * a} and {@code b} in order of depth from zero;
     * the chain computed here in scalar Java ({@link Math#fma}). Whatever the layout of the packed A (by rows, by
     * depths, in panels: a transposed A with 517 columns of C takes the panels with 256-bit vectors of doubles) and
     * of B, the kernels must walk the same chain.
     */
    @Test
    void bitsAreOneChainOfMultiplyAddsPerBlockOfDepth() throws Exception {
        Backend vb = VectorBackend.create();
        for (DType t : DType.values()) {
            Blocking bl = Blocking.of(t);
            int kc = bl.kc();
            int m = bl.mr() * 2 + 3;
            int k = kc + 9;
            for (int n : new int[] {bl.nr() + 5, 517}) {
                for (boolean ta : new boolean[] {false, true}) {
                    if (n == 517 && !ta) {
                        continue;
                    }
                    for (boolean tb : new boolean[] {false, true}) {
                        for (double[] ab : new double[][] {{1, 0}, {0.75, 0.5}}) {
                            SplittableRandom r = new SplittableRandom(m * 31 + k);
                            try (Arena arena = Arena.ofConfined()) {
                                MemorySegment a = random(arena, t, (long) m * k, r);
                                MemorySegment b = random(arena, t, (long) k * n, r);
                                MemorySegment c = random(arena, t, (long) m * n, r);
                                int lda = ta ? m : k;
                                int ldb = tb ? k : n;
                                double[] want = new double[m * n];
                                for (int i = 0; i < m; i++) {
                                    for (int j = 0; j < n; j++) {
                                        want[i * n + j] = chain(t, i, j, k, kc, ab[0], a, lda, ta, b, ldb, tb, ab[1],
                                                t.get(c, (long) i * n + j));
                                    }
                                }
                                vb.gemm(t, ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, n);
                                for (int e = 0; e < m * n; e++) {
                                    assertThat(Double.doubleToRawLongBits(t.get(c, e)))
                                            .as("%s n=%d ta=%b tb=%b alpha=%s C[%d]", t, n, ta, tb, ab[0], e)
                                            .isEqualTo(Double.doubleToRawLongBits(want[e]));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Entry (i, j) of {@link #bitsAreOneChainOfMultiplyAddsPerBlockOfDepth}, in the dtype's own arithmetic. */
    private static double chain(DType t, int i, int j, int k, int kc, double alpha, MemorySegment a, int lda,
                                boolean ta, MemorySegment b, int ldb, boolean tb, double beta, double c0) {
        boolean f = t == DType.F32;
        double c = beta == 0 ? 0 : f ? (float) beta * (float) c0 : beta * c0;
        for (int p0 = 0; p0 < k; p0 += kc) {
            double acc = 0;
            for (int p = p0; p < Math.min(k, p0 + kc); p++) {
                double av = t.get(a, ta ? (long) p * lda + i : (long) i * lda + p);
                double bv = t.get(b, tb ? (long) j * ldb + p : (long) p * ldb + j);
                acc = f ? Math.fma((float) alpha * (float) av, (float) bv, (float) acc) : Math.fma(alpha * av, bv, acc);
            }
            c = f ? (float) c + (float) acc : c + acc;
        }
        return c;
    }

    /**
     * Panels of B: NR columns each, but with 512-bit vectors a last panel of one vector shares the last two
     * panels' columns in whole vectors (float n = 256: 4 x 48, then 32 + 32); not with the 3-row kernel.
     */
    @Test
    void aLastPanelOfOneVectorIsSharedWithTheOneBefore() {
        int nr = FloatGemm.NR;
        int vl = nr / 3;
        int n = 5 * nr + vl;
        int[] starts = new int[8];
        for (int q = 0; q < starts.length; q++) {
            starts[q] = FloatGemm.panelStart(q, n);
        }
        if (FloatGemm.TALL) {
            assertThat(starts).containsExactly(0, nr, 2 * nr, 3 * nr, 4 * nr, 4 * nr + 2 * vl, n, n);
        } else {
            assertThat(starts).containsExactly(0, nr, 2 * nr, 3 * nr, 4 * nr, 5 * nr, n, n);
        }
        // a last panel of two vectors or none, and a block of one panel, stay as they are
        assertThat(FloatGemm.panelStart(5, 5 * nr + 2 * vl)).isEqualTo(5 * nr);
        assertThat(FloatGemm.panelStart(5, 5 * nr)).isEqualTo(5 * nr);
        assertThat(FloatGemm.panelStart(1, vl)).isEqualTo(vl);
    }

    /** In the build's second run of this class (kernels/pom.xml), the vectors are as narrow as it asks. */
    @Test
    void vectorsNoWiderThanTheRunAsks() {
        Integer most = Integer.getInteger("flatminima.test.maxVectorBits");
        assumeThat(most).as("set by the 256-bit run only").isNotNull();
        assertThat(FloatVector.SPECIES_PREFERRED.vectorBitSize()).isLessThanOrEqualTo(most);
        assertThat(FloatGemm.MR).isEqualTo(3);
    }

    @Test
    void emptyKScalesByBeta() throws Exception {
        Backend vb = VectorBackend.create();
        for (DType t : DType.values()) {
            check(vb, t, 5, 7, 0, false, false, 1.0, 0.5);
            check(vb, t, 5, 7, 0, true, true, 1.0, 0.0);
        }
    }

    @Test
    void confinedSegmentsWithTwoThreadsStayOnTheCaller() throws Exception {
        Backend two = VectorBackend.create();
        two.setThreads(2);
        check(two, DType.F32, 200, 190, 100, false, true, 1.0, 0.0);
        check(two, DType.F64, 200, 190, 100, true, false, 1.0, 0.5);
    }

    @Test
    void twoThreadsEqualOneThreadBitwise() throws Exception {
        Backend one = VectorBackend.create();
        Backend two = VectorBackend.create();
        two.setThreads(2);
        assertThat(two.threads()).isEqualTo(2);
        // shapes that split by rows (m >= n) and by columns (n > m), with edge tiles in every band
        int[][] shapes = {{301, 97, 129}, {67, 403, 130}, {256, 256, 256}, {5, 1000, 70}};
        for (DType t : DType.values()) {
            for (int[] s : shapes) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        int m = s[0];
                        int n = s[1];
                        int k = s[2];
                        SplittableRandom r = new SplittableRandom(m + n + k);
                        try (Arena arena = Arena.ofShared()) {
                            MemorySegment a = random(arena, t, (long) m * k, r);
                            MemorySegment b = random(arena, t, (long) k * n, r);
                            MemorySegment c1 = random(arena, t, (long) m * n, r);
                            MemorySegment c2 = arena.allocate(c1.byteSize(), t.byteSize()).copyFrom(c1);
                            int lda = ta ? m : k;
                            int ldb = tb ? k : n;
                            one.gemm(t, ta, tb, m, n, k, 0.5, a, lda, b, ldb, 2.0, c1, n);
                            two.gemm(t, ta, tb, m, n, k, 0.5, a, lda, b, ldb, 2.0, c2, n);
                            assertThat(c2.mismatch(c1)).as("%s %s ta=%b tb=%b", t, java.util.Arrays.toString(s), ta, tb)
                                    .isEqualTo(-1L);
                        }
                    }
                }
            }
        }
    }
}
