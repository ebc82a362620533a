package org.flatminima.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The oracle's pooling loops ({@link ScalarBackend}), one element at a time in double precision. */
final class ScalarPooling {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private ScalarPooling() {
    }

    /**
     * The index {@code iy * w + ix} within its plane of cell (i, j) of output (oy, ox)'s window, or -1 where that cell
     * is in the padding.
     */
    private static int cell(Window2d g, int oy, int ox, int i, int j) {
        int iy = oy * g.strideH() - g.padH() + i;
        int ix = ox * g.strideW() - g.padW() + j;
        return iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w() ? -1 : iy * g.w() + ix;
    }

    /** Max pooling into y, and the routing into argmax unless it is null. */
    static void maxPool(DType t, Window2d g, MemorySegment x, MemorySegment y, MemorySegment argmax) {
        int oh = g.outH();
        int ow = g.outW();
        long plane = (long) g.h() * g.w();
        for (long p = 0; p < (long) g.n() * g.c(); p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double best = Double.NEGATIVE_INFINITY;
                    int bestIdx = -1;
                    for (int i = 0; i < g.kh(); i++) {
                        for (int j = 0; j < g.kw(); j++) {
                            int at = cell(g, oy, ox, i, j);
                            if (at < 0) {
                                continue;
                            }
                            double v = t.get(x, p * plane + at);
                            if (bestIdx < 0 || v > best) {
                                best = v;
                                bestIdx = at;
                            }
                        }
                    }
                    long yi = p * oh * ow + (long) oy * ow + ox;
                    t.set(y, yi, best);
                    if (argmax != null) {
                        argmax.setAtIndex(INT, yi, bestIdx);
                    }
                }
            }
        }
    }

    /** Average pooling (divisor {@code kh kw}) of x into y. */
    static void avgPool(DType t, Window2d g, MemorySegment x, MemorySegment y) {
        int oh = g.outH();
        int ow = g.outW();
        long plane = (long) g.h() * g.w();
        double inv = 1.0 / (g.kh() * g.kw());
        for (long p = 0; p < (long) g.n() * g.c(); p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double s = 0;
                    for (int i = 0; i < g.kh(); i++) {
                        for (int j = 0; j < g.kw(); j++) {
                            int at = cell(g, oy, ox, i, j);
                            if (at >= 0) {
                                s += t.get(x, p * plane + at);
                            }
                        }
                    }
                    t.set(y, p * oh * ow + (long) oy * ow + ox, s * inv);
                }
            }
        }
    }

    /** The adjoint of {@link #avgPool}: each gy spread over its window, added to gx (zero before). */
    static void avgPoolBackward(DType t, Window2d g, MemorySegment gy, MemorySegment gx) {
        int oh = g.outH();
        int ow = g.outW();
        long plane = (long) g.h() * g.w();
        double inv = 1.0 / (g.kh() * g.kw());
        for (long p = 0; p < (long) g.n() * g.c(); p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double v = t.get(gy, p * oh * ow + (long) oy * ow + ox) * inv;
                    for (int i = 0; i < g.kh(); i++) {
                        for (int j = 0; j < g.kw(); j++) {
                            int at = cell(g, oy, ox, i, j);
                            if (at >= 0) {
                                t.set(gx, p * plane + at, t.get(gx, p * plane + at) + v);
                            }
                        }
                    }
                }
            }
        }
    }
}
