package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Java reference of Winograd's F(2x2, 3x3) transforms ({@link Winograd2x2}, the oracle of every backend's
 * {@link Backend#winogradInput} and {@link Backend#winogradOutput}) against the matrices of Lavin and Gray
 * (2016, eq. 8) applied by explicit products, on small integers so that both are exact: the layout {@code [16,
 * c, tiles]}, the tile order, the padding and the dropped outputs of an odd output size; and the weight
 * gradient's transform {@code A gb A^T} ({@link Backend#winogradGradient}), zeros past the edge.
 */
class Winograd2x2Test {
    private static final double[][] BT = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    private static final double[][] AT = {{1, 1, 1, 0}, {0, 1, -1, -1}};
    private static final double[][] A = {{1, 0}, {1, 1}, {1, -1}, {0, -1}};

    /** {@code l * m * r} for small dense matrices. */
    private static double[][] mul(double[][] l, double[][] m) {
        double[][] p = new double[l.length][m[0].length];
        for (int i = 0; i < l.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                for (int k = 0; k < m.length; k++) {
                    p[i][j] += l[i][k] * m[k][j];
                }
            }
        }
        return p;
    }

    private static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void theTransformsAreTheMatrices(DType t) {
        Random rnd = new Random(11);
        // odd output (5 x 4), padding 1 on a 5 x 4 image; then no padding (3 x 2 output)
        for (Window2d g : new Window2d[] {new Window2d(2, 3, 5, 4, 3, 3, 1, 1, 1, 1),
            new Window2d(1, 2, 5, 4, 3, 3, 1, 1, 0, 0)}) {
            int th = (g.outH() + 1) / 2;
            int tw = (g.outW() + 1) / 2;
            long nt = g.winogradTiles();
            assertThat(nt).isEqualTo((long) g.n() * th * tw);
            try (Arena arena = Arena.ofConfined()) {
                long xn = g.n() * g.imageSize();
                MemorySegment x = arena.allocate(xn * t.byteSize(), 8);
                for (long i = 0; i < xn; i++) {
                    t.set(x, i, rnd.nextInt(9) - 4);
                }
                MemorySegment v = arena.allocate(16 * g.c() * nt * t.byteSize(), 8);
                Winograd2x2.input(t, g, x, v);
                int cout = 2;
                MemorySegment m = arena.allocate(16L * cout * nt * t.byteSize(), 8);
                for (long i = 0; i < 16L * cout * nt; i++) {
                    t.set(m, i, rnd.nextInt(9) - 4);
                }
                MemorySegment y = arena.allocate((long) g.n() * cout * g.outH() * g.outW() * t.byteSize(), 8);
                Winograd2x2.output(t, g, cout, m, null, y);
                long yn = (long) g.n() * cout * g.outH() * g.outW();
                MemorySegment gy = arena.allocate(yn * t.byteSize(), 8);
                for (long i = 0; i < yn; i++) {
                    t.set(gy, i, rnd.nextInt(9) - 4);
                }
                MemorySegment gt = arena.allocate(16L * cout * nt * t.byteSize(), 8);
                Winograd2x2.gradient(t, g, cout, gy, gt);
                for (int b = 0; b < g.n(); b++) {
                    for (int ty = 0; ty < th; ty++) {
                        for (int tx = 0; tx < tw; tx++) {
                            long tile = ((long) b * th + ty) * tw + tx;
                            for (int c = 0; c < g.c(); c++) {
                                double[][] d = new double[4][4];
                                for (int i = 0; i < 4; i++) {
                                    for (int j = 0; j < 4; j++) {
                                        int r = 2 * ty - g.padH() + i;
                                        int col = 2 * tx - g.padW() + j;
                                        boolean in = r >= 0 && r < g.h() && col >= 0 && col < g.w();
                                        d[i][j] = in ? t.get(x, b * g.imageSize() + ((long) c * g.h() + r) * g.w() + col) : 0;
                                    }
                                }
                                double[][] want = mul(mul(BT, d), transpose(BT));
                                for (int k = 0; k < 16; k++) {
                                    assertThat(t.get(v, (k * (long) g.c() + c) * nt + tile))
                                            .as("v[%d][%d][%d] of %s", k, c, tile, g).isEqualTo(want[k / 4][k % 4]);
                                }
                            }
                            for (int c = 0; c < cout; c++) {
                                double[][] mm = new double[4][4];
                                for (int k = 0; k < 16; k++) {
                                    mm[k / 4][k % 4] = t.get(m, (k * (long) cout + c) * nt + tile);
                                }
                                double[][] gb = new double[2][2];
                                for (int a = 0; a < 2; a++) {
                                    for (int e = 0; e < 2; e++) {
                                        int r = 2 * ty + a;
                                        int col = 2 * tx + e;
                                        gb[a][e] = r < g.outH() && col < g.outW()
                                                ? t.get(gy, (((long) b * cout + c) * g.outH() + r) * g.outW() + col) : 0;
                                    }
                                }
                                double[][] wantGt = mul(mul(A, gb), transpose(A));
                                for (int k = 0; k < 16; k++) {
                                    assertThat(t.get(gt, (k * nt + tile) * cout + c))
                                            .as("gt[%d][%d][%d] of %s", k, c, tile, g).isEqualTo(wantGt[k / 4][k % 4]);
                                }
                                double[][] want = mul(mul(AT, mm), transpose(AT));
                                for (int a = 0; a < 2; a++) {
                                    for (int e = 0; e < 2; e++) {
                                        int r = 2 * ty + a;
                                        int col = 2 * tx + e;
                                        if (r < g.outH() && col < g.outW()) {
                                            long at = (((long) b * cout + c) * g.outH() + r) * g.outW() + col;
                                            assertThat(t.get(y, at)).as("y[%d][%d][%d][%d]", b, c, r, col)
                                                    .isEqualTo(want[a][e]);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
