package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BackendUnavailableException;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.vector.VectorBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class GemmChoiceTest {

    private static final String HASWELL = "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64";
    private static final String COOPERLAKE = "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64";

    @Test
    void autoTakesTheWiderKernels() {
        assertThat(GemmRoutes.chooseGemm("auto", HASWELL, 512)[0]).isEqualTo("vector");
        assertThat(GemmRoutes.chooseGemm("auto", HASWELL, 512)[1]).contains("Haswell");
        assertThat(GemmRoutes.chooseGemm("auto", COOPERLAKE, 512)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseGemm("auto", "OpenBLAS 0.3.26 SkylakeX", 512)[0]).isEqualTo("blas");
        // oneMKL picks its own kernels for the CPU: its version string names no core
        String mkl = "Intel(R) oneAPI Math Kernel Library Version 2025.3-Product Build 20251007 for Intel(R) 64 "
                + "architecture applications";
        assertThat(GemmRoutes.chooseGemm("auto", mkl, 512)).containsExactly("blas", "Intel oneMKL (" + mkl + ")");
        assertThat(GemmRoutes.chooseGemm("auto", HASWELL, 256)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseGemm("auto", HASWELL, 0)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseGemm(null, HASWELL, 512)[0]).isEqualTo("vector");
        assertThat(GemmRoutes.chooseGemm("auto", null, 512)[0]).isEqualTo("vector");
    }

    @Test
    void adviceWhereTheEnvironmentHoldsOpenBlasToKernelsWithoutAvx512() {
        String advice = GemmRoutes.coreTypeAdvice("Haswell", "Haswell", 512);
        assertThat(advice).startsWith("OPENBLAS_CORETYPE=Haswell in the environment holds OpenBLAS to its Haswell")
                .contains("unset it");
        assertThat(GemmRoutes.coreTypeAdvice("Zen", "Zen", 512)).contains("its Zen kernels");
        assertThat(GemmRoutes.coreTypeAdvice(null, "Haswell", 512)).as("OpenBLAS's own choice").isNull();
        assertThat(GemmRoutes.coreTypeAdvice(" ", "Haswell", 512)).as("set but empty").isNull();
        assertThat(GemmRoutes.coreTypeAdvice("Haswell", "Haswell", 256)).as("no 512-bit vectors here").isNull();
        assertThat(GemmRoutes.coreTypeAdvice("Haswell", "Haswell", 0)).isNull();
        assertThat(GemmRoutes.coreTypeAdvice("SkylakeX", "SkylakeX", 512)).as("AVX-512 kernels").isNull();
        assertThat(GemmRoutes.coreTypeAdvice("cooperlake", "Cooperlake", 512)).isNull();
        assertThat(GemmRoutes.coreTypeAdvice("Haswell", null, 512)).as("no core named (oneMKL)").isNull();
    }

    @Test
    void propertyOverridesAndRejectsUnknownValues() {
        assertThat(GemmRoutes.chooseGemm("blas", HASWELL, 512)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseGemm(" Vector ", COOPERLAKE, 512)[0]).isEqualTo("vector");
        assertThat(GemmRoutes.chooseGemm("vector", COOPERLAKE, 0)[0]).isEqualTo("blas");
        assertThatThrownBy(() -> GemmRoutes.chooseGemm("mkl", HASWELL, 512))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown -Dflatminima.gemm=mkl: use auto, blas or vector");
    }

    @Test
    void productsWithFewColumnsGoToTheCKernelsOrTheVectorKernelsWith512BitVectors() {
        assertThat(GemmRoutes.chooseFewColumns("auto", 512, true)[0]).isEqualTo("c");
        assertThat(GemmRoutes.chooseFewColumns("auto", 256, true)[0]).isEqualTo("c");
        assertThat(GemmRoutes.chooseFewColumns("auto", 512, false)[0]).isEqualTo("vector");
        assertThat(GemmRoutes.chooseFewColumns(null, 512, false)[0]).isEqualTo("vector");
        assertThat(GemmRoutes.chooseFewColumns("auto", 256, false)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseFewColumns(" BLAS ", 512, true)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseFewColumns("vector", 256, true)[0]).isEqualTo("vector");
        assertThat(GemmRoutes.chooseFewColumns("vector", 0, false)[0]).isEqualTo("blas");
        assertThat(GemmRoutes.chooseFewColumns("c", 512, true)).containsExactly("c",
                "C kernels, AVX-512 (forced by -Dflatminima.gemm.fewcolumns=c)");
        assertThat(GemmRoutes.chooseFewColumns("C", 512, false)[0]).isEqualTo("blas");
        assertThatThrownBy(() -> GemmRoutes.chooseFewColumns("yes", 512, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown -Dflatminima.gemm.fewcolumns=yes: use auto, c, vector or blas");
    }

    /**
     * Where auto picks the C kernels or the vector kernels (512-bit vectors), the native backend's product is the
     * vector kernels', to the bit, at 1 and 2 threads.
     */
    @Test
    void theNativeBackendRunsFewColumnsWithTheVectorKernelsBits() throws BackendUnavailableException {
        Assumptions.assumeTrue(VectorBackend.preferredVectorBits() >= 512, "auto keeps OpenBLAS below 512-bit vectors");
        Assumptions.assumeTrue(System.getProperty(NativeBackend.FEW_COLUMNS_PROPERTY) == null, "property set");
        Backend nb;
        try {
            nb = NativeBackend.create();
        } catch (BackendUnavailableException e) {
            Assumptions.abort("native backend unavailable: " + e.getMessage());
            return;
        }
        int before = nb.threads();
        Backend vb = VectorBackend.create();
        try (Arena arena = Arena.ofShared()) {
            for (int threads : new int[] {1, 2}) {
                nb.setThreads(threads);
                vb.setThreads(threads);
                for (DType t : DType.values()) {
                    for (int o = 0; o < 4; o++) {
                        boolean ta = (o & 1) != 0;
                        boolean tb = (o & 2) != 0;
                        int m = 1000;
                        int n = 10;
                        int k = 200;
                        SplittableRandom r = new SplittableRandom(o);
                        MemorySegment a = arena.allocate((long) m * k * t.byteSize(), t.byteSize());
                        MemorySegment b = arena.allocate((long) k * n * t.byteSize(), t.byteSize());
                        for (long i = 0; i < (long) m * k; i++) {
                            t.set(a, i, r.nextDouble(-1, 1));
                        }
                        for (long i = 0; i < (long) k * n; i++) {
                            t.set(b, i, r.nextDouble(-1, 1));
                        }
                        MemorySegment cn = arena.allocate((long) m * n * t.byteSize(), t.byteSize());
                        MemorySegment cv = arena.allocate((long) m * n * t.byteSize(), t.byteSize());
                        nb.gemm(t, ta, tb, m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, 0.0, cn, n);
                        vb.gemm(t, ta, tb, m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, 0.0, cv, n);
                        assertThat(cn.mismatch(cv)).as("%s ta=%b tb=%b threads=%d", t, ta, tb, threads).isEqualTo(-1L);
                    }
                }
            }
        } finally {
            nb.setThreads(before);
        }
        assertThat(String.join("\n", nb.details())).contains(CKernels.unavailableReason() == null
                && CKernels.avx512Kernels() ? "GEMM with few columns of C: C kernels (AVX-512)"
                : "GEMM with few columns of C: vector backend (512-bit vectors)");
    }

    @Test
    void aBadValueMakesTheNativeBackendUnavailableWithTheFix() {
        String before = System.getProperty(NativeBackend.FEW_COLUMNS_PROPERTY);
        System.setProperty(NativeBackend.FEW_COLUMNS_PROPERTY, "yes");
        try {
            Backends.Status s = Backends.probe("native");
            assertThat(s.backend()).isNull();
            assertThat(s.reason()).isEqualTo("unknown -Dflatminima.gemm.fewcolumns=yes: use auto, c, vector or blas");
        } finally {
            if (before == null) {
                System.clearProperty(NativeBackend.FEW_COLUMNS_PROPERTY);
            } else {
                System.setProperty(NativeBackend.FEW_COLUMNS_PROPERTY, before);
            }
        }
    }

    @Test
    void openBlasKeepsTheProductsOfItsSmallMatrixKernels() {
        assertThat(GemmRoutes.fewColumnsShape(1000, 10, 784)).isTrue();
        assertThat(GemmRoutes.fewColumnsShape(300, 10, 512)).isTrue();
        assertThat(GemmRoutes.fewColumnsShape(1000, 17, 784)).isFalse();
        // 100 x 10 x 784 <= 100^3: OpenBLAS's small-matrix kernels, where its cores have them
        assertThat(GemmRoutes.fewColumnsShape(100, 10, 784)).isEqualTo(!GemmRoutes.blasSmallKernels());
    }

    @Test
    void skinnyProductsStayOffTheBlockedVectorGemm() {
        assertThat(GemmRoutes.vectorGemmShape(DType.F32, false, 1000, 512, 784)).isTrue();
        assertThat(GemmRoutes.vectorGemmShape(DType.F32, false, 1000, 10, 784)).isFalse();
        assertThat(GemmRoutes.vectorGemmShape(DType.F32, false, 32, 784, 9)).isFalse();
        assertThat(GemmRoutes.vectorGemmShape(DType.F32, false, 64, 196, 288)).isTrue();
        assertThat(GemmRoutes.vectorGemmShape(DType.F32, true, 288, 196, 64)).isFalse();
        assertThat(GemmRoutes.vectorGemmShape(DType.F32, true, 1000, 512, 784)).isTrue();
        assertThat(GemmRoutes.vectorGemmShape(DType.F64, false, 64, 196, 288)).isTrue();
        assertThat(GemmRoutes.vectorGemmShape(DType.F64, true, 64, 196, 288)).isFalse();
        assertThat(GemmRoutes.vectorGemmShape(DType.F64, true, 1000, 512, 512)).isTrue();
    }
}
