package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Window2d;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The direct 3x3 convolutions for few input channels (native/src/fm_direct.inc, floats on AVX-512; the oracle's
 * loops elsewhere) against the oracle, which sums in double: over 1 to 3 channels, heights and widths from 1 to 32
 * (outputs up to the 32 a row of two vectors holds), paddings 0 to 2, with guard elements past the output (the
 * kernels store with masks) and a weight gradient added to what was there. Once with the C kernels and once
 * without, as {@link NativeKernelsTest}.
 */
class DirectConvKernelsTest extends SameBits {

    private static final int[] SIDES = {1, 2, 3, 5, 7, 14, 16, 17, 28, 30, 32};

    @Test
    void takesFloatThreeByThreeWindowsOfStrideOneWithFewChannels() {
        NativeBackend nat = NativeKernelsTest.backend(true);
        Window2d first = new Window2d(256, 1, 28, 28, 3, 3, 1, 1, 1, 1); // W3's first convolution
        boolean c = nat.usesCKernels() && CKernels.avx512Kernels();
        assertThat(nat.hasConv3x3Direct(DType.F32, first)).isEqualTo(c);
        assertThat(nat.hasConv3x3Direct(DType.F32, new Window2d(2, 7, 14, 14, 3, 3, 1, 1, 1, 1))).isEqualTo(c);
        assertThat(nat.hasConv3x3Direct(DType.F64, first)).isFalse();
        assertThat(nat.hasConv3x3Direct(DType.F32, new Window2d(2, 8, 14, 14, 3, 3, 1, 1, 1, 1))).isFalse();
        assertThat(nat.hasConv3x3Direct(DType.F32, new Window2d(2, 1, 28, 28, 3, 3, 2, 2, 1, 1))).isFalse();
        assertThat(nat.hasConv3x3Direct(DType.F32, new Window2d(2, 1, 28, 28, 5, 5, 1, 1, 2, 2))).isFalse();
        assertThat(nat.hasConv3x3Direct(DType.F32, new Window2d(2, 1, 28, 33, 3, 3, 1, 1, 1, 1))).isFalse();
        assertThat(ref.hasConv3x3Direct(DType.F32, first)).isFalse();
    }

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void forwardAndWeightGradientMatchTheOracle(DType t, boolean c) {
        NativeBackend nat = NativeKernelsTest.backend(c);
        int checked = 0;
        int direct = 0;
        for (int h : SIDES) {
            for (int w : SIDES) {
                for (int pad = 0; pad <= 2; pad++) {
                    if (h + 2 * pad < 3 || w + 2 * pad < 3 || w + 2 * pad - 2 > 32) {
                        continue;
                    }
                    int ch = 1 + checked % 3;
                    int cout = 1 + checked % 5;
                    Window2d g = new Window2d(1 + checked % 2, ch, h, w, 3, 3, 1, 1, pad, pad);
                    check(nat, t, g, cout);
                    checked++;
                    direct += nat.hasConv3x3Direct(t, g) ? 1 : 0;
                }
            }
        }
        assertThat(checked).isEqualTo(312);
        boolean fast = c && t == DType.F32 && CKernels.unavailableReason() == null && CKernels.avx512Kernels();
        assertThat(direct).as("windows on the C kernels").isEqualTo(fast ? checked : 0);
    }

    private void check(NativeBackend nat, DType t, Window2d g, int cout) {
        long yn = (long) g.n() * cout * g.outH() * g.outW();
        long wn = 9L * cout * g.c();
        MemorySegment x = values(t, g.n() * g.imageSize());
        MemorySegment w = values(t, wn);
        // forward: against the oracle, the guard past y untouched
        MemorySegment y = garbage(t, yn + GUARD);
        MemorySegment before = copyOf(y);
        MemorySegment want = alloc(t, yn);
        nat.conv3x3Direct(t, g, cout, x, w, y);
        ref.conv3x3Direct(t, g, cout, x, w, want);
        double tol = t == DType.F32 ? 1e-5 * 9 * g.c() : 1e-13;
        NativeKernelsTest.assertClose(t, y, want, yn, tol, "conv3x3Direct " + g + " cout " + cout);
        assertSameBits(t, y.asSlice(yn * t.byteSize()), before.asSlice(yn * t.byteSize()), GUARD, "past y " + g);
        // weight gradient: added to what gw held
        MemorySegment gy = values(t, yn);
        MemorySegment gw = values(t, wn);
        MemorySegment gwWant = copyOf(gw);
        nat.conv3x3DirectWeightGrad(t, g, cout, x, gy, gw);
        ref.conv3x3DirectWeightGrad(t, g, cout, x, gy, gwWant);
        double terms = (double) g.n() * g.outH() * g.outW();
        NativeKernelsTest.assertClose(t, gw, gwWant, wn, (t == DType.F32 ? 4e-7 : 1e-15) * Math.max(8, terms),
                "conv3x3DirectWeightGrad " + g + " cout " + cout);
    }

    /** Uniform in [-1, 1]. */
    private MemorySegment values(DType t, long n) {
        MemorySegment s = alloc(t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, 2 * rnd.nextDouble() - 1);
        }
        return s;
    }
}
