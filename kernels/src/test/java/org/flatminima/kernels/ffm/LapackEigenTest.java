package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.CheckedBackend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ParityTest;
import org.flatminima.kernels.ScalarBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The native backend's symmetric eigensolver (LAPACK {@code ?syevd}) against the Java oracle ({@link ScalarBackend},
 * Householder + implicit QR): eigenvalues agree, and each side's rows are eigenvectors (small {@code A v - lambda v}
 * residual) and orthonormal. Both run on the same input, whose lower triangle holds garbage: the contract reads only
 * the upper triangle, so a wrong layout or {@code uplo} shows up as a wrong spectrum.
 */
class LapackEigenTest {

    private final Backend oracle = new ScalarBackend();
    private final Random rnd = new Random(20261202);
    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private static Backend lapack() {
        ParityTest.backendOrSkip("native");
        Backend b = NativeKernelsTest.backend(false);
        assertThat(Lapack.has(DType.F64)).as(Lapack.describe()).isTrue();
        assertThat(Lapack.has(DType.F32)).as(Lapack.describe()).isTrue();
        assertThat(b.details()).contains("symmetric eigensolver: LAPACK LAPACKE_dsyevd/LAPACKE_ssyevd");
        return CheckedBackend.wrap(b);
    }

    private static double[][] randomSymmetric(Random rnd, int n) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                a[i][j] = rnd.nextGaussian();
                a[j][i] = a[i][j];
            }
        }
        return a;
    }

    /** The row-major upper triangle of {@code a} in a segment of type t, the lower triangle filled with garbage. */
    private MemorySegment upper(DType t, double[][] a) {
        int n = a.length;
        MemorySegment s = arena.allocate(Math.max(1L, (long) n * n) * t.byteSize(), 8);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                t.set(s, (long) i * n + j, j >= i ? a[i][j] : 1e3 + i - 7 * j);
            }
        }
        return s;
    }

    /** Runs the kernel; returns {values, row-major vectors}. */
    private double[][] eigen(Backend b, DType t, double[][] a) {
        int n = a.length;
        MemorySegment m = upper(t, a);
        MemorySegment w = arena.allocate(Math.max(1L, n) * t.byteSize(), 8);
        b.symmetricEigen(t, n, m, w, true);
        double[] values = new double[n];
        double[] vectors = new double[n * n];
        for (int i = 0; i < n; i++) {
            values[i] = t.get(w, i);
        }
        for (int i = 0; i < n * n; i++) {
            vectors[i] = t.get(m, i);
        }
        return new double[][] {values, vectors};
    }

    private static double norm(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double v : row) {
                s += v * v;
            }
        }
        return Math.sqrt(s);
    }

    /** Values ascending; rows of {@code vec} orthonormal and eigenvectors: |A v_i - w_i v_i| <= tol * ||A||_F. */
    private static void assertEigenpairs(double[][] a, double[] w, double[] vec, double tol) {
        int n = a.length;
        double scale = Math.max(1, norm(a));
        for (int i = 1; i < n; i++) {
            assertThat(w[i]).isGreaterThanOrEqualTo(w[i - 1]);
        }
        for (int i = 0; i < n; i++) {
            double r2 = 0;
            for (int r = 0; r < n; r++) {
                double s = 0;
                for (int c = 0; c < n; c++) {
                    s += a[r][c] * vec[i * n + c];
                }
                double d = s - w[i] * vec[i * n + r];
                r2 += d * d;
            }
            assertThat(Math.sqrt(r2)).as("residual of pair %d of %d", i, n).isLessThanOrEqualTo(tol * scale);
            for (int j = 0; j <= i; j++) {
                double dot = 0;
                for (int c = 0; c < n; c++) {
                    dot += vec[i * n + c] * vec[j * n + c];
                }
                assertThat(dot).as("v%d . v%d of %d", i, j, n).isCloseTo(i == j ? 1 : 0,
                        org.assertj.core.data.Offset.offset(tol * Math.max(1, n)));
            }
        }
    }

    private void parity(DType t, double[][] a, double valueTol, double pairTol) {
        Backend lapack = lapack();
        double[][] nat = eigen(lapack, t, a);
        double[][] ref = eigen(oracle, t, a);
        double scale = 0;
        for (double v : ref[0]) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(nat[0][i] - ref[0][i])).as("eigenvalue %d of %d", i, a.length)
                    .isLessThanOrEqualTo(valueTol * Math.max(scale, Double.MIN_NORMAL));
        }
        assertEigenpairs(a, nat[0], nat[1], pairTol);
        assertEigenpairs(a, ref[0], ref[1], pairTol);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 64, 200})
    void f64AgreesWithTheJavaOracle(int n) {
        parity(DType.F64, randomSymmetric(rnd, n), 1e-10, 1e-12);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 64, 200})
    void f32AgreesWithTheJavaOracleLoosely(int n) {
        // the input rounded to float, so both sides see the same matrix; ssyevd computes in float
        double[][] a = randomSymmetric(rnd, n);
        for (double[] row : a) {
            for (int j = 0; j < n; j++) {
                row[j] = (float) row[j];
            }
        }
        parity(DType.F32, a, 1e-4, 1e-5);
    }

    @Test
    void repeatedEigenvaluesGiveAnOrthonormalBasis() {
        int n = 9;
        double[][] id = new double[n][n];
        for (int i = 0; i < n; i++) {
            id[i][i] = 2.5;
        }
        parity(DType.F64, id, 1e-14, 1e-13);
        double[][] nat = eigen(lapack(), DType.F64, id);
        assertThat(nat[0]).containsOnly(2.5);

        // blocks [[2,1],[1,2]] three times and a 3x3 of ones: eigenvalues 1 (x3), 3 (x3), 0 (x2), 3 -> 3 four times
        double[][] block = new double[n][n];
        for (int b = 0; b < 3; b++) {
            block[2 * b][2 * b] = 2;
            block[2 * b + 1][2 * b + 1] = 2;
            block[2 * b][2 * b + 1] = 1;
            block[2 * b + 1][2 * b] = 1;
        }
        for (int i = 6; i < 9; i++) {
            for (int j = 6; j < 9; j++) {
                block[i][j] = 1;
            }
        }
        parity(DType.F64, block, 1e-13, 1e-13);
        double[] w = eigen(lapack(), DType.F64, block)[0];
        assertThat(w).containsExactly(new double[] {0, 0, 1, 1, 1, 3, 3, 3, 3},
                org.assertj.core.data.Offset.offset(1e-13));
    }

    @Test
    void valuesOnlyMatchTheFullDecompositionAndHeapSegmentsWork() {
        Backend lapack = lapack();
        int n = 31;
        double[][] a = randomSymmetric(rnd, n);
        double[] full = eigen(lapack, DType.F64, a)[0];
        MemorySegment m = MemorySegment.ofArray(new double[n * n]).copyFrom(upper(DType.F64, a));
        MemorySegment w = MemorySegment.ofArray(new double[n]);
        lapack.symmetricEigen(DType.F64, n, m, w, false);
        for (int i = 0; i < n; i++) {
            assertThat(DType.F64.get(w, i)).isCloseTo(full[i], org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void nanIsAnArithmeticExceptionOnBothSides() {
        Backend lapack = lapack();
        double[][] a = randomSymmetric(rnd, 5);
        a[1][3] = Double.NaN;
        a[3][1] = Double.NaN;
        for (Backend b : new Backend[] {lapack, oracle}) {
            MemorySegment m = upper(DType.F64, a);
            MemorySegment w = arena.allocate(5 * 8L, 8);
            assertThatThrownBy(() -> b.symmetricEigen(DType.F64, 5, m, w, true))
                    .isInstanceOf(ArithmeticException.class);
        }
    }

    @Test
    void checkedBackendNamesAShortArgument() {
        Backend b = CheckedBackend.wrap(oracle);
        MemorySegment small = arena.allocate(8L * 8, 8);
        assertThatThrownBy(() -> b.symmetricEigen(DType.F64, 3, small, arena.allocate(24, 8), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a'");
    }

    @Test
    void detailsNameAMissingSymbol() {
        assertThat(Lapack.describe(true, true, "x.so")).isEqualTo(
                "symmetric eigensolver: LAPACK LAPACKE_dsyevd/LAPACKE_ssyevd");
        assertThat(Lapack.describe(false, false, "libblas.so.3")).isEqualTo(
                "symmetric eigensolver: Java (LAPACKE_dsyevd and LAPACKE_ssyevd not found in libblas.so.3)");
        assertThat(Lapack.describe(true, false, "x.so")).isEqualTo(
                "symmetric eigensolver: Java (LAPACKE_ssyevd not found in x.so); the other dtype runs LAPACK");
    }
}
