package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * Helpers shared by the parity tests: buffers, random inputs and size-aware comparisons against the scalar
 * oracle.
 */
public final class ParityTest {
    private ParityTest() {
    }

    /** Awkward sizes: around and between vector lengths and tile sizes. */
    static final int[] SIZES = {1, 2, 7, 13, 31, 64, 127, 1000, 4098};

    /**
     * The named backend, or a skipped test with the reason. Under CI (environment CI=true) a backend that
     * cannot run is a failure, so a broken install cannot pass by skipping.
     */
    public static Backend backendOrSkip(String name) {
        Backends.Status s = Backends.probe(name);
        if (!s.available() && "true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("backend " + name + " must run under CI but is unavailable: " + s.reason());
        }
        Assumptions.assumeTrue(s.available(), () -> "backend " + name + " unavailable: " + s.reason());
        return s.backend();
    }

    static MemorySegment alloc(Arena arena, DType t, long n) {
        return arena.allocate(Math.max(1, n) * t.byteSize(), 64);
    }

    static MemorySegment ints(Arena arena, int... v) {
        MemorySegment s = arena.allocate(Math.max(1, v.length) * 4L, 64);
        for (int i = 0; i < v.length; i++) {
            s.setAtIndex(ValueLayout.JAVA_INT, i, v[i]);
        }
        return s;
    }

    static MemorySegment random(Arena arena, DType t, long n, SplittableRandom rnd, double lo, double hi) {
        MemorySegment s = alloc(arena, t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, lo + (hi - lo) * rnd.nextDouble());
        }
        return s;
    }

    static MemorySegment copyOf(Arena arena, DType t, MemorySegment src, long n) {
        MemorySegment s = alloc(arena, t, n);
        MemorySegment.copy(src, 0, s, 0, n * t.byteSize());
        return s;
    }

    /** A new segment holding {@code |src[i]|} for {@code i < n}: the magnitudes that scale error bounds. */
    static MemorySegment absOf(Arena arena, DType t, MemorySegment src, long n) {
        MemorySegment s = alloc(arena, t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, Math.abs(t.get(src, i)));
        }
        return s;
    }

    static double[] read(DType t, MemorySegment s, long n) {
        double[] d = new double[(int) n];
        for (int i = 0; i < n; i++) {
            d[i] = t.get(s, i);
        }
        return d;
    }

    static int[] readInts(MemorySegment s, long n) {
        int[] d = new int[(int) n];
        for (int i = 0; i < n; i++) {
            d[i] = s.getAtIndex(ValueLayout.JAVA_INT, i);
        }
        return d;
    }

    /**
     * Asserts {@code |actual - expected| <= relTol * scale[i] + absTol} elementwise, where scale is the
     * magnitude that bounds the rounding error (|expected| for pointwise ops, a sum of |terms| for reductions).
     */
    static void assertClose(String what, double[] actual, double[] expected, double[] scale,
                            double relTol, double absTol) {
        assertThat(actual.length).as(what + ": length").isEqualTo(expected.length);
        for (int i = 0; i < actual.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (Double.isNaN(e) || Double.isInfinite(e)) {
                assertThat(a).as(what + " [" + i + "]").isEqualTo(e);
                continue;
            }
            double tol = relTol * (scale == null ? Math.abs(e) : scale[i]) + absTol;
            if (!(Math.abs(a - e) <= tol)) {
                fail(what + " differs at " + i + ": expected " + e + " but was " + a + " (tolerance " + tol + ")");
            }
        }
    }
}
