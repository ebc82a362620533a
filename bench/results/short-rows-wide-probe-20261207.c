/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "A batch of 32's dense layers on the 512-bit
 * packed GEMM"): a float product with few rows of C (m) and a dense layer's n x k, X W^T (or X W with a fifth
 * argument NN), on OpenBLAS's sgemm_ (as cblas calls it for a row-major product), on fm_packed_gemm512_f32 and on the
 * AVX2 build fm_packed_gemm_f32; best of 2000 calls, operands hot, one thread. Built with
 *   gcc -O2 -o small <this file> $LIB/libopenblas.so.0 -Wl,-rpath,$LIB -ldl
 * ($LIB the bundled OpenBLAS's directory) and run as
 *   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 ./small <libflatminima.so> k m n [NN]
 * (output: short-rows-wide-ab-20261207.md). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void sgemm_(const char *, const char *, const int *, const int *, const int *, const float *, const float *,
            const int *, const float *, const int *, const float *, float *, const int *);
typedef int (*g32)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW);
    g32 p512 = (g32) dlsym(h, "fm_packed_gemm512_f32"), p256 = (g32) dlsym(h, "fm_packed_gemm_f32");
    int m = atoi(argv[3]), n = atoi(argv[4]), k = atoi(argv[2]), nn = argc > 5 && argv[5][0] == 'N';
    float *x = malloc(4 * m * k), *w = malloc(4 * n * k), *c = malloc(4 * m * n);
    for (int i = 0; i < m * k; i++) x[i] = (i % 13) * 0.01f;
    for (int i = 0; i < n * k; i++) w[i] = (i % 7) * 0.01f;
    /* row-major C = X W^T (W n x k) is column-major C^T = W X^T: sgemm('T', 'N', n, m, k, W, k, X, k); with NN,
     * C = X W (W k x n): C^T = W^T X^T, sgemm('N', 'N', n, m, k, W, n, X, k) */
    float one = 1, zero = 0;
    for (int v = 0; v < 3; v++) {
        double best = 1e9;
        for (int r = 0; r < 2000; r++) {
            double t0 = now();
            if (v == 0 && nn) sgemm_("N", "N", &n, &m, &k, &one, w, &n, x, &k, &zero, c, &n);
            else if (v == 0) sgemm_("T", "N", &n, &m, &k, &one, w, &k, x, &k, &zero, c, &n);
            else if (v == 1) p512(0, !nn, m, n, k, 1.0, x, k, w, nn ? n : k, 0.0, c, n);
            else p256(0, !nn, m, n, k, 1.0, x, k, w, nn ? n : k, 0.0, c, n);
            double t = now() - t0;
            if (t < best) best = t;
        }
        printf("m=%d n=%d %s k=%d: best %.1f us, %.1f GFLOP/s\n", m, n, v == 0 ? "OpenBLAS" : v == 1 ? "packed512" : "packed256", k, best * 1e6, 2.0 * m * n * k / best / 1e9);
    }
    return 0;
}
