/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "Two threads on the 512-bit packed GEMM, alone
 * and in a step"): the packed GEMM's 512-bit build (fm_packed_gemm512_f32) on one thread against two threads each
 * running its band of C (rows of whole tiles where m >= n, columns of whole panels otherwise, each band packing all
 * of the operand the bands share: as CKernelBackend splits it), the two started and joined at a barrier; best and
 * mean of 40 calls of each after 5, one after the other; with FLUSH set, 64 MB written before every call so that
 * the operands come from memory. Built with gcc -O2 -pthread -o two <this file> -ldl; run as
 *   [FLUSH=1] ./two <libflatminima.so> transA transB m n k
 * (output: two-threads-packed-gemm-zen5-20261207.txt). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef int (*g32)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static g32 f;
static int ta, tb, m, n, k, lda, ldb, bycols;
static float *A, *B, *C;
static pthread_barrier_t bar;
static volatile int stop;
static void band(int p, int parts) {
    if (!bycols) {
        int r0 = (m * p / parts) / 6 * 6, r1 = p + 1 == parts ? m : (m * (p + 1) / parts) / 6 * 6;
        f(ta, tb, r1 - r0, n, k, 1.0, ta ? A + r0 : A + (int64_t) r0 * lda, lda, B, ldb, 0.0, C + (int64_t) r0 * n, n);
    } else {
        int c0 = (n * p / parts) / 32 * 32, c1 = p + 1 == parts ? n : (n * (p + 1) / parts) / 32 * 32;
        f(ta, tb, m, c1 - c0, k, 1.0, A, lda, tb ? B + (int64_t) c0 * ldb : B + c0, ldb, 0.0, C + c0, n);
    }
}
static void *worker(void *arg) {
    for (;;) {
        pthread_barrier_wait(&bar);
        if (stop) return NULL;
        band(1, 2);
        pthread_barrier_wait(&bar);
    }
}
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW);
    f = (g32) dlsym(h, "fm_packed_gemm512_f32");
    ta = atoi(argv[2]); tb = atoi(argv[3]); m = atoi(argv[4]); n = atoi(argv[5]); k = atoi(argv[6]);
    lda = ta ? m : k; ldb = tb ? k : n; bycols = n > m;
    A = aligned_alloc(64, 4L * m * k); B = aligned_alloc(64, 4L * k * n); C = aligned_alloc(64, 4L * m * n + 64);
    for (long i = 0; i < (long) m * k; i++) A[i] = (i % 13) * 0.01f;
    for (long i = 0; i < (long) k * n; i++) B[i] = (i % 7) * 0.01f;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t th; pthread_create(&th, NULL, worker, NULL);
    double b1 = 1e9, b2 = 1e9, s1 = 0, s2 = 0; int R = 40;
    size_t fn = (size_t) 64 << 20 >> 3; double *fl = calloc(fn, 8); int flush = getenv("FLUSH") != NULL;
    for (int r = 0; r < R + 5; r++) {
        if (flush) for (size_t q = 0; q < fn; q += 8) fl[q] += 1;
        double t0 = now(); band(0, 1); double t = now() - t0; if (r >= 5) { s1 += t; if (t < b1) b1 = t; }
        if (flush) for (size_t q = 0; q < fn; q += 8) fl[q] += 1;
        t0 = now(); pthread_barrier_wait(&bar); band(0, 2); pthread_barrier_wait(&bar); t = now() - t0; if (r >= 5) { s2 += t; if (t < b2) b2 = t; }
    }
    stop = 1; pthread_barrier_wait(&bar); pthread_join(th, NULL);
    printf("%d x %d x %d %s%s: one thread best %.3f mean %.3f ms; two best %.3f mean %.3f ms; speed-up %.2fx (best) %.2fx (mean)\n",
           m, n, k, ta ? "T" : "N", tb ? "T" : "N", b1 * 1e3, s1 / R * 1e3, b2 * 1e3, s2 / R * 1e3, b1 / b2, s1 / s2);
    return 0;
}
