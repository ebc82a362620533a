package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * {@link Probes}: the Rademacher rows against the bits of the generator they come from (element i of a row is
 * -1 exactly when bit {@code i mod 64} of the row's word {@code i / 64} is set), and the row dot products against
 * the exact sum of the rounded products (BigDecimal), for lengths around the staging block and the eight partial
 * sums.
 */
class ProbesTest {

    @Test
    void rademacherRowsAreTheGeneratorsBits() {
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (int p : new int[] {1, 63, 64, 65, 4095, 4096, 4097, 9000}) {
                Tensor z = Probes.rademacher(t, new SplittableRandom(p), 3, p);
                double[] v = z.toDoubleArray();
                SplittableRandom rnd = new SplittableRandom(p);
                for (int r = 0; r < 3; r++) {
                    long bits = 0;
                    for (int i = 0; i < p; i++) {
                        if (i % 64 == 0) {
                            bits = rnd.nextLong();
                        }
                        double want = ((bits >>> (i % 64)) & 1L) == 0 ? 1 : -1;
                        assertThat(v[r * p + i]).as("%s p=%d row %d element %d", t, p, r, i).isEqualTo(want);
                    }
                }
            }
        }
    }

    @Test
    void rowDotsAreTheSumsOfTheRoundedProducts() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (int p : new int[] {1, 7, 8, 9, 4095, 4096, 4097, 8200, 20011}) {
                int k = 3;
                double[] a = rnd.doubles((long) k * p, -1, 1).toArray();
                double[] b = rnd.doubles((long) k * p, -1, 1).toArray();
                Tensor ta = Tensor.of(t, a, k, p);
                Tensor tb = Tensor.of(t, b, k, p);
                double[] av = ta.toDoubleArray();
                double[] bv = tb.toDoubleArray();
                double[] got = Probes.rowDots(ta, tb);
                for (int r = 0; r < k; r++) {
                    BigDecimal exact = BigDecimal.ZERO;
                    double abs = 0;
                    for (int i = 0; i < p; i++) {
                        double prod = t == DType.F32 ? (float) av[r * p + i] * (float) bv[r * p + i]
                                : av[r * p + i] * bv[r * p + i];
                        exact = exact.add(new BigDecimal(prod));
                        abs += Math.abs(prod);
                    }
                    // double sums of p terms: at most about p eps_64 of the sum of magnitudes
                    assertThat(Math.abs(got[r] - exact.doubleValue())).as("%s p=%d row %d", t, p, r)
                            .isLessThanOrEqualTo(p * 0x1p-52 * abs);
                }
            }
        }
    }
}
