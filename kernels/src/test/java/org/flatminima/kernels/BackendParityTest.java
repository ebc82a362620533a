package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.flatminima.kernels.ParityTest.SIZES;
import static org.flatminima.kernels.ParityTest.absOf;
import static org.flatminima.kernels.ParityTest.alloc;
import static org.flatminima.kernels.ParityTest.assertClose;
import static org.flatminima.kernels.ParityTest.copyOf;
import static org.flatminima.kernels.ParityTest.ints;
import static org.flatminima.kernels.ParityTest.random;
import static org.flatminima.kernels.ParityTest.read;
import static org.flatminima.kernels.ParityTest.readInts;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel of every non-oracle backend against the scalar oracle, in both dtypes, over awkward sizes,
 * transposed and broadcast operands. Tolerances scale with the dtype's epsilon and with the length of the
 * reduction behind each output. A backend that cannot run here is skipped with its reason (and fails under CI).
 * Buffers come from shared arenas, so that multi-threaded kernels really use their second thread.
 */
class BackendParityTest {

    private final Backend oracle = new ScalarBackend();

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String b : List.of("vector", "native")) {
            for (DType t : DType.values()) {
                for (int threads : new int[] {1, 2}) {
                    all.add(Arguments.of(b, t, threads));
                }
            }
        }
        return all.stream();
    }

    private static Backend backend(String name, int threads) {
        Backend b = ParityTest.backendOrSkip(name);
        b.setThreads(threads);
        return b;
    }

    /** A few ulps of the dtype: what a reordered or fused computation may legitimately differ by. */
    private static double ulps(DType t, double n) {
        return n * t.epsilon();
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void gemm(String name, DType t, int threads) {
        Backend b = backend(name, threads);
        int[][] mnk = {
            {1, 1, 1}, {2, 7, 13}, {7, 13, 31}, {13, 31, 7}, {31, 64, 127}, {64, 127, 31},
            {127, 1, 64}, {1, 127, 1000}, {5, 1000, 3}, {97, 83, 211}, {256, 256, 256},
        };
        double[][] ab = {{1, 0}, {0.5, 2.0}, {-1.5, 1.0}};
        SplittableRandom rnd = new SplittableRandom(42);
        int caseNo = 0;
        for (int[] s : mnk) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    double alpha = ab[caseNo % ab.length][0];
                    double beta = ab[caseNo % ab.length][1];
                    // padded leading dimensions on every other case
                    int pad = (caseNo++ % 2 == 0) ? 0 : 3;
                    int lda = (ta ? m : k) + pad;
                    int ldb = (tb ? k : n) + pad;
                    int ldc = n + pad;
                    try (Arena arena = Arena.ofShared()) {
                        MemorySegment a = random(arena, t, (long) (ta ? k : m) * lda, rnd, -1, 1);
                        MemorySegment bb = random(arena, t, (long) (tb ? n : k) * ldb, rnd, -1, 1);
                        MemorySegment c0 = random(arena, t, (long) m * ldc, rnd, -1, 1);
                        if (beta == 0) {
                            t.set(c0, 0, Double.NaN); // beta == 0 must not read C
                        }
                        MemorySegment c1 = copyOf(arena, t, c0, (long) m * ldc);
                        MemorySegment c2 = copyOf(arena, t, c0, (long) m * ldc);
                        oracle.gemm(t, ta, tb, m, n, k, alpha, a, lda, bb, ldb, beta, c1, ldc);
                        b.gemm(t, ta, tb, m, n, k, alpha, a, lda, bb, ldb, beta, c2, ldc);
                        // error scale: |alpha| sum_p |a_ip b_pj| + |beta c_ij|, from |A| |B|
                        MemorySegment absA = absOf(arena, t, a, (long) (ta ? k : m) * lda);
                        MemorySegment absB = absOf(arena, t, bb, (long) (tb ? n : k) * ldb);
                        MemorySegment scale = alloc(arena, t, (long) m * ldc);
                        oracle.gemm(t, ta, tb, m, n, k, Math.abs(alpha), absA, lda, absB, ldb, 0, scale, ldc);
                        double[] sc = read(t, scale, (long) m * ldc);
                        double[] prior = read(t, c0, (long) m * ldc);
                        for (int i = 0; i < sc.length; i++) {
                            sc[i] += beta == 0 ? 0 : Math.abs(beta * prior[i]);
                        }
                        double[] expected = read(t, c1, (long) m * ldc);
                        double[] actual = read(t, c2, (long) m * ldc);
                        // compare only the m x n block; padding columns must stay untouched
                        assertClose("gemm " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb
                                        + " alpha=" + alpha + " beta=" + beta,
                                actual, expected, sc, ulps(t, 2.0 * (k + 2)), 0);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void unaryEveryOpEverySize(String name, DType t, int threads) {
        Backend b = backend(name, threads);
        SplittableRandom rnd = new SplittableRandom(7);
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.POW;
            double lo = positive ? 0.05 : -6;
            double hi = positive ? 8 : 6;
            double param = switch (op) {
                case POW -> 2.5;
                case SCALE -> -1.75;
                case ADD_SCALAR -> 0.625;
                case LEAKY_RELU, LEAKY_STEP -> 0.01;
                default -> 0;
            };
            for (int n : SIZES) {
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment x = random(arena, t, n, rnd, lo, hi);
                    if (n > 3 && !positive) {
                        t.set(x, 1, 0.0); // the kink of relu/step
                    }
                    MemorySegment y1 = alloc(arena, t, n);
                    MemorySegment y2 = alloc(arena, t, n);
                    oracle.unary(op, t, n, param, x, y1);
                    b.unary(op, t, n, param, x, y2);
                    double[] exp = read(t, y1, n);
                    assertClose(op + " n=" + n, read(t, y2, n), exp, null, ulps(t, 8), ulps(t, 2));
                    // in place
                    b.unary(op, t, n, param, x, x);
                    assertClose(op + " in place n=" + n, read(t, x, n), exp, null, ulps(t, 8), ulps(t, 2));
                }
            }
        }
    }

    /**
     * GATE against its definition, {@code b > 0 ? a : 0}, with b of both signs (the parity test above keeps b
     * mostly positive), zeros of both signs, NaN and infinities on either side: a NaN or infinite gradient where
     * the gate is shut gives 0 (not NaN, as {@code a * step(b)} would), -0 and NaN in b shut it. Exact on every
     * backend, the oracle included, over every binary case (broadcast and transposed operands).
     */
    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void gateIsTheGradientWhereTheInputIsPositive(String name, DType t, int threads) {
        SplittableRandom rnd = new SplittableRandom(5);
        double[] special = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-30};
        for (Backend b : List.of(oracle, backend(name, threads))) {
            for (BinCase c : binaryCases()) {
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment a = random(arena, t, c.aLen(), rnd, -3, 3);
                    MemorySegment g = random(arena, t, c.bLen(), rnd, -3, 3);
                    for (int i = 0; i < special.length; i++) {
                        if (i < c.aLen()) {
                            t.set(a, c.aLen() - 1 - i, special[i]);
                        }
                        if (i < c.bLen()) {
                            t.set(g, i, special[i]);
                        }
                    }
                    long n = Shapes.size(c.shape());
                    MemorySegment y = alloc(arena, t, n);
                    b.binary(BinaryOp.GATE, t, c.shape(), a, c.as(), g, c.bs(), y);
                    int[] idx = new int[c.shape().length];
                    for (long f = 0; f < n; f++) {
                        double av = t.get(a, Shapes.offset(idx, c.as()));
                        double bv = t.get(g, Shapes.offset(idx, c.bs()));
                        double want = bv > 0 ? av : 0.0;
                        assertThat(Double.doubleToRawLongBits(t.get(y, f)))
                                .as("%s %s at %d: gate(%s, %s)", b.name(), c.label(), f, av, bv)
                                .isEqualTo(Double.doubleToRawLongBits(want));
                        Shapes.increment(idx, c.shape());
                    }
                }
            }
        }
    }

    /**
     * The adjoint of max pooling is its definition, gx = 0 and then gy added at each argmax in output order, bit for
     * bit on every backend (the oracle included): whatever gx held before, with signed zeros (0 + -0 is +0), NaN and
     * infinities in gy, and on the 2x2/2 window's one-pass path with rows and columns past its last window.
     */
    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void maxPoolBackwardIsTheSumAtTheArgmaxBitForBit(String name, DType t, int threads) {
        SplittableRandom rnd = new SplittableRandom(11);
        double[] special = {-0.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1e-30};
        for (Backend b : List.of(oracle, backend(name, threads))) {
            for (Window2d g : windows()) {
                try (Arena arena = Arena.ofShared()) {
                    long xn = g.n() * g.imageSize();
                    long yn = (long) g.n() * g.c() * g.outH() * g.outW();
                    MemorySegment x = random(arena, t, xn, rnd, -2, 2);
                    MemorySegment am = alloc(arena, DType.F32, yn);
                    oracle.maxPool2d(t, g, x, alloc(arena, t, yn), am);
                    MemorySegment gy = random(arena, t, yn, rnd, -1, 1);
                    for (int i = 0; i < special.length && i < yn; i++) {
                        t.set(gy, i, special[i]);
                    }
                    MemorySegment gx = random(arena, t, xn, rnd, 9, 9.5);
                    b.maxPool2dBackward(t, g, gy, am, gx);
                    double[] want = new double[(int) xn];
                    long plane = (long) g.h() * g.w();
                    long outPlane = (long) g.outH() * g.outW();
                    for (long o = 0; o < yn; o++) {
                        int at = am.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, o);
                        if (at >= 0) {
                            int i = (int) (o / outPlane * plane + at);
                            double sum = want[i] + t.get(gy, o);
                            want[i] = t == DType.F32 ? (float) sum : sum;
                        }
                    }
                    for (long i = 0; i < xn; i++) {
                        double got = t.get(gx, i);
                        if (!(Double.isNaN(got) && Double.isNaN(want[(int) i]))) {
                            assertThat(Double.doubleToRawLongBits(got)).as("%s %s gx[%d] = %s, want %s", b.name(), g,
                                    i, got, want[(int) i]).isEqualTo(Double.doubleToRawLongBits(want[(int) i]));
                        }
                    }
                }
            }
        }
    }

    /** Binary cases: shape, a strides, b strides, a extent, b extent. */
    private record BinCase(String label, int[] shape, long[] as, long[] bs, long aLen, long bLen) {
    }

    private static long[] rowMajorStrides(int[] shape) {
        long[] st = new long[shape.length];
        long m = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = m;
            m *= shape[i];
        }
        return st;
    }

    private static List<BinCase> binaryCases() {
        List<BinCase> cs = new ArrayList<>();
        for (int n : SIZES) {
            cs.add(new BinCase("contiguous " + n, new int[] {n}, new long[] {1}, new long[] {1}, n, n));
            cs.add(new BinCase("scalar b " + n, new int[] {n}, new long[] {1}, new long[] {0}, n, 1));
            cs.add(new BinCase("scalar a " + n, new int[] {n}, new long[] {0}, new long[] {1}, 1, n));
        }
        for (int[] mn : new int[][] {{1, 1}, {3, 7}, {13, 31}, {64, 127}, {7, 1000}, {1000, 10}}) {
            int m = mn[0];
            int n = mn[1];
            long mnl = (long) m * n;
            cs.add(new BinCase("row broadcast " + m + "x" + n, mn, new long[] {n, 1}, new long[] {0, 1}, mnl, n));
            cs.add(new BinCase("column broadcast " + m + "x" + n, mn, new long[] {n, 1}, new long[] {1, 0}, mnl, m));
            cs.add(new BinCase("row broadcast a " + m + "x" + n, mn, new long[] {0, 1}, new long[] {n, 1}, n, mnl));
            cs.add(new BinCase("transposed a " + m + "x" + n, mn, new long[] {1, m}, new long[] {n, 1}, mnl, mnl));
        }
        cs.add(new BinCase("rank-3 broadcast", new int[] {3, 4, 5}, new long[] {5, 0, 1}, new long[] {0, 1, 0}, 15, 4));
        cs.add(new BinCase("rank-4 mixed", new int[] {2, 3, 5, 7}, new long[] {105, 35, 7, 1},
                new long[] {0, 1, 0, 3}, 210, 21));
        return cs;
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void binaryWithBroadcasting(String name, DType t, int threads) {
        Backend b = backend(name, threads);
        SplittableRandom rnd = new SplittableRandom(11);
        for (BinaryOp op : BinaryOp.values()) {
            for (BinCase c : binaryCases()) {
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment a = random(arena, t, c.aLen(), rnd, -3, 3);
                    // b away from zero so DIV stays tame; rounded values create ties for MAX/MIN/GREATER
                    MemorySegment bb = random(arena, t, c.bLen(), rnd, 0.5, 3);
                    if (c.bLen() > 2) {
                        t.set(bb, 1, -t.get(bb, 1));
                        t.set(a, 0, t.get(bb, 0));
                    }
                    long n = Shapes.size(c.shape());
                    MemorySegment y1 = alloc(arena, t, n);
                    MemorySegment y2 = alloc(arena, t, n);
                    oracle.binary(op, t, c.shape(), a, c.as(), bb, c.bs(), y1);
                    b.binary(op, t, c.shape(), a, c.as(), bb, c.bs(), y2);
                    assertClose(op + " " + c.label(), read(t, y2, n), read(t, y1, n), null, ulps(t, 2), 0);
                    if (Arrays.equals(c.as(), rowMajorStrides(c.shape()))) {
                        // in place: the output is the first operand
                        b.binary(op, t, c.shape(), a, c.as(), bb, c.bs(), a);
                        assertClose(op + " in place " + c.label(), read(t, a, n), read(t, y1, n), null,
                                ulps(t, 2), 0);
                    }
                }
            }
        }
    }

    /**
     * axpby against the oracle over every size and one that splits across threads, for an optimiser's two
     * updates ({@code b = mu b + g}, {@code p = p - lr b}) and a general pair of coefficients: to the bit in both
     * types (in double, two products and a sum, no fused multiply-add, rounded once, on every backend).
     */
    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void axpbyAgainstTheOracle(String name, DType t, int threads) {
        Backend b = backend(name, threads);
        SplittableRandom rnd = new SplittableRandom(13);
        double[][] coefficients = {{1, 0.9}, {-0.05, 1}, {-1.75, 0.3}};
        int[] sizes = Arrays.copyOf(SIZES, SIZES.length + 1);
        sizes[SIZES.length] = 300_001;
        for (double[] ab : coefficients) {
            for (int n : sizes) {
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment x = random(arena, t, n, rnd, -3, 3);
                    MemorySegment y1 = random(arena, t, n, rnd, -3, 3);
                    MemorySegment y2 = alloc(arena, t, n);
                    y2.copyFrom(y1);
                    oracle.axpby(t, n, ab[0], x, ab[1], y1);
                    b.axpby(t, n, ab[0], x, ab[1], y2);
                    String what = "axpby " + ab[0] + ", " + ab[1] + " n=" + n;
                    double[] want = read(t, y1, n);
                    double[] got = read(t, y2, n);
                    int at = Arrays.mismatch(got, want);
                    assertThat(at).as("%s: the first element that differs (%s)", what,
                            at < 0 ? "none" : got[at] + " instead of " + want[at]).isEqualTo(-1);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void copyStridedAndConverting(String name, DType t, int threads) {
        Backend b = backend(name, threads);
        SplittableRandom rnd = new SplittableRandom(3);
        Object[][] cases = {
            {new int[] {1000}, new long[] {1}, 1000L},
            {new int[] {13, 31}, new long[] {1, 13}, 403L},           // transpose
            {new int[] {70, 45}, new long[] {1, 70}, 3150L},          // transpose over several 32 x 32 tiles
            {new int[] {40, 33}, new long[] {1, 50}, 1650L},          // transpose of a slice (leading dim 50)
            {new int[] {7, 64}, new long[] {0, 1}, 64L},              // broadcast rows
            {new int[] {1000, 10}, new long[] {0, 1}, 10L},           // a bias over a batch: copied by doubling
            {new int[] {3, 5, 7}, new long[] {0, 0, 1}, 7L},          // one row over two axes
            {new int[] {3, 5, 7}, new long[] {7, 0, 1}, 21L},         // rows repeated within groups only
            {new int[] {3, 4, 5}, new long[] {1, 15, 3}, 60L},        // permutation
            {new int[] {5, 9}, new long[] {20, 2}, 100L},             // a strided slice
            {new int[] {2, 3, 4, 5}, new long[] {60, 1, 15, 3}, 120L},
        };
        for (Object[] c : cases) {
            int[] shape = (int[]) c[0];
            long[] strides = (long[]) c[1];
            long len = (long) c[2];
            long n = Shapes.size(shape);
            for (DType to : DType.values()) {
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment x = random(arena, t, len, rnd, -2, 2);
                    MemorySegment y1 = alloc(arena, to, n);
                    MemorySegment y2 = alloc(arena, to, n);
                    oracle.copy(t, to, shape, x, strides, y1);
                    b.copy(t, to, shape, x, strides, y2);
                    assertClose("copy " + java.util.Arrays.toString(shape) + " " + t + "->" + to,
                            read(to, y2, n), read(to, y1, n), null, 0, 0);
                }
            }
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment y = alloc(arena, t, 127);
            b.fill(t, 127, -2.25, y);
            assertThat(read(t, y, 127)).containsOnly(-2.25);
        }
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void reductionsAndArgmax(String name, DType t, int threads) {
        Backend b = backend(name, threads);
        SplittableRandom rnd = new SplittableRandom(5);
        int[][] shapes = {{1, 1, 1}, {1, 1000, 1}, {7, 13, 1}, {1, 13, 31}, {3, 7, 64}, {2, 127, 5},
            {64, 1, 3}, {1000, 10, 1}, {1, 4098, 1}, {5, 2, 1000}};
        for (int[] s : shapes) {
            int outer = s[0];
            int len = s[1];
            int inner = s[2];
            long n = (long) outer * len * inner;
            long m = (long) outer * inner;
            try (Arena arena = Arena.ofShared()) {
                MemorySegment x = random(arena, t, n, rnd, -4, 4);
                // integer values in a second input make ties for max/min/argmax
                MemorySegment xi = alloc(arena, t, n);
                for (long i = 0; i < n; i++) {
                    t.set(xi, i, Math.floor(t.get(x, i)));
                }
                MemorySegment absx = absOf(arena, t, x, n);
                MemorySegment scale = alloc(arena, t, m);
                oracle.reduce(ReduceOp.SUM, t, outer, len, inner, absx, scale);
                for (ReduceOp op : ReduceOp.values()) {
                    MemorySegment y1 = alloc(arena, t, m);
                    MemorySegment y2 = alloc(arena, t, m);
                    oracle.reduce(op, t, outer, len, inner, x, y1);
                    b.reduce(op, t, outer, len, inner, x, y2);
                    String label = op + " " + outer + "x" + len + "x" + inner;
                    if (op == ReduceOp.SUM) {
                        assertClose(label, read(t, y2, m), read(t, y1, m), read(t, scale, m),
                                ulps(t, 2.0 * (len + 1)), 0);
                    } else {
                        assertClose(label, read(t, y2, m), read(t, y1, m), null, 0, 0);
                    }
                }
                for (MemorySegment in : new MemorySegment[] {x, xi}) {
                    MemorySegment i1 = alloc(arena, DType.F32, m);
                    MemorySegment i2 = alloc(arena, DType.F32, m);
                    oracle.argmax(t, outer, len, inner, in, i1);
                    b.argmax(t, outer, len, inner, in, i2);
                    assertThat(readInts(i2, m)).as("argmax " + outer + "x" + len + "x" + inner)
                            .containsExactly(readInts(i1, m));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void softmaxFamilyAndLabels(String name, DType t, int threads) {
        Backend b = backend(name, threads);
        SplittableRandom rnd = new SplittableRandom(13);
        int[][] rc = {{1, 1}, {1, 2}, {7, 10}, {13, 13}, {64, 10}, {1000, 10}, {3, 1000}, {2, 4098}};
        for (int[] s : rc) {
            int rows = s[0];
            int cols = s[1];
            long n = (long) rows * cols;
            for (double range : new double[] {3, 80}) { // 80: exp overflows unless stabilised
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment z = random(arena, t, n, rnd, -range, range);
                    int[] lab = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        lab[r] = rnd.nextInt(cols);
                    }
                    MemorySegment labels = ints(arena, lab);
                    String label = rows + "x" + cols + " range " + range;
                    double tol = ulps(t, 4.0 * (cols + 4));

                    MemorySegment y1 = alloc(arena, t, n);
                    MemorySegment y2 = alloc(arena, t, n);
                    oracle.softmax(t, rows, cols, z, y1);
                    b.softmax(t, rows, cols, z, y2);
                    assertClose("softmax " + label, read(t, y2, n), read(t, y1, n), null, tol, ulps(t, 1) / cols);

                    oracle.logSoftmax(t, rows, cols, z, y1);
                    b.logSoftmax(t, rows, cols, z, y2);
                    double[] mag = new double[(int) n];
                    java.util.Arrays.fill(mag, range);
                    assertClose("logSoftmax " + label, read(t, y2, n), read(t, y1, n), mag, tol, 0);

                    MemorySegment l1 = alloc(arena, t, rows);
                    MemorySegment l2 = alloc(arena, t, rows);
                    MemorySegment p1 = alloc(arena, t, n);
                    MemorySegment p2 = alloc(arena, t, n);
                    oracle.softmaxCrossEntropy(t, rows, cols, z, labels, l1, p1);
                    b.softmaxCrossEntropy(t, rows, cols, z, labels, l2, p2);
                    double[] lmag = new double[rows];
                    java.util.Arrays.fill(lmag, range);
                    assertClose("cross-entropy loss " + label, read(t, l2, rows), read(t, l1, rows), lmag, tol, 0);
                    assertClose("cross-entropy probs " + label, read(t, p2, n), read(t, p1, n), null, tol,
                            ulps(t, 1) / cols);

                    MemorySegment g = random(arena, t, rows, rnd, -2, 2);

                    MemorySegment gc1 = alloc(arena, t, rows);
                    MemorySegment gc2 = alloc(arena, t, rows);
                    oracle.gatherCols(t, rows, cols, z, labels, gc1);
                    b.gatherCols(t, rows, cols, z, labels, gc2);
                    assertClose("gatherCols " + label, read(t, gc2, rows), read(t, gc1, rows), null, 0, 0);
                    MemorySegment sc1 = random(arena, t, n, rnd, 5, 6); // must be overwritten
                    MemorySegment sc2 = copyOf(arena, t, sc1, n);
                    oracle.scatterCols(t, rows, cols, g, labels, sc1);
                    b.scatterCols(t, rows, cols, g, labels, sc2);
                    assertClose("scatterCols " + label, read(t, sc2, n), read(t, sc1, n), null, 0, 0);
                }
            }
        }
    }

    private static List<Window2d> windows() {
        return List.of(
                Window2d.square(1, 1, 1, 1, 1, 1, 0),
                Window2d.square(2, 3, 7, 7, 3, 1, 1),
                Window2d.square(2, 3, 8, 8, 2, 2, 0),
                Window2d.square(1, 2, 9, 9, 3, 2, 1),
                new Window2d(3, 2, 5, 7, 3, 2, 1, 2, 1, 0),
                new Window2d(2, 4, 13, 11, 5, 3, 2, 1, 2, 1),
                Window2d.square(2, 1, 28, 28, 3, 1, 1),
                Window2d.square(1, 32, 14, 14, 2, 2, 0),
                // the native fast paths: 2x2/2 pooling on odd sizes, stride-1 unfolding with wide padding
                Window2d.square(2, 2, 7, 9, 2, 2, 0),
                Window2d.square(1, 1, 5, 4, 3, 1, 2),
                new Window2d(1, 2, 6, 3, 5, 5, 1, 1, 2, 2),
                // max pooling with windows wholly in the padding (Sequential's zero padding before max pooling)
                Window2d.square(2, 2, 5, 6, 3, 2, 3));
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void convolutionUnfoldAndPooling(String name, DType t, int threads) {
        Backend b = backend(name, threads);
        SplittableRandom rnd = new SplittableRandom(17);
        for (Window2d g : windows()) {
            long xn = g.n() * g.imageSize();
            long cn = (long) g.n() * g.colRows() * g.colCols();
            long yn = (long) g.n() * g.c() * g.outH() * g.outW();
            String label = g.toString();
            try (Arena arena = Arena.ofShared()) {
                MemorySegment x = random(arena, t, xn, rnd, -2, 2);
                MemorySegment c1 = random(arena, t, cn, rnd, 9, 9.5);
                MemorySegment c2 = copyOf(arena, t, c1, cn);
                oracle.im2col(t, g, x, c1);
                b.im2col(t, g, x, c2);
                assertClose("im2col " + label, read(t, c2, cn), read(t, c1, cn), null, 0, 0);

                MemorySegment cols = random(arena, t, cn, rnd, -1, 1);
                MemorySegment x1 = random(arena, t, xn, rnd, 9, 9.5);
                MemorySegment x2 = copyOf(arena, t, x1, xn);
                oracle.col2im(t, g, cols, x1);
                b.col2im(t, g, cols, x2);
                double overlap = (double) g.kh() * g.kw();
                assertClose("col2im " + label, read(t, x2, xn), read(t, x1, xn), null, ulps(t, 2 * overlap),
                        ulps(t, 2 * overlap));

                // integer-valued input: ties inside windows test the first-maximum rule
                MemorySegment xt = alloc(arena, t, xn);
                for (long i = 0; i < xn; i++) {
                    t.set(xt, i, Math.floor(3 * rnd.nextDouble()));
                }
                for (MemorySegment in : new MemorySegment[] {x, xt}) {
                    MemorySegment y1 = alloc(arena, t, yn);
                    MemorySegment y2 = alloc(arena, t, yn);
                    MemorySegment a1 = alloc(arena, DType.F32, yn);
                    MemorySegment a2 = alloc(arena, DType.F32, yn);
                    oracle.maxPool2d(t, g, in, y1, a1);
                    b.maxPool2d(t, g, in, y2, a2);
                    assertClose("maxPool2d " + label, read(t, y2, yn), read(t, y1, yn), null, 0, 0);
                    assertThat(readInts(a2, yn)).as("maxPool2d argmax " + label).containsExactly(readInts(a1, yn));

                    MemorySegment gy = random(arena, t, yn, rnd, -1, 1);
                    MemorySegment gx1 = random(arena, t, xn, rnd, 9, 9.5);
                    MemorySegment gx2 = copyOf(arena, t, gx1, xn);
                    oracle.maxPool2dBackward(t, g, gy, a1, gx1);
                    b.maxPool2dBackward(t, g, gy, a1, gx2);
                    assertClose("maxPool2dBackward " + label, read(t, gx2, xn), read(t, gx1, xn), null,
                            ulps(t, 2 * overlap), ulps(t, 2 * overlap));

                    // the gather by the routing: of the pooled input it is the pooling itself (0, not -infinity,
                    // where a window is wholly in the padding and routes nowhere); of another x, oracle's
                    MemorySegment gathered = alloc(arena, t, yn);
                    b.maxPool2dGather(t, g, in, a1, gathered);
                    double[] pooled = read(t, y1, yn);
                    int[] routes = readInts(a1, yn);
                    for (int i = 0; i < pooled.length; i++) {
                        pooled[i] = routes[i] < 0 ? 0 : pooled[i];
                    }
                    assertThat(java.util.Arrays.stream(routes).filter(r -> r < 0).count() > 0)
                            .as("windows wholly in padding in " + label).isEqualTo(g.padH() >= g.kh());
                    assertClose("maxPool2dGather of the input " + label, read(t, gathered, yn), pooled, null, 0, 0);
                    MemorySegment g1 = alloc(arena, t, yn);
                    oracle.maxPool2dGather(t, g, gx1, a1, g1);
                    b.maxPool2dGather(t, g, gx1, a1, gathered);
                    assertClose("maxPool2dGather " + label, read(t, gathered, yn), read(t, g1, yn), null, 0, 0);

                    oracle.avgPool2d(t, g, in, y1);
                    b.avgPool2d(t, g, in, y2);
                    assertClose("avgPool2d " + label, read(t, y2, yn), read(t, y1, yn), null, ulps(t, 2 * overlap),
                            ulps(t, 4 * overlap));
                    oracle.avgPool2dBackward(t, g, gy, gx1);
                    b.avgPool2dBackward(t, g, gy, gx2);
                    assertClose("avgPool2dBackward " + label, read(t, gx2, xn), read(t, gx1, xn), null,
                            ulps(t, 2 * overlap), ulps(t, 2 * overlap));
                }
            }
        }
    }
}
