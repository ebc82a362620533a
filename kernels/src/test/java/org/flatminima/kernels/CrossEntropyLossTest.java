package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.flatminima.kernels.ParityTest.alloc;
import static org.flatminima.kernels.ParityTest.ints;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Backend#crossEntropy}, the losses without the probabilities, gives every backend's
 * {@link Backend#softmaxCrossEntropy} losses to the bit: rows of one block of the C kernel's exps and many, rows
 * wider than a block (the C kernel's one-at-a-time path), rows split between two threads, and rows holding a NaN,
 * infinities and signed zeros. Every loss is written (the buffer starts as a value no loss takes) and nothing
 * past the last.
 */
class CrossEntropyLossTest {

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String b : List.of("scalar", "vector", "native")) {
            for (DType t : DType.values()) {
                for (int threads : b.equals("scalar") ? new int[] {1} : new int[] {1, 2}) {
                    all.add(Arguments.of(b, t, threads));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void theLossesAloneAreTheLossesOfTheFusedKernel(String name, DType t, int threads) {
        Backend b = ParityTest.backendOrSkip(name);
        b.setThreads(threads);
        int[][] shapes = {{1, 1}, {7, 10}, {1000, 10}, {1025, 1}, {3, 1000}, {2, 1100}, {300, 7}};
        SplittableRandom rnd = new SplittableRandom(29);
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1e30};
        for (int[] s : shapes) {
            int rows = s[0];
            int cols = s[1];
            long n = (long) rows * cols;
            try (Arena arena = Arena.ofShared()) {
                MemorySegment z = alloc(arena, t, n);
                int[] lab = new int[rows];
                for (int r = 0; r < rows; r++) {
                    lab[r] = rnd.nextInt(cols);
                    for (int c = 0; c < cols; c++) {
                        t.set(z, (long) r * cols + c, -20 + 40 * rnd.nextDouble());
                    }
                    if (r % 5 == 3) { // a special value in some rows, their neighbours finite
                        t.set(z, (long) r * cols + rnd.nextInt(cols), special[r / 5 % special.length]);
                    }
                }
                MemorySegment labels = ints(arena, lab);
                MemorySegment fused = alloc(arena, t, rows);
                MemorySegment probs = alloc(arena, t, n);
                b.softmaxCrossEntropy(t, rows, cols, z, labels, fused, probs);
                MemorySegment alone = alloc(arena, t, rows + 1L);
                for (long i = 0; i <= rows; i++) {
                    t.set(alone, i, -12345.0);
                }
                b.crossEntropy(t, rows, cols, z, labels, alone);
                for (int r = 0; r < rows; r++) {
                    assertThat(bits(t, alone, r)).as("%s %dx%d row %d: %s against %s", t, rows, cols, r,
                            t.get(alone, r), t.get(fused, r)).isEqualTo(bits(t, fused, r));
                }
                assertThat(t.get(alone, rows)).as("past the last loss").isEqualTo(-12345.0);
            }
        }
    }

    /** The value's bits, NaNs made one. */
    private static long bits(DType t, MemorySegment s, long i) {
        double v = t.get(s, i);
        return t == DType.F32 ? Float.floatToIntBits((float) v) : Double.doubleToLongBits(v);
    }
}
