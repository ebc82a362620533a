package org.flatminima.kernels;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The Java symmetric eigensolver, in double precision on the heap: Householder reduction to tridiagonal form, then
 * implicit symmetric QR steps with Wilkinson shifts (Golub and Van Loan, Algorithms 8.3.1 and 8.3.3),
 * {@code O(n^3)}. It is the oracle of {@link Backend#symmetricEigen} ({@link ScalarBackend} runs it; the native
 * backend runs LAPACK's {@code dsyevd}) and the solver of small tridiagonal matrices (Lanczos).
 *
 * <p>Eigenvalues come out ascending; eigenvector {@code i} is row {@code i} of the {@code vectors} argument, of unit
 * length, for eigenvalue {@code i}. Signs are arbitrary.
 */
public final class SymmetricQr {
    private static final double EPS = Math.ulp(1.0);

    private SymmetricQr() {
    }

    /**
     * Eigenvalues (ascending) of the symmetric matrix {@code a} given by rows (overwritten; it must be exactly
     * symmetric); when {@code vectors} is not null ({@code n x n}), row {@code i} receives the eigenvector of
     * value {@code i}.
     *
     * @throws ArithmeticException when QR does not converge (a matrix with NaN or infinity)
     */
    public static double[] decompose(double[][] a, double[][] vectors) {
        int n = a.length;
        double[] d = new double[n];
        double[] e = new double[Math.max(0, n - 1)];
        double[][] z = vectors == null ? null : identity(n);
        householder(a, d, e, z);
        qrIterate(d, e, z);
        return sorted(d, z, vectors);
    }

    /**
     * Eigenvalues (ascending) of the symmetric tridiagonal matrix with diagonal {@code diag} (length n) and
     * off-diagonal {@code off} (length n - 1, {@code off[i] = T[i, i+1]}); neither is modified. When
     * {@code vectors} is not null ({@code n x n}), row {@code i} receives the eigenvector of value {@code i}.
     */
    public static double[] tridiagonal(double[] diag, double[] off, double[][] vectors) {
        int n = diag.length;
        if (off.length != Math.max(0, n - 1)) {
            throw new IllegalArgumentException("a tridiagonal matrix of order " + n + " needs " + Math.max(0, n - 1)
                    + " off-diagonal entries, got " + off.length);
        }
        double[] d = diag.clone();
        double[] e = Arrays.copyOf(off, Math.max(0, n - 1));
        double[][] z = vectors == null ? null : identity(n);
        qrIterate(d, e, z);
        return sorted(d, z, vectors);
    }

    private static double[][] identity(int n) {
        double[][] z = new double[n][n];
        for (int i = 0; i < n; i++) {
            z[i][i] = 1;
        }
        return z;
    }

    /**
     * Reduces {@code a} (overwritten) to tridiagonal {@code T = Q^T A Q}; {@code d}, {@code e} receive T's diagonal
     * and off-diagonal; {@code z} (if not null, starting as I) becomes Q. Step k applies the reflector
     * {@code I - 2 v v^T} that maps column k below the diagonal onto a multiple of e_1.
     */
    private static void householder(double[][] a, double[] d, double[] e, double[][] z) {
        int n = a.length;
        for (int k = 0; k + 2 < n; k++) {
            int m = n - k - 1; // length of the part below the diagonal
            double[] v = new double[m];
            double norm = 0;
            for (int i = 0; i < m; i++) {
                v[i] = a[k + 1 + i][k];
                norm = Math.hypot(norm, v[i]);
            }
            if (norm == 0) {
                continue;
            }
            double alpha = v[0] > 0 ? -norm : norm;
            v[0] -= alpha;
            double vn = 0;
            for (double x : v) {
                vn = Math.hypot(vn, x);
            }
            if (vn == 0) {
                continue;
            }
            for (int i = 0; i < m; i++) {
                v[i] /= vn;
            }
            // p = A_sub v, K = v.p, q = p - K v, A_sub -= 2 (v q^T + q v^T)
            double[] p = new double[m];
            for (int i = 0; i < m; i++) {
                double s = 0;
                double[] row = a[k + 1 + i];
                for (int j = 0; j < m; j++) {
                    s += row[k + 1 + j] * v[j];
                }
                p[i] = s;
            }
            double kk = 0;
            for (int i = 0; i < m; i++) {
                kk += v[i] * p[i];
            }
            for (int i = 0; i < m; i++) {
                p[i] -= kk * v[i];
            }
            for (int i = 0; i < m; i++) {
                double[] row = a[k + 1 + i];
                for (int j = 0; j < m; j++) {
                    row[k + 1 + j] -= 2 * (v[i] * p[j] + p[i] * v[j]);
                }
            }
            a[k + 1][k] = alpha;
            a[k][k + 1] = alpha;
            for (int i = 1; i < m; i++) {
                a[k + 1 + i][k] = 0;
                a[k][k + 1 + i] = 0;
            }
            if (z != null) {
                // Q <- Q (I - 2 v v^T) on columns k+1..n-1
                for (double[] row : z) {
                    double s = 0;
                    for (int j = 0; j < m; j++) {
                        s += row[k + 1 + j] * v[j];
                    }
                    s *= 2;
                    for (int j = 0; j < m; j++) {
                        row[k + 1 + j] -= s * v[j];
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            d[i] = a[i][i];
            if (i + 1 < n) {
                e[i] = a[i + 1][i];
            }
        }
    }

    private static boolean negligible(double e, double d1, double d2) {
        return Math.abs(e) <= EPS * (Math.abs(d1) + Math.abs(d2)) || Math.abs(e) < Double.MIN_NORMAL;
    }

    /**
     * Diagonalises the tridiagonal (d, e) in place by implicit QR steps with the Wilkinson shift, chasing the bulge
     * with Givens rotations; the rotations are applied to the columns of {@code z} if not null.
     */
    private static void qrIterate(double[] d, double[] e, double[][] z) {
        int n = d.length;
        int hi = n - 1;
        int steps = 0;
        int maxSteps = 50 * Math.max(1, n);
        while (hi > 0) {
            if (negligible(e[hi - 1], d[hi - 1], d[hi])) {
                e[hi - 1] = 0;
                hi--;
                continue;
            }
            int lo = hi - 1;
            while (lo > 0 && !negligible(e[lo - 1], d[lo - 1], d[lo])) {
                lo--;
            }
            if (lo > 0) {
                e[lo - 1] = 0;
            }
            if (++steps > maxSteps) {
                throw new ArithmeticException("symmetric QR did not converge in " + maxSteps + " steps (order " + n
                        + "); is the matrix finite?");
            }
            // Wilkinson shift: the eigenvalue of the trailing 2x2 block closer to d[hi]
            double delta = 0.5 * (d[hi - 1] - d[hi]);
            double b = e[hi - 1];
            double mu = d[hi] - b * b / (delta + Math.copySign(Math.hypot(delta, b), delta == 0 ? 1 : delta));
            double x = d[lo] - mu;
            double zz = e[lo];
            for (int k = lo; k < hi; k++) {
                double r = Math.hypot(x, zz);
                double c = r == 0 ? 1 : x / r;
                double s = r == 0 ? 0 : zz / r;
                if (k > lo) {
                    e[k - 1] = r;
                }
                double a = d[k];
                double bb = e[k];
                double f = d[k + 1];
                d[k] = c * c * a + 2 * c * s * bb + s * s * f;
                d[k + 1] = s * s * a - 2 * c * s * bb + c * c * f;
                e[k] = (c * c - s * s) * bb + c * s * (f - a);
                if (k + 1 < hi) {
                    double g = e[k + 1];
                    zz = s * g; // the bulge at (k, k+2)
                    e[k + 1] = c * g;
                    x = e[k];
                }
                if (z != null) {
                    for (double[] row : z) {
                        double zk = row[k];
                        double zk1 = row[k + 1];
                        row[k] = c * zk + s * zk1;
                        row[k + 1] = -s * zk + c * zk1;
                    }
                }
            }
        }
    }

    /**
     * Sorts eigenvalues ascending; column j of z becomes row i of {@code vectors} (when z is not null) when
     * values[i] = d[j].
     */
    private static double[] sorted(double[] d, double[][] z, double[][] vectors) {
        int n = d.length;
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> d[i]));
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            int j = order[i];
            values[i] = d[j];
            if (z != null) {
                for (int r = 0; r < n; r++) {
                    vectors[i][r] = z[r][j];
                }
            }
        }
        return values;
    }
}
