package org.flatminima.kernels.ffm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.flatminima.kernels.Window2d;

/**
 * The direct 3x3 convolutions' sums (native/src/fm_direct.inc, fm_direct_avx2.inc) transcribed in Java floats, term
 * by term, so that a test can hold the C kernels to their bits on any CPU: a forward entry is one chain of fused
 * multiply-adds from zero in the order (channel, kernel row, kernel column), a row outside the image added as zeros
 * for one channel and skipped for more; a weight-gradient entry sums, per image, output and input channel, 16 lanes
 * (lane l takes output columns l and 16 + l of every row inside the image, in that order, as fused multiply-adds),
 * reduced as gcc's {@code _mm512_reduce_add_ps} does, and added to what the entry held.
 */
final class DirectConvTranscription {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private DirectConvTranscription() {
    }

    /** {@code x[b][c][r][col]}, zero outside the image. */
    private static float at(MemorySegment x, Window2d g, int b, int c, int r, int col) {
        if (r < 0 || r >= g.h() || col < 0 || col >= g.w()) {
            return 0f;
        }
        return x.getAtIndex(F, (((long) b * g.c() + c) * g.h() + r) * g.w() + col);
    }

    /** y {@code [n, cout, outH, outW]} of {@code conv3x3Direct}. */
    static float[] forward(Window2d g, int cout, MemorySegment x, MemorySegment w) {
        int oh = g.outH();
        int ow = g.outW();
        float[] y = new float[g.n() * cout * oh * ow];
        int e = 0;
        for (int b = 0; b < g.n(); b++) {
            for (int o = 0; o < cout; o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        float acc = 0f;
                        for (int c = 0; c < g.c(); c++) {
                            for (int i = 0; i < 3; i++) {
                                int r = oy + i - g.padH();
                                if (g.c() > 1 && (r < 0 || r >= g.h())) {
                                    continue;
                                }
                                for (int j = 0; j < 3; j++) {
                                    float k = w.getAtIndex(F, ((long) o * g.c() + c) * 9 + 3 * i + j);
                                    acc = Math.fma(k, at(x, g, b, c, r, ox + j - g.padW()), acc);
                                }
                            }
                        }
                        y[e++] = acc;
                    }
                }
            }
        }
        return y;
    }

    /** gw {@code [cout, c, 3, 3]} after {@code conv3x3DirectWeightGrad} added to {@code gw0}. */
    static float[] weightGrad(Window2d g, int cout, MemorySegment x, MemorySegment gy, float[] gw0) {
        int oh = g.outH();
        int ow = g.outW();
        float[] gw = gw0.clone();
        for (int b = 0; b < g.n(); b++) {
            for (int o = 0; o < cout; o++) {
                for (int c = 0; c < g.c(); c++) {
                    float[][] acc = new float[9][16];
                    for (int oy = 0; oy < oh; oy++) {
                        long row = (((long) b * cout + o) * oh + oy) * ow;
                        for (int i = 0; i < 3; i++) {
                            int r = oy + i - g.padH();
                            if (r < 0 || r >= g.h()) {
                                continue;
                            }
                            for (int j = 0; j < 3; j++) {
                                for (int half = 0; half < 2; half++) {
                                    for (int l = 0; l < 16; l++) {
                                        int ox = 16 * half + l;
                                        float gv = ox < ow ? gy.getAtIndex(F, row + ox) : 0f;
                                        float xv = ox < ow ? at(x, g, b, c, r, ox + j - g.padW()) : 0f;
                                        acc[3 * i + j][l] = Math.fma(gv, xv, acc[3 * i + j][l]);
                                    }
                                }
                            }
                        }
                    }
                    for (int t = 0; t < 9; t++) {
                        gw[(o * g.c() + c) * 9 + t] += reduce16(acc[t]);
                    }
                }
            }
        }
        return gw;
    }

    /** gcc's {@code _mm512_reduce_add_ps}: halves of 8, of 4, then lanes (0, 2) and (1, 3), then the two. */
    static float reduce16(float[] a) {
        float[] t3 = new float[8];
        for (int l = 0; l < 8; l++) {
            t3[l] = a[8 + l] + a[l];
        }
        float[] t6 = new float[4];
        for (int l = 0; l < 4; l++) {
            t6[l] = t3[4 + l] + t3[l];
        }
        return (t6[0] + t6[2]) + (t6[1] + t6[3]);
    }
}
