package org.flatminima.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.ScalarBackend;
import org.flatminima.kernels.Shapes;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every non-GEMM kernel of the vector backend against the scalar oracle, on sizes around the vector length
 * (tails), every broadcasting mode, strided views, special values and window geometries with padding.
 */
class VectorKernelsTest {

    private static final int[] LENGTHS = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 1000, 1037};

    private final Backend scalar = new ScalarBackend();
    private Backend vector;
    private Arena arena;
    private final SplittableRandom rnd = new SplittableRandom(42);

    @BeforeEach
    void setUp() throws Exception {
        vector = VectorBackend.create();
        arena = Arena.ofConfined();
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private MemorySegment alloc(DType t, long n) {
        return arena.allocate(Math.max(1, n) * t.byteSize(), t.byteSize());
    }

    private MemorySegment random(DType t, long n, double lo, double hi) {
        MemorySegment s = alloc(t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, rnd.nextDouble(lo, hi));
        }
        return s;
    }

    private MemorySegment ints(int n, int bound) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4L, 4);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_INT, i, rnd.nextInt(bound));
        }
        return s;
    }

    /** |got - want| &lt;= ulps * eps * max(1, |want|), NaNs and infinities equal. */
    private static void assertClose(String what, DType t, long n, MemorySegment want, MemorySegment got, double ulps) {
        double tol = ulps * t.epsilon();
        for (long i = 0; i < n; i++) {
            double w = t.get(want, i);
            double g = t.get(got, i);
            if (Double.isNaN(w) || Double.isInfinite(w)) {
                if (Double.compare(w, g) != 0) {
                    fail("%s [%d]: want %s, got %s", what, i, w, g);
                }
            } else if (!(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)))) {
                fail("%s [%d]: want %s, got %s (tolerance %s ulps)", what, i, w, g, ulps);
            }
        }
    }

    private static void assertIntsEqual(String what, long n, MemorySegment want, MemorySegment got) {
        for (long i = 0; i < n; i++) {
            assertThat(got.getAtIndex(ValueLayout.JAVA_INT, i)).as("%s [%d]", what, i)
                    .isEqualTo(want.getAtIndex(ValueLayout.JAVA_INT, i));
        }
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unaryMatchesOracle(UnaryOp op) {
        for (DType t : DType.values()) {
            for (int n : LENGTHS) {
                double lo = switch (op) {
                    case SQRT, LOG, POW -> 0.01;
                    default -> -20;
                };
                MemorySegment x = random(t, n, lo, 20);
                if (n > 3 && lo < 0) {
                    t.set(x, 0, 0.0);
                    t.set(x, 1, -0.0);
                    t.set(x, 2, Double.NaN);
                }
                double param = op == UnaryOp.POW ? 1.7 : 0.3;
                MemorySegment want = alloc(t, n);
                MemorySegment got = alloc(t, n);
                scalar.unary(op, t, n, param, x, want);
                vector.unary(op, t, n, param, x, got);
                assertClose(op + " " + t + " n=" + n, t, n, want, got, 4);
                // in place
                vector.unary(op, t, n, param, x, x);
                assertClose(op + " in place " + t + " n=" + n, t, n, want, x, 4);
            }
        }
    }

    /** Runs one binary case on both backends; a and b are big enough random buffers. */
    private void binaryCase(BinaryOp op, DType t, int[] shape, long[] as, long[] bs) {
        long total = Shapes.size(shape);
        long aSize = 1;
        long bSize = 1;
        for (int d = 0; d < shape.length; d++) {
            aSize += (long) (shape[d] - 1) * as[d];
            bSize += (long) (shape[d] - 1) * bs[d];
        }
        MemorySegment a = random(t, aSize, -3, 3);
        MemorySegment b = random(t, bSize, -3, 3);
        if (aSize > 5 && bSize > 5) {
            t.set(a, 1, Double.NaN);
            t.set(b, 3, Double.NaN);
            t.set(a, 4, 0.0);
            t.set(b, 4, -0.0);
            t.set(a, 5, 1.5);
            t.set(b, 5, 1.5);
        }
        MemorySegment want = alloc(t, total);
        MemorySegment got = alloc(t, total);
        scalar.binary(op, t, shape, a, as, b, bs, want);
        vector.binary(op, t, shape, a, as, b, bs, got);
        assertClose(op + " " + t + " shape=" + java.util.Arrays.toString(shape) + " a=" + java.util.Arrays.toString(as)
                + " b=" + java.util.Arrays.toString(bs), t, total, want, got, 1);
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binaryMatchesOracleInEveryBroadcastMode(BinaryOp op) {
        for (DType t : DType.values()) {
            for (int n : LENGTHS) {
                binaryCase(op, t, new int[] {n}, new long[] {1}, new long[] {1});
                binaryCase(op, t, new int[] {n}, new long[] {1}, new long[] {0});
                binaryCase(op, t, new int[] {n}, new long[] {0}, new long[] {1});
                binaryCase(op, t, new int[] {n}, new long[] {0}, new long[] {0});
                binaryCase(op, t, new int[] {n}, new long[] {2}, new long[] {3});
            }
            for (int[] mn : new int[][] {{3, 17}, {17, 3}, {5, 64}, {9, 33}, {1, 40}}) {
                int m = mn[0];
                int n = mn[1];
                int[] s = {m, n};
                binaryCase(op, t, s, new long[] {n, 1}, new long[] {n, 1});     // both contiguous
                binaryCase(op, t, s, new long[] {n, 1}, new long[] {0, 1});     // row broadcast [m,n] op [n]
                binaryCase(op, t, s, new long[] {n, 1}, new long[] {1, 0});     // column broadcast [m,n] op [m,1]
                binaryCase(op, t, s, new long[] {0, 1}, new long[] {n, 1});     // [n] op [m,n]
                binaryCase(op, t, s, new long[] {1, 0}, new long[] {0, 1});     // outer: [m,1] op [1,n]
                binaryCase(op, t, s, new long[] {1, m}, new long[] {n, 1});     // transposed a
                binaryCase(op, t, s, new long[] {n + 3, 1}, new long[] {1, m}); // padded rows, transposed b
            }
            // rank 0, rank 3 and rank 4 with zero strides and size-1 dimensions
            binaryCase(op, t, new int[] {}, new long[] {}, new long[] {});
            binaryCase(op, t, new int[] {2, 3, 19}, new long[] {57, 19, 1}, new long[] {0, 19, 1});
            binaryCase(op, t, new int[] {2, 3, 19}, new long[] {57, 19, 1}, new long[] {3, 1, 0});
            binaryCase(op, t, new int[] {4, 1, 5, 6}, new long[] {30, 30, 6, 1}, new long[] {0, 7, 0, 1});
            binaryCase(op, t, new int[] {2, 0, 3}, new long[] {0, 3, 1}, new long[] {0, 3, 1});
        }
    }

    @Test
    void fillMatchesOracle() {
        for (DType t : DType.values()) {
            for (int n : LENGTHS) {
                for (double v : new double[] {0.0, -0.0, 2.5, Double.NaN}) {
                    MemorySegment want = random(t, n, -1, 1);
                    MemorySegment got = random(t, n, -1, 1);
                    scalar.fill(t, n, v, want);
                    vector.fill(t, n, v, got);
                    assertThat(got.asSlice(0, (long) n * t.byteSize()).mismatch(want.asSlice(0, (long) n * t.byteSize())))
                            .isEqualTo(-1L);
                }
            }
        }
    }

    @Test
    void copyMatchesOracleWithStridesAndConversion() {
        int[][] shapes = {{}, {1}, {37}, {5, 7}, {7, 5}, {3, 4, 17}, {2, 1, 3, 33}};
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                for (int[] shape : shapes) {
                    long[] contiguous = Shapes.contiguousStrides(shape);
                    long size = Math.max(1, Shapes.size(shape));
                    MemorySegment x = random(from, size * 3, -5, 5);
                    java.util.List<long[]> variants = new java.util.ArrayList<>();
                    variants.add(contiguous);
                    long[] reversed = new long[shape.length];   // a transposed view
                    long s = 1;
                    for (int d = 0; d < shape.length; d++) {
                        reversed[d] = s;
                        s *= shape[d];
                    }
                    variants.add(reversed);
                    long[] spaced = contiguous.clone();          // every other element, and a broadcast axis
                    for (int d = 0; d < spaced.length; d++) {
                        spaced[d] *= 2;
                    }
                    if (spaced.length > 0) {
                        spaced[0] = 0;
                    }
                    variants.add(spaced);
                    for (long[] st : variants) {
                        MemorySegment want = alloc(to, size);
                        MemorySegment got = alloc(to, size);
                        scalar.copy(from, to, shape, x, st, want);
                        vector.copy(from, to, shape, x, st, got);
                        assertClose("copy " + from + "->" + to + " " + java.util.Arrays.toString(shape)
                                + " strides " + java.util.Arrays.toString(st), to, Shapes.size(shape), want, got, 0);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void reduceAndArgmaxMatchOracle(ReduceOp op) {
        int[][] cases = {{1, 1, 1}, {3, 7, 1}, {2, 100, 1}, {4, 1037, 1}, {3, 5, 17}, {2, 9, 64}, {5, 1, 3}, {1, 33, 2}};
        for (DType t : DType.values()) {
            for (int[] c : cases) {
                int outer = c[0];
                int len = c[1];
                int inner = c[2];
                long n = (long) outer * len * inner;
                MemorySegment x = random(t, n, -2, 2);
                // ties for argmax: a repeated maximum
                for (long i = 0; i < n; i += 7) {
                    t.set(x, i, 3.0);
                }
                MemorySegment want = alloc(t, (long) outer * inner);
                MemorySegment got = alloc(t, (long) outer * inner);
                scalar.reduce(op, t, outer, len, inner, x, want);
                vector.reduce(op, t, outer, len, inner, x, got);
                assertClose(op + " " + t + " " + java.util.Arrays.toString(c), t, (long) outer * inner, want, got,
                        2.0 * len);
                MemorySegment wi = ints(outer * inner, 1);
                MemorySegment gi = ints(outer * inner, 1);
                scalar.argmax(t, outer, len, inner, x, wi);
                vector.argmax(t, outer, len, inner, x, gi);
                assertIntsEqual("argmax " + t + " " + java.util.Arrays.toString(c), (long) outer * inner, wi, gi);
                // NaN propagates through max and min
                if (n > 2) {
                    t.set(x, n / 2, Double.NaN);
                    scalar.reduce(op, t, outer, len, inner, x, want);
                    vector.reduce(op, t, outer, len, inner, x, got);
                    assertClose(op + " NaN " + t + " " + java.util.Arrays.toString(c), t, (long) outer * inner, want,
                            got, 2.0 * len);
                }
            }
        }
    }

    @Test
    void gatherScatterSoftmaxAndCrossEntropyMatchOracle() {
        int[][] cases = {{1, 1}, {3, 10}, {4, 17}, {2, 100}, {5, 1037}};
        for (DType t : DType.values()) {
            for (int[] c : cases) {
                int rows = c[0];
                int cols = c[1];
                long n = (long) rows * cols;
                MemorySegment x = random(t, n, -30, 30);
                MemorySegment labels = ints(rows, cols);
                MemorySegment w = alloc(t, n);
                MemorySegment g = alloc(t, n);
                String at = t + " " + rows + "x" + cols;

                scalar.gatherCols(t, rows, cols, x, labels, w);
                vector.gatherCols(t, rows, cols, x, labels, g);
                assertClose("gatherCols " + at, t, rows, w, g, 0);

                MemorySegment gr = random(t, rows, -1, 1);
                scalar.scatterCols(t, rows, cols, gr, labels, w);
                vector.scatterCols(t, rows, cols, gr, labels, g);
                assertClose("scatterCols " + at, t, n, w, g, 0);

                scalar.softmax(t, rows, cols, x, w);
                vector.softmax(t, rows, cols, x, g);
                assertClose("softmax " + at, t, n, w, g, 4);

                scalar.logSoftmax(t, rows, cols, x, w);
                vector.logSoftmax(t, rows, cols, x, g);
                assertClose("logSoftmax " + at, t, n, w, g, 4);

                MemorySegment wl = alloc(t, rows);
                MemorySegment gl = alloc(t, rows);
                scalar.softmaxCrossEntropy(t, rows, cols, x, labels, wl, w);
                vector.softmaxCrossEntropy(t, rows, cols, x, labels, gl, g);
                assertClose("ce loss " + at, t, rows, wl, gl, 4);
                assertClose("ce probs " + at, t, n, w, g, 4);
            }
        }
    }

    @Test
    void windowsMatchOracle() {
        Window2d[] geometries = {
            new Window2d(2, 3, 7, 9, 3, 3, 1, 1, 1, 1),
            new Window2d(1, 2, 8, 8, 2, 2, 2, 2, 0, 0),
            new Window2d(2, 1, 9, 7, 3, 2, 2, 3, 1, 1),
            new Window2d(1, 2, 5, 6, 5, 5, 1, 1, 2, 2),
            new Window2d(1, 1, 4, 4, 1, 1, 1, 1, 0, 0),
            new Window2d(1, 1, 3, 3, 3, 3, 1, 1, 3, 3),   // windows entirely in the padding
            new Window2d(1, 2, 13, 11, 4, 3, 3, 2, 1, 2),
        };
        for (DType t : DType.values()) {
            for (Window2d g : geometries) {
                long xs = g.n() * g.imageSize();
                long cs = (long) g.n() * g.colRows() * g.colCols();
                long ys = (long) g.n() * g.c() * g.outH() * g.outW();
                MemorySegment x = random(t, xs, -1, 1);
                for (long i = 0; i < xs; i += 5) {
                    t.set(x, i, 0.5); // ties for max pooling
                }
                String at = t + " " + g;

                MemorySegment w = random(t, cs, -1, 1);
                MemorySegment v = random(t, cs, -1, 1);
                scalar.im2col(t, g, x, w);
                vector.im2col(t, g, x, v);
                assertClose("im2col " + at, t, cs, w, v, 0);

                MemorySegment cols = random(t, cs, -1, 1);
                MemorySegment wx = random(t, xs, -1, 1);
                MemorySegment vx = random(t, xs, -1, 1);
                scalar.col2im(t, g, cols, wx);
                vector.col2im(t, g, cols, vx);
                assertClose("col2im " + at, t, xs, wx, vx, 2 * g.kh() * g.kw());

                MemorySegment wy = alloc(t, ys);
                MemorySegment vy = alloc(t, ys);
                MemorySegment wa = ints((int) ys, 1);
                MemorySegment va = ints((int) ys, 1);
                scalar.maxPool2d(t, g, x, wy, wa);
                vector.maxPool2d(t, g, x, vy, va);
                assertClose("maxPool2d " + at, t, ys, wy, vy, 0);
                assertIntsEqual("maxPool2d argmax " + at, ys, wa, va);

                MemorySegment gy = random(t, ys, -1, 1);
                scalar.maxPool2dBackward(t, g, gy, wa, wx);
                vector.maxPool2dBackward(t, g, gy, wa, vx);
                assertClose("maxPool2dBackward " + at, t, xs, wx, vx, 2 * g.kh() * g.kw());

                scalar.avgPool2d(t, g, x, wy);
                vector.avgPool2d(t, g, x, vy);
                assertClose("avgPool2d " + at, t, ys, wy, vy, 2);

                scalar.avgPool2dBackward(t, g, gy, wx);
                vector.avgPool2dBackward(t, g, gy, vx);
                assertClose("avgPool2dBackward " + at, t, xs, wx, vx, 2 * g.kh() * g.kw() + 2);
            }
        }
    }
}
