/* Scratch measurement (issue 17, 2026-12-07, with packed-gemm-tile-rows-zen5-20261207): the packed GEMM's tile
 * loop alone, 512-bit vectors, MR rows by NV vectors, depth 256, its A and B panels hot in L1 (kc steps of MR
 * broadcasts of A, NV loads of B, MR NV multiply-adds), best of 5 runs of 2.4 million tile-steps' worth:
 *   for cfg in "6 2" "8 2" "12 2" "14 2" "4 3" "8 3" "4 4" "6 4"; do set -- $cfg
 *     gcc -O3 -march=x86-64-v4 -DMR=$1 -DNV=$2 -o uk <this file> && ./uk 1; done
 * (output in packed-gemm-tile-rows-zen5-20261207.txt). */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
#ifndef MR
#define MR 6
#endif
#ifndef NV
#define NV 2
#endif
__attribute__((noinline)) void tile(int kc, const float *ap, const float *bp, float *c) {
    __m512 s[MR][NV];
    for (int r = 0; r < MR; r++) for (int v = 0; v < NV; v++) s[r][v] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++, ap += MR, bp += 16 * NV) {
        __m512 b[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) b[v] = _mm512_load_ps(bp + 16 * v);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            __m512 x = _mm512_set1_ps(ap[r]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++) s[r][v] = _mm512_fmadd_ps(x, b[v], s[r][v]);
        }
    }
    for (int r = 0; r < MR; r++) for (int v = 0; v < NV; v++) _mm512_storeu_ps(c + 16 * (r * NV + v), _mm512_add_ps(_mm512_loadu_ps(c + 16 * (r * NV + v)), s[r][v]));
}
int main(int argc, char **argv) {
    int kc = 256, ntiles = argc > 1 ? atoi(argv[1]) : 1;
    float *ap = aligned_alloc(64, sizeof(float) * MR * kc * ntiles + 64), *bp = aligned_alloc(64, sizeof(float) * 16 * NV * kc), *c = aligned_alloc(64, 4 * 16 * MR * NV);
    for (int i = 0; i < MR * kc * ntiles; i++) ap[i] = 1e-3f * (i % 7);
    for (int i = 0; i < 16 * NV * kc; i++) bp[i] = 1e-3f * (i % 5);
    for (int i = 0; i < 16 * MR * NV; i++) c[i] = 0;
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        long iters = 2400000 / (MR * NV);
        double t0 = now();
        for (long it = 0; it < iters; it++) tile(kc, ap + (it % ntiles) * MR * kc, bp, c);
        double t = now() - t0, g = 2.0 * MR * 16 * NV * kc * iters / t / 1e9;
        if (g > best) best = g;
    }
    printf("MR %d NV %d ntiles %d: best %.1f GFLOP/s\n", MR, NV, ntiles, best);
    return c[5] > 1e30;
}
