package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.Random;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ParityTest;
import org.flatminima.kernels.ScalarBackend;
import org.junit.jupiter.api.Test;

class OpenBlasTest {

    @Test
    void versionIsReadFromTheConfigString() {
        assertThat(OpenBlas.version("OpenBLAS 0.3.31 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=128"))
                .isEqualTo("0.3.31");
        assertThat(OpenBlas.version("OpenBLAS 0.3.21.dev DYNAMIC_ARCH")).isEqualTo("0.3.21.dev");
        assertThat(OpenBlas.version("Intel(R) oneAPI Math Kernel Library Version 2025.3-Product Build 20251007 for "
                + "Intel(R) 64 architecture applications")).isEqualTo("2025.3");
        assertThat(OpenBlas.version("something else")).isNull();
        assertThat(OpenBlas.version(null)).isNull();
    }

    @Test
    void describesTheLibraryThatRuns() {
        if (!OpenBlas.available()) {
            assertThat(Backends.probe("native").reason()).isEqualTo(OpenBlas.unavailableReason());
            assertThat(OpenBlas.describe()).isEqualTo("unavailable: " + OpenBlas.unavailableReason());
            return;
        }
        assertThat(OpenBlas.source()).isNotNull();
        assertThat(OpenBlas.file()).as("the mapped file of cblas_sgemm").isNotNull();
        assertThat(Files.isRegularFile(OpenBlas.file())).isTrue();
        if (OpenBlas.config() != null) {
            assertThat(OpenBlas.config()).containsIgnoringCase("openblas").contains(OpenBlas.version());
            assertThat(OpenBlas.describe()).startsWith("OpenBLAS " + OpenBlas.version());
        }
        if (OpenBlas.corename() != null) {
            assertThat(OpenBlas.describe()).contains("corename " + OpenBlas.corename());
        }
        assertThat(OpenBlas.describe()).endsWith(OpenBlas.source().label() + ": " + OpenBlas.file());
    }

    /**
     * NativeBackend's GEMM choice reads the core from {@code openblas_get_config()}: it must name the core that
     * {@code openblas_get_corename()} reports (the kernels actually picked, after any {@code OPENBLAS_CORETYPE}).
     */
    @Test
    void theConfigStringNamesTheCore() {
        ParityTest.backendOrSkip("native");
        assumeTrue(OpenBlas.config() != null && OpenBlas.corename() != null, "config or corename not exported");
        assertThat(OpenBlas.config().split("\\s+")).contains(OpenBlas.corename());
    }

    /** With the default setting and the platform jar on the class path, the bundled OpenBLAS 0.3.31 runs. */
    @Test
    void theBundledLibraryIsTheDefault() {
        assumeTrue(BlasSource.configured().kind() == BlasSource.Kind.BUNDLED,
                () -> "the BLAS library is chosen by " + BlasSource.configured().setting());
        assumeTrue(BundledOpenBlas.missing(OpenBlas.class.getClassLoader(), BundledOpenBlas.platform()) == null,
                () -> BundledOpenBlas.missing(OpenBlas.class.getClassLoader(), BundledOpenBlas.platform()));
        assertThat(OpenBlas.unavailableReason()).isNull();
        assertThat(OpenBlas.source()).isEqualTo(BlasSource.Kind.BUNDLED);
        assertThat(OpenBlas.version()).isEqualTo("0.3.31");
        assertThat(OpenBlas.corename()).isNotBlank();
        assertThat(OpenBlas.file().getFileName().toString()).isEqualTo(BundledOpenBlas.LIBRARY);
        assertThat(OpenBlas.file().getParent().getFileName().toString())
                .isEqualTo("openblas-" + BundledOpenBlas.version(OpenBlas.class.getClassLoader()) + "-"
                        + BundledOpenBlas.platform());
    }

    @Test
    void threadsRoundTrip() {
        ParityTest.backendOrSkip("native");
        assumeTrue(OpenBlas.threads() > 0, "this BLAS library does not export openblas_get_num_threads");
        int before = OpenBlas.threads();
        try {
            OpenBlas.setThreads(1);
            assertThat(OpenBlas.threads()).isEqualTo(1);
        } finally {
            OpenBlas.setThreads(before);
        }
    }

    @Test
    void gemmMatchesOracleForEveryTransposeAndDtype() throws Exception {
        ParityTest.backendOrSkip("native");
        Backend nat = NativeBackend.create();
        Backend ref = new ScalarBackend();
        Random rnd = new Random(7);
        int[][] sizes = {{1, 1, 1}, {3, 5, 7}, {17, 13, 33}, {64, 1, 9}};
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : DType.values()) {
                for (int[] s : sizes) {
                    int m = s[0];
                    int n = s[1];
                    int k = s[2];
                    for (int ta = 0; ta < 2; ta++) {
                        for (int tb = 0; tb < 2; tb++) {
                            boolean transA = ta == 1;
                            boolean transB = tb == 1;
                            int lda = (transA ? m : k) + 2;
                            int ldb = (transB ? k : n) + 1;
                            int ldc = n + 3;
                            MemorySegment a = random(arena, t, (long) lda * (transA ? k : m), rnd);
                            MemorySegment b = random(arena, t, (long) ldb * (transB ? n : k), rnd);
                            MemorySegment c1 = random(arena, t, (long) ldc * m, rnd);
                            MemorySegment c2 = arena.allocate(c1.byteSize(), 8).copyFrom(c1);
                            for (double beta : new double[] {0.0, 0.5}) {
                                if (beta == 0) {
                                    t.set(c1, 0, Double.NaN); // must not propagate
                                    t.set(c2, 0, Double.NaN);
                                }
                                nat.gemm(t, transA, transB, m, n, k, 1.5, a, lda, b, ldb, beta, c1, ldc);
                                ref.gemm(t, transA, transB, m, n, k, 1.5, a, lda, b, ldb, beta, c2, ldc);
                                double tol = (t == DType.F32 ? 1e-5 : 1e-13) * (k + 1) * 4;
                                for (int i = 0; i < m; i++) {
                                    for (int j = 0; j < ldc; j++) {
                                        long at = (long) i * ldc + j;
                                        assertThat(t.get(c1, at)).as("%s %s %s %s c[%d,%d]", t,
                                                java.util.Arrays.toString(s), transA, transB, i, j)
                                                .isCloseTo(t.get(c2, at), org.assertj.core.data.Offset.offset(tol));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static MemorySegment random(Arena arena, DType t, long n, Random rnd) {
        MemorySegment s = arena.allocate(Math.max(1, n) * t.byteSize(), 8);
        for (long i = 0; i < n; i++) {
            t.set(s, i, rnd.nextDouble() * 2 - 1);
        }
        return s;
    }
}
