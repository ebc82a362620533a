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
 * The packed GEMM for large products on AVX2 ({@code fm_packed_gemm_f32} and {@code _f64}, NN, TN and NT): against the
 * scalar oracle (rows, columns and depths around its tiles of 6 x 16 floats and 6 x 8 doubles and their halves for a
 * last panel of at most one vector, its blocks of 120 rows, 1024 columns and 256 of depth; alpha and beta with a
 * NaN-filled C at beta 0; padded leading dimensions, C's padding untouched; nothing read or written past an operand
 * placed against an inaccessible page); to the bit against its promise, each entry a chain
 * of multiply-adds per block of depth, which is what makes its bits independent of the entries around it; the
 * native backend's choice of it, and its bits at two and three threads.
 */
class PackedGemmTest {

    static Stream<Arguments> shapes() {
        List<Arguments> all = new ArrayList<>();
        for (DType t : DType.values()) {
            // columns around a tile's 16 floats or 8 doubles, and last panels of one vector or less (the half
            // tile: 24, 12) or just more (25, 13)
            int[] columns = t == DType.F32 ? new int[] {1, 15, 16, 17, 24, 25, 33} : new int[] {1, 7, 8, 9, 12, 13, 17};
            for (int m : new int[] {1, 5, 6, 7, 13}) {
                for (int n : columns) {
                    for (int k : new int[] {1, 7, 256, 257, 513}) {
                        all.add(Arguments.of(t, m, n, k, false, false));
                        all.add(Arguments.of(t, m, n, k, true, false));
                        all.add(Arguments.of(t, m, n, k, false, true));
                    }
                }
            }
            // more than one block of rows (120) and of columns (1024); depth in two blocks of 150; a whole block of
            // rows and depth (the packing of A writing to its buffer's end)
            for (int o = 0; o < 3; o++) {
                all.add(Arguments.of(t, 250, 40, 300, o == 1, o == 2));
                all.add(Arguments.of(t, 130, 40, 256, o == 1, o == 2));
                all.add(Arguments.of(t, 9, 1030, 600, o == 1, o == 2));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} ta={4} tb={5}")
    @MethodSource("shapes")
    void matchesTheOracleAndItsChainsOfMultiplyAdds(DType t, int m, int n, int k, boolean ta, boolean tb) {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.avx2Kernels(), "this CPU has no AVX2 and FMA");
        for (double[] ab : new double[][] {{1.0, 0.0}, {0.75, 0.0}, {-1.5, 0.5}, {1.0, 1.0}}) {
            GemmChecks.matchesOracle(PackedGemms::packedGemm, t, m, n, k, ta, tb, ab[0], ab[1]);
            GemmChecks.sameBits(PackedGemms::packedGemm, PackedGemmTest::chains, t, m, n, k, ta, tb, ab[0], ab[1], true,
                    "bits against a chain of multiply-adds per block of depth");
            // the 512-bit build (the AVX2 one where the CPU has no AVX-512): the same chains
            GemmChecks.sameBits(PackedGemms::packedGemm512, PackedGemmTest::chains, t, m, n, k, ta, tb, ab[0], ab[1],
                    true, "the 512-bit build's bits against a chain of multiply-adds per block of depth");
        }
        if (GuardedMemory.available()) {
            GemmChecks.withinBounds(PackedGemms::packedGemm, t, m, n, k, ta, tb, -1.5, 0.5);
            GemmChecks.withinBounds(PackedGemms::packedGemm512, t, m, n, k, ta, tb, -1.5, 0.5);
        }
    }

    /**
     * The kernel's promise in Java: the depth in {@code ceil(k / 256)} blocks of {@code ceil(k / blocks)} (the last
     * shorter); per block {@code s = fma(op(A)[i][p], op(B)[p][j], s)} for its p in order from 0; then
     * {@code alpha s + beta c} for the first block (C not read at beta 0) and {@code c + alpha s} for each later one,
     * every operation rounded to the element type.
     */
    static void chains(DType t, boolean ta, boolean tb, int m, int n, int k, double alpha, MemorySegment a, int lda,
                       MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        int blocks = (k + 255) / 256;
        int kb = (k + blocks - 1) / blocks;
        boolean f = t == DType.F32;
        float alf = (float) alpha;
        float bef = (float) beta;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long ci = (long) i * ldc + j;
                for (int p0 = 0; p0 < k; p0 += kb) {
                    float sf = 0;
                    double sd = 0;
                    for (int p = p0; p < Math.min(k, p0 + kb); p++) {
                        double x = t.get(a, ta ? (long) p * lda + i : (long) i * lda + p);
                        double y = t.get(b, tb ? (long) j * ldb + p : (long) p * ldb + j);
                        if (f) {
                            sf = Math.fma((float) x, (float) y, sf);
                        } else {
                            sd = Math.fma(x, y, sd);
                        }
                    }
                    if (f) {
                        float v = alf * sf;
                        float old = (float) t.get(c, ci);
                        t.set(c, ci, p0 > 0 ? old + v : bef != 0 ? v + bef * old : v);
                    } else {
                        double v = alpha * sd;
                        double old = t.get(c, ci);
                        t.set(c, ci, p0 > 0 ? old + v : beta != 0 ? v + beta * old : v);
                    }
                }
            }
        }
    }

    @Test
    void theNativeBackendGivesItTheLargeProductsWhereChosen() {
        assumeChosenHere();
        CKernelBackend cb = new CKernelBackend();
        assertThat(cb.details()).anyMatch(l -> l.startsWith("GEMM of other products") && l.contains("packed"));
        // {m, n, k, transA, transB}: W2's weight and input gradients and forward, an M4 weight gradient, W1's
        // Hutchinson products, and past the small products' bound (floats' and doubles')
        int[][] shapes = {{512, 784, 1000, 1, 0}, {512, 512, 1000, 1, 0}, {1000, 512, 512, 0, 0},
            {1000, 512, 784, 0, 1}, {256, 256, 1000, 1, 0}, {100, 784, 1000, 0, 0}, {100, 1000, 784, 0, 1},
            {33, 100, 304, 0, 0}, {100, 120, 110, 0, 0}};
        for (DType t : DType.values()) {
            for (int[] s : shapes) {
                GemmChecks.sameBits(PackedGemms::packedGemm, cb::gemm, t, s[0], s[1], s[2], s[3] == 1, s[4] == 1, 1.0,
                        1.0, false, "the backend's product against the kernel's");
            }
        }
    }

    @Test
    void smallProductsLeftToTheBlasAreNotThePackedGemms() {
        assumeChosenHere();
        Assumptions.assumeTrue(GemmRoutes.blasSmallKernels(), "small products run on the C kernels here");
        Assumptions.assumeTrue(System.getProperty(NativeBackend.SMALL_PROPERTY) == null, "property set");
        // "blas", or on a Zen 4 "short": the larger ones with a short side on the small-product C kernels
        String choice = GemmRoutes.chooseSmall("auto", CKernels.avx2Kernels(), true, CpuInfo.here())[0];
        CKernelBackend cb = new CKernelBackend();
        assertThat(cb.details()).anyMatch(l -> l.startsWith("GEMM of small products") && l.contains("BLAS"));
        // {m, n, k, transA, transB}: at most 100^3 (an A B^T of depth 100 among them): OpenBLAS's products, bit for
        // bit; a side of 16, and in float of 32: OpenBLAS's or the small-product kernels', never the packed GEMM's
        int[][] tiny = {{100, 100, 100, 0, 0}, {100, 100, 100, 0, 1}, {32, 98, 64, 1, 0}};
        for (DType t : DType.values()) {
            for (int[] s : tiny) {
                GemmChecks.sameBits(BlasProduct::gemm, cb::gemm, t, s[0], s[1], s[2], s[3] == 1, s[4] == 1, 1.0, 1.0,
                        false, "the backend's small product against OpenBLAS's");
            }
        }
        GemmChecks.Product shortSide = choice.equals("short") ? CKernels::smallGemm : BlasProduct::gemm;
        for (DType t : DType.values()) {
            GemmChecks.sameBits(shortSide, cb::gemm, t, 1000, 784, 16, false, false, 1.0, 1.0, false,
                    "a product with a side of 16 (" + choice + ")");
        }
        // a batch of 32's dense-layer products in float (C's rows the short side): the packed GEMM's 512-bit build
        // where it is chosen (GemmRoutes.shortRowsWide), the AVX2 build's bits
        boolean wide = GemmRoutes.choosePacked("auto", CKernels.avx2Kernels(), OpenBlas.isMkl(), OpenBlas.corename(),
                CpuInfo.here())[0].equals("c512");
        GemmChecks.Product shortRows = wide ? PackedGemms::packedGemm : shortSide;
        for (boolean transB : new boolean[] {true, false}) {
            GemmChecks.sameBits(shortRows, cb::gemm, DType.F32, 32, 512, 784, false, transB, 1.0, 1.0, false,
                    "a batch of 32's float product (" + (wide ? "the 512-bit packed GEMM" : choice) + ")");
        }
    }

    @Test
    void twoAndThreeThreadsGiveTheBitsOfOne() {
        assumeChosenHere();
        // bands of rows (m >= n) and of columns (n > m, each with a short last panel), each orientation
        int[][] shapes = {{300, 200, 520, 1, 0}, {301, 130, 100, 0, 0}, {250, 100, 300, 0, 1}, {64, 1100, 300, 0, 0},
            {128, 706, 256, 1, 0}, {100, 530, 200, 0, 1}};
        GemmChecks.threadsKeepTheBitsOf(PackedGemms::packedGemm, new CKernelBackend(), shapes);
    }

    /** Skips a test of the backend's use of the packed GEMM where {@code auto} does not choose it. */
    private static void assumeChosenHere() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(System.getProperty(NativeBackend.PACKED_PROPERTY) == null, "property set");
        Assumptions.assumeTrue(GemmRoutes.choosePacked("auto", CKernels.avx2Kernels(), OpenBlas.isMkl(),
                OpenBlas.corename(), CpuInfo.here())[0].startsWith("c"),
                "large products stay on the BLAS here");
    }

    @Test
    void theChoiceFollowsThePropertyTheBlasAndTheShape() {
        CpuInfo zen3 = new CpuInfo("AuthenticAMD", 0x19, 256);
        CpuInfo zen4 = new CpuInfo("AuthenticAMD", 0x19, 512);
        CpuInfo intel512 = new CpuInfo("GenuineIntel", 6, 512);
        assertThat(GemmRoutes.choosePacked("auto", true, false, "Zen", zen3)[0]).isEqualTo("c");
        assertThat(GemmRoutes.choosePacked("auto", true, false, "Haswell", zen3)[0]).isEqualTo("c");
        assertThat(GemmRoutes.choosePacked("auto", true, false, "SkylakeX", intel512)[0]).as("AVX-512 kernels")
                .isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked("auto", true, false, "Haswell", intel512)[0]).as("512-bit vectors")
                .isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked("auto", true, false, "Cooperlake", zen4)).as("Zen 4: 512 bits in halves")
                .containsExactly("c", "C packed GEMM (AVX2; this CPU runs 512-bit vectors as two halves)");
        assertThat(GemmRoutes.choosePacked("auto", true, false, "Zen", zen4)[0]).isEqualTo("c");
        CpuInfo zen5 = new CpuInfo("AuthenticAMD", 0x1A, 512);
        assertThat(GemmRoutes.choosePacked("auto", true, false, "Cooperlake", zen5)).as("Zen 5: 512-bit units")
                .containsExactly("c512", "C packed GEMM (AVX-512; this CPU's 512-bit units are full width), and float"
                        + " products of up to 32 rows of C (a batch's dense layers)");
        assertThat(GemmRoutes.choosePacked("auto", true, false, "Haswell", zen5)[0]).isEqualTo("c512");
        assertThat(GemmRoutes.choosePacked("auto", true, true, null, zen5)[0]).as("oneMKL").isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked("auto", false, false, "Cooperlake", zen5)[0]).as("no C kernels")
                .isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked("c", true, false, "Cooperlake", zen5)[0]).as("forced: the AVX2 build")
                .isEqualTo("c");
        CpuInfo zen5At256 = new CpuInfo("AuthenticAMD", 0x1A, 256);
        assertThat(GemmRoutes.choosePacked("auto", true, false, "Cooperlake", zen5At256)[0])
                .as("a JVM held to 256-bit vectors").isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked("auto", true, true, null, zen4)[0]).as("oneMKL").isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked("auto", true, true, null, zen3)[0]).as("oneMKL").isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked("auto", false, false, "Zen", zen3)[0]).as("no C kernels")
                .isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked("auto", false, false, "Cooperlake", zen4)[0]).as("no C kernels")
                .isEqualTo("blas");
        assertThat(GemmRoutes.choosePacked(" C ", true, true, "SkylakeX", intel512)[0]).isEqualTo("c");
        assertThat(GemmRoutes.choosePacked("c", false, false, "Zen", zen3)).containsExactly("blas",
                "BLAS (-D" + NativeBackend.PACKED_PROPERTY
                        + "=c asked for, but the C kernels are not loaded or this CPU has no AVX2 and FMA)");
        assertThat(GemmRoutes.choosePacked("blas", true, false, "Zen", zen4)[0]).isEqualTo("blas");
        assertThatThrownBy(() -> GemmRoutes.choosePacked("fast", true, false, "Zen", zen3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use auto, c or blas");
        for (DType t : DType.values()) {
            for (boolean smallOnC : new boolean[] {true, false}) {
                assertThat(GemmRoutes.packedShape(t, false, false, 1000, 512, 784, smallOnC)).isTrue();
                assertThat(GemmRoutes.packedShape(t, true, false, 512, 784, 1000, smallOnC)).isTrue();
                assertThat(GemmRoutes.packedShape(t, false, true, 1000, 512, 784, smallOnC)).isTrue();
                assertThat(GemmRoutes.packedShape(t, true, true, 1000, 512, 784, smallOnC)).as("A^T B^T").isFalse();
            }
            // where the small products stay on the BLAS, the packed GEMM takes none of them: at most 100^3
            // multiply-adds (an A B^T of depth 100 too, which the C kernels would not take), or a side of 16
            assertThat(GemmRoutes.packedShape(t, false, false, 100, 100, 100, false)).isFalse();
            assertThat(GemmRoutes.packedShape(t, false, true, 100, 100, 100, false)).isFalse();
            assertThat(GemmRoutes.packedShape(t, false, false, 101, 100, 100, false)).isTrue();
            assertThat(GemmRoutes.packedShape(t, false, false, 1000, 784, 16, false)).as("a side of 16").isFalse();
            assertThat(GemmRoutes.packedShape(t, false, false, 100, 100, 100, true)).as("sent to C before").isTrue();
        }
        assertThat(GemmRoutes.packedShape(DType.F32, false, true, 32, 512, 784, false)).as("a float side of 32")
                .isFalse();
        // the 512-bit build takes a batch of up to 32 points through a dense layer (C's rows short, A as it is)
        for (int[] s : new int[][] {{32, 512, 784}, {32, 512, 512}, {16, 512, 784}, {32, 128, 3136}, {4, 2048, 600}}) {
            for (boolean transB : new boolean[] {true, false}) {
                assertThat(GemmRoutes.shortRowsWide(DType.F32, false, s[0], s[1], s[2])).isTrue();
                assertThat(GemmRoutes.packedShape(DType.F32, false, transB, s[0], s[1], s[2], false, true)).isTrue();
                assertThat(GemmRoutes.packedShape(DType.F32, false, transB, s[0], s[1], s[2], false, false))
                        .as("the AVX2 build's route").isFalse();
            }
        }
        assertThat(GemmRoutes.shortRowsWide(DType.F32, true, 32, 512, 784)).as("A^T").isFalse();
        assertThat(GemmRoutes.shortRowsWide(DType.F64, false, 32, 512, 784)).as("double").isFalse();
        assertThat(GemmRoutes.shortRowsWide(DType.F32, false, 33, 512, 784)).as("33 rows").isFalse();
        assertThat(GemmRoutes.shortRowsWide(DType.F32, false, 3, 2048, 784)).as("3 rows").isFalse();
        assertThat(GemmRoutes.shortRowsWide(DType.F32, false, 32, 32, 2000)).as("32 columns").isFalse();
        assertThat(GemmRoutes.shortRowsWide(DType.F32, false, 32, 2000, 32)).as("depth 32").isFalse();
        assertThat(GemmRoutes.shortRowsWide(DType.F32, false, 32, 100, 312)).as("at most 10^6").isFalse();
        assertThat(GemmRoutes.packedShape(DType.F32, true, true, 32, 512, 784, false, true)).as("TT").isFalse();
        // and before the small-product C kernels (where those take the small products) from 12 rows on
        for (int rows : new int[] {12, 16, 32}) {
            assertThat(GemmRoutes.packedBeforeSmallC(DType.F32, false, rows, 512, 784, true)).isTrue();
            assertThat(GemmRoutes.packedBeforeSmallC(DType.F32, false, rows, 512, 784, false)).as("AVX2").isFalse();
        }
        assertThat(GemmRoutes.packedBeforeSmallC(DType.F32, false, 11, 512, 784, true)).as("11 rows").isFalse();
        assertThat(GemmRoutes.packedBeforeSmallC(DType.F32, false, 33, 512, 784, true)).as("33 rows").isFalse();
        assertThat(GemmRoutes.packedBeforeSmallC(DType.F32, true, 32, 512, 784, true)).as("A^T").isFalse();
        assertThat(GemmRoutes.packedBeforeSmallC(DType.F64, false, 32, 512, 784, true)).as("double").isFalse();
        assertThat(GemmRoutes.packedShape(DType.F64, false, true, 32, 512, 784, false)).isTrue();
        // a batch of 32's weight gradients (A^T B of depth 32) with at least 256 rows of C: the packed GEMM's under
        // "short" (the small kernels do not take them), the small kernels' under "c"
        for (int[] s : new int[][] {{512, 784, 32}, {256, 256, 32}, {1024, 784, 16}}) {
            assertThat(GemmRoutes.shortDepthTn(DType.F32, true, false, s[0], s[1], s[2])).isTrue();
            assertThat(GemmRoutes.packedShape(DType.F32, true, false, s[0], s[1], s[2], false)).isTrue();
            assertThat(GemmRoutes.smallOnC("short", DType.F32, true, false, s[0], s[1], s[2])).isFalse();
            assertThat(GemmRoutes.smallOnC("c", DType.F32, true, false, s[0], s[1], s[2])).isTrue();
        }
        assertThat(GemmRoutes.shortDepthTn(DType.F32, true, false, 128, 3136, 32)).as("128 rows").isFalse();
        assertThat(GemmRoutes.smallOnC("short", DType.F32, true, false, 128, 3136, 32)).isTrue();
        assertThat(GemmRoutes.shortDepthTn(DType.F32, true, false, 512, 784, 33)).as("depth 33").isFalse();
        assertThat(GemmRoutes.shortDepthTn(DType.F32, false, false, 512, 784, 32)).as("NN").isFalse();
        assertThat(GemmRoutes.shortDepthTn(DType.F32, false, true, 512, 784, 32)).as("NT").isFalse();
        assertThat(GemmRoutes.shortDepthTn(DType.F32, true, true, 512, 784, 32)).as("TT").isFalse();
        assertThat(GemmRoutes.shortDepthTn(DType.F64, true, false, 512, 784, 32)).as("double").isFalse();
        assertThat(GemmRoutes.shortDepthTn(DType.F32, true, false, 256, 100, 32)).as("at most 10^6").isFalse();
        assertThat(GemmRoutes.packedShape(DType.F32, true, false, 256, 100, 32, false)).isFalse();
        for (DType t : DType.values()) {
            assertThatThrownBy(() -> PackedGemms.packedGemm(t, true, true, 1, 1, 1, 1, MemorySegment.NULL, 1,
                    MemorySegment.NULL, 1, 0, MemorySegment.NULL, 1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not A^T B^T");
        }
    }
}
