package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Window2d;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The direct 3x3 convolutions for few input channels (native/src/fm_direct.inc and fm_direct_avx2.inc, floats on
 * AVX-512 or AVX2; the oracle's loops elsewhere) against the oracle, which sums in double: over 1 to 3 channels,
 * heights and widths from 1 to 32 (outputs up to the 32 a row of two 16-lane vectors holds), paddings 0 to 2, with
 * guard elements past the output (the kernels store with masks or in pieces) and a weight gradient added to what was
 * there. Once with the C kernels and once without, as {@link NativeKernelsTest}. And the C kernels to the bit
 * against their sums transcribed in Java ({@link DirectConvTranscription}), once as they run on this CPU and once
 * with the AVX-512 kernels stepped aside ({@link CKernels#withoutAvx512}), so that both vector lengths are held
 * to the same bits wherever the tests run.
 */
class DirectConvKernelsTest extends SameBits {

    private static final int[] SIDES = {1, 2, 3, 5, 7, 14, 16, 17, 24, 28, 30, 32};

    @Test
    void takesFloatThreeByThreeWindowsOfStrideOneWithFewChannels() {
        NativeBackend nat = NativeKernelsTest.backend(true);
        Window2d first = new Window2d(256, 1, 28, 28, 3, 3, 1, 1, 1, 1); // W3's first convolution
        boolean c = nat.usesCKernels() && (CKernels.avx512Kernels() || CKernels.avx2Kernels());
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
        int[] direct = {0};
        int checked = eachWindow((g, cout) -> {
            check(nat, t, g, cout);
            direct[0] += nat.hasConv3x3Direct(t, g) ? 1 : 0;
        });
        assertThat(checked).isEqualTo(376);
        boolean fast = c && t == DType.F32 && CKernels.unavailableReason() == null
                && (CKernels.avx512Kernels() || CKernels.avx2Kernels());
        assertThat(direct[0]).as("windows on the C kernels").isEqualTo(fast ? checked : 0);
    }

    @ParameterizedTest(name = "AVX-512 stepped aside: {0}")
    @ValueSource(booleans = {false, true})
    void theCKernelsHaveTheBitsOfTheirTranscription(boolean withoutAvx512) {
        NativeBackend nat = NativeKernelsTest.backend(true);
        Assumptions.assumeTrue(nat.hasConv3x3Direct(DType.F32, new Window2d(2, 1, 28, 28, 3, 3, 1, 1, 1, 1)),
                "no direct kernels on this machine");
        Runnable all = () -> assertThat(eachWindow((g, cout) -> {
            sameBitsAsTranscribed(nat, g, cout, false);
            sameBitsAsTranscribed(nat, g, cout, true);
        })).isEqualTo(376);
        if (withoutAvx512) {
            CKernels.withoutAvx512(all);
        } else {
            all.run();
        }
    }

    /** Every window of the tests (1 to 3 channels, sides {@link #SIDES}, paddings 0 to 2, 1 to 5 outputs). */
    private static int eachWindow(BiConsumer<Window2d, Integer> body) {
        int checked = 0;
        for (int h : SIDES) {
            for (int w : SIDES) {
                for (int pad = 0; pad <= 2; pad++) {
                    if (h + 2 * pad < 3 || w + 2 * pad < 3 || w + 2 * pad - 2 > 32) {
                        continue;
                    }
                    body.accept(new Window2d(1 + checked % 2, 1 + checked % 3, h, w, 3, 3, 1, 1, pad, pad),
                            1 + checked % 5);
                    checked++;
                }
            }
        }
        return checked;
    }

    /**
     * With {@code infinities}, x's last column of the first row and gy's first element of the second plane are
     * infinite: values a kernel reads into lanes past a row (the first for a tap of that row that no output uses, the
     * second past the end of the first plane's rows) must not reach a sum as {@code 0 * inf}.
     */
    private void sameBitsAsTranscribed(NativeBackend nat, Window2d g, int cout, boolean infinities) {
        DType t = DType.F32;
        long yn = (long) g.n() * cout * g.outH() * g.outW();
        long wn = 9L * cout * g.c();
        MemorySegment x = values(t, g.n() * g.imageSize());
        if (infinities) {
            t.set(x, g.w() - 1, Double.POSITIVE_INFINITY);
        }
        MemorySegment w = values(t, wn);
        MemorySegment y = garbage(t, yn);
        nat.conv3x3Direct(t, g, cout, x, w, null, y);
        MemorySegment want = floats(DirectConvTranscription.forward(g, cout, x, w));
        assertSameBits(t, y, want, yn, "conv3x3Direct " + g);
        MemorySegment bias = bias(t, cout); // with a bias: the sums, then the bias added
        addBias(t, want, g.n(), cout, (long) g.outH() * g.outW(), bias);
        nat.conv3x3Direct(t, g, cout, x, w, bias, y);
        assertSameBits(t, y, want, yn, "conv3x3Direct with a bias " + g);
        MemorySegment gy = values(t, yn);
        if (infinities && yn > (long) g.outH() * g.outW()) {
            t.set(gy, (long) g.outH() * g.outW(), Double.NEGATIVE_INFINITY);
        }
        MemorySegment gw = values(t, wn);
        float[] gw0 = gw.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        nat.conv3x3DirectWeightGrad(t, g, cout, x, gy, gw);
        assertSameBits(t, gw, floats(DirectConvTranscription.weightGrad(g, cout, x, gy, gw0)), wn,
                "conv3x3DirectWeightGrad " + g + " cout " + cout);
    }

    private MemorySegment floats(float[] v) {
        return arena.allocate(Math.max(1, v.length) * 4L, 8).copyFrom(MemorySegment.ofArray(v));
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
        nat.conv3x3Direct(t, g, cout, x, w, null, y);
        ref.conv3x3Direct(t, g, cout, x, w, null, want);
        double tol = t == DType.F32 ? 1e-5 * 9 * g.c() : 1e-13;
        NativeKernelsTest.assertClose(t, y, want, yn, tol, "conv3x3Direct " + g + " cout " + cout);
        assertSameBits(t, y.asSlice(yn * t.byteSize()), before.asSlice(yn * t.byteSize()), GUARD, "past y " + g);
        // with a bias: each backend's sums, then the bias added, to the bit; the guard past y untouched
        MemorySegment bias = bias(t, cout);
        long plane = (long) g.outH() * g.outW();
        MemorySegment thenAdded = copyOf(y);
        addBias(t, thenAdded, g.n(), cout, plane, bias);
        nat.conv3x3Direct(t, g, cout, x, w, bias, y);
        assertSameBits(t, y, thenAdded, yn, "conv3x3Direct with a bias " + g + " cout " + cout);
        assertSameBits(t, y.asSlice(yn * t.byteSize()), before.asSlice(yn * t.byteSize()), GUARD, "past y " + g);
        addBias(t, want, g.n(), cout, plane, bias);
        MemorySegment oracle = alloc(t, yn);
        ref.conv3x3Direct(t, g, cout, x, w, bias, oracle);
        assertSameBits(t, oracle, want, yn, "the oracle's conv3x3Direct with a bias " + g);
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
    /** A bias of random values but for a -0 and a +0 first (where the sums' zeros show their signs). */
    private MemorySegment bias(DType t, int cout) {
        MemorySegment b = values(t, cout);
        t.set(b, 0, -0.0);
        if (cout > 1) {
            t.set(b, 1, 0.0);
        }
        return b;
    }

    private MemorySegment values(DType t, long n) {
        MemorySegment s = input(t, n);
        for (long i = 0; i < n; i++) {
            t.set(s, i, 2 * rnd.nextDouble() - 1);
        }
        return s;
    }
}
