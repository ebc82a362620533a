package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.ScalarBackend;
import org.flatminima.kernels.vector.VectorBackend;
import org.junit.jupiter.api.Test;

/**
 * The backends are layers: scalar, vector on scalar, native on vector, the C kernels on native. A kernel that a
 * layer does not provide is the layer below's by inheritance, never switched by a flag. Checked on the classes
 * (which implementation a call resolves to), so it needs neither OpenBLAS nor the C library; the parity tests
 * check that what each layer provides computes what the oracle does.
 */
class LayeringTest {

    /** The kernel methods of {@link Backend} (everything but name, threads and the details line). */
    private static List<Method> kernels() {
        Set<String> notKernels = Set.of("name", "threads", "setThreads", "details");
        return Arrays.stream(Backend.class.getMethods()).filter(m -> !notKernels.contains(m.getName())).toList();
    }

    private static Method kernel(String name) {
        return kernels().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
    }

    /** The class whose code runs when {@code m} is called on an instance of {@code c}. */
    private static Class<?> implementer(Class<?> c, Method m) throws NoSuchMethodException {
        return c.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass();
    }

    @Test
    void theOracleImplementsEveryKernelSoEveryLayerHasSomethingToFallTo() throws Exception {
        assertThat(kernels()).hasSizeGreaterThan(15);
        for (Method m : kernels()) {
            assertThat(implementer(ScalarBackend.class, m)).as(m.getName()).isEqualTo(ScalarBackend.class);
        }
    }

    @Test
    void vectorOverridesWhatItVectorisesAndInheritsTheRestFromTheOracle() throws Exception {
        assertThat(VectorBackend.class.getSuperclass()).isEqualTo(ScalarBackend.class);
        Set<String> inherited = Set.of("gatherCols", "scatterCols", "maxPool2dGather", "gatedChannelSum",
                "symmetricEigen", "gemmOntoRow",
                "gemmOntoRowRelu",
                "winogradInput", "winogradOutput", "winogradGradient", "hasConv3x3Direct", "conv3x3Direct",
                "conv3x3DirectWeightGrad");
        for (Method m : kernels()) {
            assertThat(implementer(VectorBackend.class, m)).as(m.getName())
                    .isEqualTo(inherited.contains(m.getName()) ? ScalarBackend.class : VectorBackend.class);
        }
    }

    @Test
    void nativeWithoutCKernelsOverridesOnlyBlasLapackAndRunParts() throws Exception {
        assertThat(NativeBackend.class.getSuperclass()).isEqualTo(VectorBackend.class);
        // and runParts, which keeps OpenBLAS on one thread while the parts run; the products onto a row route as gemm
        Set<String> onBlas = Set.of("gemm", "gemmOntoRow", "gemmOntoRowRelu", "syrk", "symmetricEigen", "runParts");
        for (Method m : kernels()) {
            Class<?> expected = onBlas.contains(m.getName()) ? NativeBackend.class
                    : implementer(VectorBackend.class, m);
            assertThat(implementer(NativeBackend.class, m)).as(m.getName()).isEqualTo(expected);
        }
    }

    @Test
    void theCKernelLayerFallsThroughWhereTheCLibraryHasNoKernel() throws Exception {
        assertThat(CKernelBackend.class.getSuperclass()).isEqualTo(NativeBackend.class);
        Set<String> inC = Set.of("fill", "axpby", "unary", "binary", "reduce", "argmax", "softmax", "logSoftmax",
                "softmaxCrossEntropy", "crossEntropy", "im2col", "col2im", "maxPool2d", "maxPool2dValues", "maxPool2dRelu",
                "maxPool2dBackward", "maxPool2dGather", "gatedChannelSum",
                "avgPool2d", "avgPool2dBackward", "winogradInput", "winogradOutput", "winogradGradient",
                "hasConv3x3Direct", "conv3x3Direct", "conv3x3DirectWeightGrad");
        for (Method m : kernels()) {
            Class<?> expected = inC.contains(m.getName()) ? CKernelBackend.class
                    : implementer(NativeBackend.class, m);
            assertThat(implementer(CKernelBackend.class, m)).as(m.getName()).isEqualTo(expected);
        }
        assertThat(implementer(CKernelBackend.class, kernel("copy"))).isEqualTo(VectorBackend.class);
        assertThat(implementer(CKernelBackend.class, kernel("gatherCols"))).isEqualTo(ScalarBackend.class);
    }
}
