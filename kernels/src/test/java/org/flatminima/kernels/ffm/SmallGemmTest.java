package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GemmChecks;
import org.flatminima.kernels.GuardedMemory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The C kernels for small products ({@code fm_small_gemm}, AVX2 and FMA): against the scalar oracle (edge rows,
 * columns and depths around the tiles of 4 x 3 vectors, 6 x 2, 8 x 1 and 5 x 2, of A B^T's 4 x 3 dot products of
 * rows, and of A^T B with few columns computed as C^T = B^T A; alpha and beta with a NaN-filled C at
 * beta 0; padded leading dimensions, C's padding untouched; nothing read or written past an operand placed
 * against an inaccessible page); to the bit against their promise, each entry one
 * chain of multiply-adds over the depth from 0 and then {@code alpha s + beta c}, which is what makes their bits
 * independent of the entries around them; the native backend's choice of them.
 */
class SmallGemmTest {

    static Stream<Arguments> shapes() {
        List<Arguments> all = new ArrayList<>();
        for (DType t : DType.values()) {
            for (int m : new int[] {1, 4, 7, 10, 13, 40}) {
                for (int n : new int[] {1, 5, 8, 9, 10, 16, 17, 24, 25, 49}) {
                    for (int k : new int[] {1, 9, 64, 131}) {
                        for (int o = 0; o < 4; o++) {
                            all.add(Arguments.of(t, m, n, k, (o & 1) != 0, (o & 2) != 0));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    /**
     * A B^T deep enough that its depth runs in blocks (a tile's seven rows past 24 KB: more than 877 floats or 438
     * doubles), with 5 x 2 tiles (n even, not a multiple of 3) and 4 x 3 ones, at most 8 tiles of columns (blocked)
     * and more (not), a last partial row tile and depths with and without a last partial vector; 200 columns, in
     * blocks of columns where the depth is not blocked (of 72, 36 and 30 columns here).
     */
    static Stream<Arguments> deepShapes() {
        List<Arguments> all = new ArrayList<>();
        for (DType t : DType.values()) {
            for (int m : new int[] {7, 13}) {
                for (int n : new int[] {2, 9, 10, 16, 17, 24, 25, 200}) {
                    for (int k : new int[] {440, 1000, 1003}) {
                        all.add(Arguments.of(t, m, n, k, false, true));
                    }
                }
            }
        }
        return all.stream();
    }

    /**
     * Many columns and a depth that puts a panel of the right operand past 128 KB: the columns in blocks (of 48 or
     * 24 columns, 54 for A B^T, a last partial one) in every orientation.
     */
    static Stream<Arguments> wideShapes() {
        List<Arguments> all = new ArrayList<>();
        for (DType t : DType.values()) {
            for (int m : new int[] {7, 13}) {
                for (int o = 0; o < 4; o++) {
                    all.add(Arguments.of(t, m, 300, 600, (o & 1) != 0, (o & 2) != 0));
                }
            }
        }
        return all.stream();
    }

    /**
     * A^T B with 5 to 20 columns and many rows: computed as C^T = B^T A in 5 x 2 tiles where C^T's rows fill them
     * (10 and 15 columns of doubles, from 128 rows on), directly otherwise; last partial vectors of rows included.
     */
    static Stream<Arguments> fewColumnShapes() {
        List<Arguments> all = new ArrayList<>();
        for (DType t : DType.values()) {
            for (int m : new int[] {127, 128, 131, 200, 784}) {
                for (int n : new int[] {5, 10, 15, 20}) {
                    for (int k : new int[] {7, 100}) {
                        all.add(Arguments.of(t, m, n, k, true, false));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} ta={4} tb={5}")
    @MethodSource({"shapes", "deepShapes", "wideShapes", "fewColumnShapes"})
    void matchesTheOracleAndItsChainOfMultiplyAdds(DType t, int m, int n, int k, boolean ta, boolean tb) {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.avx2Kernels(), "this CPU has no AVX2 and FMA");
        for (double[] ab : new double[][] {{1.0, 0.0}, {0.75, 0.0}, {-1.5, 0.5}}) {
            GemmChecks.matchesOracle(CKernels::smallGemm, t, m, n, k, ta, tb, ab[0], ab[1]);
            GemmChecks.sameBits(CKernels::smallGemm, SmallGemmTest::chain, t, m, n, k, ta, tb, ab[0], ab[1], true,
                    "bits against one chain of multiply-adds per entry");
        }
        if (GuardedMemory.available()) {
            GemmChecks.withinBounds(CKernels::smallGemm, t, m, n, k, ta, tb, -1.5, 0.5);
        }
    }

    /**
     * The kernels' promise in Java: {@code s = fma(op(A)[i][p], op(B)[p][j], s)} for p from 0, then
     * {@code alpha s + beta c} in the element type (C not read at beta 0); for {@code A B^T}, lane sums over p
     * (lane l: p = l mod L below the last whole vector of L = 8 floats or 4 doubles) added in order from 0, then the
     * last terms as multiply-adds.
     */
    static void chain(DType t, boolean ta, boolean tb, int m, int n, int k, double alpha, MemorySegment a, int lda,
                      MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long ci = (long) i * ldc + j;
                if (!ta && tb) {
                    int lanes = t == DType.F32 ? 8 : 4;
                    int kv = k / lanes * lanes;
                    double[] l = new double[lanes];
                    double s = 0;
                    for (int p = 0; p < kv; p++) {
                        l[p % lanes] = fma(t, t.get(a, (long) i * lda + p), t.get(b, (long) j * ldb + p), l[p % lanes]);
                    }
                    for (double x : l) {
                        s = t == DType.F32 ? (float) s + (float) x : s + x;
                    }
                    for (int p = kv; p < k; p++) {
                        s = fma(t, t.get(a, (long) i * lda + p), t.get(b, (long) j * ldb + p), s);
                    }
                    if (t == DType.F32) {
                        float r = (float) alpha * (float) s;
                        t.set(c, ci, beta != 0 ? r + (float) beta * (float) t.get(c, ci) : r);
                    } else {
                        double r = alpha * s;
                        t.set(c, ci, beta != 0 ? r + beta * t.get(c, ci) : r);
                    }
                } else if (t == DType.F32) {
                    float s = 0;
                    for (int p = 0; p < k; p++) {
                        s = Math.fma((float) t.get(a, ta ? (long) p * lda + i : (long) i * lda + p),
                                (float) t.get(b, tb ? (long) j * ldb + p : (long) p * ldb + j), s);
                    }
                    float r = (float) alpha * s;
                    t.set(c, ci, beta != 0 ? r + (float) beta * (float) t.get(c, ci) : r);
                } else {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s = Math.fma(t.get(a, ta ? (long) p * lda + i : (long) i * lda + p),
                                t.get(b, tb ? (long) j * ldb + p : (long) p * ldb + j), s);
                    }
                    double r = alpha * s;
                    t.set(c, ci, beta != 0 ? r + beta * t.get(c, ci) : r);
                }
            }
        }
    }

    /** One multiply-add with one rounding in t. */
    private static double fma(DType t, double x, double y, double z) {
        return t == DType.F32 ? Math.fma((float) x, (float) y, (float) z) : Math.fma(x, y, z);
    }

    @Test
    void theNativeBackendGivesThemTheSmallProductsWhereChosen() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(System.getProperty(NativeBackend.SMALL_PROPERTY) == null, "property set");
        String choice = GemmRoutes.chooseSmall("auto", CKernels.avx2Kernels(), GemmRoutes.blasSmallKernels(),
                CpuInfo.here())[0];
        Assumptions.assumeFalse(choice.equals("blas"), "small products stay on the BLAS here");
        CKernelBackend cb = new CKernelBackend();
        assertThat(cb.details()).anyMatch(l -> l.startsWith("GEMM of small products") && l.contains("C kernels"));
        // Winograd's products of W3's second convolution, and a product just inside the bound: ours, or under
        // "short" (a Zen 4) the BLAS's small-matrix kernels'
        int[][] shapes = {{32, 98, 64, 0, 0}, {64, 98, 32, 0, 0}, {64, 32, 98, 1, 1}, {100, 100, 100, 1, 0},
            {32, 9, 784, 0, 1}};
        GemmChecks.Product tiny = choice.equals("c") ? CKernels::smallGemm : BlasProduct::gemm;
        for (DType t : DType.values()) {
            for (int[] s : shapes) {
                GemmChecks.sameBits(tiny, cb::gemm, t, s[0], s[1], s[2], s[3] == 1, s[4] == 1, 1.0,
                        0.0, false, "the backend's product against the kernel's (" + choice + ")");
            }
        }
        // in float, a batch of 32's products of an MLP: forward, weight gradient, input gradient; the forward and
        // input gradient on the packed GEMM's 512-bit build where it is chosen (GemmRoutes.packedBeforeSmallC)
        boolean wide = System.getProperty(NativeBackend.PACKED_PROPERTY) == null && GemmRoutes.choosePacked("auto",
                CKernels.avx2Kernels(), OpenBlas.isMkl(), OpenBlas.corename(), CpuInfo.here())[0].equals("c512");
        for (int[] s : new int[][] {{32, 512, 784, 0, 1}, {512, 784, 32, 1, 0}, {32, 784, 512, 0, 0}}) {
            boolean packed = GemmRoutes.packedBeforeSmallC(DType.F32, s[3] == 1, s[0], s[1], s[2], wide);
            GemmChecks.sameBits(packed ? PackedGemms::packedGemm : CKernels::smallGemm, cb::gemm, DType.F32, s[0],
                    s[1], s[2], s[3] == 1, s[4] == 1, 1.0, 0.0, false,
                    "the backend's product against the " + (packed ? "packed GEMM's" : "kernel's"));
        }
    }

    @Test
    void twoAndThreeThreadsGiveTheBitsOfOne() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(System.getProperty(NativeBackend.SMALL_PROPERTY) == null, "property set");
        String choice = GemmRoutes.chooseSmall("auto", CKernels.avx2Kernels(), GemmRoutes.blasSmallKernels(),
                CpuInfo.here())[0];
        Assumptions.assumeFalse(choice.equals("blas"), "small products stay on the BLAS here");
        boolean fewOnOthers = !GemmRoutes.chooseFewColumns("auto",
                org.flatminima.kernels.vector.VectorBackend.preferredVectorBits(), CKernels.avx512Kernels())[0]
                .equals("blas");
        // {m, n, k, transA, transB}: products large enough to be split among the threads, but those that go elsewhere
        // here (of at most 100^3 under "short", few columns of C where those have kernels of their own)
        int[][] shapes = Stream.of(new int[][] {{1000, 10, 784, 0, 1}, {1000, 784, 10, 0, 0}, {784, 10, 1000, 1, 0},
            {301, 16, 513, 0, 1}, {77, 100, 100, 1, 0}}).filter(s -> GemmRoutes.smallOnC(choice, DType.F64, s[3] == 1,
                s[4] == 1, s[0], s[1], s[2]) && !(fewOnOthers && GemmRoutes.fewColumnsShape(s[0], s[1], s[2])))
                .toArray(int[][]::new);
        assertThat(shapes).isNotEmpty();
        GemmChecks.threadsKeepTheBitsOf(CKernels::smallGemm, new CKernelBackend(), shapes);
    }

    /**
     * Whose small-product kernels count as the BLAS's own: an OpenBLAS core's small-matrix kernels (its AVX-512
     * cores), the bundled OpenBLAS's beside oneMKL included, or oneMKL alone with 512-bit vectors; not oneMKL beside
     * an OpenBLAS core without them (an AMD Zen, where oneMKL took 3-7 times our time on products with ten columns).
     */
    @Test
    void theBlasHasSmallProductKernelsOnlyOnAvx512() {
        assertThat(GemmRoutes.blasSmallKernels("SkylakeX", false, 512)).isTrue();
        assertThat(GemmRoutes.blasSmallKernels("Cooperlake ", false, 256)).as("OPENBLAS_CORETYPE decides").isTrue();
        assertThat(GemmRoutes.blasSmallKernels("sapphirerapids", false, 512)).isTrue();
        assertThat(GemmRoutes.blasSmallKernels("Zen", false, 256)).as("the bundled OpenBLAS beside oneMKL, AMD")
                .isFalse();
        assertThat(GemmRoutes.blasSmallKernels("Haswell", false, 512)).as("a core pinned below the CPU").isFalse();
        assertThat(GemmRoutes.blasSmallKernels(null, false, 512)).as("no core name").isFalse();
        assertThat(GemmRoutes.blasSmallKernels(null, true, 512)).as("oneMKL alone, AVX-512").isTrue();
        assertThat(GemmRoutes.blasSmallKernels(null, true, 256)).as("oneMKL alone, AVX2").isFalse();
        assertThat(GemmRoutes.blasSmallKernels()).isEqualTo(OpenBlas.mklAlone()
                ? org.flatminima.kernels.vector.VectorBackend.preferredVectorBits() >= 512
                : OpenBlas.smallMatrixCore(OpenBlas.smallProductsCore()));
        if (!OpenBlas.isMkl()) {
            assertThat(OpenBlas.smallProductsCore()).isEqualTo(OpenBlas.corename());
        }
    }

    @Test
    void theChoiceFollowsThePropertyAndTheBlas() {
        CpuInfo zen3 = new CpuInfo("AuthenticAMD", 0x19, 256);
        CpuInfo zen4 = new CpuInfo("AuthenticAMD", 0x19, 512);
        CpuInfo intel = new CpuInfo("GenuineIntel", 6, 512);
        assertThat(GemmRoutes.chooseSmall("auto", true, false, zen3)[0]).isEqualTo("c");
        assertThat(GemmRoutes.chooseSmall("auto", true, false, zen4)[0]).isEqualTo("c");
        assertThat(GemmRoutes.chooseSmall("auto", true, true, intel)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseSmall("auto", true, true, zen4)[0]).as("Zen 4").isEqualTo("short");
        assertThat(GemmRoutes.chooseSmall("auto", false, false, zen3)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseSmall("auto", false, true, zen4)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseSmall("c", true, true, zen4)[0]).isEqualTo("c");
        assertThat(GemmRoutes.chooseSmall("c", false, false, zen3)).containsExactly("blas",
                "BLAS (-D" + NativeBackend.SMALL_PROPERTY
                        + "=c asked for, but the C kernels are not loaded or this CPU has no AVX2 and FMA)");
        assertThat(GemmRoutes.chooseSmall(" BLAS ", true, false, zen4)[0]).isEqualTo("blas");
        assertThatThrownBy(() -> GemmRoutes.chooseSmall("fast", true, false, zen3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use auto, c or blas");
        // which products each choice sends to the C kernels
        for (DType t : DType.values()) {
            assertThat(GemmRoutes.smallOnC("c", t, false, false, 100, 100, 100)).isTrue();
            assertThat(GemmRoutes.smallOnC("short", t, false, false, 100, 100, 100)).as("at most 100^3").isFalse();
            assertThat(GemmRoutes.smallOnC("blas", t, false, false, 100, 100, 100)).isFalse();
            assertThat(GemmRoutes.smallOnC("c", t, false, false, 1000, 784, 16)).isTrue();
            assertThat(GemmRoutes.smallOnC("short", t, false, false, 1000, 784, 16)).as("a short side").isTrue();
            assertThat(GemmRoutes.smallOnC("blas", t, false, false, 1000, 784, 16)).isFalse();
            assertThat(GemmRoutes.smallOnC("short", t, false, false, 1000, 784, 100)).as("not small").isFalse();
        }
        assertThat(GemmRoutes.smallOnC("short", DType.F32, false, true, 32, 512, 784)).isTrue();
        assertThat(GemmRoutes.smallOnC("short", DType.F64, false, true, 32, 512, 784)).isFalse();
        assertThat(GemmRoutes.smallShape(DType.F64, false, false, 100, 100, 100)).isTrue();
        assertThat(GemmRoutes.smallShape(DType.F64, false, false, 100, 100, 101)).isFalse();
        assertThat(GemmRoutes.smallShape(DType.F64, false, true, 10, 10, 10)).as("A B^T, short depth").isFalse();
        assertThat(GemmRoutes.smallShape(DType.F64, false, true, 32, 9, 784)).as("A B^T, long depth").isTrue();
        // larger products with a dimension of at most 16
        assertThat(GemmRoutes.smallShape(DType.F64, false, true, 1000, 10, 784)).as("output layer forward").isTrue();
        assertThat(GemmRoutes.smallShape(DType.F64, false, true, 1000, 10, 100)).as("A B^T, short depth").isFalse();
        assertThat(GemmRoutes.smallShape(DType.F64, false, true, 1000, 784, 10)).as("A B^T, many columns").isFalse();
        assertThat(GemmRoutes.smallShape(DType.F64, false, false, 1000, 784, 10)).as("output layer input gradient")
                .isTrue();
        assertThat(GemmRoutes.smallShape(DType.F64, true, false, 784, 10, 1000)).isTrue();
        assertThat(GemmRoutes.smallShape(DType.F64, true, true, 784, 10, 1000)).as("not TT").isFalse();
        assertThat(GemmRoutes.smallShape(DType.F64, false, false, 1000, 784, 17)).isFalse();
        assertThat(GemmRoutes.smallShape(DType.F64, true, true, 10, 10, 10)).isTrue();
        assertThat(GemmRoutes.smallShape(DType.F64, true, false, 10, 10, 10)).isTrue();
        // in float, a side of at most 32 but for TT: a batch of 32's products
        assertThat(GemmRoutes.smallShape(DType.F32, false, false, 1000, 784, 17)).isTrue();
        assertThat(GemmRoutes.smallShape(DType.F32, false, true, 32, 512, 784)).as("forward, batch 32").isTrue();
        assertThat(GemmRoutes.smallShape(DType.F32, true, false, 512, 784, 32)).as("weight gradient").isTrue();
        assertThat(GemmRoutes.smallShape(DType.F32, false, false, 32, 512, 512)).as("input gradient").isTrue();
        assertThat(GemmRoutes.smallShape(DType.F64, false, true, 32, 512, 784)).as("not in double").isFalse();
        assertThat(GemmRoutes.smallShape(DType.F32, false, false, 33, 512, 512)).isFalse();
        assertThat(GemmRoutes.smallShape(DType.F32, true, true, 32, 512, 512)).as("not TT").isFalse();
        assertThat(GemmRoutes.smallShape(DType.F32, false, true, 784, 1000, 32)).as("A B^T, short depth")
                .isFalse();
    }
}
