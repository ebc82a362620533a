package org.flatminima.engine.curvature;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.SymmetricQr;

/**
 * Symmetric eigendecomposition {@code A = V diag(lambda) V^T} in double precision. Dense matrices ({@link #decompose},
 * {@link #eigenvalues}) go through the kernel {@link Backend#symmetricEigen} of {@link Engine#backend()}: LAPACK's
 * {@code dsyevd} on the native backend, the Java Householder + implicit QR solver ({@link SymmetricQr}, the oracle)
 * on the others; {@code O(n^3)}, used for dense Hessians of small models (up to a few thousand parameters) and as
 * the reference in tests. {@link #tridiagonal} (Lanczos' small tridiagonal matrices) always runs the Java QR
 * iteration ({@link SymmetricQr#tridiagonal}): its matrices have the order of the Lanczos steps (tens), and no
 * Householder reduction is needed, so a downcall would buy nothing.
 *
 * <p>Eigenvalues are returned ascending (like NumPy's {@code eigh}); eigenvector {@code i} is row {@code i} of
 * {@link Result#vectors()}, has unit length and belongs to eigenvalue {@code i}. Signs are arbitrary.
 */
public final class SymmetricEigen {

    private SymmetricEigen() {
    }

    /**
     * Eigenvalues (ascending) and unit eigenvectors ({@code vectors[i]} for {@code values[i]}).
     *
     * @param values eigenvalues, ascending
     * @param vectors {@code vectors[i]} is the eigenvector of {@code values[i]}, of length {@code n}; null when only
     *     values were asked for
     */
    public record Result(double[] values, double[][] vectors) {
        /** The eigenvector of {@code values[i]}. */
        public double[] vector(int i) {
            if (vectors == null) {
                throw new IllegalStateException("eigenvectors were not computed (use decompose, not eigenvalues)");
            }
            return vectors[i];
        }
    }

    /** Eigenvalues and eigenvectors of a symmetric {@code [n, n]} tensor (any dtype; computed in double). */
    public static Result decompose(Tensor a) {
        return decompose(toRows(a), true);
    }

    /** Eigenvalues and eigenvectors of a symmetric matrix given by rows (not modified). */
    public static Result decompose(double[][] a) {
        return decompose(a, true);
    }

    /** Eigenvalues only (ascending), without accumulating the transformations. */
    public static double[] eigenvalues(double[][] a) {
        return decompose(a, false).values();
    }

    /** Eigenvalues only (ascending) of a symmetric {@code [n, n]} tensor. */
    public static double[] eigenvalues(Tensor a) {
        return decompose(toRows(a), false).values();
    }

    /**
     * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal {@code diag} (length n) and
     * off-diagonal {@code off} (length n - 1, {@code off[i] = T[i, i+1]}).
     */
    public static Result tridiagonal(double[] diag, double[] off) {
        double[][] vectors = new double[diag.length][diag.length];
        double[] values = SymmetricQr.tridiagonal(diag, off, vectors);
        return new Result(values, vectors);
    }

    // ------------------------------------------------------------------ implementation

    private static double[][] toRows(Tensor a) {
        if (a.rank() != 2 || a.dim(0) != a.dim(1)) {
            throw new IllegalArgumentException("a symmetric matrix must have shape [n, n], got "
                    + Arrays.toString(a.shape()));
        }
        int n = a.dim(0);
        double[] flat = a.toDoubleArray();
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * n, (i + 1) * n);
        }
        return rows;
    }

    /**
     * Checks and symmetrises {@code a0} (a copy), then runs the backend's {@link Backend#symmetricEigen} on it in
     * F64, off-heap.
     */
    private static Result decompose(double[][] a0, boolean vectors) {
        int n = a0.length;
        double max = 0;
        for (int i = 0; i < n; i++) {
            if (a0[i].length != n) {
                throw new IllegalArgumentException("row " + i + " has " + a0[i].length + " entries, expected " + n);
            }
            for (double v : a0[i]) {
                max = Math.max(max, Math.abs(v));
            }
        }
        if (n == 0) {
            return new Result(new double[0], vectors ? new double[0][] : null);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ValueLayout.JAVA_DOUBLE, (long) n * n);
            MemorySegment w = arena.allocate(ValueLayout.JAVA_DOUBLE, n);
            // symmetrise, refusing matrices that are not symmetric up to rounding
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    double asym = Math.abs(a0[i][j] - a0[j][i]);
                    if (asym > 1e-4 * max) {
                        throw new IllegalArgumentException("matrix is not symmetric: |A[" + j + "," + i + "] - A[" + i
                                + "," + j + "]| = " + asym + " (max |A| = " + max + ")");
                    }
                    a.setAtIndex(ValueLayout.JAVA_DOUBLE, (long) i * n + j, 0.5 * (a0[i][j] + a0[j][i]));
                }
            }
            Engine.backend().symmetricEigen(DType.F64, n, a, w, vectors);
            double[] values = w.toArray(ValueLayout.JAVA_DOUBLE);
            if (!vectors) {
                return new Result(values, null);
            }
            double[][] rows = new double[n][];
            for (int i = 0; i < n; i++) {
                rows[i] = a.asSlice((long) i * n * Double.BYTES, (long) n * Double.BYTES).toArray(ValueLayout.JAVA_DOUBLE);
            }
            return new Result(values, rows);
        }
    }
}
