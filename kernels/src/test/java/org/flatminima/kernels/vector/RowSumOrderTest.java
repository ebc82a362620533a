package org.flatminima.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The vector backend's row sums have one order of summation, written down here in scalar code, whether their code
 * is interpreted or compiled: each sum is checked on every one of enough calls for the JIT to compile it partway.
 * With {@code reduceLanes(ADD)} the interpreter's and C2's lane sums differed, and so did a gradient's bits before
 * and after compilation (found as a one-ulp flake of {@code ReluPoolOrderTest} on the vector backend).
 */
class RowSumOrderTest {

    private static final int[] LENGTHS = {0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 37, 64, 67, 100, 1000, 1037};
    private static final int CALLS = 20_000;

    /** The documented order: four accumulators of vl lanes, (s0 + s1) + (s2 + s3), lanes from 0, then the tail. */
    private static double reference(double[] x, int len, int vl) {
        double[][] acc = new double[4][vl];
        int up4 = len & -(4 * vl);
        int up = len & -vl;
        int i = 0;
        for (; i < up4; i += 4 * vl) {
            for (int q = 0; q < 4; q++) {
                for (int l = 0; l < vl; l++) {
                    acc[q][l] += x[i + q * vl + l];
                }
            }
        }
        for (; i < up; i += vl) {
            for (int l = 0; l < vl; l++) {
                acc[0][l] += x[i + l];
            }
        }
        double s = 0;
        for (int l = 0; l < vl; l++) {
            s += (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
        }
        for (; i < len; i++) {
            s += x[i];
        }
        return s;
    }

    private static float reference(float[] x, int len, int vl) {
        float[][] acc = new float[4][vl];
        int up4 = len & -(4 * vl);
        int up = len & -vl;
        int i = 0;
        for (; i < up4; i += 4 * vl) {
            for (int q = 0; q < 4; q++) {
                for (int l = 0; l < vl; l++) {
                    acc[q][l] += x[i + q * vl + l];
                }
            }
        }
        for (; i < up; i += vl) {
            for (int l = 0; l < vl; l++) {
                acc[0][l] += x[i + l];
            }
        }
        float s = 0;
        for (int l = 0; l < vl; l++) {
            s += (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
        }
        for (; i < len; i++) {
            s += x[i];
        }
        return s;
    }

    @Test
    void doubleRowSumsKeepTheirBitsBeforeAndAfterCompilation() {
        SplittableRandom rnd = new SplittableRandom(17);
        int vl = DoubleVector.SPECIES_PREFERRED.length();
        try (Arena arena = Arena.ofConfined()) {
            for (int len : LENGTHS) {
                double[] x = rnd.doubles(len + 3, -1, 1).toArray();
                MemorySegment seg = arena.allocate(ValueLayout.JAVA_DOUBLE, x.length);
                MemorySegment.copy(x, 0, seg, ValueLayout.JAVA_DOUBLE, 0, x.length);
                double[] shifted = java.util.Arrays.copyOfRange(x, 3, x.length);
                long want = Double.doubleToRawLongBits(reference(shifted, len, vl));
                for (int c = 0; c < CALLS; c++) {
                    long got = Double.doubleToRawLongBits(DoubleReductions.rowSum(seg, 3, len));
                    if (got != want) {
                        assertThat(got).as("length %d, call %d", len, c).isEqualTo(want);
                    }
                }
            }
        }
    }

    @Test
    void floatRowSumsKeepTheirBitsBeforeAndAfterCompilation() {
        SplittableRandom rnd = new SplittableRandom(18);
        int vl = FloatVector.SPECIES_PREFERRED.length();
        try (Arena arena = Arena.ofConfined()) {
            for (int len : LENGTHS) {
                float[] x = new float[len + 3];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextDouble(-1, 1);
                }
                MemorySegment seg = arena.allocate(ValueLayout.JAVA_FLOAT, x.length);
                MemorySegment.copy(x, 0, seg, ValueLayout.JAVA_FLOAT, 0, x.length);
                float[] shifted = java.util.Arrays.copyOfRange(x, 3, x.length);
                int want = Float.floatToRawIntBits(reference(shifted, len, vl));
                for (int c = 0; c < CALLS; c++) {
                    int got = Float.floatToRawIntBits(FloatReductions.rowSum(seg, 3, len));
                    if (got != want) {
                        assertThat(got).as("length %d, call %d", len, c).isEqualTo(want);
                    }
                }
            }
        }
    }
}
