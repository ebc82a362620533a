package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.ScalarBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The C kernels' sum of rows of contiguous elements ({@code inner = 1}: a tensor's sum to one number, or each row's
 * sum over its last axis): from sixteen elements on, element l goes into partial sum {@code l mod 8} (each starting
 * from its first element), in double, and the eight are then added in order; shorter rows are summed one element
 * after the other, as the oracle does. Checked to the bit against that scheme written out here, at one and two
 * threads, against the oracle's sequential sum within the error bound of a sum, and on signed zeros and NaN.
 */
class ContiguousSumTest {

    private final Random rnd = new Random(20261207);

    /** The scheme, in Java: what every output of a sum over rows of {@code len} contiguous elements must be. */
    private static double expected(DType t, MemorySegment x, long from, int len) {
        if (len < 16) {
            double s = t.get(x, from);
            for (int l = 1; l < len; l++) {
                s += t.get(x, from + l);
            }
            return round(t, s);
        }
        double[] part = new double[8];
        for (int l = 0; l < len; l++) {
            part[l % 8] = l < 8 ? t.get(x, from + l) : part[l % 8] + t.get(x, from + l);
        }
        double s = part[0];
        for (int j = 1; j < 8; j++) {
            s += part[j];
        }
        return round(t, s);
    }

    private static double round(DType t, double v) {
        return t == DType.F32 ? (float) v : v;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void rowsOfContiguousElementsAreSummedInEightPartialSums(DType t) {
        NativeBackend nat = NativeKernelsTest.backend(true);
        assumeTrue(nat.usesCKernels(), "the C kernels did not load: " + CKernels.unavailableReason());
        int before = nat.threads();
        int[][] shapes = {{1, 16}, {1, 17}, {3, 23}, {1, 1000}, {5, 4099}, {1, 1_000_003}, {2, 15}, {4, 9}, {1, 1}};
        try (Arena arena = Arena.ofConfined()) {
            for (int threads : new int[] {1, 2}) {
                nat.setThreads(threads);
                for (int[] s : shapes) {
                    int rows = s[0];
                    int len = s[1];
                    MemorySegment x = arena.allocate((long) rows * len * t.byteSize(), 8);
                    MemorySegment abs = arena.allocate((long) rows * len * t.byteSize(), 8);
                    for (long i = 0; i < (long) rows * len; i++) {
                        double v = 1e3 * (rnd.nextDouble() - 0.5);
                        t.set(x, i, v);
                        t.set(abs, i, Math.abs(t.get(x, i)));
                    }
                    MemorySegment y = arena.allocate(rows * t.byteSize(), 8);
                    MemorySegment oracle = arena.allocate(rows * t.byteSize(), 8);
                    MemorySegment scale = arena.allocate(rows * t.byteSize(), 8);
                    nat.reduce(ReduceOp.SUM, t, rows, len, 1, x, y);
                    new ScalarBackend().reduce(ReduceOp.SUM, t, rows, len, 1, x, oracle);
                    new ScalarBackend().reduce(ReduceOp.SUM, t, rows, len, 1, abs, scale);
                    for (int r = 0; r < rows; r++) {
                        String at = t + " " + rows + " x " + len + " at " + threads + " threads, row " + r;
                        assertThat(Double.doubleToRawLongBits(t.get(y, r))).as(at)
                                .isEqualTo(Double.doubleToRawLongBits(expected(t, x, (long) r * len, len)));
                        double ulp = t == DType.F32 ? 0x1p-24 : 0x1p-53;
                        assertThat(Math.abs(t.get(y, r) - t.get(oracle, r))).as(at + " against the oracle")
                                .isLessThanOrEqualTo(t.get(scale, r) * (len + 1) * ulp * 2);
                    }
                }
            }
        } finally {
            nat.setThreads(before);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void aSumOfNegativeZerosIsNegativeZeroAndANanAnywhereIsNan(DType t) {
        NativeBackend nat = NativeKernelsTest.backend(true);
        assumeTrue(nat.usesCKernels(), "the C kernels did not load: " + CKernels.unavailableReason());
        int len = 37;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(len * t.byteSize(), 8);
            MemorySegment y = arena.allocate(t.byteSize(), 8);
            for (int i = 0; i < len; i++) {
                t.set(x, i, -0.0);
            }
            nat.reduce(ReduceOp.SUM, t, 1, len, 1, x, y);
            assertThat(Double.doubleToRawLongBits(t.get(y, 0))).isEqualTo(Double.doubleToRawLongBits(-0.0));
            for (int at : new int[] {0, 7, 8, 36}) {
                for (int i = 0; i < len; i++) {
                    t.set(x, i, i == at ? Double.NaN : 1.0);
                }
                nat.reduce(ReduceOp.SUM, t, 1, len, 1, x, y);
                assertThat(t.get(y, 0)).as("NaN at " + at).isNaN();
            }
            for (int i = 0; i < len; i++) {
                t.set(x, i, i == 3 ? Double.POSITIVE_INFINITY : i == 30 ? Double.NEGATIVE_INFINITY : 1.0);
            }
            nat.reduce(ReduceOp.SUM, t, 1, len, 1, x, y);
            assertThat(t.get(y, 0)).as("+Inf and -Inf").isNaN();
        }
    }
}
