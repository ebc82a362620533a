package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GuardedMemory;
import org.flatminima.kernels.ParityTest;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.ScalarBackend;
import org.flatminima.kernels.Shapes;
import org.flatminima.kernels.UnaryOp;
import org.flatminima.kernels.Window2d;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel of the native backend against the scalar oracle, F32 and F64, over awkward sizes and special
 * values; once with our C kernels and once with {@code -Dflatminima.native.kernels=false} (the fallback). The
 * operands made of random values end where an inaccessible page begins ({@link GuardedMemory}), so that a kernel
 * reading or writing past one stops the JVM whatever the memory after it holds.
 */
class NativeKernelsTest {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private final Backend ref = new ScalarBackend();
    private Arena arena;
    private GuardedMemory guarded;
    private final Random rnd = new Random(20261127);

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
        guarded = GuardedMemory.available() ? new GuardedMemory() : null;
    }

    @AfterEach
    void close() {
        arena.close();
        if (guarded != null) {
            guarded.close();
        }
    }

    /** (dtype, C kernels on?) */
    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (boolean c : new boolean[] {true, false}) {
            for (DType t : DType.values()) {
                all.add(Arguments.of(t, c));
            }
        }
        return all.stream();
    }

    static NativeBackend backend(boolean cKernels) {
        ParityTest.backendOrSkip("native"); // skipped with the reason when OpenBLAS cannot load (a failure under CI)
        String old = System.getProperty(NativeBackend.KERNELS_PROPERTY);
        try {
            System.setProperty(NativeBackend.KERNELS_PROPERTY, Boolean.toString(cKernels));
            NativeBackend b = (NativeBackend) NativeBackend.create();
            if (cKernels && CKernels.unavailableReason() == null) {
                assertThat(b).isInstanceOf(CKernelBackend.class);
                assertThat(b.usesCKernels()).isTrue();
                assertThat(b.kernelLibrary()).isNotNull();
                assertThat(b.fallbackNote()).isNull();
            }
            if (!cKernels) {
                assertThat(b.getClass()).isEqualTo(NativeBackend.class);
                assertThat(b.usesCKernels()).isFalse();
                assertThat(b.kernelLibrary()).isNull();
                assertThat(b.fallbackNote()).contains("C kernels not loaded").contains("run on vector");
            }
            return b;
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            if (old == null) {
                System.clearProperty(NativeBackend.KERNELS_PROPERTY);
            } else {
                System.setProperty(NativeBackend.KERNELS_PROPERTY, old);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private MemorySegment alloc(DType t, long n) {
        return arena.allocate(Math.max(1, n) * t.byteSize(), 8);
    }

    private MemorySegment ints(long n) {
        return arena.allocate(Math.max(1, n) * 4, 4);
    }

    /** Room for n elements against an inaccessible page where that can be had, else as {@link #alloc}. */
    private MemorySegment guardedAlloc(DType t, long n) {
        return guarded == null ? alloc(t, n) : guarded.atEnd(Math.max(1, n) * t.byteSize());
    }

    private MemorySegment random(DType t, long n, double lo, double hi) {
        MemorySegment s = guardedAlloc(t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, lo + (hi - lo) * rnd.nextDouble());
        }
        return s;
    }

    /** Small integers: forces ties in max/argmax. */
    private MemorySegment smallInts(DType t, long n) {
        MemorySegment s = guardedAlloc(t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, rnd.nextInt(3));
        }
        return s;
    }

    private MemorySegment copyOf(MemorySegment s) {
        return arena.allocate(s.byteSize(), 8).copyFrom(s);
    }

    /** |actual - expected| <= tol * max(1, |expected|); NaN matches NaN, infinities match exactly. */
    static void assertClose(DType t, MemorySegment actual, MemorySegment expected, long n, double tol, String what) {
        for (long i = 0; i < n; i++) {
            double a = t.get(actual, i);
            double e = t.get(expected, i);
            boolean ok = Double.isNaN(e) ? Double.isNaN(a)
                    : Double.isInfinite(e) ? a == e
                    : Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));
            if (!ok) {
                fail("%s [%d]: expected %s but was %s (tol %s)", what, i, e, a, tol);
            }
        }
    }

    static void assertIntsEqual(MemorySegment actual, MemorySegment expected, long n, String what) {
        for (long i = 0; i < n; i++) {
            assertThat(actual.getAtIndex(INT, i)).as("%s [%d]", what, i).isEqualTo(expected.getAtIndex(INT, i));
        }
    }

    // ------------------------------------------------------------------ elementwise

    private static final double[] SPECIAL = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 30, -30, 100, -100, 800, -800, 1e-30, -1e-30};

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void unaryEveryOpWithSpecialValues(DType t, boolean c) {
        NativeBackend nat = backend(c);
        for (int n : new int[] {1, 7, 33, 1000}) {
            MemorySegment x = random(t, n, -4, 4);
            for (int i = 0; i < Math.min(n, SPECIAL.length); i++) {
                t.set(x, i, SPECIAL[i]);
            }
            for (UnaryOp op : UnaryOp.values()) {
                double[] params = switch (op) {
                    case POW -> new double[] {2.0, 0.5, -1.5, 3.0, Double.NaN};
                    case SCALE -> new double[] {1.7, -0.3};
                    case ADD_SCALAR -> new double[] {-0.3};
                    case LEAKY_RELU, LEAKY_STEP -> new double[] {0.01, 0.2};
                    default -> new double[] {0.0};
                };
                for (double p : params) {
                    MemorySegment y = alloc(t, n);
                    MemorySegment e = alloc(t, n);
                    nat.unary(op, t, n, p, x, y);
                    ref.unary(op, t, n, p, x, e);
                    assertClose(t, y, e, n, 4 * t.epsilon(), op + "(" + p + ") n=" + n);
                    MemorySegment inPlace = copyOf(x);
                    nat.unary(op, t, n, p, inPlace, inPlace);
                    assertClose(t, inPlace, e, n, 4 * t.epsilon(), op + " in place n=" + n);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void fill(DType t, boolean c) {
        NativeBackend nat = backend(c);
        MemorySegment y = random(t, 37, -1, 1);
        nat.fill(t, 33, 2.25, y);
        for (int i = 0; i < 37; i++) {
            if (i < 33) {
                assertThat(t.get(y, i)).isEqualTo(2.25);
            } else {
                assertThat(t.get(y, i)).isNotEqualTo(2.25);
            }
        }
    }

    /** NumPy-style strides of an operand of shape {@code in} broadcast to {@code out} (right-aligned). */
    static long[] broadcastStrides(int[] out, int[] in) {
        long[] cs = Shapes.contiguousStrides(in);
        long[] s = new long[out.length];
        for (int d = 0; d < out.length; d++) {
            int di = d - (out.length - in.length);
            s[d] = di < 0 || in[di] == 1 ? 0 : cs[di];
        }
        return s;
    }

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void binaryBroadcastPatterns(DType t, boolean c) {
        NativeBackend nat = backend(c);
        int[][][] cases = {
            {{3, 5}, {3, 5}, {3, 5}},            // contiguous
            {{3, 5}, {3, 5}, {}},                // scalar b
            {{4, 6}, {}, {4, 6}},                // scalar a
            {{4, 6}, {4, 6}, {6}},               // row broadcast
            {{4, 6}, {4, 1}, {4, 6}},            // column broadcast
            {{2, 3, 4, 5}, {2, 3, 4, 5}, {1, 3, 1, 1}}, // channel bias (rank 3 after collapse)
            {{2, 1, 7}, {2, 1, 7}, {7}},
            {{1}, {1}, {1}},
            {{1000}, {1000}, {1000}},
            {{2, 3, 2, 3, 2}, {2, 1, 2, 1, 2}, {1, 3, 1, 3, 1}}, // rank 5: fallback
            {{0, 4}, {0, 4}, {4}},               // empty
        };
        for (int[][] cs : cases) {
            int[] shape = cs[0];
            long total = Shapes.size(shape);
            MemorySegment a = random(t, Shapes.size(cs[1]), -2, 2);
            MemorySegment b = random(t, Shapes.size(cs[2]), -2, 2);
            if (Shapes.size(cs[1]) > 4 && Shapes.size(cs[2]) > 4) {
                t.set(b, 0, Double.NaN);
                t.set(b, 1, -0.0);
                t.set(a, 1, 0.0);
                t.set(b, 2, t.get(a, 2)); // equal values for GREATER/MAX
            }
            long[] as = broadcastStrides(shape, cs[1]);
            long[] bs = broadcastStrides(shape, cs[2]);
            for (BinaryOp op : BinaryOp.values()) {
                MemorySegment y = alloc(t, total);
                MemorySegment e = alloc(t, total);
                nat.binary(op, t, shape, a, as, b, bs, y);
                ref.binary(op, t, shape, a, as, b, bs, e);
                assertClose(t, y, e, total, 0, op + " " + Arrays.deepToString(cs));
                if (op == BinaryOp.MAX || op == BinaryOp.MIN) {
                    for (long i = 0; i < total; i++) { // Java's signed-zero order: max(-0, 0) = 0
                        assertThat(Double.doubleToRawLongBits(t.get(y, i)))
                                .isEqualTo(Double.doubleToRawLongBits(t.get(e, i)));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void binaryTransposedOperand(DType t, boolean c) {
        NativeBackend nat = backend(c);
        int[] shape = {5, 7};
        MemorySegment a = random(t, 35, -1, 1);
        MemorySegment b = random(t, 35, -1, 1);
        long[] transposed = {1, 5}; // a is stored 7x5, read transposed
        MemorySegment y = alloc(t, 35);
        MemorySegment e = alloc(t, 35);
        nat.binary(BinaryOp.SUB, t, shape, a, transposed, b, new long[] {7, 1}, y);
        ref.binary(BinaryOp.SUB, t, shape, a, transposed, b, new long[] {7, 1}, e);
        assertClose(t, y, e, 35, 0, "a^T - b");
    }

    // ------------------------------------------------------------------ reductions

    /**
     * Sums over an axis with many columns (W3's bias gradient: 256 images of 25088): the C kernel keeps up to 32768
     * columns' accumulators at once and streams each row past them; every column is still summed in order in
     * double, as the oracle does, so the bits are the oracle's, for one block, several, and a short last one, at one
     * and two threads. (The vector backend's kernels, which run when the C kernels cannot, sum otherwise.)
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void sumsOfManyColumnsHaveTheOraclesBits(DType t) {
        assertSumsHaveTheOraclesBits(t, new int[][] {{1, 37, 25088}, {2, 5, 32768 + 513}, {1, 3, 513}, {3, 1, 40000}});
    }

    /** The rows are added four to a pass (then one by one): every count of rows left over, narrow and wide. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void sumsOfRowsFourToAPassHaveTheOraclesBits(DType t) {
        assertSumsHaveTheOraclesBits(t, new int[][] {{1, 4, 300}, {2, 6, 513}, {1, 7, 100}, {3, 8, 512},
            {1, 9, 2}, {1, 1000, 512}, {2, 2, 700}, {1, 11, 1}});
    }

    private void assertSumsHaveTheOraclesBits(DType t, int[][] dims) {
        NativeBackend nat = backend(true);
        int before = nat.threads();
        try {
            for (int threads : new int[] {1, 2}) {
                nat.setThreads(threads);
                for (int[] d : dims) {
                    long n = (long) d[0] * d[1] * d[2];
                    long out = (long) d[0] * d[2];
                    MemorySegment x = random(t, n, -1, 1);
                    MemorySegment y = alloc(t, out);
                    MemorySegment e = alloc(t, out);
                    nat.reduce(ReduceOp.SUM, t, d[0], d[1], d[2], x, y);
                    ref.reduce(ReduceOp.SUM, t, d[0], d[1], d[2], x, e);
                    for (long i = 0; i < out; i++) {
                        long got = Double.doubleToRawLongBits(t.get(y, i));
                        long want = Double.doubleToRawLongBits(t.get(e, i));
                        if (got != want) {
                            assertThat(got).as("%s %s threads %d, output %d: %s against the oracle's %s", t,
                                    Arrays.toString(d), threads, i, t.get(y, i), t.get(e, i)).isEqualTo(want);
                        }
                    }
                }
            }
        } finally {
            nat.setThreads(before);
        }
    }

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void reduceAndArgmax(DType t, boolean c) {
        NativeBackend nat = backend(c);
        int[][] dims = {{1, 1, 1}, {3, 7, 1}, {2, 5, 9}, {1, 1000, 1}, {4, 3, 600}, {2, 1, 5}};
        for (int[] d : dims) {
            long n = (long) d[0] * d[1] * d[2];
            long out = (long) d[0] * d[2];
            for (boolean ties : new boolean[] {false, true}) {
                MemorySegment x = ties ? smallInts(t, n) : random(t, n, -1, 1);
                for (ReduceOp op : ReduceOp.values()) {
                    MemorySegment y = alloc(t, out);
                    MemorySegment e = alloc(t, out);
                    nat.reduce(op, t, d[0], d[1], d[2], x, y);
                    ref.reduce(op, t, d[0], d[1], d[2], x, e);
                    assertClose(t, y, e, out, 4 * d[1] * t.epsilon(), op + " " + Arrays.toString(d));
                }
                MemorySegment i1 = ints(out);
                MemorySegment i2 = ints(out);
                nat.argmax(t, d[0], d[1], d[2], x, i1);
                ref.argmax(t, d[0], d[1], d[2], x, i2);
                assertIntsEqual(i1, i2, out, "argmax " + Arrays.toString(d) + " ties=" + ties);
            }
        }
        // NaN propagates through max/min and never wins argmax unless first
        MemorySegment x = random(t, 8, -1, 1);
        t.set(x, 3, Double.NaN);
        for (ReduceOp op : new ReduceOp[] {ReduceOp.MAX, ReduceOp.MIN}) {
            MemorySegment y = alloc(t, 1);
            nat.reduce(op, t, 1, 8, 1, x, y);
            assertThat(t.get(y, 0)).as("%s with NaN", op).isNaN();
        }
        MemorySegment i1 = ints(1);
        MemorySegment i2 = ints(1);
        nat.argmax(t, 1, 8, 1, x, i1);
        ref.argmax(t, 1, 8, 1, x, i2);
        assertIntsEqual(i1, i2, 1, "argmax with NaN");
    }

    // ------------------------------------------------------------------ softmax family

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void softmaxFamily(DType t, boolean c) {
        NativeBackend nat = backend(c);
        for (int cols : new int[] {1, 10, 37}) {
            int rows = 5;
            long n = (long) rows * cols;
            MemorySegment z = random(t, n, -5, 5);
            t.set(z, 0, 300); // large logits: needs the max subtraction
            if (cols > 1) {
                t.set(z, 1, 299);
            }
            MemorySegment labels = ints(rows);
            for (int r = 0; r < rows; r++) {
                labels.setAtIndex(INT, r, rnd.nextInt(cols));
            }
            double tol = 8 * t.epsilon();
            MemorySegment y = alloc(t, n);
            MemorySegment e = alloc(t, n);
            nat.softmax(t, rows, cols, z, y);
            ref.softmax(t, rows, cols, z, e);
            assertClose(t, y, e, n, tol, "softmax cols=" + cols);
            nat.logSoftmax(t, rows, cols, z, y);
            ref.logSoftmax(t, rows, cols, z, e);
            assertClose(t, y, e, n, tol, "logSoftmax cols=" + cols);
            MemorySegment loss1 = alloc(t, rows);
            MemorySegment loss2 = alloc(t, rows);
            nat.softmaxCrossEntropy(t, rows, cols, z, labels, loss1, y);
            ref.softmaxCrossEntropy(t, rows, cols, z, labels, loss2, e);
            assertClose(t, y, e, n, tol, "xent probs cols=" + cols);
            assertClose(t, loss1, loss2, rows, tol, "xent loss cols=" + cols);
        }
    }

    /**
     * Rows of special values among ordinary ones (the C kernel computes a block of rows' exps together, and a row's
     * maximum again by Math.max's rules where it met a NaN or a zero): a NaN, +inf, -inf, a row of signed zeros and
     * a row whose maximum is -0, each next to finite rows, whose results must not change.
     */
    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void softmaxRowsWithSpecialValuesLeaveTheirNeighboursAlone(DType t, boolean c) {
        NativeBackend nat = backend(c);
        int rows = 11;
        int cols = 10;
        long n = (long) rows * cols;
        MemorySegment z = random(t, n, -5, 5);
        t.set(z, 1 * cols + 3, Double.NaN);
        t.set(z, 4 * cols + 7, Double.POSITIVE_INFINITY);
        t.set(z, 6 * cols, Double.NEGATIVE_INFINITY);
        for (int j = 0; j < cols; j++) {
            t.set(z, 8L * cols + j, j % 2 == 0 ? -0.0 : 0.0);
            t.set(z, 9L * cols + j, -Math.abs(t.get(z, 9L * cols + j)));
        }
        t.set(z, 9L * cols + 2, -0.0);
        MemorySegment labels = ints(rows);
        for (int r = 0; r < rows; r++) {
            labels.setAtIndex(INT, r, r % cols);
        }
        double tol = 8 * t.epsilon();
        MemorySegment y = alloc(t, n);
        MemorySegment e = alloc(t, n);
        MemorySegment loss1 = alloc(t, rows);
        MemorySegment loss2 = alloc(t, rows);
        nat.softmaxCrossEntropy(t, rows, cols, z, labels, loss1, y);
        ref.softmaxCrossEntropy(t, rows, cols, z, labels, loss2, e);
        assertClose(t, y, e, n, tol, "xent probs");
        assertClose(t, loss1, loss2, rows, tol, "xent loss");
        assertThat(t.get(y, 1L * cols)).as("a NaN's row").isNaN();
        assertThat(t.get(y, 8L * cols)).as("a row of signed zeros").isCloseTo(0.1, within(tol));
        nat.softmax(t, rows, cols, z, y);
        ref.softmax(t, rows, cols, z, e);
        assertClose(t, y, e, n, tol, "softmax");
    }

    // ------------------------------------------------------------------ convolution and pooling

    static final Window2d[] WINDOWS = {
        Window2d.square(2, 3, 5, 5, 3, 1, 1),
        Window2d.square(1, 2, 6, 6, 2, 2, 0),
        new Window2d(2, 1, 7, 5, 3, 2, 2, 1, 1, 0),
        Window2d.square(1, 1, 1, 1, 1, 1, 0),
        new Window2d(1, 2, 4, 9, 2, 3, 3, 2, 1, 1),
        Window2d.square(3, 4, 8, 8, 3, 2, 1),
    };

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void im2colAndCol2im(DType t, boolean c) {
        NativeBackend nat = backend(c);
        for (Window2d g : WINDOWS) {
            long xn = g.n() * g.imageSize();
            long cn = (long) g.n() * g.colRows() * g.colCols();
            MemorySegment x = random(t, xn, -1, 1);
            MemorySegment c1 = random(t, cn, -1, 1);
            MemorySegment c2 = alloc(t, cn);
            nat.im2col(t, g, x, c1);
            ref.im2col(t, g, x, c2);
            assertClose(t, c1, c2, cn, 0, "im2col " + g);
            MemorySegment cols = random(t, cn, -1, 1);
            MemorySegment x1 = random(t, xn, -1, 1); // overwritten, not accumulated into
            MemorySegment x2 = alloc(t, xn);
            nat.col2im(t, g, cols, x1);
            ref.col2im(t, g, cols, x2);
            assertClose(t, x1, x2, xn, 4 * g.kh() * g.kw() * t.epsilon(), "col2im " + g);
        }
    }

    /**
     * 3x3 stride-1 windows: even and odd output sizes, padding 0 to 2, one image and several; rows of tiles shorter
     * and longer than the C kernels' vectors (up to 19 tiles), and E2's second convolution (14 x 14, padding 1).
     */
    static final Window2d[] WINOGRAD_WINDOWS = {
        Window2d.square(2, 3, 6, 6, 3, 1, 1),
        new Window2d(3, 2, 7, 5, 3, 3, 1, 1, 0, 0),
        new Window2d(1, 4, 3, 4, 3, 3, 1, 1, 2, 2),
        new Window2d(2, 1, 9, 8, 3, 3, 1, 1, 1, 1),
        Window2d.square(3, 2, 14, 14, 3, 1, 1),
        new Window2d(2, 2, 11, 37, 3, 3, 1, 1, 1, 1),
        new Window2d(1, 3, 5, 36, 3, 3, 1, 1, 0, 0),
        new Window2d(2, 1, 4, 17, 3, 3, 1, 1, 2, 2),
    };

    /** Elements past each output of the transforms that must stay as they were (the C kernels store in vectors). */
    static final int GUARD = 64;

    /** Asserts that the {@link #GUARD} elements of {@code a} from element {@code n} on equal {@code before}'s. */
    static void assertGuard(DType t, MemorySegment a, MemorySegment before, long n, String what) {
        long es = t.byteSize();
        assertThat(a.asSlice(n * es, GUARD * es).mismatch(before.asSlice(n * es, GUARD * es)))
                .as("%s wrote past its output", what).isEqualTo(-1L);
    }

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void winogradTransformsGiveTheOraclesBits(DType t, boolean c) {
        NativeBackend nat = backend(c);
        for (Window2d g : WINOGRAD_WINDOWS) {
            long xn = g.n() * g.imageSize();
            long vn = 16 * g.c() * g.winogradTiles();
            MemorySegment x = random(t, xn, -1, 1);
            MemorySegment v1 = random(t, vn + GUARD, -1, 1);
            MemorySegment v0 = alloc(t, vn + GUARD).copyFrom(v1);
            MemorySegment v2 = alloc(t, vn);
            nat.winogradInput(t, g, x, v1);
            ref.winogradInput(t, g, x, v2);
            assertClose(t, v1, v2, vn, 0, "winogradInput " + g);
            assertGuard(t, v1, v0, vn, "winogradInput " + g);
            int cout = 3;
            long mn = 16 * cout * g.winogradTiles();
            long yn = (long) g.n() * cout * g.outH() * g.outW();
            MemorySegment m = random(t, mn, -1, 1);
            MemorySegment y1 = random(t, yn + GUARD, -1, 1);
            MemorySegment y0 = alloc(t, yn + GUARD).copyFrom(y1);
            MemorySegment y2 = alloc(t, yn);
            nat.winogradOutput(t, g, cout, m, null, y1);
            ref.winogradOutput(t, g, cout, m, null, y2);
            assertClose(t, y1, y2, yn, 0, "winogradOutput " + g);
            assertGuard(t, y1, y0, yn, "winogradOutput " + g);
            MemorySegment bias = random(t, cout, -1, 1); // wide rows: the portable C transform adds it
            nat.winogradOutput(t, g, cout, m, bias, y1);
            ref.winogradOutput(t, g, cout, m, bias, y2);
            assertClose(t, y1, y2, yn, 0, "winogradOutput with a bias " + g);
            assertGuard(t, y1, y0, yn, "winogradOutput with a bias " + g);
            MemorySegment gy = random(t, yn, -1, 1);
            MemorySegment gt1 = random(t, mn + GUARD, -1, 1);
            MemorySegment gt0 = alloc(t, mn + GUARD).copyFrom(gt1);
            MemorySegment gt2 = alloc(t, mn);
            nat.winogradGradient(t, g, cout, gy, gt1);
            ref.winogradGradient(t, g, cout, gy, gt2);
            assertClose(t, gt1, gt2, mn, 0, "winogradGradient " + g);
            assertGuard(t, gt1, gt0, mn, "winogradGradient " + g);
        }
    }

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void pooling(DType t, boolean c) {
        NativeBackend nat = backend(c);
        for (Window2d g : WINDOWS) {
            long xn = g.n() * g.imageSize();
            long yn = (long) g.n() * g.c() * g.outH() * g.outW();
            for (boolean ties : new boolean[] {false, true}) {
                MemorySegment x = ties ? smallInts(t, xn) : random(t, xn, -1, 1);
                if (!ties) {
                    t.set(x, 0, -5); // every value of a padded window negative somewhere
                }
                MemorySegment y1 = alloc(t, yn);
                MemorySegment y2 = alloc(t, yn);
                MemorySegment a1 = ints(yn);
                MemorySegment a2 = ints(yn);
                nat.maxPool2d(t, g, x, y1, a1);
                ref.maxPool2d(t, g, x, y2, a2);
                assertClose(t, y1, y2, yn, 0, "maxPool " + g);
                assertIntsEqual(a1, a2, yn, "maxPool argmax " + g + " ties=" + ties);
                MemorySegment gy = random(t, yn, -1, 1);
                MemorySegment gx1 = random(t, xn, -1, 1);
                MemorySegment gx2 = alloc(t, xn);
                nat.maxPool2dBackward(t, g, gy, a2, gx1);
                ref.maxPool2dBackward(t, g, gy, a2, gx2);
                assertClose(t, gx1, gx2, xn, 4 * g.kh() * g.kw() * t.epsilon(), "maxPool backward " + g);
                nat.avgPool2d(t, g, x, y1);
                ref.avgPool2d(t, g, x, y2);
                assertClose(t, y1, y2, yn, 4 * g.kh() * g.kw() * t.epsilon(), "avgPool " + g);
                nat.avgPool2dBackward(t, g, gy, gx1);
                ref.avgPool2dBackward(t, g, gy, gx2);
                assertClose(t, gx1, gx2, xn, 4 * g.kh() * g.kw() * t.epsilon(), "avgPool backward " + g);
            }
        }
    }

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void heapSegmentsPassThroughCriticalCalls(DType t, boolean c) {
        NativeBackend nat = backend(c);
        int n = 9;
        MemorySegment x = t == DType.F32 ? MemorySegment.ofArray(new float[n]) : MemorySegment.ofArray(new double[n]);
        MemorySegment y = t == DType.F32 ? MemorySegment.ofArray(new float[n]) : MemorySegment.ofArray(new double[n]);
        for (int i = 0; i < n; i++) {
            t.set(x, i, i - 4);
        }
        nat.unary(UnaryOp.RELU, t, n, 0, x, y);
        for (int i = 0; i < n; i++) {
            assertThat(t.get(y, i)).isEqualTo(Math.max(0, i - 4));
        }
    }
}
