package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.flatminima.kernels.ffm.OpenBlas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Backend#syrk} on every backend (and through {@link CheckedBackend}) in both dtypes, against a product
 * computed here in double precision: the upper triangle within a bound that grows with k, the strictly lower
 * triangle and the padding of C untouched to the bit, and, at beta 0, a C full of NaN that must not be read.
 */
class SyrkTest {

    /** What C's strictly lower triangle and padding hold before the call, and must hold after it. */
    private static final double SENTINEL = -999.125;

    private static final int[] NS = {1, 2, 5, 17, 64, 196};
    private static final int[] KS = {0, 1, 3, 9, 64, 100, 288};
    private static final double[][] ALPHA_BETA = {{1, 0}, {1, 1}, {1, 0.25}, {-0.5, 0}, {-0.5, 1}, {-0.5, 0.25}};

    static Stream<Arguments> backends() {
        List<Arguments> all = new ArrayList<>();
        for (String b : List.of("scalar", "vector", "native", "checked native")) {
            for (DType t : DType.values()) {
                all.add(Arguments.of(b, t));
            }
        }
        return all.stream();
    }

    private static Backend backend(String name) {
        if (name.startsWith("checked ")) {
            return CheckedBackend.wrap(backend(name.substring("checked ".length())));
        }
        if (name.equals("scalar")) {
            return new ScalarBackend();
        }
        Backend b = ParityTest.backendOrSkip(name);
        if (name.equals("native")) {
            assertThat(OpenBlas.hasSyrk()).as("cblas_?syrk in " + OpenBlas.library()).isTrue();
        }
        return b;
    }

    /** One call's operands: A and C's starting values with their leading dimensions. */
    private record Operands(DType t, boolean trans, int n, int k, MemorySegment a, int lda, MemorySegment c0,
                            int ldc) {

        /** Random A in [-1, 1); C's upper triangle random (NaN when beta is 0), the rest {@link #SENTINEL}. */
        static Operands of(Arena arena, DType t, boolean trans, int n, int k, double beta, int padA, int padC,
                           SplittableRandom r) {
            int rows = trans ? k : n;
            int lda = Math.max(1, trans ? n : k) + padA;
            MemorySegment a = arena.allocate(Math.max(1L, (long) rows * lda) * t.byteSize(), 64);
            for (long i = 0; i < (long) rows * lda; i++) {
                t.set(a, i, r.nextDouble(-1, 1));
            }
            int ldc = n + padC;
            MemorySegment c0 = arena.allocate((long) n * ldc * t.byteSize(), 64);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < ldc; j++) {
                    double v = j < i || j >= n ? SENTINEL : beta == 0 ? Double.NaN : r.nextDouble(-1, 1);
                    t.set(c0, (long) i * ldc + j, v);
                }
            }
            return new Operands(t, trans, n, k, a, lda, c0, ldc);
        }

        /** {@code op(A)} as read from storage, n x k, in double. */
        double[][] opA() {
            double[][] x = new double[n][k];
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < k; p++) {
                    x[i][p] = t.get(a, trans ? (long) p * lda + i : (long) i * lda + p);
                }
            }
            return x;
        }

        /** A fresh copy of C's starting values, run through {@code b.syrk}. */
        MemorySegment run(Arena arena, Backend b, double alpha, double beta) {
            MemorySegment c = arena.allocate(c0.byteSize(), 64).copyFrom(c0);
            b.syrk(t, trans, n, k, alpha, a, lda, beta, c, ldc);
            return c;
        }

        /**
         * The first way {@code got} differs from {@code alpha op(A) op(A)^T + beta C0} on the upper triangle (beyond
         * {@code 4 max(k, 1) eps (|alpha| sum_p |x_ip x_jp| + |beta c_ij|)}) or from C0 elsewhere (any bit), or
         * null when it does not.
         */
        String firstError(MemorySegment got, double alpha, double beta) {
            double[][] x = opA();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < ldc; j++) {
                    long ci = (long) i * ldc + j;
                    double g = t.get(got, ci);
                    if (j < i || j >= n) {
                        if (Double.doubleToRawLongBits(g) != Double.doubleToRawLongBits(t.get(c0, ci))) {
                            return "C[" + i + "," + j + "] outside the upper triangle changed to " + g;
                        }
                        continue;
                    }
                    double s = 0;
                    double scale = 0;
                    for (int p = 0; p < k; p++) {
                        s += x[i][p] * x[j][p];
                        scale += Math.abs(x[i][p] * x[j][p]);
                    }
                    double prior = beta == 0 ? 0 : beta * t.get(c0, ci);
                    double want = alpha * s + prior;
                    double tol = 4 * Math.max(k, 1) * t.epsilon() * (Math.abs(alpha) * scale + Math.abs(prior));
                    if (!(Math.abs(g - want) <= tol)) {
                        return "C[" + i + "," + j + "] = " + g + ", want " + want + " +- " + tol;
                    }
                }
            }
            return null;
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void matchesTheProductInDoubleOverTheUpperTriangleOnly(String name, DType t) {
        Backend b = backend(name);
        SplittableRandom r = new SplittableRandom(20260101);
        int cases = 0;
        for (int n : NS) {
            for (int k : KS) {
                for (boolean trans : new boolean[] {false, true}) {
                    for (int ab = 0; ab < ALPHA_BETA.length; ab++) {
                        double alpha = ALPHA_BETA[ab][0];
                        double beta = ALPHA_BETA[ab][1];
                        // every shape with and without padded leading dimensions
                        int padA = ab % 2 == 1 ? 3 : 0;
                        int padC = ab % 3 == 1 ? 2 : 0;
                        try (Arena arena = Arena.ofShared()) {
                            Operands o = Operands.of(arena, t, trans, n, k, beta, padA, padC, r);
                            MemorySegment got = o.run(arena, b, alpha, beta);
                            assertThat(o.firstError(got, alpha, beta)).as("%s %s n=%d k=%d trans=%b alpha=%s "
                                    + "beta=%s lda=%d ldc=%d", name, t, n, k, trans, alpha, beta, o.lda(), o.ldc())
                                    .isNull();
                        }
                        cases++;
                    }
                }
            }
        }
        assertThat(cases).isEqualTo(NS.length * KS.length * 2 * ALPHA_BETA.length);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void smallKnownValues(String name, DType t) {
        Backend b = backend(name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4L * t.byteSize(), 8);
            double[] av = {1, 2, 3, 4}; // [[1, 2], [3, 4]]
            for (int i = 0; i < 4; i++) {
                t.set(a, i, av[i]);
            }
            // A A^T = [[5, 11], [11, 25]]; A^T A = [[10, 14], [14, 20]]; C = [[1, 1], [SENTINEL, 1]], beta 2
            double[][] want = {{5 + 2, 11 + 2, SENTINEL, 25 + 2}, {10 + 2, 14 + 2, SENTINEL, 20 + 2}};
            for (int trans = 0; trans < 2; trans++) {
                MemorySegment c = arena.allocate(4L * t.byteSize(), 8);
                double[] cv = {1, 1, SENTINEL, 1};
                for (int i = 0; i < 4; i++) {
                    t.set(c, i, cv[i]);
                }
                b.syrk(t, trans == 1, 2, 2, 1, a, 2, 2, c, 2);
                for (int i = 0; i < 4; i++) {
                    assertThat(t.get(c, i)).as("trans=%d C[%d]", trans, i).isEqualTo(want[trans][i]);
                }
            }
        }
    }

    /** Per-sample Gram matrices as the engine computes them: one call per sample, inside parts. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void manyCallsInsideParts(String name, DType t) {
        Backend b = backend(name);
        int samples = 12;
        try (Arena arena = Arena.ofShared()) {
            List<Operands> ops = new ArrayList<>();
            List<MemorySegment> cs = new ArrayList<>();
            SplittableRandom r = new SplittableRandom(7);
            for (int s = 0; s < samples; s++) {
                Operands o = Operands.of(arena, t, s % 2 == 1, 196, s % 3 == 0 ? 64 : 100, s % 4 < 2 ? 0 : 1, 0, 0,
                        r);
                ops.add(o);
                cs.add(arena.allocate(o.c0().byteSize(), 64).copyFrom(o.c0()));
            }
            b.runParts(samples, s -> {
                Operands o = ops.get(s);
                b.syrk(t, o.trans(), o.n(), o.k(), 1, o.a(), o.lda(), s % 4 < 2 ? 0 : 1, cs.get(s), o.ldc());
            });
            for (int s = 0; s < samples; s++) {
                assertThat(ops.get(s).firstError(cs.get(s), 1, s % 4 < 2 ? 0 : 1)).as("sample %d", s).isNull();
            }
        }
    }

    @Test
    void nativeSyrkAgreesWithItsOwnGemmOnTheUpperTriangle() {
        Backend b = backend("native");
        for (DType t : DType.values()) {
            for (boolean trans : new boolean[] {false, true}) {
                int n = 196;
                int k = 64;
                try (Arena arena = Arena.ofShared()) {
                    Operands o = Operands.of(arena, t, trans, n, k, 0, 0, 0, new SplittableRandom(3));
                    MemorySegment viaSyrk = o.run(arena, b, -0.5, 0);
                    MemorySegment viaGemm = arena.allocate(o.c0().byteSize(), 64);
                    b.gemm(t, trans, !trans, n, n, k, -0.5, o.a(), o.lda(), o.a(), o.lda(), 0, viaGemm, n);
                    double[][] x = o.opA();
                    for (int i = 0; i < n; i++) {
                        for (int j = i; j < n; j++) {
                            double scale = 0;
                            for (int p = 0; p < k; p++) {
                                scale += Math.abs(x[i][p] * x[j][p]);
                            }
                            double tol = 4 * k * t.epsilon() * 0.5 * scale;
                            assertThat(t.get(viaSyrk, (long) i * n + j)).as("%s trans=%b C[%d,%d]", t, trans, i, j)
                                    .isCloseTo(t.get(viaGemm, (long) i * n + j), Offset.offset(tol));
                        }
                    }
                }
            }
        }
    }

    @Test
    void checkedBackendNamesWhatIsWrong() {
        Backend b = CheckedBackend.wrap(new ScalarBackend());
        DType t = DType.F64;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(3 * 4 * 8L, 8);
            MemorySegment c = arena.allocate(3 * 3 * 8L, 8);
            // op(A) is 3 x 4: A 3 x 4 needs lda >= 4; transposed, A is 4 x 3 and needs lda >= 3
            assertThatThrownBy(() -> b.syrk(t, false, 3, 4, 1, a, 3, 0, c, 3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("syrk: lda = 3 < 4");
            assertThatThrownBy(() -> b.syrk(t, true, 3, 4, 1, a, 2, 0, c, 3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("syrk: lda = 2 < 3");
            assertThatThrownBy(() -> b.syrk(t, false, 3, 4, 1, a, 4, 0, c, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("syrk: ldc = 2 < 3");
            assertThatThrownBy(() -> b.syrk(t, false, -1, 4, 1, a, 4, 0, c, 3))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("syrk: argument 'n' is negative (-1)");
            // lda 5 over 3 rows: 2 * 5 + 4 = 14 elements, A holds 12
            assertThatThrownBy(() -> b.syrk(t, false, 3, 4, 1, a, 5, 0, c, 3))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("syrk: argument 'a' holds 12 elements but 14 are needed");
            // ldc 4 over 3 rows: 2 * 4 + 3 = 11 elements, C holds 9
            assertThatThrownBy(() -> b.syrk(t, false, 3, 4, 1, a, 4, 0, c, 4))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("syrk: argument 'c' holds 9 elements but 11 are needed");
            // the smallest valid call passes
            b.syrk(t, true, 3, 4, 1, a, 3, 0, c, 3);
        }
    }
}
