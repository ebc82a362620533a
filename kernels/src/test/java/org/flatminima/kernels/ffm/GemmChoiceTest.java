package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

class GemmChoiceTest {

    private static final String HASWELL = "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64";
    private static final String COOPERLAKE = "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64";

    @Test
    void autoTakesTheWiderKernels() {
        assertThat(NativeBackend.chooseGemm("auto", HASWELL, 512)[0]).isEqualTo("vector");
        assertThat(NativeBackend.chooseGemm("auto", HASWELL, 512)[1]).contains("Haswell");
        assertThat(NativeBackend.chooseGemm("auto", COOPERLAKE, 512)[0]).isEqualTo("blas");
        assertThat(NativeBackend.chooseGemm("auto", "OpenBLAS 0.3.26 SkylakeX", 512)[0]).isEqualTo("blas");
        assertThat(NativeBackend.chooseGemm("auto", HASWELL, 256)[0]).isEqualTo("blas");
        assertThat(NativeBackend.chooseGemm("auto", HASWELL, 0)[0]).isEqualTo("blas");
        assertThat(NativeBackend.chooseGemm(null, HASWELL, 512)[0]).isEqualTo("vector");
        assertThat(NativeBackend.chooseGemm("auto", null, 512)[0]).isEqualTo("vector");
    }

    @Test
    void propertyOverridesAndRejectsUnknownValues() {
        assertThat(NativeBackend.chooseGemm("blas", HASWELL, 512)[0]).isEqualTo("blas");
        assertThat(NativeBackend.chooseGemm(" Vector ", COOPERLAKE, 512)[0]).isEqualTo("vector");
        assertThat(NativeBackend.chooseGemm("vector", COOPERLAKE, 0)[0]).isEqualTo("blas");
        assertThatThrownBy(() -> NativeBackend.chooseGemm("mkl", HASWELL, 512))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown -Dflatminima.gemm=mkl: use auto, blas or vector");
    }

    @Test
    void skinnyProductsStayOnBlas() {
        assertThat(NativeBackend.vectorGemmShape(DType.F32, false, 1000, 512, 784)).isTrue();
        assertThat(NativeBackend.vectorGemmShape(DType.F32, false, 1000, 10, 784)).isFalse();
        assertThat(NativeBackend.vectorGemmShape(DType.F32, false, 32, 784, 9)).isFalse();
        assertThat(NativeBackend.vectorGemmShape(DType.F32, false, 64, 196, 288)).isTrue();
        assertThat(NativeBackend.vectorGemmShape(DType.F32, true, 288, 196, 64)).isFalse();
        assertThat(NativeBackend.vectorGemmShape(DType.F32, true, 1000, 512, 784)).isTrue();
        assertThat(NativeBackend.vectorGemmShape(DType.F64, false, 64, 196, 288)).isTrue();
        assertThat(NativeBackend.vectorGemmShape(DType.F64, true, 64, 196, 288)).isFalse();
        assertThat(NativeBackend.vectorGemmShape(DType.F64, true, 1000, 512, 512)).isTrue();
    }
}
