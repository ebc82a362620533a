/* Scratch measurement (issue 17, 2026-12-03, docs/PERFORMANCE.md "Where the second core goes"): hand-written
 * products for conv1's shapes (forward: 32 x 9 times 9 x 784 per image; weight gradient: 32 x 784 times its
 * 9 x 784 transposed), 256 images, f32, gcc vector extensions, against OpenBLAS's per-image times of the same run
 * day. gcc -O3 -std=c11 -march=x86-64-v3 [-ffp-contract=fast] -o probe THIS && ./probe. Not adopted. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef float T;
#define VB 32
typedef T V __attribute__((vector_size(VB)));
#define VL ((int32_t) (VB / sizeof(T)))
static inline V ld(const T *p) { V v; memcpy(&v, p, sizeof v); return v; }
static inline void st(T *p, V v) { memcpy(p, &v, sizeof v); }
static inline V bc(T x) { V v; for (int l = 0; l < VL; l++) v[l] = x; return v; }

void nn_smallk(int32_t m, int32_t n, int32_t k, double alpha, const T *a, int64_t lda, const T *b, int64_t ldb,
               double beta, T *c, int64_t ldc) {
    const T al = (T) alpha, be = (T) beta;
    int32_t j0 = 0;
    for (; j0 + 2 * VL <= n; j0 += 2 * VL) {
        int32_t i = 0;
        for (; i + 4 <= m; i += 4) {
            V c00 = bc(0), c01 = bc(0), c10 = bc(0), c11 = bc(0), c20 = bc(0), c21 = bc(0), c30 = bc(0), c31 = bc(0);
            const T *a0 = a + i * lda;
            for (int32_t p = 0; p < k; p++) {
                const V b0 = ld(b + p * ldb + j0), b1 = ld(b + p * ldb + j0 + VL);
                V x = bc(a0[p]); c00 += x * b0; c01 += x * b1;
                x = bc(a0[lda + p]); c10 += x * b0; c11 += x * b1;
                x = bc(a0[2 * lda + p]); c20 += x * b0; c21 += x * b1;
                x = bc(a0[3 * lda + p]); c30 += x * b0; c31 += x * b1;
            }
            V r[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
            for (int q = 0; q < 8; q++) {
                T *cp = c + (i + q / 2) * ldc + j0 + (q % 2) * VL;
                st(cp, be == 0 ? bc(al) * r[q] : bc(al) * r[q] + bc(be) * ld(cp));
            }
        }
        for (; i < m; i++) {
            V c0 = bc(0), c1 = bc(0);
            for (int32_t p = 0; p < k; p++) {
                V x = bc(a[i * lda + p]);
                c0 += x * ld(b + p * ldb + j0); c1 += x * ld(b + p * ldb + j0 + VL);
            }
            T *cp = c + i * ldc + j0;
            st(cp, be == 0 ? bc(al) * c0 : bc(al) * c0 + bc(be) * ld(cp));
            st(cp + VL, be == 0 ? bc(al) * c1 : bc(al) * c1 + bc(be) * ld(cp + VL));
        }
    }
    for (int32_t i = 0; i < m; i++) {
        for (int32_t j = j0; j < n; j++) {
            T s = 0;
            for (int32_t p = 0; p < k; p++) s += a[i * lda + p] * b[p * ldb + j];
            c[i * ldc + j] = be == 0 ? al * s : al * s + be * c[i * ldc + j];
        }
    }
}

static inline T hsum(V v) { T s = 0; for (int l = 0; l < VL; l++) s += v[l]; return s; }

void nt_smalln(int32_t m, int32_t n, int32_t k, double alpha, const T *a, int64_t lda, const T *b, int64_t ldb,
               double beta, T *c, int64_t ldc) {
    const T al = (T) alpha, be = (T) beta;
    const int32_t kv = k / VL * VL;
    for (int32_t i = 0; i < m; i++) {
        const T *ai = a + i * lda;
        int32_t j = 0;
        for (; j + 4 <= n; j += 4) {
            V s0 = bc(0), s1 = bc(0), s2 = bc(0), s3 = bc(0);
            const T *b0 = b + j * ldb;
            for (int32_t p = 0; p < kv; p += VL) {
                const V x = ld(ai + p);
                s0 += x * ld(b0 + p); s1 += x * ld(b0 + ldb + p); s2 += x * ld(b0 + 2 * ldb + p); s3 += x * ld(b0 + 3 * ldb + p);
            }
            T r[4] = {hsum(s0), hsum(s1), hsum(s2), hsum(s3)};
            for (int q = 0; q < 4; q++) {
                for (int32_t p = kv; p < k; p++) r[q] += ai[p] * b0[q * ldb + p];
                T *cp = c + i * ldc + j + q;
                *cp = be == 0 ? al * r[q] : al * r[q] + be * *cp;
            }
        }
        for (; j < n; j++) {
            V s0 = bc(0);
            const T *bj = b + j * ldb;
            for (int32_t p = 0; p < kv; p += VL) s0 += ld(ai + p) * ld(bj + p);
            T r = hsum(s0);
            for (int32_t p = kv; p < k; p++) r += ai[p] * bj[p];
            T *cp = c + i * ldc + j;
            *cp = be == 0 ? al * r : al * r + be * *cp;
        }
    }
}
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main() {
    int N = 256, O = 32, K = 9, P = 784;
    T *w = malloc(sizeof(T) * O * K), *cols = malloc(sizeof(T) * N * K * P), *y = malloc(sizeof(T) * N * O * P);
    T *g = malloc(sizeof(T) * N * O * P), *gw = malloc(sizeof(T) * O * K);
    for (int i = 0; i < O * K; i++) w[i] = (T) (i % 7) / 7;
    for (long i = 0; i < (long) N * K * P; i++) cols[i] = (T) (i % 13) / 13;
    for (long i = 0; i < (long) N * O * P; i++) g[i] = (T) (i % 11) / 11;
    /* check against naive */
    nn_smallk(O, P, K, 1, w, K, cols, P, 0, y, P);
    double err = 0;
    for (int o = 0; o < O; o++) for (int p = 0; p < P; p++) { double s = 0; for (int q = 0; q < K; q++) s += (double) w[o*K+q]*cols[q*P+p]; double d = s - y[o*P+p]; err = err > (d<0?-d:d) ? err : (d<0?-d:d); }
    nt_smalln(O, K, P, 1, g, P, cols, P, 0, gw, K);
    double err2 = 0;
    for (int o = 0; o < O; o++) for (int q = 0; q < K; q++) { double s = 0; for (int p = 0; p < P; p++) s += (double) g[o*P+p]*cols[q*P+p]; double d = (s - gw[o*K+q]) / s; err2 = err2 > (d<0?-d:d) ? err2 : (d<0?-d:d); }
    printf("max err nn %g, nt rel %g\n", err, err2);
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (int b = 0; b < N; b++) nn_smallk(O, P, K, 1, w, K, cols + (long) b * K * P, P, 0, y + (long) b * O * P, P);
        double t1 = now();
        for (int b = 0; b < N; b++) nt_smalln(O, K, P, 1, g + (long) b * O * P, P, cols + (long) b * K * P, P, b == 0 ? 0 : 1, gw, K);
        double t2 = now();
        printf("fwd %.2f ms  wgrad %.2f ms  (y %f gw %f)\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3, y[12345], gw[17]);
    }
}
