package org.flatminima.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.flatminima.kernels.DType;
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
    /** Elements before the row: a row that does not start at the segment's first element. */
    private static final int BASE = 3;

    /**
     * The documented order: four accumulators of vl lanes, (s0 + s1) + (s2 + s3), lanes from 0, then the tail;
     * every addition rounded by {@code round} (to float: a sum of two floats in double, rounded once, is the float
     * sum).
     */
    private static double reference(double[] x, int len, int vl, DoubleUnaryOperator round) {
        double[][] acc = new double[4][vl];
        int up4 = len & -(4 * vl);
        int up = len & -vl;
        int i = 0;
        for (; i < up4; i += 4 * vl) {
            for (int q = 0; q < 4; q++) {
                for (int l = 0; l < vl; l++) {
                    acc[q][l] = round.applyAsDouble(acc[q][l] + x[i + q * vl + l]);
                }
            }
        }
        for (; i < up; i += vl) {
            for (int l = 0; l < vl; l++) {
                acc[0][l] = round.applyAsDouble(acc[0][l] + x[i + l]);
            }
        }
        double s = 0;
        for (int l = 0; l < vl; l++) {
            double pair = round.applyAsDouble(round.applyAsDouble(acc[0][l] + acc[1][l])
                    + round.applyAsDouble(acc[2][l] + acc[3][l]));
            s = round.applyAsDouble(s + pair);
        }
        for (; i < len; i++) {
            s = round.applyAsDouble(s + x[i]);
        }
        return s;
    }

    private static void check(DType t, SplittableRandom rnd) {
        boolean f32 = t == DType.F32;
        int vl = f32 ? FloatVector.SPECIES_PREFERRED.length() : DoubleVector.SPECIES_PREFERRED.length();
        DoubleUnaryOperator round = f32 ? v -> (float) v : v -> v;
        try (Arena arena = Arena.ofConfined()) {
            for (int len : LENGTHS) {
                double[] x = new double[len];
                for (int i = 0; i < len; i++) {
                    x[i] = round.applyAsDouble(rnd.nextDouble(-1, 1));
                }
                MemorySegment seg = arena.allocate(t.byteSize() * (BASE + len), 64);
                for (int i = 0; i < len; i++) {
                    if (f32) {
                        seg.setAtIndex(ValueLayout.JAVA_FLOAT, BASE + i, (float) x[i]);
                    } else {
                        seg.setAtIndex(ValueLayout.JAVA_DOUBLE, BASE + i, x[i]);
                    }
                }
                double want = reference(x, len, vl, round);
                for (int c = 0; c < CALLS; c++) {
                    double got = f32 ? FloatReductions.rowSum(seg, BASE, len) : DoubleReductions.rowSum(seg, BASE, len);
                    if (Double.doubleToRawLongBits(got) != Double.doubleToRawLongBits(want)) {
                        assertThat(got).as("%s length %d, call %d", t, len, c).isEqualTo(want);
                    }
                }
            }
        }
    }

    @Test
    void doubleRowSumsKeepTheirBitsBeforeAndAfterCompilation() {
        check(DType.F64, new SplittableRandom(17));
    }

    @Test
    void floatRowSumsKeepTheirBitsBeforeAndAfterCompilation() {
        check(DType.F32, new SplittableRandom(18));
    }
}
