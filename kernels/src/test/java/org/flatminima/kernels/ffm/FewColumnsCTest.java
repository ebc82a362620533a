package org.flatminima.kernels.ffm;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GemmChecks;
import org.flatminima.kernels.GuardedMemory;
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
 * dimensions, C's padding untouched; nothing read or written past an operand placed against an inaccessible
 * page); to the bit against the vector backend's kernels for the same products with
 * 512-bit vectors (the promise that lets the native backend pick either); and the bits of one thread at two and
 * three, through {@link CKernelBackend}'s bands.
 */
class FewColumnsCTest {

    @BeforeAll
    static void needsTheKernels() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.avx512Kernels(), "this CPU has no AVX-512");
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
    void matchesTheOracleAndTheVectorKernels(DType t, int m, int n, int k, boolean ta, boolean tb) throws Exception {
        Backend vb = VectorBackend.create();
        vb.setThreads(1);
        boolean sameKernels = VectorBackend.preferredVectorBits() == 512 && VectorBackend.fewColumnsGemm(m, n, k);
        for (double[] ab : new double[][] {{1.0, 0.0}, {0.75, 0.0}, {-1.5, 0.5}}) {
            GemmChecks.matchesOracle(CKernels::fewColumnsGemm, t, m, n, k, ta, tb, ab[0], ab[1]);
            if (sameKernels) {
                GemmChecks.sameBits(CKernels::fewColumnsGemm, vb::gemm, t, m, n, k, ta, tb, ab[0], ab[1], true,
                        "bits against the vector kernels");
            }
        }
        if (GuardedMemory.available()) {
            GemmChecks.withinBounds(CKernels::fewColumnsGemm, t, m, n, k, ta, tb, -1.5, 0.5);
        }
    }

    /**
     * The ten-column kernels (6 to 10 columns) on shapes that split them: A's rows in several blocks of 128 with an
     * odd last one, the depth of A B^T in blocks of B's rows (in double from 416 on, in float from 832), A^T B's
     * depth in blocks of 64 rows with the next one prefetched; every entry to the vector kernels' bit.
     */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("tenColumnShapes")
    void tenColumnsThroughBlocksOfRowsAndDepthKeepTheBits(DType t, int m, int n, int k) throws Exception {
        Backend vb = VectorBackend.create();
        vb.setThreads(1);
        Assumptions.assumeTrue(VectorBackend.preferredVectorBits() == 512, "vector kernels not on 512 bits");
        for (int o = 0; o < 4; o++) {
            boolean ta = (o & 1) != 0;
            boolean tb = (o & 2) != 0;
            GemmChecks.sameBits(CKernels::fewColumnsGemm, vb::gemm, t, m, n, k, ta, tb, -1.5, 0.5, true,
                    "bits against the vector kernels");
            GemmChecks.matchesOracle(CKernels::fewColumnsGemm, t, m, n, k, ta, tb, 1.0, 0.0);
        }
    }

    static Stream<Arguments> tenColumnShapes() {
        List<Arguments> all = new ArrayList<>();
        for (DType t : DType.values()) {
            for (int[] s : new int[][] {{301, 10, 1000}, {259, 7, 417}, {130, 6, 1703}, {385, 9, 833}}) {
                all.add(Arguments.of(t, s[0], s[1], s[2]));
            }
        }
        return all.stream();
    }

    @Test
    void twoAndThreeThreadsGiveTheBitsOfOne() {
        Assumptions.assumeTrue(System.getProperty(NativeBackend.FEW_COLUMNS_PROPERTY) == null, "property set");
        Backend cb = new CKernelBackend();
        int before = cb.threads();
        // each above OpenBLAS's small-matrix limit, so that the native backend gives them to the C kernels
        int[][] shapes = {{1000, 10, 784}, {784, 10, 1000}, {301, 16, 260}, {777, 7, 200}, {200, 3, 2000}};
        try {
            for (int threads : new int[] {2, 3}) {
                cb.setThreads(threads);
                for (DType t : DType.values()) {
                    for (int[] s : shapes) {
                        for (int o = 0; o < 4; o++) {
                            GemmChecks.sameBits(CKernels::fewColumnsGemm, cb::gemm, t, s[0], s[1], s[2], (o & 1) != 0,
                                    (o & 2) != 0, 1.0, 0.5, false, "one call against " + threads + " threads");
                        }
                    }
                }
            }
        } finally {
            cb.setThreads(before);
        }
    }
}
