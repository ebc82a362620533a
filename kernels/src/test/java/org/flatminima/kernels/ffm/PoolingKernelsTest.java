package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Window2d;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Max pooling with 2x2 windows of stride 2, the convolutional networks' case, whose forward (and, for floats,
 * backward) the C library runs on AVX-512 vectors where the CPU has them (native/src/fm_pool.inc), the forward of
 * floats on AVX2 vectors where it has those but not AVX-512 (native/src/fm_pool_avx2.inc), and with scalar
 * code elsewhere: against the scalar oracle bit for bit (values by their raw bits, so signed zeros count; indices
 * exactly), over widths on both sides of a vector's worth of windows (16 floats, 8 doubles), odd heights and widths
 * (a last row or column in no window), and inputs with ties (a ReLU's zeros, small integers), NaNs and negative
 * zeros; with elements past the outputs that must stay as they were (the kernels store with masks). The gather (a
 * routing's values, which the C library runs on AVX-512 for every window) likewise, also at indices of -1. Once
 * with the C kernels and once without (the Java fallback), as {@link NativeKernelsTest}, and once with the AVX-512
 * kernels stepped aside ({@link CKernels#withoutAvx512}), so that the AVX2 ones are tested on AVX-512 CPUs too. And a
 * ReLU after the pooling ({@code maxPool2dRelu}), whose routing is -1 where it gives 0, with the backward of that.
 */
class PoolingKernelsTest extends SameBits {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    /** Heights and widths: one window, odd and even, and around 8, 16 and 32 windows per row. */
    private static final int[] SIDES = {2, 3, 5, 6, 14, 15, 16, 17, 18, 28, 31, 32, 33, 34, 35, 64, 67};

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void twoByTwoWindowsMatchTheOracleBitForBit(DType t, boolean c) {
        allTwoByTwoWindows(NativeKernelsTest.backend(c), t);
    }

    /** The same with the AVX-512 kernels stepped aside, so that the AVX2 ones run on an AVX-512 CPU too. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void theAvx2KernelsMatchTheOracleOnAnyCpu(DType t) {
        NativeBackend nat = NativeKernelsTest.backend(true);
        CKernels.withoutAvx512(() -> allTwoByTwoWindows(nat, t));
    }

    /** The switch the test above uses does step the AVX-512 kernels aside, and back. */
    @Test
    void theSwitchStepsTheAvx512KernelsAsideAndBack() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        boolean[] inside = {true};
        CKernels.withoutAvx512(() -> inside[0] = CKernels.avx512RunsNow());
        assertThat(inside[0]).isFalse();
        assertThat(CKernels.avx512RunsNow()).isEqualTo(CKernels.avx512Kernels());
    }

    private void allTwoByTwoWindows(NativeBackend nat, DType t) {
        int checked = 0;
        for (int h : SIDES) {
            for (int w : SIDES) {
                for (int kind = 0; kind < 3; kind++) {
                    check(nat, t, new Window2d(2, 3, h, w, 2, 2, 2, 2, 0, 0), kind);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(SIDES.length * SIDES.length * 3);
    }

    private void check(NativeBackend nat, DType t, Window2d g, int kind) {
        long xn = g.n() * g.imageSize();
        long yn = (long) g.n() * g.c() * g.outH() * g.outW();
        String what = g + " kind " + kind;
        MemorySegment x = values(t, xn, kind);

        MemorySegment y1 = garbage(t, yn + GUARD);
        MemorySegment y0 = copyOf(y1);
        MemorySegment a1 = arena.allocate((yn + GUARD) * 4, 4);
        for (long i = 0; i < yn + GUARD; i++) {
            a1.setAtIndex(INT, i, -7);
        }
        MemorySegment y2 = alloc(t, yn);
        MemorySegment a2 = arena.allocate(Math.max(1, yn) * 4, 4);
        nat.maxPool2d(t, g, x, y1, a1);
        ref.maxPool2d(t, g, x, y2, a2);
        assertSameBits(t, y1, y2, yn, "maxPool " + what);
        for (long i = 0; i < yn; i++) {
            assertThat(a1.getAtIndex(INT, i)).as("argmax %s [%d]", what, i).isEqualTo(a2.getAtIndex(INT, i));
        }
        assertSameBits(t, y1.asSlice(yn * t.byteSize()), y0.asSlice(yn * t.byteSize()), GUARD, "past y " + what);
        for (long i = yn; i < yn + GUARD; i++) {
            assertThat(a1.getAtIndex(INT, i)).as("past argmax %s [%d]", what, i).isEqualTo(-7);
        }

        gather(nat, t, g, a2, what);

        MemorySegment gy = values(t, yn, 2);
        sameOutputs(t, xn, "maxPool backward " + what, gx -> nat.maxPool2dBackward(t, g, gy, a2, gx),
                gx -> ref.maxPool2dBackward(t, g, gy, a2, gx));
        reluAfter(nat, t, g, x, y2, a2, what);
    }

    /**
     * {@code maxPool2dRelu}: the pooled values' ReLU (+0 for negatives, zeros and NaNs) and the routing with -1 where
     * it gives 0, computed here from the plain pooling; then the backward of that routing (the 2x2 kernels' windows
     * that route nowhere) against the oracle's.
     */
    private void reluAfter(NativeBackend nat, DType t, Window2d g, MemorySegment x, MemorySegment pooled,
            MemorySegment routing, String what) {
        long xn = g.n() * g.imageSize();
        long yn = (long) g.n() * g.c() * g.outH() * g.outW();
        MemorySegment expected = alloc(t, yn);
        int[] argmax = new int[(int) yn];
        for (long i = 0; i < yn; i++) {
            double v = t.get(pooled, i);
            t.set(expected, i, v > 0 ? v : 0.0);
            argmax[(int) i] = v > 0 ? routing.getAtIndex(INT, i) : -1;
        }
        MemorySegment y = alloc(t, yn);
        MemorySegment a = arena.allocate(Math.max(1, yn) * 4, 4);
        nat.maxPool2dRelu(t, g, x, y, a);
        assertSameBits(t, y, expected, yn, "maxPool relu " + what);
        for (long i = 0; i < yn; i++) {
            assertThat(a.getAtIndex(INT, i)).as("relu argmax %s [%d]", what, i).isEqualTo(argmax[(int) i]);
        }
        MemorySegment values = alloc(t, yn);
        nat.maxPool2dRelu(t, g, x, values, null);
        assertSameBits(t, values, expected, yn, "maxPool relu values " + what);
        MemorySegment gy = values(t, yn, 2);
        sameOutputs(t, xn, "maxPool relu backward " + what, gx -> nat.maxPool2dBackward(t, g, gy, a, gx),
                gx -> ref.maxPool2dBackward(t, g, gy, a, gx));
    }

    /** The gather (the tangent of a max pooling) at any index of its plane, and 0 at -1, for any window. */
    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void gatherTakesAnyIndexOfItsPlane(DType t, boolean c) {
        NativeBackend nat = NativeKernelsTest.backend(c);
        Window2d[] windows = {
            new Window2d(2, 3, 28, 28, 3, 3, 2, 2, 1, 1),
            new Window2d(1, 2, 9, 33, 3, 3, 1, 1, 1, 1),
            new Window2d(3, 1, 17, 6, 5, 4, 3, 2, 2, 1),
            new Window2d(2, 2, 15, 35, 2, 2, 2, 2, 0, 0),
        };
        for (Window2d g : windows) {
            long yn = (long) g.n() * g.c() * g.outH() * g.outW();
            int plane = g.h() * g.w();
            MemorySegment argmax = arena.allocate(yn * 4, 4);
            for (long i = 0; i < yn; i++) {
                argmax.setAtIndex(INT, i, rnd.nextInt(9) == 0 ? -1 : rnd.nextInt(plane));
            }
            gather(nat, t, g, argmax, g.toString());
        }
    }

    private void gather(NativeBackend nat, DType t, Window2d g, MemorySegment argmax, String what) {
        long xn = g.n() * g.imageSize();
        long yn = (long) g.n() * g.c() * g.outH() * g.outW();
        MemorySegment x = values(t, xn, 2);
        sameOutputs(t, yn, "maxPool gather " + what, y -> nat.maxPool2dGather(t, g, x, argmax, y),
                y -> ref.maxPool2dGather(t, g, x, argmax, y));
    }

    /**
     * The gated channel sum (a ReLU-gated bias gradient), over planes around the 16 running sums' width, against the
     * oracle bit for bit (the C loop's order is the oracle's), and against a sum in double to rounding; gates with
     * NaNs, zeros and negative zeros (all shut), and infinities in a under shut gates (never added).
     */
    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void gatedChannelSumsMatchTheOracleBitForBit(DType t, boolean c) {
        NativeBackend nat = NativeKernelsTest.backend(c);
        int[][] shapes = {{1, 1, 1}, {3, 2, 15}, {2, 3, 16}, {4, 5, 17}, {7, 32, 49}, {5, 8, 196}, {2, 3, 33},
            {2, 70, 9}, {3, 130, 20}};
        for (int[] sh : shapes) {
            int n = sh[0];
            int ch = sh[1];
            long plane = sh[2];
            long size = n * ch * plane;
            MemorySegment a = input(t, size);
            MemorySegment gate = values(t, size, 2);
            double[] expected = new double[ch];
            for (long i = 0; i < size; i++) {
                double g = t.get(gate, i);
                double v = rnd.nextDouble() - 0.5;
                t.set(a, i, g > 0 ? v : rnd.nextInt(5) == 0 ? Double.POSITIVE_INFINITY : v);
                expected[(int) (i / plane % ch)] += g > 0 ? t.get(a, i) : 0;
            }
            String what = java.util.Arrays.toString(sh);
            for (int threads = 1; threads <= 3; threads += 2) { // channels split among threads: the same bits
                nat.setThreads(threads);
                sameOutputs(t, ch, "gated channel sum " + what + ", " + threads + " threads",
                        out -> nat.gatedChannelSum(t, n, ch, plane, a, gate, out),
                        out -> ref.gatedChannelSum(t, n, ch, plane, a, gate, out));
            }
            nat.setThreads(1);
            MemorySegment out = alloc(t, ch);
            ref.gatedChannelSum(t, n, ch, plane, a, gate, out);
            for (int ci = 0; ci < ch; ci++) {
                assertThat(t.get(out, ci)).as("channel %d of %s", ci, what)
                        .isCloseTo(expected[ci], org.assertj.core.data.Offset.offset(t == DType.F32 ? 1e-4 : 1e-12));
            }
        }
    }

    /** kind 0: a ReLU's output (half zeros); 1: small integers (ties); 2: values with NaNs and negative zeros. */
    private MemorySegment values(DType t, long n, int kind) {
        MemorySegment s = input(t, n);
        for (long i = 0; i < n; i++) {
            double v = rnd.nextDouble() - 0.5;
            double e = switch (kind) {
                case 0 -> Math.max(0, v);
                case 1 -> rnd.nextInt(3) - 1;
                default -> rnd.nextInt(13) == 0 ? Double.NaN : rnd.nextInt(7) == 0 ? -0.0 : v;
            };
            t.set(s, i, e);
        }
        return s;
    }
}
