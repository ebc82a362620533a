package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link LogitFactor}: its C - 1 columns multiply out to {@code diag(p) - p p^T}, for probabilities of every kind. */
class LogitFactorTest {

    /** {@code sum_j s_j s_j^T} from the factor, for one point. */
    private static double[][] product(double[] p) {
        int c = p.length;
        double[][] sum = new double[c][c];
        double[] seed = new double[c];
        for (int j = 0; j < LogitFactor.columns(c); j++) {
            LogitFactor.column(new double[][] {p}, j, seed);
            for (int a = 0; a < c; a++) {
                for (int b = 0; b < c; b++) {
                    sum[a][b] += seed[a] * seed[b];
                }
            }
        }
        return sum;
    }

    private static void factors(double[] p) {
        double[][] s = product(p);
        double max = 0;
        for (double v : p) {
            max = Math.max(max, v);
        }
        for (int a = 0; a < p.length; a++) {
            for (int b = 0; b < p.length; b++) {
                // p_a (1 - p_a) as p_a times the others' sum: 1 - p_a itself would cancel for p_a near 1
                double others = 0;
                for (int k = 0; k < p.length; k++) {
                    others += k == a ? 0 : p[k];
                }
                double want = a == b ? p[a] * others : -p[a] * p[b];
                // entries of size up to max(p); a few roundings each
                assertThat(Math.abs(s[a][b] - want)).as("p = %s, entry (%d, %d)", java.util.Arrays.toString(p), a, b)
                        .isLessThanOrEqualTo(8 * p.length * Math.ulp(Math.max(max, 1e-300)));
                // tiny probabilities keep their relative accuracy on the diagonal
                if (a == b && want > 0) {
                    assertThat(Math.abs(s[a][a] - want) / want).isLessThan(1e-13);
                }
            }
        }
    }

    private static double[] softmax(double[] z) {
        double[] p = new double[z.length];
        ExactTraces.softmax(z, 0, z.length, p);
        return p;
    }

    @Test
    void columnsMultiplyOutToTheCrossEntropyHessian() {
        Random rnd = new Random(7);
        for (int c : new int[] {2, 3, 10, 37}) {
            for (double scale : new double[] {0.01, 1, 10, 60}) {
                for (int rep = 0; rep < 20; rep++) {
                    double[] z = new double[c];
                    for (int i = 0; i < c; i++) {
                        z[i] = scale * rnd.nextGaussian();
                    }
                    factors(softmax(z));
                }
            }
        }
    }

    @Test
    void extremeProbabilities() {
        factors(new double[] {0.5, 0.5});
        factors(new double[] {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1});
        factors(new double[] {1e-300, 1 - 1e-12, 1e-12});
        // a one-hot p: the Hessian is zero, and so is every column
        double[] seed = new double[3];
        for (int j = 0; j < 2; j++) {
            LogitFactor.column(new double[][] {{0, 1, 0}}, j, seed);
            assertThat(java.util.Arrays.stream(seed).allMatch(v -> v == 0)).as(java.util.Arrays.toString(seed)).isTrue();
        }
        // ties for the pivot: the first of them
        factors(new double[] {0.4, 0.4, 0.2});
        assertThat(LogitFactor.columns(1)).isZero();
        assertThat(LogitFactor.columns(10)).isEqualTo(9);
    }

    @Test
    void eachRowIsItsOwnPointsColumn() {
        double[][] p = {softmax(new double[] {1, 2, 3}), softmax(new double[] {3, -1, 0})};
        double[] both = new double[6];
        double[] one = new double[3];
        for (int j = 0; j < 2; j++) {
            LogitFactor.column(p, j, both);
            for (int i = 0; i < 2; i++) {
                LogitFactor.column(new double[][] {p[i]}, j, one);
                assertThat(java.util.Arrays.copyOfRange(both, 3 * i, 3 * i + 3)).containsExactly(one);
            }
        }
    }
}
