/* Scratch measurement (issue 17, 2026-12-04 afternoon, docs/PERFORMANCE.md "Products with few columns of C on the vector kernels"):
 * the Java kernels' two W1 products written in C with AVX-512 intrinsics, same blocking (4 rows x 5 columns; 4 vectors x 5 columns over 256-row blocks).
 * gcc -O3 -march=x86-64-v3 fewcolumns-c-probe-20261204.c (the functions carry target("avx512f")). Result here: nt 0.140-0.142 ms, tn 0.163-0.165 ms
 * (the Java kernels: 0.18-0.19 and 0.20-0.21 in the same hour). Not built into the C kernels. */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
/* NT: C[m x n] = A[m x k] B[n x k]^T, n = 10: 4 rows x 5 cols per pass, AVX-512 */
__attribute__((target("avx512f")))
static void nt(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
    int kv = k / 16 * 16;
    for (int i = 0; i + 4 <= m; i += 4)
        for (int j = 0; j < n; j += 5) {
            __m512 s[4][5];
            for (int r = 0; r < 4; r++) for (int q = 0; q < 5; q++) s[r][q] = _mm512_setzero_ps();
            const float *ar[4] = {a + (int64_t) i * lda, a + (int64_t) (i + 1) * lda, a + (int64_t) (i + 2) * lda, a + (int64_t) (i + 3) * lda};
            const float *br[5]; for (int q = 0; q < 5; q++) br[q] = b + (int64_t) (j + (q < n - j ? q : n - j - 1)) * ldb;
            for (int p = 0; p < kv; p += 16) {
                __m512 x0 = _mm512_loadu_ps(ar[0] + p), x1 = _mm512_loadu_ps(ar[1] + p), x2 = _mm512_loadu_ps(ar[2] + p), x3 = _mm512_loadu_ps(ar[3] + p);
                for (int q = 0; q < 5; q++) {
                    __m512 w = _mm512_loadu_ps(br[q] + p);
                    s[0][q] = _mm512_fmadd_ps(x0, w, s[0][q]); s[1][q] = _mm512_fmadd_ps(x1, w, s[1][q]);
                    s[2][q] = _mm512_fmadd_ps(x2, w, s[2][q]); s[3][q] = _mm512_fmadd_ps(x3, w, s[3][q]);
                }
            }
            for (int r = 0; r < 4; r++) for (int q = 0; q < 5 && j + q < n; q++) c[(int64_t) (i + r) * ldc + j + q] = _mm512_reduce_add_ps(s[r][q]);
        }
}
/* TN: C[m x n] = A[k x m]^T B[k x n], n = 10, acc[n][m] */
__attribute__((target("avx512f")))
static void tn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, float *acc) {
    for (int x = 0; x < m * n; x++) acc[x] = 0;
    for (int p0 = 0; p0 < k; p0 += 256) {
        int p1 = p0 + 256 < k ? p0 + 256 : k;
        for (int j = 0; j < n; j += 5)
            for (int i = 0; i + 64 <= m; i += 64) {
                __m512 s[5][4];
                for (int q = 0; q < 5; q++) for (int v = 0; v < 4; v++) s[q][v] = _mm512_loadu_ps(acc + (j + q) * m + i + 16 * v);
                for (int p = p0; p < p1; p++) {
                    const float *ap = a + (int64_t) p * lda + i;
                    __m512 x0 = _mm512_loadu_ps(ap), x1 = _mm512_loadu_ps(ap + 16), x2 = _mm512_loadu_ps(ap + 32), x3 = _mm512_loadu_ps(ap + 48);
                    for (int q = 0; q < 5; q++) {
                        __m512 w = _mm512_set1_ps(b[(int64_t) p * ldb + j + q]);
                        s[q][0] = _mm512_fmadd_ps(x0, w, s[q][0]); s[q][1] = _mm512_fmadd_ps(x1, w, s[q][1]);
                        s[q][2] = _mm512_fmadd_ps(x2, w, s[q][2]); s[q][3] = _mm512_fmadd_ps(x3, w, s[q][3]);
                    }
                }
                for (int q = 0; q < 5; q++) for (int v = 0; v < 4; v++) _mm512_storeu_ps(acc + (j + q) * m + i + 16 * v, s[q][v]);
            }
    }
    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[(int64_t) i * ldc + j] = acc[j * m + i];
}
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int cmp(const void *x, const void *y) { double a = *(double *) x, b = *(double *) y; return a < b ? -1 : a > b; }
int main() {
    int B = 1000, D = 784, K = 10;
    float *x = aligned_alloc(64, 4L * B * D), *w = aligned_alloc(64, 4L * K * D), *g = aligned_alloc(64, 4L * B * K), *z = malloc(4L * B * K), *gw = malloc(4L * D * K), *acc = malloc(4L * D * K);
    for (long i = 0; i < (long) B * D; i++) x[i] = (float) ((i * 7919) % 1000) / 1000 - 0.5f;
    for (long i = 0; i < (long) K * D; i++) w[i] = (float) ((i * 104729) % 997) / 997 - 0.5f;
    for (long i = 0; i < (long) B * K; i++) g[i] = (float) ((i * 31) % 101) / 101 - 0.5f;
    for (int r = 0; r < 3; r++) {
        double m1[101], m2[101];
        for (int q = 0; q < 101; q++) {
            double t0 = now(); nt(B, K, D, x, D, w, D, z, K); double t1 = now(); m1[q] = t1 - t0;
            t0 = now(); tn(D, K, B, x, D, g, K, gw, K, acc); t1 = now(); m2[q] = t1 - t0;
        }
        qsort(m1, 101, sizeof(double), cmp); qsort(m2, 101, sizeof(double), cmp);
        printf("C avx512: nt %.3f ms  tn %.3f ms\n", m1[50] * 1e3, m2[50] * 1e3);
    }
    double e = 0; for (int i = 0; i < B; i++) for (int j = 0; j < K; j++) { double s = 0; for (int p = 0; p < D; p++) s += (double) x[i * D + p] * w[j * D + p]; double d = s - z[i * K + j]; e = d > e ? d : -d > e ? -d : e; }
    printf("err %g\n", e);
}
