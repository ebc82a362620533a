/* Scratch measurement (issue 17, 2026-12-05, docs/PERFORMANCE.md "Winograd transforms two rows of tiles to a
 * vector"): the three Winograd transforms of W3's second convolution on one chunk of two images (32 channels of
 * 14 x 14 in, 64 out; the input gradient's input transform on 64 channels), float and double, best of 200
 * calls, in microseconds. Compiled against a flatminima.c given by FM_SRC (winograd-avx512-probe-20261205.sh builds it
 * against the sources before and after the change). */
#define _POSIX_C_SOURCE 199309L
#include FM_SRC
#include <stdio.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec * 1e-3; }
int main(void) {
    static float x[2 * 64 * 14 * 14], v[16 * 64 * 98], y[2 * 64 * 14 * 14];
    for (int i = 0; i < 2 * 64 * 196; i++) x[i] = (i % 13) * 0.1f - 0.6f;
    for (int i = 0; i < 16 * 64 * 98; i++) v[i] = (i % 11) * 0.1f - 0.5f;
    int32_t g32[10] = {2, 32, 14, 14, 3, 3, 1, 1, 1, 1}, g64[10] = {2, 64, 14, 14, 3, 3, 1, 1, 1, 1};
    for (int rep = 0; rep < 3; rep++) {
        double b[4] = {1e18, 1e18, 1e18, 1e18};
        for (int r = 0; r < 200; r++) {
            double t = now(); fm_winograd_input_f32(g32, x, v); t = now() - t; if (t < b[0]) b[0] = t;
            t = now(); fm_winograd_input_f32(g64, x, v); t = now() - t; if (t < b[1]) b[1] = t;
            t = now(); fm_winograd_output_f32(g32, 64, v, y); t = now() - t; if (t < b[2]) b[2] = t;
            t = now(); fm_winograd_gradient_f32(g32, 64, y, v); t = now() - t; if (t < b[3]) b[3] = t;
        }
        printf("f32 input c32 %.2f | input c64 %.2f | output co64 %.2f | gradient co64 %.2f\n", b[0], b[1], b[2], b[3]);
    }
    static double xd[2 * 64 * 14 * 14], vd[16 * 64 * 98], yd[2 * 64 * 14 * 14];
    for (int i = 0; i < 2 * 64 * 196; i++) xd[i] = (i % 13) * 0.1 - 0.6;
    for (int i = 0; i < 16 * 64 * 98; i++) vd[i] = (i % 11) * 0.1 - 0.5;
    for (int rep = 0; rep < 3; rep++) {
        double b[4] = {1e18, 1e18, 1e18, 1e18};
        for (int r = 0; r < 200; r++) {
            double t = now(); fm_winograd_input_f64(g32, xd, vd); t = now() - t; if (t < b[0]) b[0] = t;
            t = now(); fm_winograd_input_f64(g64, xd, vd); t = now() - t; if (t < b[1]) b[1] = t;
            t = now(); fm_winograd_output_f64(g32, 64, vd, yd); t = now() - t; if (t < b[2]) b[2] = t;
            t = now(); fm_winograd_gradient_f64(g32, 64, yd, vd); t = now() - t; if (t < b[3]) b[3] = t;
        }
        printf("f64 input c32 %.2f | input c64 %.2f | output co64 %.2f | gradient co64 %.2f\n", b[0], b[1], b[2], b[3]);
    }
    return 0;
}
