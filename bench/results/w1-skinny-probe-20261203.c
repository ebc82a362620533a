/* Scratch measurement (issue 17, 2026-12-03, docs/PERFORMANCE.md "Few columns of C"): W1's forward (NT) and weight-gradient (TN)
 * products at batch 1000 as hand-written kernels, against a double-precision reference. gcc -O3 -std=c11 -march=x86-64-v3 [-DT=double]. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef T
#define T float
#endif
#define VB 32
typedef T V __attribute__((vector_size(VB)));
#define VL ((int64_t) (VB / sizeof(T)))
static inline V ld(const T *p) { V v; memcpy(&v, p, sizeof v); return v; }
static inline void st(T *p, V v) { memcpy(p, &v, sizeof v); }
static inline V bc(T x) { V v; for (int l = 0; l < VL; l++) v[l] = x; return v; }
static inline T hsum(V v) { T s = 0; for (int l = 0; l < VL; l++) s += v[l]; return s; }

/* C[m x n] = A[m x k] B[n x k]^T, n small: per row of A, dot products with 4 rows of B at a time. */
void nt(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda, const T *b, int64_t ldb, T *c, int64_t ldc) {
    const int64_t kv = k / VL * VL;
    for (int64_t i = 0; i < m; i++) {
        const T *ai = a + i * lda;
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) {
            V s0 = bc(0), s1 = bc(0), s2 = bc(0), s3 = bc(0);
            const T *b0 = b + j * ldb;
            for (int64_t p = 0; p < kv; p += VL) {
                const V x = ld(ai + p);
                s0 += x * ld(b0 + p); s1 += x * ld(b0 + ldb + p); s2 += x * ld(b0 + 2 * ldb + p); s3 += x * ld(b0 + 3 * ldb + p);
            }
            T r[4] = {hsum(s0), hsum(s1), hsum(s2), hsum(s3)};
            for (int q = 0; q < 4; q++) { for (int64_t p = kv; p < k; p++) r[q] += ai[p] * b0[q * ldb + p]; c[i * ldc + j + q] = r[q]; }
        }
        for (; j < n; j++) {
            V s0 = bc(0); const T *bj = b + j * ldb;
            for (int64_t p = 0; p < kv; p += VL) s0 += ld(ai + p) * ld(bj + p);
            T r = hsum(s0); for (int64_t p = kv; p < k; p++) r += ai[p] * bj[p];
            c[i * ldc + j] = r;
        }
    }
}
/* C[m x n] = A[k x m]^T B[k x n], n small (<= 16): columns of A in blocks of VL, n accumulators each, over all k. */
void tn(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda, const T *b, int64_t ldb, T *c, int64_t ldc) {
    const int64_t KB = 128; /* rows of A per pass: the block stays in L2 */
    T *acc = calloc((size_t) (m * n), sizeof(T)); /* [n][m] */
    for (int64_t p0 = 0; p0 < k; p0 += KB) {
        int64_t p1 = p0 + KB < k ? p0 + KB : k;
        int64_t i = 0;
        for (; i + VL <= m; i += VL) {
            V s[16];
            for (int64_t j = 0; j < n; j++) s[j] = ld(acc + j * m + i);
            for (int64_t p = p0; p < p1; p++) {
                const V x = ld(a + p * lda + i);
                const T *bp = b + p * ldb;
                for (int64_t j = 0; j < n; j++) s[j] += x * bc(bp[j]);
            }
            for (int64_t j = 0; j < n; j++) st(acc + j * m + i, s[j]);
        }
        for (; i < m; i++) for (int64_t p = p0; p < p1; p++) for (int64_t j = 0; j < n; j++) acc[j * m + i] += a[p * lda + i] * b[p * ldb + j];
    }
    for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < n; j++) c[i * ldc + j] = acc[j * m + i];
    free(acc);
}
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main() {
    int64_t B = 1000, D = 784, K = 10;
    T *x = malloc(sizeof(T) * B * D), *w = malloc(sizeof(T) * K * D), *g = malloc(sizeof(T) * B * K), *z = malloc(sizeof(T) * B * K), *gw = malloc(sizeof(T) * D * K);
    for (int64_t i = 0; i < B * D; i++) x[i] = (T) ((i * 7919) % 1000) / 1000 - 0.5;
    for (int64_t i = 0; i < K * D; i++) w[i] = (T) ((i * 104729) % 997) / 997 - 0.5;
    for (int64_t i = 0; i < B * K; i++) g[i] = (T) ((i * 31) % 101) / 101 - 0.5;
    nt(B, K, D, x, D, w, D, z, K); tn(D, K, B, x, D, g, K, gw, K);
    double e1 = 0, e2 = 0;
    for (int64_t i = 0; i < B; i++) for (int64_t j = 0; j < K; j++) { double s = 0; for (int64_t p = 0; p < D; p++) s += (double) x[i*D+p] * w[j*D+p]; double d = s - z[i*K+j]; if (d < 0) d = -d; if (d > e1) e1 = d; }
    for (int64_t i = 0; i < D; i++) for (int64_t j = 0; j < K; j++) { double s = 0; for (int64_t p = 0; p < B; p++) s += (double) x[p*D+i] * g[p*K+j]; double d = s - gw[i*K+j]; if (d < 0) d = -d; if (d > e2) e2 = d; }
    printf("max abs err nt %g tn %g\n", e1, e2);
    for (int r = 0; r < 5; r++) {
        double best1 = 1e9, best2 = 1e9, t0, t1;
        double m1[21], m2[21];
        for (int q = 0; q < 21; q++) {
            t0 = now(); nt(B, K, D, x, D, w, D, z, K); t1 = now(); m1[q] = t1 - t0;
            t0 = now(); tn(D, K, B, x, D, g, K, gw, K); t1 = now(); m2[q] = t1 - t0;
        }
        for (int q = 0; q < 21; q++) { if (m1[q] < best1) best1 = m1[q]; if (m2[q] < best2) best2 = m2[q]; }
        /* median */
        for (int u = 0; u < 21; u++) for (int v = u + 1; v < 21; v++) { if (m1[v] < m1[u]) { double s = m1[u]; m1[u] = m1[v]; m1[v] = s; } if (m2[v] < m2[u]) { double s = m2[u]; m2[u] = m2[v]; m2[v] = s; } }
        printf("nt %.3f ms (min %.3f)  tn %.3f ms (min %.3f)\n", m1[10] * 1e3, best1 * 1e3, m2[10] * 1e3, best2 * 1e3);
    }
}
