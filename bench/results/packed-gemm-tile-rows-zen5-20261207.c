/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "AMD Zen 5: OpenBLAS's own choice of kernels"):
 * would taller tiles help the packed GEMM's 512-bit build on the Zen 5 (32 vector registers, of which the 6 x 2
 * tile uses 12 accumulators)? packed-gemm-tile-rows-zen5-20261207.patch writes the template's tiles for 6, 8,
 * 10, 12 or 14 rows (X-macros over the rows) and gives the 512-bit build MR512 rows. In a clone with the patch
 * applied (git apply), from native/src, for MR in 6 8 12:
 *   gcc -O3 -std=c11 -fPIC -shared -march=x86-64-v3 -fno-math-errno -DMR512=$MR -o /tmp/mr/libfm$MR.so \
 *       flatminima.c -lm
 * and the library's own flatminima.c the same way as /tmp/mr/libfmorig.so; then
 *   gcc -O2 -o /tmp/mr/probe <this file> -ldl
 *   ./probe /tmp/mr/libfmorig.so /tmp/mr/libfm6.so /tmp/mr/libfm8.so /tmp/mr/libfm12.so
 * Best and median of 15 calls after 3 (each library's call in turn), GFLOP/s, and whether the bits are the
 * library's (output: the .txt of the same name). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef int (*g32)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
typedef int (*g64)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const double *, int32_t, const double *, int32_t, double, double *, int32_t);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmpd(const void *a, const void *b) { double x = *(double *) a, y = *(double *) b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
    int nl = argc - 1;
    void *h[8]; g32 f32[8]; g64 f64[8];
    for (int i = 0; i < nl; i++) {
        h[i] = dlopen(argv[i + 1], RTLD_NOW | RTLD_LOCAL);
        if (!h[i]) { fprintf(stderr, "%s\n", dlerror()); return 1; }
        f32[i] = (g32) dlsym(h[i], "fm_packed_gemm512_f32");
        f64[i] = (g64) dlsym(h[i], "fm_packed_gemm512_f64");
    }
    int shapes[][5] = {{1, 0, 512, 784, 1000}, {1, 0, 512, 512, 1000}, {0, 1, 1000, 512, 784}, {0, 1, 1000, 512, 512},
                       {0, 0, 1000, 512, 512}, {0, 0, 1024, 1024, 1024}, {0, 1, 10000, 512, 512}};
    int ns = sizeof shapes / sizeof shapes[0];
    const int R = 15;
    for (int dt = 0; dt < 2; dt++) {
        printf("%s\n", dt ? "double" : "float");
        for (int s = 0; s < ns; s++) {
            int ta = shapes[s][0], tb = shapes[s][1], m = shapes[s][2], n = shapes[s][3], k = shapes[s][4];
            size_t es = dt ? 8 : 4;
            int lda = ta ? m : k, ldb = tb ? k : n;
            char *a = aligned_alloc(64, ((size_t) m * k * es + 63) / 64 * 64), *b = aligned_alloc(64, ((size_t) k * n * es + 63) / 64 * 64);
            char *c[8];
            srand(1);
            for (size_t i = 0; i < (size_t) m * k; i++) { double v = rand() / (double) RAND_MAX - 0.5; if (dt) ((double *) a)[i] = v; else ((float *) a)[i] = v; }
            for (size_t i = 0; i < (size_t) k * n; i++) { double v = rand() / (double) RAND_MAX - 0.5; if (dt) ((double *) b)[i] = v; else ((float *) b)[i] = v; }
            double t[8][64];
            for (int i = 0; i < nl; i++) c[i] = aligned_alloc(64, ((size_t) m * n * es + 63) / 64 * 64);
            for (int r = -3; r < R; r++) {
                for (int i = 0; i < nl; i++) {
                    double t0 = now();
                    if (dt) f64[i](ta, tb, m, n, k, 1.0, (double *) a, lda, (double *) b, ldb, 0.0, (double *) c[i], n);
                    else f32[i](ta, tb, m, n, k, 1.0, (float *) a, lda, (float *) b, ldb, 0.0, (float *) c[i], n);
                    if (r >= 0) t[i][r] = now() - t0;
                }
            }
            printf("%5d x %5d x %5d %s%s", m, n, k, ta ? "T" : "N", tb ? "T" : "N");
            for (int i = 0; i < nl; i++) {
                qsort(t[i], R, sizeof(double), cmpd);
                double fl = 2.0 * m * n * k;
                printf("  | %6.3f ms best %5.1f med %5.1f GF", t[i][0] * 1e3, fl / t[i][0] / 1e9, fl / t[i][R / 2] / 1e9);
                if (i > 0) printf(" diff %s", memcmp(c[0], c[i], (size_t) m * n * es) ? "BITS DIFFER" : "same bits");
            }
            printf("\n");
            free(a); free(b);
            for (int i = 0; i < nl; i++) free(c[i]);
        }
    }
    return 0;
}
