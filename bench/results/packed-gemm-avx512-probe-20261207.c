/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "AMD Zen 5: OpenBLAS's own choice of kernels"):
 * would an AVX-512 build of our packed GEMM (native/src/fm_packed_gemm_t.inc, unchanged: its 6 x 2-vector tile,
 * blocks and packing, here with 512-bit vectors) run W2's products, float and double, as fast as OpenBLAS's AVX-512
 * kernels on a CPU with full-width 512-bit units? Also the AVX2 build as the library has it, and whether the two
 * builds give the same bits. Row-major products, best of 22 calls after 3, one thread, operands hot. Built from the
 * repository's root:
 *   gcc -O3 -std=c11 -fPIC -shared -march=x86-64-v3 -fno-math-errno -o /tmp/libfm.so native/src/flatminima.c -lm
 *   gcc -O3 -std=c11 -march=x86-64-v4 -fno-math-errno -Inative/src \
 *       bench/results/packed-gemm-avx512-probe-20261207.c -o /tmp/pg512 \
 *       $LIB/libopenblas.so.0 /tmp/libfm.so -Wl,-rpath,$LIB:/tmp -lm
 * with LIB the bundled OpenBLAS's directory (~/.cache/flatminima/openblas-0.3.31-*), run with OPENBLAS_NUM_THREADS=1
 * and OPENBLAS_CORETYPE unset (output: packed-gemm-avx512-probe-20261207.txt). */
#define _POSIX_C_SOURCE 200112L
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sgemm_(const char *, const char *, const int *, const int *, const int *, const float *, const float *,
            const int *, const float *, const int *, const float *, float *, const int *);
void dgemm_(const char *, const char *, const int *, const int *, const int *, const double *, const double *,
            const int *, const double *, const int *, const double *, double *, const int *);
int fm_packed_gemm_f64(int32_t, int32_t, int32_t, int32_t, int32_t, double, const double *, int32_t, const double *,
                       int32_t, double, double *, int32_t);
int fm_packed_gemm_f32(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *,
                       int32_t, double, float *, int32_t);

static int fm_avx2_supported(void) { return 1; }

/* Sixteen vectors of sixteen floats transposed in place: r[e] lane h becomes r[h] lane e. */
__attribute__((target("avx512f"))) static inline void transpose16(__m512 *r) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    /* u[4b + c] holds, in each 128-bit lane l, column c of rows 4l.. of block b's four rows: 4 x 4 blocks */
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(u[i], u[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(u[i], u[4 + i], 0xDD);
        t[8 + i] = _mm512_shuffle_f32x4(u[8 + i], u[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(u[8 + i], u[12 + i], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xDD);
    }
}

/* Eight vectors of eight doubles transposed in place. */
__attribute__((target("avx512f"))) static inline void transpose8d(__m512d *r) {
    __m512d t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    }
    /* t[2j], t[2j+1]: in each 128-bit lane l, rows 2j and 2j+1 at columns 2l (lo) and 2l+1 (hi) */
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0x88);
        u[i + 1] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0x88);
        u[i + 2] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0xDD);
        u[i + 3] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f64x2(u[i], u[4 + i], 0x88);
        r[4 + i] = _mm512_shuffle_f64x2(u[i], u[4 + i], 0xDD);
    }
}

#define PG_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define PG_MR 6
#define PG_KC 256
#define PG_MC 120
#define PG_NC 1024
#define PG_PAD 16
#define T float
#define FM(name) x512_##name##_f32
#define PG_V __m512
#define PG_VL 16
#define PG_LOAD(p) _mm512_load_ps(p)
#define PG_LOADU(p) _mm512_loadu_ps(p)
#define PG_STORE(p, v) _mm512_store_ps(p, v)
#define PG_STOREU(p, v) _mm512_storeu_ps(p, v)
#define PG_BCAST(p) _mm512_set1_ps(*(p))
#define PG_SET1(x) _mm512_set1_ps(x)
#define PG_ZERO() _mm512_setzero_ps()
#define PG_FMA(x, y, z) _mm512_fmadd_ps(x, y, z)
#define PG_MUL(x, y) _mm512_mul_ps(x, y)
#define PG_ADD(x, y) _mm512_add_ps(x, y)
#define PG_RELU(x) _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), x)
#define PG_TRANSPOSE transpose16
static void *fm_pg_scratch(void) { return aligned_alloc(64, ((size_t) (PG_MC + PG_NC) * PG_KC + 64) * sizeof(double)); }
#include "fm_packed_gemm_t.inc"
#undef T
#undef FM
#undef PG_V
#undef PG_VL
#undef PG_LOAD
#undef PG_LOADU
#undef PG_STORE
#undef PG_STOREU
#undef PG_BCAST
#undef PG_SET1
#undef PG_ZERO
#undef PG_FMA
#undef PG_MUL
#undef PG_ADD
#undef PG_RELU
#undef PG_TRANSPOSE
#define T double
#define FM(name) x512_##name##_f64
#define PG_V __m512d
#define PG_VL 8
#define PG_LOAD(p) _mm512_load_pd(p)
#define PG_LOADU(p) _mm512_loadu_pd(p)
#define PG_STORE(p, v) _mm512_store_pd(p, v)
#define PG_STOREU(p, v) _mm512_storeu_pd(p, v)
#define PG_BCAST(p) _mm512_set1_pd(*(p))
#define PG_SET1(x) _mm512_set1_pd(x)
#define PG_ZERO() _mm512_setzero_pd()
#define PG_FMA(x, y, z) _mm512_fmadd_pd(x, y, z)
#define PG_MUL(x, y) _mm512_mul_pd(x, y)
#define PG_ADD(x, y) _mm512_add_pd(x, y)
#define PG_RELU(x) _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ), x)
#define PG_TRANSPOSE transpose8d
#include "fm_packed_gemm_t.inc"

/* The transpose's check: a 16 x 16 matrix of distinct values through transpose16 against its definition. */
static int transpose_ok(void) {
    float in[16][16], out[16][16];
    __m512 r[16];
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) in[i][j] = (float) (16 * i + j);
        r[i] = _mm512_loadu_ps(in[i]);
    }
    transpose16(r);
    for (int i = 0; i < 16; i++) _mm512_storeu_ps(out[i], r[i]);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            if (out[i][j] != in[j][i]) return 0;
    double din[8][8], dout[8][8];
    __m512d d[8];
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 8; j++) din[i][j] = 8 * i + j;
        d[i] = _mm512_loadu_pd(din[i]);
    }
    transpose8d(d);
    for (int i = 0; i < 8; i++) _mm512_storeu_pd(dout[i], d[i]);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            if (dout[i][j] != din[j][i]) return 0;
    return 1;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static float *A, *B, *C0, *C1, *C2;

static void blas(int ta, int tb, int m, int n, int k) {
    float one = 1, zero = 0;
    int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
    sgemm_(tb ? "T" : "N", ta ? "T" : "N", &n, &m, &k, &one, B, &ldb, A, &lda, &zero, C0, &ldc);
}

int main(void) {
    if (!transpose_ok()) {
        fprintf(stderr, "transpose16 is wrong\n");
        return 1;
    }
    A = aligned_alloc(64, 1 << 24);
    B = aligned_alloc(64, 1 << 24);
    C0 = aligned_alloc(64, 1 << 24);
    C1 = aligned_alloc(64, 1 << 24);
    C2 = aligned_alloc(64, 1 << 24);
    float *scratch = fm_pg_scratch();
    srand(1);
    for (int i = 0; i < (1 << 22); i++) {
        A[i] = rand() / (float) RAND_MAX - 0.5f;
        B[i] = rand() / (float) RAND_MAX - 0.5f;
    }
    /* m, n, k, transA, transB: W2's five large products (weight gradients TN, forward NT, input gradient NN) */
    int sh[][5] = {{512, 784, 1000, 1, 0}, {512, 512, 1000, 1, 0}, {1000, 512, 784, 0, 1}, {1000, 512, 512, 0, 1},
                   {1000, 512, 512, 0, 0}, {1024, 1024, 1024, 0, 0}};
    printf("shape                      OpenBLAS ms  AVX2 packed  AVX-512 packed  (ratios to OpenBLAS)  max |diff|"
           "                 entries whose bits differ, AVX2 / AVX-512\n");
    for (unsigned s = 0; s < sizeof sh / sizeof sh[0]; s++) {
        int m = sh[s][0], n = sh[s][1], k = sh[s][2], ta = sh[s][3], tb = sh[s][4];
        int lda = ta ? m : k, ldb = tb ? k : n;
        double b0 = 1e9, b1 = 1e9, b2 = 1e9;
        for (int r = 0; r < 25; r++) {
            double t = now();
            blas(ta, tb, m, n, k);
            t = now() - t;
            if (r >= 3 && t < b0) b0 = t;
            t = now();
            fm_packed_gemm_f32(ta, tb, m, n, k, 1.0, A, lda, B, ldb, 0.0, C1, n);
            t = now() - t;
            if (r >= 3 && t < b1) b1 = t;
            t = now();
            x512_pg_run_f32(ta, tb, m, n, k, 1.0f, A, lda, B, ldb, 0.0f, NULL, 0, C2, n, scratch);
            t = now() - t;
            if (r >= 3 && t < b2) b2 = t;
        }
        double err = 0;
        long differ = 0; /* entries whose bits differ between the AVX2 and the AVX-512 builds */
        for (long i = 0; i < (long) m * n; i++) {
            double d = fabs(C0[i] - C2[i]);
            if (d > err) err = d;
            differ += memcmp(&C1[i], &C2[i], sizeof(float)) != 0;
        }
        printf("%4d x %4d x %4d %s%s     %7.3f   %7.3f      %7.3f        (%.2f, %.2f)   %.1e   %.0f GFLOP/s  %ld\n", m,
               n, k, ta ? "T" : "N", tb ? "T" : "N", b0, b1, b2, b1 / b0, b2 / b0, err, 2.0 * m * n * k / b2 / 1e6,
               differ);
    }
    /* the same in double, on the first 2 M elements of each buffer */
    double *dA = (double *) A, *dB = (double *) B, *dC0 = (double *) C0, *dC1 = (double *) C1, *dC2 = (double *) C2;
    for (int i = 0; i < (1 << 21); i++) {
        dA[i] = rand() / (double) RAND_MAX - 0.5;
        dB[i] = rand() / (double) RAND_MAX - 0.5;
    }
    printf("double\n");
    for (unsigned s = 0; s < sizeof sh / sizeof sh[0]; s++) {
        int m = sh[s][0], n = sh[s][1], k = sh[s][2], ta = sh[s][3], tb = sh[s][4];
        int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
        double one = 1, zero = 0, b0 = 1e9, b1 = 1e9, b2 = 1e9;
        for (int r = 0; r < 25; r++) {
            double t = now();
            dgemm_(tb ? "T" : "N", ta ? "T" : "N", &n, &m, &k, &one, dB, &ldb, dA, &lda, &zero, dC0, &ldc);
            t = now() - t;
            if (r >= 3 && t < b0) b0 = t;
            t = now();
            fm_packed_gemm_f64(ta, tb, m, n, k, 1.0, dA, lda, dB, ldb, 0.0, dC1, n);
            t = now() - t;
            if (r >= 3 && t < b1) b1 = t;
            t = now();
            x512_pg_run_f64(ta, tb, m, n, k, 1.0, dA, lda, dB, ldb, 0.0, NULL, 0, dC2, n, (double *) scratch);
            t = now() - t;
            if (r >= 3 && t < b2) b2 = t;
        }
        double err = 0;
        long differ = 0;
        for (long i = 0; i < (long) m * n; i++) {
            double d = fabs(dC0[i] - dC2[i]);
            if (d > err) err = d;
            differ += memcmp(&dC1[i], &dC2[i], sizeof(double)) != 0;
        }
        printf("%4d x %4d x %4d %s%s     %7.3f   %7.3f      %7.3f        (%.2f, %.2f)   %.1e   %.0f GFLOP/s  %ld\n", m,
               n, k, ta ? "T" : "N", tb ? "T" : "N", b0, b1, b2, b1 / b0, b2 / b0, err, 2.0 * m * n * k / b2 / 1e6,
               differ);
    }
    return 0;
}
