package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BackendUnavailableException;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * Intel oneMKL as the native backend's BLAS ({@code -Dflatminima.blas=mkl}, which this module's tests run with):
 * that it is the library loaded, from the jar of the version {@link BundledMkl} names, that the native backend
 * runs its products on it (not on the vector GEMM, as it would for an OpenBLAS without AVX-512 kernels), that its
 * thread count is set and read, that the small products run on the bundled OpenBLAS, and that it is found in the
 * local Maven repository without the class path. Its
 * numbers are the kernels module's tests run here on it: {@code BackendParityTest} (GEMM against the scalar oracle
 * at 1-3 threads), {@code GemmSplitTest} (a split product gives the bits of one call), {@code SyrkTest},
 * {@code LapackEigenTest}.
 */
class MklBlasTest {

    private static final String POM_PROPERTIES = "META-INF/maven/org.bytedeco/mkl/pom.properties";

    @Test
    void theJarOnTheClassPathIsTheVersionTheKernelsLookFor() {
        assertThat(BundledOpenBlas.version(getClass().getClassLoader(), POM_PROPERTIES)).isEqualTo(BundledMkl.VERSION);
    }

    @Test
    void oneMklIsTheLibraryLoaded() {
        assertThat(OpenBlas.unavailableReason()).isNull();
        assertThat(OpenBlas.isMkl()).isTrue();
        assertThat(OpenBlas.source()).isEqualTo(BlasSource.Kind.MKL);
        assertThat(OpenBlas.config()).contains("Math Kernel Library Version 2025.3");
        assertThat(OpenBlas.describe()).startsWith("Intel oneMKL 2025.3, mkl: /")
                .contains("/mkl-" + BundledMkl.VERSION + "-linux-x86_64/libmkl_rt.so.2; ")
                .contains("multiply-adds").contains(": OpenBLAS 0.3.31, bundled: /")
                .endsWith("/libopenblas.so.0");
        assertThat(OpenBlas.hasSyrk()).isTrue();
        assertThat(Lapack.has(DType.F64)).isTrue();
    }

    /**
     * Products of at most 100^3 multiply-adds run on the bundled OpenBLAS (faster there), larger ones on oneMKL;
     * every part of a split product is larger than that ({@code GemmSplitTest}), so the choice does not depend on
     * the thread count. Rows then round differently in small and large products, as on OpenBLAS's own AVX-512
     * cores, which {@code hasSmallMatrixKernels} says.
     */
    @Test
    void smallProductsRunOnTheBundledOpenBlas() {
        for (DType t : DType.values()) {
            assertThat(OpenBlas.libraryFor(t, 100, 100, 100)).endsWith("/libopenblas.so.0");
            assertThat(OpenBlas.libraryFor(t, 784, 10, 32)).endsWith("/libopenblas.so.0");
        }
        assertThat(OpenBlas.libraryFor(DType.F32, 101, 100, 100)).endsWith("/libmkl_rt.so.2");
        assertThat(OpenBlas.libraryFor(DType.F32, 1000, 512, 784)).endsWith("/libmkl_rt.so.2");
        // in double, oneMKL on Intel's CPUs only (elsewhere its dgemm was the slower: doublesOnOpenBlasOffIntel)
        String doubles = OpenBlas.intelCpu(CpuInfo.here().vendor()) ? "/libmkl_rt.so.2" : "/libopenblas.so.0";
        assertThat(OpenBlas.libraryFor(DType.F64, 101, 100, 100)).endsWith(doubles);
        assertThat(OpenBlas.libraryFor(DType.F64, 1000, 512, 784)).endsWith(doubles);
        assertThat(OpenBlas.hasSmallMatrixKernels()).isTrue();
        assertThat(OpenBlas.mklAlone()).isFalse();
        assertThat(OpenBlas.smallProductsCore()).isNotBlank().isNotEqualTo(OpenBlas.corename());
    }

    /**
     * Where the products in double run: oneMKL on a CPU it takes for Intel's, the bundled OpenBLAS on others (an AMD
     * EPYC, where oneMKL's dgemm took 1.08-1.18 of its time); the vendor read from /proc/cpuinfo.
     */
    @Test
    void doublesOnOpenBlasOffIntel() throws BackendUnavailableException {
        assertThat(OpenBlas.intelCpu("GenuineIntel")).isTrue();
        assertThat(OpenBlas.intelCpu(null)).as("unknown: oneMKL, as before").isTrue();
        assertThat(OpenBlas.intelCpu("AuthenticAMD")).isFalse();
        assertThat(OpenBlas.intelCpu("HygonGenuine")).isFalse();
        assertThat(CpuInfo.here().vendor()).isNotBlank();
        boolean intel = OpenBlas.intelCpu(CpuInfo.here().vendor());
        assertThat(OpenBlas.doublesOnBundled()).isEqualTo(!intel);
        assertThat(NativeBackend.create().details()).anyMatch(l -> l.startsWith("GEMM of large products: Intel oneMKL")
                && l.endsWith("; in double the bundled OpenBLAS (a CPU not Intel's)") == !intel);
        assertThat(OpenBlas.describe()).contains(OpenBlas.intelCpu(CpuInfo.here().vendor())
                ? "; products of at most 100^3 multiply-adds: OpenBLAS"
                : "; products of at most 100^3 multiply-adds and all in double (a CPU not Intel's): OpenBLAS");
    }

    /**
     * The products the C small-product kernels take ({@code GemmRoutes.smallShape}) go to them beside oneMKL too
     * where the bundled OpenBLAS's core has no small-matrix kernels (a CPU without AVX-512, or one whose
     * {@code OPENBLAS_CORETYPE} names an older core): there oneMKL took 3-7 times their time on W1's products with ten
     * columns of C. Where its core has them, they stay on the BLAS. The product checked is W2's output layer's input
     * gradient, {@code 1000 x 512 x 10}: W1's forward, {@code 1000 x 10 x 784}, goes to the few-columns kernels first
     * on a CPU with AVX-512 (found on an AMD Zen 5 under {@code OPENBLAS_CORETYPE=Haswell}).
     */
    @Test
    void smallProductsRunOnTheCKernelsWhereTheBundledCoreHasNoSmallMatrixKernels() {
        org.junit.jupiter.api.Assumptions.assumeTrue(CKernels.unavailableReason() == null && CKernels.avx2Kernels(),
                "no C kernels for AVX2 here");
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty(NativeBackend.SMALL_PROPERTY) == null,
                "property set");
        boolean bundledSmall = OpenBlas.smallMatrixCore(OpenBlas.smallProductsCore());
        CKernelBackend cb = new CKernelBackend();
        assertThat(cb.details()).anyMatch(l -> l.startsWith("GEMM of small products")
                && l.contains("): " + (bundledSmall ? "BLAS" : "C kernels")));
        if (!bundledSmall) {
            for (DType t : DType.values()) {
                org.flatminima.kernels.GemmChecks.sameBits(CKernels::smallGemm, cb::gemm, t, 1000, 512, 10, false,
                        false, 1.0, 0.0, false, "W2's output layer's input gradient on the C kernels");
            }
        }
    }

    @Test
    void theNativeBackendRunsItsProductsOnIt() throws BackendUnavailableException {
        Backend b = NativeBackend.create();
        assertThat(b.toString()).contains("gemm=blas");
        assertThat(((NativeBackend) b).blasLibrary()).contains("libmkl_rt.so.2").contains("Math Kernel Library");
    }

    /**
     * Strict reproducibility is on ({@link OpenBlas} sets it when {@code MKL_CBWR} is not in the environment):
     * without it {@code GemmSplitTest} fails on oneMKL (a product's entries depend on its number of rows).
     */
    @Test
    void strictReproducibilityIsOn() throws Throwable {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("MKL_CBWR") == null, "MKL_CBWR set: it decides");
        var lookup = java.lang.foreign.SymbolLookup.libraryLookup(OpenBlas.file(), java.lang.foreign.Arena.global());
        var get = java.lang.foreign.Linker.nativeLinker().downcallHandle(lookup.find("MKL_CBWR_Get").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                        java.lang.foreign.ValueLayout.JAVA_INT));
        int all = ~0; // MKL_CBWR_ALL
        assertThat((int) get.invokeExact(all)).isEqualTo(OpenBlas.MKL_CBWR_AUTO_STRICT);
    }

    @Test
    void itsThreadCountIsSetAndRead() {
        int before = OpenBlas.threads();
        try {
            OpenBlas.setThreads(2);
            assertThat(OpenBlas.threads()).isEqualTo(2);
            OpenBlas.setThreads(1);
            assertThat(OpenBlas.threads()).isEqualTo(1);
        } finally {
            OpenBlas.setThreads(before);
        }
    }

    /** Prints what loaded, or why nothing did (for the forked JVM below). */
    public static void main(String[] args) {
        System.out.println(OpenBlas.unavailableReason() == null ? "loaded: " + OpenBlas.describe()
                : "unavailable: " + OpenBlas.unavailableReason());
    }

    /**
     * Without the jar on the class path (as for {@code ./flatminima}, whose class path does not have it), it is
     * taken from the local Maven repository, which this module's build filled.
     */
    @Test
    void foundInTheLocalMavenRepository() throws Exception {
        Path jar = jarOnTheClassPath();
        // <repository>/org/bytedeco/mkl/<version>/mkl-<version>-linux-x86_64-redist.jar
        Path repository = jar.getParent().getParent().getParent().getParent().getParent();
        assertThat(BundledMkl.repositoryJar(repository)).isEqualTo(jar);
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !Path.of(e).toAbsolutePath().equals(jar))
                .collect(Collectors.joining(File.pathSeparator));
        String out = ForkedJvm.run(cp, List.of("-D" + BlasSource.PROPERTY + "=mkl", "-Dmaven.repo.local=" + repository),
                MklBlasTest.class).out();
        assertThat(out).startsWith("loaded: Intel oneMKL 2025.3, mkl: /");
    }

    private static Path jarOnTheClassPath() throws URISyntaxException {
        var url = MklBlasTest.class.getClassLoader().getResource(POM_PROPERTIES);
        assertThat(url).isNotNull();
        String s = url.toString(); // jar:file:/.../mkl-<v>-linux-x86_64-redist.jar!/META-INF/...
        return Path.of(new java.net.URI(s.substring("jar:".length(), s.indexOf("!/")))).toAbsolutePath();
    }
}
