package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.flatminima.kernels.ParityTest.alloc;
import static org.flatminima.kernels.ParityTest.random;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.flatminima.kernels.vector.Parts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel other than GEMM, split across 2 and 3 threads, gives the bits of the same kernel on one thread
 * (the split is over independent outputs: elements, rows, columns of a reduction, images), on the vector
 * backend and on the native backend (its C kernels when the library loads). Sizes are odd so that parts are
 * unequal; the test build's {@code -Dflatminima.parallelGrain=16} makes even these small calls split. Buffers
 * are shared (a confined arena would keep every call on one thread), and every output starts as the same
 * non-zero garbage so that an element a part forgets to write is caught too.
 */
class SplitDeterminismTest {

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String b : List.of("vector", "native")) {
            for (DType t : DType.values()) {
                for (int threads : new int[] {2, 3}) {
                    all.add(Arguments.of(b, t, threads));
                }
            }
        }
        return all.stream();
    }

    @Test
    void theTestBuildMakesSmallCallsSplit() {
        assertThat(Parts.GRAIN).as("run with -Dflatminima.parallelGrain=16, as the build's surefire does")
                .isLessThanOrEqualTo(16);
        assertThat(Parts.tasks(3, 1000, arena.allocate(8))).isEqualTo(3);
        try (Arena confined = Arena.ofConfined()) {
            assertThat(Parts.tasks(3, 1000, confined.allocate(8))).isEqualTo(1);
        }
    }

    /**
     * Runs {@code kernel} on {@code b} with one thread and with {@code threads}, each time into fresh outputs
     * of {@code outBytes} bytes (filled with the same garbage), and asserts the outputs are equal byte for byte.
     */
    private void sameBits(String what, Backend b, int threads, long[] outBytes, Consumer<MemorySegment[]> kernel) {
        MemorySegment[] one = outputs(outBytes);
        MemorySegment[] many = outputs(outBytes);
        b.setThreads(1);
        kernel.accept(one);
        b.setThreads(threads);
        kernel.accept(many);
        for (int i = 0; i < one.length; i++) {
            long at = one[i].mismatch(many[i]);
            assertThat(at).as(what + ": output " + i + " differs at byte " + at + " with " + threads + " threads")
                    .isEqualTo(-1);
        }
    }

    private MemorySegment[] outputs(long[] bytes) {
        MemorySegment[] out = new MemorySegment[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = arena.allocate(Math.max(8, bytes[i]), 64);
            out[i].fill((byte) 0x5a);
        }
        return out;
    }

    private static Backend backend(String name) {
        return ParityTest.backendOrSkip(name);
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void fillAndUnary(String name, DType t, int threads) {
        Backend b = backend(name);
        long es = t.byteSize();
        SplittableRandom rnd = new SplittableRandom(11);
        long n = 1001;
        sameBits("fill", b, threads, new long[] {n * es}, o -> b.fill(t, n, -0.3, o[0]));
        MemorySegment x = random(arena, t, n, rnd, -3, 3);
        MemorySegment pos = random(arena, t, n, rnd, 0.01, 3);
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.POW;
            MemorySegment in = positive ? pos : x;
            sameBits("unary " + op, b, threads, new long[] {n * es}, o -> b.unary(op, t, n, 0.7, in, o[0]));
        }
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void binaryAndCopy(String name, DType t, int threads) {
        Backend b = backend(name);
        long es = t.byteSize();
        SplittableRandom rnd = new SplittableRandom(13);
        // {shape, a strides, b strides}: contiguous, broadcast rows and columns, a transposed operand, and a
        // rank-5 iteration that does not collapse to rank 3 (the C layer hands it to the vector kernel).
        Object[][] cases = {
            {new int[] {2001}, new long[] {1}, new long[] {1}},
            {new int[] {7, 13, 11}, new long[] {143, 11, 1}, new long[] {0, 1, 0}},
            {new int[] {1, 37, 29}, new long[] {0, 1, 37}, new long[] {0, 29, 1}},
            {new int[] {1, 5, 3, 4, 7}, new long[] {0, 1, 5, 15, 60}, new long[] {0, 84, 0, 7, 1}},
            {new int[] {9, 1, 61}, new long[] {61, 0, 1}, new long[] {0, 0, 1}},
        };
        for (Object[] c : cases) {
            int[] shape = (int[]) c[0];
            long[] as = (long[]) c[1];
            long[] bs = (long[]) c[2];
            long n = Shapes.size(shape);
            MemorySegment a = random(arena, t, extent(shape, as), rnd, -2, 2);
            MemorySegment bb = random(arena, t, extent(shape, bs), rnd, -2, 2);
            for (BinaryOp op : BinaryOp.values()) {
                sameBits("binary " + op + " " + Arrays.toString(shape), b, threads, new long[] {n * es},
                        o -> b.binary(op, t, shape, a, as, bb, bs, o[0]));
            }
            for (DType to : DType.values()) {
                sameBits("copy " + t + "->" + to + " " + Arrays.toString(shape), b, threads,
                        new long[] {n * to.byteSize()}, o -> b.copy(t, to, shape, a, as, o[0]));
            }
        }
    }

    /** Elements a strided operand spans. */
    private static long extent(int[] shape, long[] strides) {
        long last = 0;
        for (int d = 0; d < shape.length; d++) {
            last += (long) (shape[d] - 1) * strides[d];
        }
        return last + 1;
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void reductionsByRowsAndByColumns(String name, DType t, int threads) {
        Backend b = backend(name);
        long es = t.byteSize();
        SplittableRandom rnd = new SplittableRandom(17);
        // outer = 1 with a wide inner (a bias gradient summed over the batch) splits by columns; few rows
        // with wide inner too; many rows by rows; inner = 1 rows only.
        int[][] shapes = {{1, 37, 301}, {1, 256, 1025}, {2, 17, 129}, {3, 9, 77}, {211, 7, 1}, {1, 300, 1},
            {5, 1, 77}, {13, 5, 3}};
        for (int[] s : shapes) {
            int outer = s[0];
            int len = s[1];
            int inner = s[2];
            long n = (long) outer * len * inner;
            long m = (long) outer * inner;
            MemorySegment x = random(arena, t, n, rnd, -4, 4);
            MemorySegment ties = alloc(arena, t, n);
            for (long i = 0; i < n; i++) {
                t.set(ties, i, Math.floor(t.get(x, i)));
            }
            String shape = outer + "x" + len + "x" + inner;
            for (ReduceOp op : ReduceOp.values()) {
                sameBits("reduce " + op + " " + shape, b, threads, new long[] {m * es},
                        o -> b.reduce(op, t, outer, len, inner, x, o[0]));
            }
            sameBits("argmax " + shape, b, threads, new long[] {m * 4}, o -> b.argmax(t, outer, len, inner, ties, o[0]));
        }
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void softmaxFamily(String name, DType t, int threads) {
        Backend b = backend(name);
        long es = t.byteSize();
        SplittableRandom rnd = new SplittableRandom(19);
        int rows = 37;
        int cols = 11;
        long n = (long) rows * cols;
        MemorySegment z = random(arena, t, n, rnd, -5, 5);
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            labels[r] = rnd.nextInt(cols);
        }
        MemorySegment lab = ParityTest.ints(arena, labels);
        sameBits("softmax", b, threads, new long[] {n * es}, o -> b.softmax(t, rows, cols, z, o[0]));
        sameBits("logSoftmax", b, threads, new long[] {n * es}, o -> b.logSoftmax(t, rows, cols, z, o[0]));
        sameBits("softmaxCrossEntropy", b, threads, new long[] {rows * es, n * es},
                o -> b.softmaxCrossEntropy(t, rows, cols, z, lab, o[0], o[1]));
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void convolutionUnfoldAndPooling(String name, DType t, int threads) {
        Backend b = backend(name);
        long es = t.byteSize();
        SplittableRandom rnd = new SplittableRandom(23);
        List<Window2d> windows = List.of(
                new Window2d(7, 3, 9, 11, 3, 3, 1, 1, 1, 1),
                new Window2d(5, 2, 8, 8, 2, 2, 2, 2, 0, 0),
                new Window2d(3, 4, 7, 9, 3, 2, 2, 1, 1, 0));
        for (Window2d g : windows) {
            String label = g.toString();
            long in = g.n() * g.imageSize();
            long cols = (long) g.n() * g.colRows() * g.colCols();
            long out = (long) g.n() * g.c() * g.outH() * g.outW();
            MemorySegment x = random(arena, t, in, rnd, -2, 2);
            MemorySegment ties = alloc(arena, t, in);
            for (long i = 0; i < in; i++) {
                t.set(ties, i, Math.floor(t.get(x, i)));
            }
            MemorySegment c = random(arena, t, cols, rnd, -2, 2);
            MemorySegment gy = random(arena, t, out, rnd, -2, 2);
            sameBits("im2col " + label, b, threads, new long[] {cols * es}, o -> b.im2col(t, g, x, o[0]));
            sameBits("col2im " + label, b, threads, new long[] {in * es}, o -> b.col2im(t, g, c, o[0]));
            sameBits("maxPool2d " + label, b, threads, new long[] {out * es, out * 4},
                    o -> b.maxPool2d(t, g, ties, o[0], o[1]));
            MemorySegment[] routed = outputs(new long[] {out * es, out * 4});
            b.setThreads(1);
            b.maxPool2d(t, g, ties, routed[0], routed[1]);
            sameBits("maxPool2dBackward " + label, b, threads, new long[] {in * es},
                    o -> b.maxPool2dBackward(t, g, gy, routed[1], o[0]));
            sameBits("maxPool2dGather " + label, b, threads, new long[] {out * es},
                    o -> b.maxPool2dGather(t, g, x, routed[1], o[0]));
            sameBits("avgPool2d " + label, b, threads, new long[] {out * es}, o -> b.avgPool2d(t, g, x, o[0]));
            sameBits("avgPool2dBackward " + label, b, threads, new long[] {in * es},
                    o -> b.avgPool2dBackward(t, g, gy, o[0]));
        }
    }
}
