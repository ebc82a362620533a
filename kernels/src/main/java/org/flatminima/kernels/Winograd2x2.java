package org.flatminima.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The transforms of Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional
 * Neural Networks", CVPR 2016) in Java: the reference of {@link Backend#winogradInput} and
 * {@link Backend#winogradOutput}, used by the Java backends. Additions and subtractions only, each rounded to the
 * element type, in the order the C kernels use, so every backend gives the same bits.
 *
 * <p>With the 4x4 tile d of the padded input, {@code B^T d B} is computed as: rows {@code e0 = d0 - d2,
 * e1 = d1 + d2, e2 = d2 - d1, e3 = d1 - d3}, then the same on the columns of e. With the 4x4 products m of a
 * tile, {@code A^T m A}: rows {@code s0 = m0 + m1 + m2, s1 = m1 - m2 - m3}, then the same on the columns of s.
 * With the 2x2 block gb of an output gradient, {@code A gb A^T} (the weight gradient's transform): rows
 * {@code r0 = g0, r1 = g0 + g1, r2 = g0 - g1, r3 = -g1}, then the same on the columns of r.
 */
public final class Winograd2x2 {
    private Winograd2x2() {
    }

    /** True when the window is one F(2x2, 3x3) computes: a 3x3 kernel with stride 1. */
    public static boolean applies(Window2d g) {
        return g.kh() == 3 && g.kw() == 3 && g.strideH() == 1 && g.strideW() == 1;
    }

    /** The reference of {@link Backend#winogradInput}. */
    public static void input(DType t, Window2d g, MemorySegment x, MemorySegment v) {
        boolean f32 = t == DType.F32;
        int th = (g.outH() + 1) / 2;
        int tw = (g.outW() + 1) / 2;
        long nt = g.winogradTiles();
        long ks = g.c() * nt;
        long plane = (long) g.h() * g.w();
        double[] d = new double[16];
        for (int b = 0; b < g.n(); b++) {
            for (int ci = 0; ci < g.c(); ci++) {
                long base = ((long) b * g.c() + ci) * plane;
                long vp = ci * nt + (long) b * th * tw;
                for (int ty = 0; ty < th; ty++) {
                    for (int tx = 0; tx < tw; tx++) {
                        for (int i = 0; i < 4; i++) {
                            int r = 2 * ty - g.padH() + i;
                            for (int j = 0; j < 4; j++) {
                                int c = 2 * tx - g.padW() + j;
                                d[4 * i + j] = r < 0 || r >= g.h() || c < 0 || c >= g.w() ? 0.0
                                        : t.get(x, base + (long) r * g.w() + c);
                            }
                        }
                        for (int j = 0; j < 4; j++) { // rows: B^T d
                            double d0 = d[j];
                            double d1 = d[4 + j];
                            double d2 = d[8 + j];
                            double d3 = d[12 + j];
                            d[j] = round(f32, d0 - d2);
                            d[4 + j] = round(f32, d1 + d2);
                            d[8 + j] = round(f32, d2 - d1);
                            d[12 + j] = round(f32, d1 - d3);
                        }
                        long at = vp + (long) ty * tw + tx;
                        for (int i = 0; i < 4; i++) { // columns: (B^T d) B
                            double e0 = d[4 * i];
                            double e1 = d[4 * i + 1];
                            double e2 = d[4 * i + 2];
                            double e3 = d[4 * i + 3];
                            t.set(v, (4 * i) * ks + at, e0 - e2);
                            t.set(v, (4 * i + 1) * ks + at, e1 + e2);
                            t.set(v, (4 * i + 2) * ks + at, e2 - e1);
                            t.set(v, (4 * i + 3) * ks + at, e1 - e3);
                        }
                    }
                }
            }
        }
    }

    /** The reference of {@link Backend#winogradOutput}: the bias (may be null) added after each output's transform. */
    public static void output(DType t, Window2d g, int cout, MemorySegment m, MemorySegment bias, MemorySegment y) {
        boolean f32 = t == DType.F32;
        int oh = g.outH();
        int ow = g.outW();
        long ks = cout * g.winogradTiles();
        double[] s = new double[8];
        forEachOutputTile(g, cout, (base, at, r, c) -> {
            double b = bias == null ? 0 : t.get(bias, base / ((long) oh * ow) % cout);
            for (int j = 0; j < 4; j++) { // rows: A^T m
                double m0 = t.get(m, j * ks + at);
                double m1 = t.get(m, (4 + j) * ks + at);
                double m2 = t.get(m, (8 + j) * ks + at);
                double m3 = t.get(m, (12 + j) * ks + at);
                s[j] = round(f32, round(f32, m0 + m1) + m2);
                s[4 + j] = round(f32, round(f32, m1 - m2) - m3);
            }
            for (int a = 0; a < 2 && r + a < oh; a++) { // columns: (A^T m) A
                long row = base + (long) (r + a) * ow + c;
                double even = round(f32, round(f32, s[4 * a] + s[4 * a + 1]) + s[4 * a + 2]);
                t.set(y, row, bias == null ? even : even + b);
                if (c + 1 < ow) {
                    double odd = round(f32, round(f32, s[4 * a + 1] - s[4 * a + 2]) - s[4 * a + 3]);
                    t.set(y, row + 1, bias == null ? odd : odd + b);
                }
            }
        });
    }

    /** The reference of {@link Backend#winogradGradient} (its output tile-major, {@code [16, nt, cout]}). */
    public static void gradient(DType t, Window2d g, int cout, MemorySegment gy, MemorySegment gt) {
        boolean f32 = t == DType.F32;
        int oh = g.outH();
        int ow = g.outW();
        long nt = g.winogradTiles();
        long ks = cout * nt;
        double[] ra = new double[4];
        double[] rb = new double[4];
        forEachOutputTile(g, cout, (base, channelMajor, r, c) -> {
            long at = channelMajor % nt * cout + channelMajor / nt; // tile-major: [16][nt][cout]
            boolean down = r + 1 < oh;
            boolean right = c + 1 < ow;
            double a0 = t.get(gy, base + (long) r * ow + c);
            double b0 = right ? t.get(gy, base + (long) r * ow + c + 1) : 0.0;
            double a1 = down ? t.get(gy, base + (long) (r + 1) * ow + c) : 0.0;
            double b1 = down && right ? t.get(gy, base + (long) (r + 1) * ow + c + 1) : 0.0;
            ra[0] = a0; // rows: A gb
            ra[1] = round(f32, a0 + a1);
            ra[2] = round(f32, a0 - a1);
            ra[3] = -a1;
            rb[0] = b0;
            rb[1] = round(f32, b0 + b1);
            rb[2] = round(f32, b0 - b1);
            rb[3] = -b1;
            for (int i = 0; i < 4; i++) { // columns: (A gb) A^T
                t.set(gt, (4 * i) * ks + at, ra[i]);
                t.set(gt, (4 * i + 1) * ks + at, ra[i] + rb[i]);
                t.set(gt, (4 * i + 2) * ks + at, ra[i] - rb[i]);
                t.set(gt, (4 * i + 3) * ks + at, -rb[i]);
            }
        });
    }

    /** One tile on the output side: the first element of its output plane, its index t, its first output row and column. */
    private interface OutputTile {
        void visit(long plane, long tile, int row, int col);
    }

    /** Every tile of every image and each of {@code cout} output channels, in the order of t. */
    private static void forEachOutputTile(Window2d g, int cout, OutputTile body) {
        int th = (g.outH() + 1) / 2;
        int tw = (g.outW() + 1) / 2;
        long nt = g.winogradTiles();
        long planeSize = (long) g.outH() * g.outW();
        for (int b = 0; b < g.n(); b++) {
            for (int co = 0; co < cout; co++) {
                long plane = ((long) b * cout + co) * planeSize;
                long first = co * nt + (long) b * th * tw;
                for (int ty = 0; ty < th; ty++) {
                    for (int tx = 0; tx < tw; tx++) {
                        body.visit(plane, first + (long) ty * tw + tx, 2 * ty, 2 * tx);
                    }
                }
            }
        }
    }

    /** One operation's result in the element type: a float sum of two floats computed in double rounds once. */
    private static double round(boolean f32, double v) {
        return f32 ? (float) v : v;
    }
}
