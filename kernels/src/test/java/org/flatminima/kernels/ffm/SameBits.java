package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import org.flatminima.kernels.DType;

/**
 * Runs a kernel and its oracle into separate outputs and asserts the same bits, for the tests of the C library's
 * AVX-512 kernels ({@link PoolingKernelsTest}, {@link WinogradKernelsTest}): the kernel's output is followed by
 * {@link #GUARD} elements of garbage, which must stay as they were (the kernels store with masks).
 */
final class SameBits {
    /** Elements past an output that a kernel must not write. */
    static final int GUARD = 40;

    private final Arena arena;

    SameBits(Arena arena) {
        this.arena = arena;
    }

    /** The kernel's output (n elements of garbage, then the guard) against the oracle's: the same bits. */
    void outputs(DType t, long n, String what, Consumer<MemorySegment> kernel, Consumer<MemorySegment> oracle) {
        MemorySegment out = garbage(t, n + GUARD);
        MemorySegment before = copyOf(out);
        MemorySegment expected = alloc(t, n);
        kernel.accept(out);
        oracle.accept(expected);
        assertSameBits(t, out, expected, n, what);
        assertSameBits(t, out.asSlice(n * t.byteSize()), before.asSlice(n * t.byteSize()), GUARD, "past " + what);
    }

    /** Distinct values that no kernel computes, so an element left unwritten shows. */
    MemorySegment garbage(DType t, long n) {
        MemorySegment s = alloc(t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, 1000 + i);
        }
        return s;
    }

    MemorySegment alloc(DType t, long n) {
        return arena.allocate(Math.max(1, n) * t.byteSize(), 8);
    }

    MemorySegment copyOf(MemorySegment s) {
        return arena.allocate(s.byteSize(), 8).copyFrom(s);
    }

    /** The same value bits (any NaN matches any NaN). */
    static void assertSameBits(DType t, MemorySegment actual, MemorySegment expected, long n, String what) {
        for (long i = 0; i < n; i++) {
            double a = t.get(actual, i);
            double e = t.get(expected, i);
            boolean ok = Double.isNaN(e) ? Double.isNaN(a)
                    : Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(e);
            if (!ok) {
                fail("%s [%d]: expected %s but was %s", what, i, e, a);
            }
        }
    }
}
