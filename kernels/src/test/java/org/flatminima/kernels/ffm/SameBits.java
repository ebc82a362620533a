package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GuardedMemory;
import org.flatminima.kernels.ScalarBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.provider.Arguments;

/**
 * What the tests of the C library's AVX-512 kernels against the scalar oracle share ({@link PoolingKernelsTest},
 * {@link WinogradKernelsTest}): the oracle, a seeded random source, an arena per test, the (dtype, C kernels on?)
 * cases of {@link NativeKernelsTest}, and running a kernel and the oracle into separate outputs to assert the same
 * bits, the kernel's output followed by {@link #GUARD} elements of garbage that must stay as they were (the kernels
 * store with masks); inputs ({@link #input}) that end where an inaccessible page begins, so that a kernel reading
 * past one stops the JVM (SIGSEGV) whatever the memory after it holds.
 */
abstract class SameBits {
    /** Elements past an output that a kernel must not write. */
    static final int GUARD = 40;

    final Backend ref = new ScalarBackend();
    final Random rnd = new Random(20261205);
    Arena arena;
    private GuardedMemory guarded;

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
        return NativeKernelsTest.cases();
    }

    /** The kernel's output (n elements of garbage, then the guard) against the oracle's: the same bits. */
    void sameOutputs(DType t, long n, String what, Consumer<MemorySegment> kernel, Consumer<MemorySegment> oracle) {
        MemorySegment out = garbage(t, n + GUARD);
        MemorySegment before = copyOf(out);
        MemorySegment expected = alloc(t, n);
        kernel.accept(out);
        oracle.accept(expected);
        assertSameBits(t, out, expected, n, what);
        assertSameBits(t, out.asSlice(n * t.byteSize()), before.asSlice(n * t.byteSize()), GUARD, "past " + what);
    }

    /**
     * {@code y[b][c][i] += bias[c]} in place over {@code images} images of {@code channels} planes of {@code plane}
     * values, each addition rounded to t: what a kernel that adds a bias after its sums must give.
     */
    static void addBias(DType t, MemorySegment y, long images, int channels, long plane, MemorySegment bias) {
        for (long b = 0; b < images; b++) {
            for (int c = 0; c < channels; c++) {
                double bc = t.get(bias, c);
                for (long i = 0, at = (b * channels + c) * plane; i < plane; i++, at++) {
                    t.set(y, at, t.get(y, at) + bc); // a float sum in double rounds as the float addition
                }
            }
        }
    }

    /** Distinct values that no kernel computes, so an element left unwritten shows. */
    MemorySegment garbage(DType t, long n) {
        MemorySegment s = alloc(t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, 1000 + i);
        }
        return s;
    }

    /** Room for n elements (zeros) of an input, ending against an inaccessible page where that can be had. */
    MemorySegment input(DType t, long n) {
        return guarded == null ? alloc(t, n) : guarded.atEnd(Math.max(1, n) * t.byteSize());
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
