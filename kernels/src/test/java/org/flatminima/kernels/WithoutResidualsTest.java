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
 * The kernels of a forward that nothing differentiates give the bits of those that keep residuals, on every
 * backend. {@link Backend#crossEntropy}, the losses without the probabilities, against
 * {@link Backend#softmaxCrossEntropy}: rows of one block of the C kernel's exps and many, rows wider than a block
 * (the C kernel's one-at-a-time path), rows split between two threads, and rows holding a NaN, infinities and
 * signed zeros. {@link Backend#maxPool2dValues}, max pooling without the routing, against {@link Backend#maxPool2d}:
 * 2x2/2 windows over widths whose last windows fill part of a vector, odd sizes, padded and overlapping windows,
 * the same special values. Every output is written (the buffer starts as a value no output takes) and nothing past
 * the last.
 */
class WithoutResidualsTest {

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

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void poolingWithoutTheRoutingGivesThePooledValues(String name, DType t, int threads) {
        Backend b = ParityTest.backendOrSkip(name);
        b.setThreads(threads);
        // n, c, h, w, window, stride, pad
        int[][] shapes = {{3, 2, 28, 28, 2, 2, 0}, {2, 3, 14, 14, 2, 2, 0}, {2, 2, 7, 7, 2, 2, 0},
            {1, 1, 2, 34, 2, 2, 0}, {2, 2, 9, 11, 3, 2, 1}, {1, 3, 5, 5, 3, 1, 1}, {2, 1, 1, 1, 2, 2, 1}};
        SplittableRandom rnd = new SplittableRandom(31);
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0};
        for (int[] s : shapes) {
            Window2d g = new Window2d(s[0], s[1], s[2], s[3], s[4], s[4], s[5], s[5], s[6], s[6]);
            long in = g.n() * g.imageSize();
            long out = (long) g.n() * g.c() * g.outH() * g.outW();
            try (Arena arena = Arena.ofShared()) {
                MemorySegment x = alloc(arena, t, in);
                for (long i = 0; i < in; i++) {
                    t.set(x, i, i % 13 == 5 ? special[(int) (i / 13 % special.length)] : -5 + 10 * rnd.nextDouble());
                }
                MemorySegment routed = alloc(arena, t, out);
                b.maxPool2d(t, g, x, routed, arena.allocate(Math.max(1, out) * 4, 4));
                MemorySegment alone = alloc(arena, t, out + 1);
                for (long i = 0; i <= out; i++) {
                    t.set(alone, i, -12345.0);
                }
                b.maxPool2dValues(t, g, x, alone);
                for (long i = 0; i < out; i++) {
                    assertThat(bits(t, alone, i)).as("%s %s output %d: %s against %s", t, g, i, t.get(alone, i),
                            t.get(routed, i)).isEqualTo(bits(t, routed, i));
                }
                assertThat(t.get(alone, out)).as("past the last output").isEqualTo(-12345.0);
            }
        }
    }

    /** The value's bits, NaNs made one. */
    private static long bits(DType t, MemorySegment s, long i) {
        double v = t.get(s, i);
        return t == DType.F32 ? Float.floatToIntBits((float) v) : Double.doubleToLongBits(v);
    }
}
