package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ScalarBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The softmax kernels' vector exp and log ({@code native/src/fm_vmath.inc}, on AVX-512 or AVX2): within 2 ulps of
 * {@link StrictMath#exp} and {@link StrictMath#log} over the whole range of finite results, the special values,
 * the bits of the algorithm (a transcription in Java) on both kinds of vectors, and the softmax with cross-entropy
 * built on them: float results equal to the scalar oracle's to the bit at W1's shape, across blocks of rows and for
 * rows wider than a block.
 */
class VectorExpTest {

    @BeforeAll
    static void needsTheKernels() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.vectorMath(false, false, new double[1]), "this CPU has neither AVX-512 nor AVX2");
    }

    private static void closeOrBothNaN(double got, double want, int ulps, String what) {
        if (Double.isNaN(want)) {
            assertThat(got).as(what).isNaN();
        } else {
            assertThat(got).as(what).isCloseTo(want, Offset.offset(ulps * Math.ulp(want) + 1e-300));
        }
    }

    /** Bits apart of two non-negative doubles (their bit patterns are ordered as the values). */
    private static long ulps(double a, double b) {
        return Math.abs(Double.doubleToRawLongBits(a) - Double.doubleToRawLongBits(b));
    }

    @ParameterizedTest(name = "avx2 only: {0}")
    @ValueSource(booleans = {false, true})
    void within2UlpsOfStrictMathOverTheWholeRange(boolean avx2) {
        SplittableRandom r = new SplittableRandom(7);
        int n = 400_003; // not a multiple of the 8 lanes: the masked tail too
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            // uniform over the range, and dense near 0 (softmax's x - max) and the subnormal results
            x[i] = switch (i % 3) {
                case 0 -> r.nextDouble(-746, 710);
                case 1 -> -r.nextDouble(0, 40);
                default -> r.nextDouble(-745.2, -700);
            };
        }
        double[] v = x.clone();
        assertThat(CKernels.vectorMath(false, avx2, v)).isTrue();
        long worst = 0;
        double at = 0;
        for (int i = 0; i < n; i++) {
            long u = ulps(v[i], StrictMath.exp(x[i]));
            if (u > worst) {
                worst = u;
                at = x[i];
            }
        }
        assertThat(worst).as("largest error in ulps, at x = %s", at).isLessThanOrEqualTo(2);
    }

    @ParameterizedTest(name = "avx2 only: {0}")
    @ValueSource(booleans = {false, true})
    void specialValues(boolean avx2) {
        double[] x = {Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 0.0, -0.0, 1.0, -1.0,
            709.78, 709.79, 800, -745.0, -745.2, -746.5, -1e300, 1e-300, Math.log(2)};
        double[] v = x.clone();
        assertThat(CKernels.vectorMath(false, avx2, v)).isTrue();
        assertThat(v[0]).isNaN();
        assertThat(v[1]).isEqualTo(0.0);
        assertThat(v[2]).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(v[3]).isEqualTo(1.0);
        assertThat(v[4]).isEqualTo(1.0);
        for (int i = 5; i < x.length; i++) {
            double want = StrictMath.exp(x[i]);
            if (Double.isInfinite(want) || want == 0) {
                assertThat(v[i]).as("exp(%s)", x[i]).isEqualTo(want);
            } else {
                assertThat(ulps(v[i], want)).as("exp(%s) = %s, want %s", x[i], v[i], want).isLessThanOrEqualTo(2);
            }
        }
    }

    @ParameterizedTest(name = "avx2 only: {0}")
    @ValueSource(booleans = {false, true})
    void logWithin2UlpsOfStrictMath(boolean avx2) {
        SplittableRandom r = new SplittableRandom(9);
        int n = 300_001;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (i % 3) {
                case 0 -> Math.pow(2, r.nextDouble(-1074, 1024)); // every binade, subnormals included
                case 1 -> r.nextDouble(0.5, 2); // near 1, where log is small
                default -> r.nextDouble(1, 1000); // softmax's sums
            };
        }
        double[] v = x.clone();
        assertThat(CKernels.vectorMath(true, avx2, v)).isTrue();
        long worst = 0;
        double at = 0;
        for (int i = 0; i < n; i++) {
            double want = StrictMath.log(x[i]);
            long u = want == 0 ? (v[i] == 0 ? 0 : Long.MAX_VALUE) : Math.abs(
                    Double.doubleToRawLongBits(Math.abs(v[i])) - Double.doubleToRawLongBits(Math.abs(want)));
            if (Math.signum(v[i]) != Math.signum(want)) {
                u = Long.MAX_VALUE;
            }
            if (u > worst) {
                worst = u;
                at = x[i];
            }
        }
        assertThat(worst).as("largest error in ulps, at x = %s", at).isLessThanOrEqualTo(2);
        double[] special = {Double.NaN, 0.0, -0.0, -1.0, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 1.0,
            Double.MIN_VALUE, Double.MAX_VALUE};
        double[] w = special.clone();
        assertThat(CKernels.vectorMath(true, avx2, w)).isTrue();
        assertThat(w[0]).isNaN();
        assertThat(w[1]).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(w[2]).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(w[3]).isNaN();
        assertThat(w[4]).isNaN();
        assertThat(w[5]).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(w[6]).isEqualTo(0.0);
        assertThat(Math.abs(w[7] - StrictMath.log(Double.MIN_VALUE))).isLessThanOrEqualTo(2 * Math.ulp(744.0));
        assertThat(Math.abs(w[8] - StrictMath.log(Double.MAX_VALUE))).isLessThanOrEqualTo(2 * Math.ulp(709.0));
    }

    private static final double LN2HI = 6.93147180369123816490e-01;
    private static final double LN2LO = 1.90821492927058770002e-10;
    private static final double[] INV_FACT = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
        1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};

    /** fm_vmath.inc's exp, operation by operation, for results from 2^-1074 to below 2^1024 (x in [-744, 709.7]). */
    private static double expOfTheAlgorithm(double x) {
        double k = Math.rint(x * 1.4426950408889634074);
        double r = Math.fma(-k, LN2LO, Math.fma(-k, LN2HI, x));
        double p = INV_FACT[13];
        for (int d = 12; d >= 0; d--) {
            p = Math.fma(p, r, INV_FACT[d]);
        }
        // p 2^k rounded once: a product with 2^k where that is a double (normal or subnormal), else exact
        return k >= -1074 && k <= 1023 ? p * Math.scalb(1.0, (int) k) : Math.scalb(p, (int) k);
    }

    /** fm_vmath.inc's log, operation by operation, for positive finite x. */
    private static double logOfTheAlgorithm(double x) {
        int e = Math.getExponent(x);
        if (e < Double.MIN_EXPONENT) {
            e = Math.getExponent(x * 0x1p54) - 54; // subnormal
        }
        double m = Math.scalb(x, -e); // in [1, 2), exact
        double k = e;
        if (m >= 1.5) {
            m *= 0.5;
            k += 1;
        }
        double t = (m - 1) / (m + 1);
        double t2 = t * t;
        double p = 1.0 / 23;
        for (int d = 21; d >= 3; d -= 2) {
            p = Math.fma(p, t2, 1.0 / d);
        }
        double tt = t + t;
        double lm = Math.fma(tt, p * t2, tt);
        return Math.fma(k, LN2HI, Math.fma(k, LN2LO, lm));
    }

    /**
     * Both vector lengths compute the algorithm's bits: the exp and log of its transcription in Java, for every
     * lane, the rare paths too (subnormal and near-overflow results of exp; subnormal arguments of log), so a softmax
     * rounds the same on AVX-512 and AVX2 machines.
     */
    @ParameterizedTest(name = "avx2 only: {0}")
    @ValueSource(booleans = {false, true})
    void theBitsOfTheAlgorithm(boolean avx2) {
        SplittableRandom r = new SplittableRandom(13);
        int n = 200_003;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (i % 4) {
                case 0 -> r.nextDouble(-744, 709.7);
                case 1 -> -r.nextDouble(0, 40);
                case 2 -> r.nextDouble(-744, -700);
                default -> r.nextDouble(700, 709.7);
            };
            y[i] = switch (i % 3) {
                case 0 -> Math.pow(2, r.nextDouble(-1074, 1024));
                case 1 -> r.nextDouble(0.5, 2);
                default -> r.nextDouble(1, 1000);
            };
        }
        double[] ex = x.clone();
        double[] lg = y.clone();
        assertThat(CKernels.vectorMath(false, avx2, ex)).isTrue();
        assertThat(CKernels.vectorMath(true, avx2, lg)).isTrue();
        for (int i = 0; i < n; i++) {
            if (Double.doubleToRawLongBits(ex[i]) != Double.doubleToRawLongBits(expOfTheAlgorithm(x[i]))) {
                assertThat(ex[i]).as("exp(%s)", x[i]).isEqualTo(expOfTheAlgorithm(x[i]));
            }
            if (Double.doubleToRawLongBits(lg[i]) != Double.doubleToRawLongBits(logOfTheAlgorithm(y[i]))) {
                assertThat(lg[i]).as("log(%s)", y[i]).isEqualTo(logOfTheAlgorithm(y[i]));
            }
        }
    }

    /**
     * Float softmax with cross-entropy equals the scalar oracle's (Math.exp in double, rounded once) to the bit:
     * both exps are within 2 ulps of double, so their floats differ only for a result that close to a tie
     * between two floats (about 1 in 2^28), which these fixed inputs do not hit. Doubles, from the same exp and log: within
     * a few ulps of the oracle's.
     */
    @Test
    void softmaxWithCrossEntropyMatchesTheOracle() {
        NativeBackend nat = new CKernelBackend();
        nat.setThreads(1);
        ScalarBackend ref = new ScalarBackend();
        SplittableRandom r = new SplittableRandom(11);
        for (DType t : DType.values()) {
            for (int[] shape : new int[][] {{1000, 10}, {257, 37}, {4, 1500}}) {
                int rows = shape[0];
                int cols = shape[1];
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment z = arena.allocate((long) rows * cols * t.byteSize(), 8);
                    MemorySegment labels = arena.allocate(4L * rows, 4);
                    for (long i = 0; i < (long) rows * cols; i++) {
                        t.set(z, i, i % 97 == 0 ? r.nextDouble(-300, 300) : r.nextDouble(-30, 30));
                    }
                    // rows whose maximum is +0 or -0 (Math.max's rule for the sign), and one with a NaN
                    for (int c = 0; c < cols; c++) {
                        t.set(z, (long) cols + c, c % 3 == 0 ? 0.0 : c % 3 == 1 ? -0.0 : -r.nextInt(4));
                        t.set(z, 2L * cols + c, c == 0 ? -0.0 : -1.0 - c);
                    }
                    t.set(z, 3L * cols + cols / 2, Double.NaN);
                    for (int i = 0; i < rows; i++) {
                        labels.setAtIndex(ValueLayout.JAVA_INT, i, r.nextInt(cols));
                    }
                    MemorySegment p1 = arena.allocate(z.byteSize(), 8);
                    MemorySegment p2 = arena.allocate(z.byteSize(), 8);
                    MemorySegment l1 = arena.allocate((long) rows * t.byteSize(), 8);
                    MemorySegment l2 = arena.allocate((long) rows * t.byteSize(), 8);
                    nat.softmaxCrossEntropy(t, rows, cols, z, labels, l1, p1);
                    ref.softmaxCrossEntropy(t, rows, cols, z, labels, l2, p2);
                    String what = t + " " + rows + "x" + cols;
                    if (t == DType.F32) {
                        assertThat(p1.mismatch(p2)).as("probabilities " + what).isEqualTo(-1L);
                        assertThat(l1.mismatch(l2)).as("losses " + what).isEqualTo(-1L);
                    } else {
                        for (long i = 0; i < (long) rows * cols; i++) {
                            closeOrBothNaN(t.get(p1, i), t.get(p2, i), 4, "probability " + i + ", " + what);
                        }
                        for (int i = 0; i < rows; i++) {
                            closeOrBothNaN(t.get(l1, i), t.get(l2, i), 8, "loss " + i + ", " + what);
                        }
                    }
                    MemorySegment p3 = arena.allocate(z.byteSize(), 8);
                    nat.softmax(t, rows, cols, z, p3);
                    assertThat(p3.mismatch(p1)).as("softmax equals the cross-entropy's probabilities, " + what)
                            .isEqualTo(-1L);
                }
            }
        }
    }

    /**
     * Rows of up to 1,024 columns go four to a vector on AVX2 ({@code native/src/fm_softmax_avx2.inc}), a row alone
     * through the blocks of {@code FM(softmax_rows_blocks)}: the two give the same bits, in both dtypes, for every
     * width from 1 to 1,024 columns (the widest the vector method takes) and one past it, row counts that leave a partial group, and
     * rows the vector method hands back (a NaN, a row of signed zeros, a maximum of -0, infinities) among ordinary
     * ones. Run again with the AVX-512 kernels stepped aside, so that the vector method is tested on AVX-512 CPUs
     * too (it runs where the CPU has AVX2 but not AVX-512).
     */
    @ParameterizedTest(name = "without AVX-512: {0}")
    @ValueSource(booleans = {false, true})
    void rowsTogetherGiveTheBitsOfEachRowAlone(boolean withoutAvx512) {
        if (withoutAvx512) {
            CKernels.withoutAvx512(() -> rowsTogetherGiveTheBitsOfEachRowAlone(false));
            return;
        }
        NativeBackend nat = new CKernelBackend();
        nat.setThreads(1);
        SplittableRandom r = new SplittableRandom(23);
        for (DType t : DType.values()) {
            for (int cols : new int[] {1, 2, 3, 5, 10, 16, 33, 100, 1024, 1025}) {
                for (int rows : new int[] {4, 7, 70, 131}) {
                    long n = (long) rows * cols;
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment z = arena.allocate(n * t.byteSize(), 8);
                        MemorySegment labels = arena.allocate(4L * rows, 4);
                        for (long i = 0; i < n; i++) {
                            t.set(z, i, i % 53 == 0 ? r.nextDouble(-700, 700) : r.nextDouble(-20, 20));
                        }
                        for (int i = 0; i < rows; i++) {
                            labels.setAtIndex(ValueLayout.JAVA_INT, i, r.nextInt(cols));
                        }
                        if (rows > 4) { // special rows inside the second group and at its edge
                            int row = 5 + r.nextInt(rows - 5);
                            for (int c = 0; c < cols; c++) {
                                t.set(z, 5L * cols + c, c % 2 == 0 ? -0.0 : -1.0 - c);
                                t.set(z, (long) row * cols + c, c % 2 == 0 ? 0.0 : -0.0);
                            }
                            t.set(z, 6L * cols + cols / 2, Double.NaN);
                            t.set(z, (rows - 1L) * cols, Double.POSITIVE_INFINITY);
                            t.set(z, (rows - 2L) * cols + cols - 1, Double.NEGATIVE_INFINITY);
                        }
                        long es = t.byteSize();
                        MemorySegment p1 = arena.allocate(n * es, 8);
                        MemorySegment l1 = arena.allocate(rows * es, 8);
                        MemorySegment p2 = arena.allocate(n * es, 8);
                        MemorySegment l2 = arena.allocate(rows * es, 8);
                        MemorySegment l3 = arena.allocate(rows * es, 8);
                        nat.softmaxCrossEntropy(t, rows, cols, z, labels, l1, p1);
                        nat.crossEntropy(t, rows, cols, z, labels, l3);
                        for (int i = 0; i < rows; i++) {
                            nat.softmaxCrossEntropy(t, 1, cols, z.asSlice(i * cols * es), labels.asSlice(4L * i),
                                    l2.asSlice(i * es), p2.asSlice(i * cols * es));
                        }
                        String what = t + " " + rows + "x" + cols;
                        assertThat(p1.mismatch(p2)).as("probabilities " + what).isEqualTo(-1L);
                        assertThat(l1.mismatch(l2)).as("losses " + what).isEqualTo(-1L);
                        assertThat(l3.mismatch(l2)).as("losses alone " + what).isEqualTo(-1L);
                    }
                }
            }
        }
    }
}
