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

/**
 * The float softmax kernels' vector exp ({@code fm_exp_avx512}, AVX-512): within 2 ulps of {@link StrictMath#exp}
 * over the whole range of finite results, the special values, and the softmax with cross-entropy built on it:
 * float results equal to the scalar oracle's to the bit at W1's shape, across blocks of rows and for rows wider
 * than a block.
 */
class VectorExpTest {

    @BeforeAll
    static void needsTheKernels() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(CKernels.fewColumnsSupported(), "this CPU has no AVX-512");
    }

    /** Bits apart of two non-negative doubles (their bit patterns are ordered as the values). */
    private static long ulps(double a, double b) {
        return Math.abs(Double.doubleToRawLongBits(a) - Double.doubleToRawLongBits(b));
    }

    @Test
    void within2UlpsOfStrictMathOverTheWholeRange() {
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
        assertThat(CKernels.vectorExp(v)).isTrue();
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

    @Test
    void specialValues() {
        double[] x = {Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 0.0, -0.0, 1.0, -1.0,
            709.78, 709.79, 800, -745.0, -745.2, -746.5, -1e300, 1e-300, Math.log(2)};
        double[] v = x.clone();
        assertThat(CKernels.vectorExp(v)).isTrue();
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

    /**
     * Float softmax with cross-entropy equals the scalar oracle's (Math.exp in double, rounded once) to the bit:
     * both exps are within 2 ulps of double, so their floats differ only for a result that close to a tie
     * between two floats (about 1 in 2^28), which these fixed inputs do not hit. Doubles keep libm's exp: within
     * a few ulps of the oracle's.
     */
    @Test
    void softmaxWithCrossEntropyMatchesTheOracle() {
        NativeBackend nat = new CKernelBackend();
        nat.setThreads(1);
        ScalarBackend ref = new ScalarBackend();
        SplittableRandom r = new SplittableRandom(11);
        for (DType t : DType.values()) {
            for (int[] shape : new int[][] {{1000, 10}, {257, 37}, {3, 1500}}) {
                int rows = shape[0];
                int cols = shape[1];
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment z = arena.allocate((long) rows * cols * t.byteSize(), 8);
                    MemorySegment labels = arena.allocate(4L * rows, 4);
                    for (long i = 0; i < (long) rows * cols; i++) {
                        t.set(z, i, i % 97 == 0 ? r.nextDouble(-300, 300) : r.nextDouble(-30, 30));
                    }
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
                            assertThat(t.get(p1, i)).as("probability %d, %s", i, what)
                                    .isCloseTo(t.get(p2, i), Offset.offset(4 * Math.ulp(t.get(p2, i)) + 1e-300));
                        }
                        for (int i = 0; i < rows; i++) {
                            assertThat(t.get(l1, i)).as("loss %d, %s", i, what)
                                    .isCloseTo(t.get(l2, i), Offset.offset(8 * Math.ulp(Math.abs(t.get(l2, i))) + 1e-300));
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
}
