/* Issue 17, 2026-12-04 (docs/PERFORMANCE.md, "Winograd transforms on vectors of tiles"): the C transforms of the
 * input and of the output gradient before (old.inc) and after (libflatminima.so): the same bits on 3,000 random
 * geometries per transform and type (a guard of 64 elements past each output checked too), then times per call.
 *   (cd native && make OUT=/tmp/fmlib)
 *   gcc -O3 -std=gnu11 -march=x86-64-v3 -o probe probe.c -L/tmp/fmlib/x86-64-v3 -lflatminima -Wl,-rpath,/tmp/fmlib/x86-64-v3
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define T float
#define FM(x) x##_f32
#include "old.inc"
#undef T
#undef FM
#define T double
#define FM(x) x##_f64
#include "old.inc"
#undef T
#undef FM
void fm_winograd_input_f32(const int32_t *geom, const float *x, float *v);
void fm_winograd_input_f64(const int32_t *geom, const double *x, double *v);
void fm_winograd_output_f32(const int32_t *geom, int32_t cout, const float *m, float *y);
void fm_winograd_gradient_f32(const int32_t *geom, int32_t cout, const float *gy, float *gt);
void fm_winograd_gradient_f64(const int32_t *geom, int32_t cout, const double *gy, double *gt);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
#define OLD_IN_f32(g, x, v) old_input_f32(g, x, v)
#define OLD_IN_f64(g, x, v) old_input_f64(g, x, v)
#define NEW_IN_f32(g, x, v) fm_winograd_input_f32(g, x, v)
#define NEW_IN_f64(g, x, v) fm_winograd_input_f64(g, x, v)
#define OLD_GR_f32(g, x, v) old_gradient_f32(g, g[1], x, v)
#define OLD_GR_f64(g, x, v) old_gradient_f64(g, g[1], x, v)
#define NEW_GR_f32(g, x, v) fm_winograd_gradient_f32(g, g[1], x, v)
#define NEW_GR_f64(g, x, v) fm_winograd_gradient_f64(g, g[1], x, v)
/* one case: K is IN (x [n, c, h, w]) or GR (gy [n, c, oh, ow], cout = c) */
#define CASE(K, S, TT)                                                                                              \
    {                                                                                                               \
        int32_t oh = h + 2 * p - 2, ow = w + 2 * p - 2;                                                             \
        if (oh >= 1 && ow >= 1) {                                                                                   \
            int64_t nt = (int64_t) n * ((oh + 1) / 2) * ((ow + 1) / 2);                                             \
            size_t xs = (size_t) n * c * (#K[0] == 'G' ? oh * ow : h * w), vs = 16 * (size_t) c * nt;               \
            TT *x = malloc(xs * sizeof(TT) + 8), *v1 = malloc((vs + 64) * sizeof(TT)), *v2 = malloc((vs + 64) * sizeof(TT)); \
            for (size_t i = 0; i < xs; i++) x[i] = (TT) (rand() / (double) RAND_MAX * 2 - 1);                       \
            for (size_t i = 0; i < vs + 64; i++) v1[i] = v2[i] = (TT) 7;                                            \
            int32_t g[10] = {n, c, h, w, 3, 3, 1, 1, p, p};                                                         \
            OLD_##K##_##S(g, x, v1);                                                                                \
            NEW_##K##_##S(g, x, v2);                                                                                \
            if (memcmp(v1, v2, (vs + 64) * sizeof(TT))) { printf("MISMATCH " #K " " #S " n=%d c=%d h=%d w=%d p=%d\n", n, c, h, w, p); bad++; } \
            if (timeit) {                                                                                           \
                int reps = (int) (3e7 / vs) + 1; double b1 = 1e9, b2 = 1e9;                                         \
                for (int r = 0; r < 5; r++) {                                                                       \
                    double t0 = now(); for (int q = 0; q < reps; q++) OLD_##K##_##S(g, x, v1);                      \
                    double t1 = now(); for (int q = 0; q < reps; q++) NEW_##K##_##S(g, x, v2);                      \
                    double t2 = now(); if (t1 - t0 < b1) b1 = t1 - t0; if (t2 - t1 < b2) b2 = t2 - t1;              \
                }                                                                                                   \
                printf(#K " " #S " n=%d c=%d %dx%d pad %d: before %.2f us, after %.2f us\n", n, c, h, w, p,          \
                       b1 / reps * 1e6, b2 / reps * 1e6);                                                           \
            }                                                                                                       \
            free(x); free(v1); free(v2); cases++;                                                                   \
        }                                                                                                           \
    }
int main(void) {
    int bad = 0, cases = 0, timeit = 0;
    srand(1);
    for (int it = 0; it < 3000; it++) {
        int n = 1 + rand() % 4, c = 1 + rand() % 5, h = 1 + rand() % 23, w = 1 + rand() % 37, p = rand() % 3;
        CASE(IN, f32, float) CASE(IN, f64, double) CASE(GR, f32, float) CASE(GR, f64, double)
    }
    printf("%d cases, %d mismatches\n", cases, bad);
    timeit = 1;
    int shapes[][5] = {{2, 32, 14, 14, 1}, {2, 64, 14, 14, 1}, {4, 16, 28, 28, 1}, {1, 16, 32, 32, 1}, {2, 16, 30, 30, 1}};
    for (unsigned s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int n = shapes[s][0], c = shapes[s][1], h = shapes[s][2], w = shapes[s][3], p = shapes[s][4];
        CASE(IN, f32, float) CASE(IN, f64, double) CASE(GR, f32, float) CASE(GR, f64, double)
    }
    /* the output transform (unchanged): time per call and the bytes it moves, E2's second convolution */
    for (int c = 32; c <= 64; c *= 2) {
        int32_t g[10] = {2, c, 14, 14, 3, 3, 1, 1, 1, 1};
        size_t ms = 16 * (size_t) c * 98, ys = 2 * (size_t) c * 196;
        float *m = malloc(ms * sizeof(float)), *y = malloc(ys * sizeof(float));
        for (size_t i = 0; i < ms; i++) m[i] = (float) (rand() / (double) RAND_MAX);
        int reps = 20000; double best = 1e9;
        for (int r = 0; r < 5; r++) {
            double t0 = now(); for (int q = 0; q < reps; q++) fm_winograd_output_f32(g, c, m, y);
            double t = now() - t0; if (t < best) best = t;
        }
        printf("output f32 n=2 cout=%d 14x14: %.2f us, %.1f GB/s read + written\n", c, best / reps * 1e6,
               (ms + ys) * sizeof(float) * reps / best / 1e9);
        free(m); free(y);
    }
    return bad != 0;
}
