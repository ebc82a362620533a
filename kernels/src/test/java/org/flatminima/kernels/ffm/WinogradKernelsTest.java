package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Window2d;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The three transforms of the Winograd convolutions, which the C library runs on AVX-512 vectors (native/src/
 * fm_winograd.inc: the input and output transforms where a row of tiles is at most 7 tiles, the gradient's, which
 * is tile-major and vectorised over channels, everywhere), the input and output transforms of floats on AVX2
 * vectors where the CPU has those but not AVX-512 (fm_winograd_avx2.inc, rows of at most 7 tiles; their stores of
 * whole rows past a row's end land on later tiles or rows, never past the output, as the guards check) and on its
 * portable kernels otherwise: against
 * the scalar oracle bit for bit (raw bits, so signed zeros count), over every height and width from 1 to 16 with
 * paddings 0 to 2 (rows of 1 to 8 tiles: one, two or an odd number of rows of tiles per plane, odd outputs whose
 * last row or column falls outside the image, a padded row as wide as a vector), on values with negative zeros and
 * NaNs, with guard elements past every output (the kernels store with masks); the output transform with a bias too,
 * against the oracle's transform followed by the bias's addition. Once with the C kernels and once
 * without, as {@link NativeKernelsTest}, and once with the AVX-512 kernels stepped aside
 * ({@link CKernels#withoutAvx512}), so that the AVX2 ones are tested on AVX-512 CPUs too;
 * {@link NativeKernelsTest#winogradTransformsGiveTheOraclesBits} has the wider images.
 */
class WinogradKernelsTest extends SameBits {

    private static final int[] SIDES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16};
    private static final int[][] PADS = {{0, 0}, {1, 1}, {2, 2}, {0, 2}, {2, 1}};
    /** Output channels: below, at and past a vector's worth of channels of the gradient's transform (8 or 16). */
    private static final int[] COUTS = {2, 3, 4, 8, 11, 16, 19};

    @ParameterizedTest(name = "{0} C={1}")
    @MethodSource("cases")
    void transformsMatchTheOracleBitForBit(DType t, boolean c) {
        allShapes(NativeKernelsTest.backend(c), t);
    }

    /** The same with the AVX-512 kernels stepped aside, so that the AVX2 ones run on an AVX-512 CPU too. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void theAvx2TransformsMatchTheOracleOnAnyCpu(DType t) {
        NativeBackend nat = NativeKernelsTest.backend(true);
        CKernels.withoutAvx512(() -> allShapes(nat, t));
    }

    private void allShapes(NativeBackend nat, DType t) {
        int checked = 0;
        int narrow = 0;
        for (int h : SIDES) {
            for (int w : SIDES) {
                for (int[] pad : PADS) {
                    if (h + 2 * pad[0] < 3 || w + 2 * pad[1] < 3) {
                        continue;
                    }
                    int n = 1 + checked % 3;
                    int ch = 1 + checked % 2;
                    Window2d g = new Window2d(n, ch, h, w, 3, 3, 1, 1, pad[0], pad[1]);
                    check(nat, t, g, COUTS[checked % COUTS.length]);
                    checked++;
                    if ((g.outW() + 1) / 2 <= 7 && w + pad[1] <= 16) {
                        narrow++;
                    }
                }
            }
        }
        assertThat(checked).isEqualTo(1039);
        assertThat(narrow).as("shapes the vector transforms (AVX-512, AVX2) take").isGreaterThan(800);
    }

    private void check(NativeBackend nat, DType t, Window2d g, int cout) {
        long tiles = g.winogradTiles();
        long vn = 16 * g.c() * tiles;
        long mn = 16 * cout * tiles;
        long yn = (long) g.n() * cout * g.outH() * g.outW();
        MemorySegment x = values(t, g.n() * g.imageSize());
        sameOutputs(t, vn, "winogradInput " + g, v -> nat.winogradInput(t, g, x, v), v -> ref.winogradInput(t, g, x, v));
        MemorySegment m = values(t, mn);
        sameOutputs(t, yn, "winogradOutput " + g + " cout " + cout, y -> nat.winogradOutput(t, g, cout, m, null, y),
                y -> ref.winogradOutput(t, g, cout, m, null, y));
        // with a bias: the transform, then the bias added, both for the kernels and for the oracle
        MemorySegment bias = values(t, cout);
        long plane = (long) g.outH() * g.outW();
        Consumer<MemorySegment> thenAdded = y -> {
            ref.winogradOutput(t, g, cout, m, null, y);
            addBias(t, y, g.n(), cout, plane, bias);
        };
        sameOutputs(t, yn, "winogradOutput with a bias " + g, y -> nat.winogradOutput(t, g, cout, m, bias, y),
                thenAdded);
        sameOutputs(t, yn, "the oracle's winogradOutput with a bias " + g,
                y -> ref.winogradOutput(t, g, cout, m, bias, y), thenAdded);
        MemorySegment gy = values(t, yn);
        sameOutputs(t, mn, "winogradGradient " + g + " cout " + cout, gt -> nat.winogradGradient(t, g, cout, gy, gt),
                gt -> ref.winogradGradient(t, g, cout, gy, gt));
    }

    /** Values of two magnitudes, with negative zeros and NaNs. */
    private MemorySegment values(DType t, long n) {
        MemorySegment s = input(t, n);
        for (long i = 0; i < n; i++) {
            int r = rnd.nextInt(20);
            double v = r == 0 ? Double.NaN : r < 3 ? -0.0 : r < 5 ? 0.0 : (rnd.nextDouble() - 0.5) * (r < 12 ? 1e3 : 1);
            t.set(s, i, v);
        }
        return s;
    }
}
