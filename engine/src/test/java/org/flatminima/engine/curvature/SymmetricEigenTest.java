package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import org.flatminima.engine.Engine;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ScalarBackend;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The dense eigensolver against matrices whose spectra are known by construction, on each backend (tag
 * "backends": LAPACK's dsyevd on native, the Java oracle on vector and scalar).
 */
@Tag("backends")
class SymmetricEigenTest {

    /** A random orthogonal matrix (rows orthonormal) by modified Gram-Schmidt on Gaussian rows. */
    static double[][] randomOrthogonal(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                q[i][j] = rnd.nextDouble() * 2 - 1;
            }
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < i; p++) {
                    double c = dot(q[i], q[p]);
                    for (int j = 0; j < n; j++) {
                        q[i][j] -= c * q[p][j];
                    }
                }
            }
            double nr = Math.sqrt(dot(q[i], q[i]));
            for (int j = 0; j < n; j++) {
                q[i][j] /= nr;
            }
        }
        return q;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** sum_i d_i q_i q_i^T for the rows q_i of q. */
    static double[][] withSpectrum(double[] d, double[][] q) {
        int n = d.length;
        double[][] a = new double[n][n];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    a[i][j] += d[k] * q[k][i] * q[k][j];
                }
            }
        }
        return a;
    }

    static double[] times(double[][] a, double[] v) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = dot(a[i], v);
        }
        return y;
    }

    /** Checks A v_i = lambda_i v_i and V V^T = I to {@code tol} (relative to max |lambda|). */
    static void assertEigenpairs(double[][] a, SymmetricEigen.Result r, double tol) {
        int n = a.length;
        double scale = Math.max(1e-300, Arrays.stream(r.values()).map(Math::abs).max().orElse(1));
        for (int i = 0; i < n; i++) {
            double[] v = r.vector(i);
            double[] av = times(a, v);
            double res = 0;
            for (int j = 0; j < n; j++) {
                res = Math.max(res, Math.abs(av[j] - r.values()[i] * v[j]));
            }
            assertThat(res / scale).as("residual of pair %d", i).isLessThan(tol);
            for (int j = 0; j <= i; j++) {
                assertThat(dot(v, r.vector(j))).as("<v%d, v%d>", i, j).isCloseTo(i == j ? 1 : 0, Offset.offset(tol));
            }
        }
    }

    @Test
    void diagonalMatrix() {
        double[] d = {3, -1, 7, 0, 2.5};
        double[][] a = withSpectrum(d, new double[][] {{1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 1, 0, 0},
            {0, 0, 0, 1, 0}, {0, 0, 0, 0, 1}});
        SymmetricEigen.Result r = SymmetricEigen.decompose(a);
        assertThat(r.values()).containsExactly(-1, 0, 2.5, 3, 7);
        assertThat(Math.abs(r.vector(4)[2])).isEqualTo(1.0);
        assertEigenpairs(a, r, 1e-15);
    }

    @Test
    void randomOrthogonalConjugateOfAKnownDiagonal() {
        int n = 40;
        SplittableRandom rnd = new SplittableRandom(3);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = rnd.nextDouble() * 20 - 10;
        }
        double[][] a = withSpectrum(d, randomOrthogonal(n, 11));
        SymmetricEigen.Result r = SymmetricEigen.decompose(a);
        double[] want = d.clone();
        Arrays.sort(want);
        for (int i = 0; i < n; i++) {
            assertThat(r.values()[i]).isCloseTo(want[i], Offset.offset(1e-12 * 10));
        }
        assertEigenpairs(a, r, 1e-12);
        assertThat(SymmetricEigen.eigenvalues(a)).containsExactly(r.values(), Offset.offset(1e-12));
    }

    @Test
    void repeatedEigenvalues() {
        double[] d = {2, 2, 2, -1, 5, 5, 0, 0};
        double[][] a = withSpectrum(d, randomOrthogonal(d.length, 5));
        SymmetricEigen.Result r = SymmetricEigen.decompose(a);
        assertThat(r.values()).containsExactly(new double[] {-1, 0, 0, 2, 2, 2, 5, 5}, Offset.offset(1e-13));
        assertEigenpairs(a, r, 1e-13);
        // the identity: every vector is an eigenvector
        SymmetricEigen.Result id = SymmetricEigen.decompose(withSpectrum(new double[] {4, 4, 4},
                randomOrthogonal(3, 9)));
        assertThat(id.values()).containsExactly(new double[] {4, 4, 4}, Offset.offset(1e-14));
    }

    @Test
    void smallOrders() {
        SymmetricEigen.Result one = SymmetricEigen.decompose(new double[][] {{-3.5}});
        assertThat(one.values()).containsExactly(-3.5);
        assertThat(one.vector(0)).containsExactly(1.0);
        // [[a, b], [b, c]]: (a + c)/2 -+ sqrt(((a - c)/2)^2 + b^2)
        double a = 1.5;
        double b = -2;
        double c = 0.25;
        double m = (a + c) / 2;
        double h = Math.hypot((a - c) / 2, b);
        SymmetricEigen.Result two = SymmetricEigen.decompose(new double[][] {{a, b}, {b, c}});
        assertThat(two.values()).containsExactly(new double[] {m - h, m + h}, Offset.offset(1e-15));
        assertEigenpairs(new double[][] {{a, b}, {b, c}}, two, 1e-15);
        assertThat(SymmetricEigen.decompose(new double[0][0]).values()).isEmpty();
    }

    @Test
    void tridiagonalSecondDifferenceMatrix() {
        // tridiag(-1, 2, -1) of order n: 2 - 2 cos(k pi / (n + 1)), k = 1..n
        int n = 30;
        double[] diag = new double[n];
        double[] off = new double[n - 1];
        Arrays.fill(diag, 2);
        Arrays.fill(off, -1);
        SymmetricEigen.Result r = SymmetricEigen.tridiagonal(diag, off);
        for (int k = 1; k <= n; k++) {
            assertThat(r.values()[k - 1]).isCloseTo(2 - 2 * Math.cos(k * Math.PI / (n + 1)), Offset.offset(1e-14));
        }
        double[][] t = new double[n][n];
        for (int i = 0; i < n; i++) {
            t[i][i] = 2;
            if (i + 1 < n) {
                t[i][i + 1] = -1;
                t[i + 1][i] = -1;
            }
        }
        assertEigenpairs(t, r, 1e-14);
        // a tridiagonal with a zero coupling splits into independent blocks
        SymmetricEigen.Result split = SymmetricEigen.tridiagonal(new double[] {1, 3, 3}, new double[] {0, 1});
        assertThat(split.values()).containsExactly(new double[] {1, 2, 4}, Offset.offset(1e-14));
    }

    @Test
    void refusesANonSymmetricMatrix() {
        assertThatThrownBy(() -> SymmetricEigen.decompose(new double[][] {{1, 2}, {0, 1}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not symmetric");
    }

    @Test
    void denseMatricesGoThroughTheEngineBackendAndTridiagonalOnesDoNot() {
        AtomicInteger calls = new AtomicInteger();
        ScalarBackend counting = new ScalarBackend() {
            @Override
            public void symmetricEigen(DType t, int n, MemorySegment a, MemorySegment w, boolean vectors) {
                calls.incrementAndGet();
                super.symmetricEigen(t, n, a, w, vectors);
            }
        };
        double[][] a = withSpectrum(new double[] {1, -2, 3}, randomOrthogonal(3, 4));
        Engine.with(counting, () -> {
            assertEigenpairs(a, SymmetricEigen.decompose(a), 1e-14);
            assertThat(SymmetricEigen.eigenvalues(a)).containsExactly(new double[] {-2, 1, 3}, Offset.offset(1e-14));
            SymmetricEigen.tridiagonal(new double[] {1, 2}, new double[] {0.5});
        });
        assertThat(calls.get()).isEqualTo(2);
    }
}
