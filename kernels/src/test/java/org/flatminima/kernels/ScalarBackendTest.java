package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.flatminima.kernels.ParityTest.alloc;
import static org.flatminima.kernels.ParityTest.ints;
import static org.flatminima.kernels.ParityTest.random;
import static org.flatminima.kernels.ParityTest.read;
import static org.flatminima.kernels.ParityTest.readInts;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The oracle checked against hand-computed values and against identities that hold independently of any
 * implementation (adjoint pairs, convolution by its definition).
 */
class ScalarBackendTest {
    private final ScalarBackend s = new ScalarBackend();
    private static final DType T = DType.F64;

    private static MemorySegment of(Arena arena, double... v) {
        MemorySegment m = alloc(arena, T, v.length);
        for (int i = 0; i < v.length; i++) {
            T.set(m, i, v[i]);
        }
        return m;
    }

    private static double dot(MemorySegment a, MemorySegment b, long n) {
        double d = 0;
        for (long i = 0; i < n; i++) {
            d += T.get(a, i) * T.get(b, i);
        }
        return d;
    }

    @Test
    void gemmMatchesHandComputedProductsWithTransposesAndBeta() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = of(arena, 1, 2, 3, 4, 5, 6);       // 2x3
            MemorySegment b = of(arena, 7, 8, 9, 10, 11, 12);    // 3x2
            MemorySegment c = of(arena, 1, 1, 1, 1);
            s.gemm(T, false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2);
            assertThat(read(T, c, 4)).containsExactly(58, 64, 139, 154);
            // A^T (3x2 viewed from the 2x3 storage) times A (2x3): 3x3 Gram matrix, plus 2*C
            MemorySegment g = of(arena, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            s.gemm(T, true, false, 3, 3, 2, 1, a, 3, a, 3, 2, g, 3);
            assertThat(read(T, g, 9)).containsExactly(19, 24, 29, 24, 31, 38, 29, 38, 47);
            // A B^T with B stored 2x3: [1 2 3; 4 5 6] [1 2 3; 4 5 6]^T = [14 32; 32 77], alpha = -1
            MemorySegment d = of(arena, 0, 0, 0, 0);
            s.gemm(T, false, true, 2, 2, 3, -1, a, 3, a, 3, 0, d, 2);
            assertThat(read(T, d, 4)).containsExactly(-14, -32, -32, -77);
        }
    }

    @Test
    void softmaxAndCrossEntropyKnownValues() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment z = of(arena, 0, 1, 1000, 1000);       // second row would overflow without the max shift
            MemorySegment labels = ints(arena, 1, 0);
            MemorySegment loss = alloc(arena, T, 2);
            MemorySegment p = alloc(arena, T, 4);
            s.softmaxCrossEntropy(T, 2, 2, z, labels, loss, p);
            double e = Math.E;
            assertThat(T.get(p, 0)).isCloseTo(1 / (1 + e), within(1e-15));
            assertThat(T.get(p, 1)).isCloseTo(e / (1 + e), within(1e-15));
            assertThat(read(T, p, 4)[2]).isEqualTo(0.5);
            assertThat(T.get(loss, 0)).isCloseTo(Math.log(1 + 1 / e), within(1e-15));
            assertThat(T.get(loss, 1)).isCloseTo(Math.log(2), within(1e-15));
            MemorySegment ls = alloc(arena, T, 4);
            s.logSoftmax(T, 2, 2, z, ls);
            assertThat(T.get(ls, 3)).isCloseTo(-Math.log(2), within(1e-15));
        }
    }

    @Test
    void im2colGemmIsConvolutionByDefinition() {
        Window2d g = new Window2d(2, 3, 6, 5, 3, 2, 2, 1, 1, 1);
        int cout = 4;
        SplittableRandom rnd = new SplittableRandom(1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = random(arena, T, g.n() * g.imageSize(), rnd, -1, 1);
            MemorySegment w = random(arena, T, (long) cout * g.colRows(), rnd, -1, 1);
            MemorySegment cols = alloc(arena, T, (long) g.n() * g.colRows() * g.colCols());
            s.im2col(T, g, x, cols);
            int oh = g.outH();
            int ow = g.outW();
            assertThat(oh).isEqualTo(3);
            assertThat(ow).isEqualTo(6);
            for (int b = 0; b < g.n(); b++) {
                MemorySegment y = alloc(arena, T, (long) cout * oh * ow);
                MemorySegment colsB = cols.asSlice((long) b * g.colRows() * g.colCols() * 8);
                s.gemm(T, false, false, cout, oh * ow, g.colRows(), 1, w, g.colRows(), colsB, oh * ow, 0, y, oh * ow);
                for (int o = 0; o < cout; o++) {
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            double direct = 0;
                            for (int ci = 0; ci < g.c(); ci++) {
                                for (int i = 0; i < g.kh(); i++) {
                                    for (int j = 0; j < g.kw(); j++) {
                                        int iy = oy * g.strideH() - g.padH() + i;
                                        int ix = ox * g.strideW() - g.padW() + j;
                                        if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) {
                                            continue;
                                        }
                                        direct += T.get(w, ((long) o * g.c() + ci) * g.kh() * g.kw() + i * g.kw() + j)
                                                * T.get(x, b * g.imageSize() + ((long) ci * g.h() + iy) * g.w() + ix);
                                    }
                                }
                            }
                            assertThat(T.get(y, ((long) o * oh + oy) * ow + ox)).isCloseTo(direct, within(1e-12));
                        }
                    }
                }
            }
        }
    }

    @Test
    void adjointPairsSatisfyTheDotProductIdentity() {
        SplittableRandom rnd = new SplittableRandom(2);
        Window2d g = new Window2d(2, 2, 7, 6, 3, 2, 2, 2, 1, 1);
        long xn = g.n() * g.imageSize();
        long cn = (long) g.n() * g.colRows() * g.colCols();
        long yn = (long) g.n() * g.c() * g.outH() * g.outW();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = random(arena, T, xn, rnd, -1, 1);
            MemorySegment u = random(arena, T, cn, rnd, -1, 1);
            MemorySegment jx = alloc(arena, T, cn);
            MemorySegment jtu = alloc(arena, T, xn);
            s.im2col(T, g, x, jx);
            s.col2im(T, g, u, jtu);
            assertThat(dot(jx, u, cn)).isCloseTo(dot(x, jtu, xn), within(1e-12));

            MemorySegment uy = random(arena, T, yn, rnd, -1, 1);
            MemorySegment y = alloc(arena, T, yn);
            MemorySegment back = alloc(arena, T, xn);
            s.avgPool2d(T, g, x, y);
            s.avgPool2dBackward(T, g, uy, back);
            assertThat(dot(y, uy, yn)).isCloseTo(dot(x, back, xn), within(1e-12));

            // max pooling is linear in x for a fixed argmax routing
            MemorySegment idx = alloc(arena, DType.F32, yn);
            s.maxPool2d(T, g, x, y, idx);
            s.maxPool2dBackward(T, g, uy, idx, back);
            assertThat(dot(y, uy, yn)).isCloseTo(dot(x, back, xn), within(1e-12));

            MemorySegment gath = alloc(arena, T, 3);
            MemorySegment m = random(arena, T, 12, rnd, -1, 1);
            MemorySegment lab = ints(arena, 2, 0, 3);
            MemorySegment w = random(arena, T, 3, rnd, -1, 1);
            MemorySegment scat = alloc(arena, T, 12);
            s.gatherCols(T, 3, 4, m, lab, gath);
            s.scatterCols(T, 3, 4, w, lab, scat);
            assertThat(dot(gath, w, 3)).isCloseTo(dot(m, scat, 12), within(1e-14));
        }
    }

    @Test
    void maxPoolBreaksTiesByFirstMaximumAndPadsWithMinusInfinity() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = of(arena,
                    -5, -5, 1,
                    -5, -5, 1,
                    0, 0, 0);
            Window2d g = Window2d.square(1, 1, 3, 3, 2, 1, 0);
            MemorySegment y = alloc(arena, T, 4);
            MemorySegment idx = alloc(arena, DType.F32, 4);
            s.maxPool2d(T, g, x, y, idx);
            assertThat(read(T, y, 4)).containsExactly(-5, 1, 0, 1);
            assertThat(readInts(idx, 4)).containsExactly(0, 2, 6, 5);
            // padding never wins, even against negative values
            Window2d padded = Window2d.square(1, 1, 3, 3, 3, 3, 1);
            MemorySegment yp = alloc(arena, T, 1);
            MemorySegment ip = alloc(arena, DType.F32, 1);
            MemorySegment neg = of(arena, -3, -2, -9, -9, -9, -9, -9, -9, -9);
            s.maxPool2d(T, padded, neg, yp, ip);
            assertThat(T.get(yp, 0)).isEqualTo(-2);
            assertThat(readInts(ip, 1)).containsExactly(1);
        }
    }

    @Test
    void broadcastingBinaryAndReductions() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = of(arena, 1, 2, 3, 4, 5, 6); // 2x3
            MemorySegment bias = of(arena, 10, 20, 30);
            MemorySegment y = alloc(arena, T, 6);
            s.binary(BinaryOp.ADD, T, new int[] {2, 3}, a, new long[] {3, 1}, bias, new long[] {0, 1}, y);
            assertThat(read(T, y, 6)).containsExactly(11, 22, 33, 14, 25, 36);
            s.binary(BinaryOp.SUB, T, new int[] {3, 2}, a, new long[] {1, 3}, a, new long[] {1, 3}, y);
            assertThat(read(T, y, 6)).containsOnly(0);
            MemorySegment r = alloc(arena, T, 3);
            s.reduce(ReduceOp.SUM, T, 1, 2, 3, a, r);
            assertThat(read(T, r, 3)).containsExactly(5, 7, 9);
            s.reduce(ReduceOp.MAX, T, 2, 3, 1, a, r);
            assertThat(read(T, r, 2)).containsExactly(3, 6);
            MemorySegment tr = alloc(arena, T, 6);
            s.copy(T, T, new int[] {3, 2}, a, new long[] {1, 3}, tr);
            assertThat(read(T, tr, 6)).containsExactly(1, 4, 2, 5, 3, 6);
            MemorySegment f = alloc(arena, DType.F32, 6);
            s.copy(T, DType.F32, new int[] {6}, a, new long[] {1}, f);
            assertThat(read(DType.F32, f, 6)).containsExactly(1, 2, 3, 4, 5, 6);
        }
    }

    @Test
    void axpbyKnownValues() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = of(arena, 1, 2, 3);
            MemorySegment y = of(arena, 10, 20, 30);
            s.axpby(T, 3, 2, x, -1, y);
            assertThat(read(T, y, 3)).containsExactly(-8, -16, -24);
            s.axpby(T, 2, -0.5, x, 0, y); // the first two only; beta 0 scales their old values away
            assertThat(read(T, y, 3)).containsExactly(-0.5, -1, -24);
        }
    }

    @Test
    void unaryReferenceValues() {
        assertThat(UnaryOp.SOFTPLUS.apply(1000, 0)).isEqualTo(1000);
        assertThat(UnaryOp.SOFTPLUS.apply(0, 0)).isCloseTo(Math.log(2), within(1e-16));
        assertThat(UnaryOp.SIGMOID.apply(-1000, 0)).isEqualTo(0);
        assertThat(UnaryOp.SIGMOID.apply(0, 0)).isEqualTo(0.5);
        assertThat(UnaryOp.STEP.apply(0, 0)).isEqualTo(0);
        assertThat(UnaryOp.LEAKY_RELU.apply(-2, 0.01)).isEqualTo(-0.02);
        assertThat(UnaryOp.POW.apply(4, 1.5)).isEqualTo(8);
    }
}
