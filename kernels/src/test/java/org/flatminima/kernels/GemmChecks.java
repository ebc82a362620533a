package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;

/**
 * Checks shared by the GEMM tests of every layer: a product against the scalar oracle, and two products against
 * each other to the bit, on operands with padded leading dimensions (C's padding must stay untouched) and, at
 * beta 0, a C partly filled with NaN (which must not be read).
 */
public final class GemmChecks {

    /** {@code C = alpha op(A) op(B) + beta C}, row-major, sizes and strides in elements: Backend::gemm's shape. */
    @FunctionalInterface
    public interface Product {
        void run(DType t, boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                 int lda, MemorySegment b, int ldb, double beta, MemorySegment c, int ldc);
    }

    private GemmChecks() {
    }

    /** n values uniform in [-1, 1). */
    public static MemorySegment random(Arena arena, DType t, long n, SplittableRandom r) {
        MemorySegment s = arena.allocate(n * t.byteSize(), t.byteSize());
        for (long i = 0; i < n; i++) {
            t.set(s, i, r.nextDouble(-1, 1));
        }
        return s;
    }

    /** The operands of one product: A, B and C's starting values, with their leading dimensions. */
    private record Operands(MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment c0, int ldc) {

        static Operands of(Arena arena, DType t, int m, int n, int k, boolean ta, boolean tb, double beta,
                           boolean padded) {
            SplittableRandom r = new SplittableRandom(31L * m + 17L * n + k);
            int lda = (ta ? m : k) + (padded ? 3 : 0);
            int ldb = (tb ? k : n) + (padded ? 1 : 0);
            int ldc = n + (padded ? 2 : 0);
            MemorySegment a = random(arena, t, (long) (ta ? k : m) * lda, r);
            MemorySegment b = random(arena, t, (long) (tb ? n : k) * ldb, r);
            MemorySegment c0 = random(arena, t, (long) m * ldc, r);
            if (beta == 0) {
                for (long i = 0; i < (long) m * ldc; i += 3) {
                    t.set(c0, i, Double.NaN);
                }
            }
            return new Operands(a, lda, b, ldb, c0, ldc);
        }

        MemorySegment run(Arena arena, Product p, DType t, int m, int n, int k, boolean ta, boolean tb, double alpha,
                          double beta) {
            MemorySegment c = arena.allocate(c0.byteSize(), t.byteSize()).copyFrom(c0);
            p.run(t, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return c;
        }
    }

    /**
     * For each type and shape ({@code {m, n, k, transA, transB}}): {@code backend}'s product against the oracle at
     * one thread, and at two and three threads to the bit against one call of {@code kernel} (whose bits the
     * backend's split among its threads must keep); the backend's thread count restored afterwards.
     */
    public static void threadsKeepTheBitsOf(Product kernel, Backend backend, int[][] shapes) {
        int before = backend.threads();
        try {
            for (DType t : DType.values()) {
                for (int[] s : shapes) {
                    matchesOracle(backend::gemm, t, s[0], s[1], s[2], s[3] == 1, s[4] == 1, 1.0, 0.5);
                    for (int threads : new int[] {2, 3}) {
                        backend.setThreads(threads);
                        sameBits(kernel, backend::gemm, t, s[0], s[1], s[2], s[3] == 1, s[4] == 1, 1.0, 0.5, false,
                                "one call against " + threads + " threads");
                    }
                    backend.setThreads(1);
                }
            }
        } finally {
            backend.setThreads(before);
        }
    }

    /** {@code p}'s product (padded operands) against the scalar oracle, within a bound that grows with k. */
    public static void matchesOracle(Product p, DType t, int m, int n, int k, boolean ta, boolean tb, double alpha,
                                     double beta) {
        try (Arena arena = Arena.ofConfined()) {
            Operands o = Operands.of(arena, t, m, n, k, ta, tb, beta, true);
            MemorySegment got = o.run(arena, p, t, m, n, k, ta, tb, alpha, beta);
            MemorySegment want = o.run(arena, new ScalarBackend()::gemm, t, m, n, k, ta, tb, alpha, beta);
            double tol = 8 * t.epsilon() * (k + 2) * (Math.abs(alpha) + Math.abs(beta) + 1);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < o.ldc(); j++) {
                    long ci = (long) i * o.ldc() + j;
                    if (j >= n) {
                        assertThat(Double.doubleToRawLongBits(t.get(got, ci))).as("padding of C")
                                .isEqualTo(Double.doubleToRawLongBits(t.get(o.c0(), ci)));
                    } else {
                        assertThat(t.get(got, ci)).as("%s %dx%dx%d ta=%b tb=%b alpha=%s beta=%s C[%d,%d]", t, m, n, k,
                                ta, tb, alpha, beta, i, j).isCloseTo(t.get(want, ci), Offset.offset(tol));
                    }
                }
            }
        }
    }

    /**
     * {@code p} reads and writes nothing outside its operands: run with each of A, B and C exactly as long as its
     * last row reaches (padded leading dimensions) and placed against an inaccessible page ({@link GuardedMemory}),
     * after its last element and then before its first, it gives the bits it gives on the same values in ordinary
     * memory. A read or write past an operand stops the JVM (SIGSEGV) rather than failing an assertion.
     */
    public static void withinBounds(Product p, DType t, int m, int n, int k, boolean ta, boolean tb, double alpha,
                                    double beta) {
        try (Arena arena = Arena.ofConfined(); GuardedMemory guarded = new GuardedMemory()) {
            Operands o = Operands.of(arena, t, m, n, k, ta, tb, beta, true);
            MemorySegment want = o.run(arena, p, t, m, n, k, ta, tb, alpha, beta);
            long na = tight(ta ? k : m, ta ? m : k, o.lda()) * t.byteSize();
            long nb = tight(tb ? n : k, tb ? k : n, o.ldb()) * t.byteSize();
            long nc = tight(m, n, o.ldc()) * t.byteSize();
            for (boolean end : new boolean[] {true, false}) {
                MemorySegment a = (end ? guarded.atEnd(na) : guarded.atStart(na)).copyFrom(o.a().asSlice(0, na));
                MemorySegment b = (end ? guarded.atEnd(nb) : guarded.atStart(nb)).copyFrom(o.b().asSlice(0, nb));
                MemorySegment c = (end ? guarded.atEnd(nc) : guarded.atStart(nc)).copyFrom(o.c0().asSlice(0, nc));
                p.run(t, ta, tb, m, n, k, alpha, a, o.lda(), b, o.ldb(), beta, c, o.ldc());
                assertThat(c.mismatch(want.asSlice(0, nc))).as("%s %dx%dx%d ta=%b tb=%b, operands %s a guard page",
                        t, m, n, k, ta, tb, end ? "before" : "after").isEqualTo(-1L);
            }
        }
    }

    /** Elements from the first of {@code rows} rows of {@code cols} at stride {@code ld} to the last one's end. */
    private static long tight(int rows, int cols, int ld) {
        return (long) (rows - 1) * ld + cols;
    }

    /** {@code p} and {@code q} give the same bits on the same operands (padded or not, in a shared arena). */
    public static void sameBits(Product p, Product q, DType t, int m, int n, int k, boolean ta, boolean tb,
                                double alpha, double beta, boolean padded, String what) {
        try (Arena arena = Arena.ofShared()) {
            Operands o = Operands.of(arena, t, m, n, k, ta, tb, beta, padded);
            MemorySegment cp = o.run(arena, p, t, m, n, k, ta, tb, alpha, beta);
            MemorySegment cq = o.run(arena, q, t, m, n, k, ta, tb, alpha, beta);
            assertThat(cp.mismatch(cq)).as("%s: %s %dx%dx%d ta=%b tb=%b alpha=%s beta=%s", what, t, m, n, k, ta, tb,
                    alpha, beta).isEqualTo(-1L);
        }
    }
}
