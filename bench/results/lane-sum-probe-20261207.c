/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "W1's forward product: lanes summed pairwise"):
 * fm_fewcol.inc's rows kernel (A not transposed; W1's forward product 1000 x 10 x 784, float, input hot), its 20
 * accumulators' lanes summed 0: in lane order (before), 1: pairwise by halves (fm_lanes_sum_f32), 2: not at all
 * (lane 0 alone: the bound). gcc -O3 -std=c11 -march=x86-64-v3 probe.c -lm. Results: lane-sum-20261207.txt. */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
#define VL 16
typedef float T;
/* combine a, b into [a_lo + a_hi | b_lo + b_hi] (256-bit halves) */
__attribute__((target("avx512f,fma"))) static inline float tree(__m512 v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
}
__attribute__((target("avx512f,fma"),noinline))
static void rows(int mode, int m, int n, int k, const T *a, int64_t lda, const T *bt, T *c, int64_t ldc) {
    const int kv = k / VL * VL;
    T lanes[4 * 5 * VL] __attribute__((aligned(64)));
    for (int i = 0; i < m; i += 4) {
        const int rb = m - i < 4 ? m - i : 4;
        const T *a0 = a + (int64_t) i * lda, *a1 = a + (int64_t) (i + (rb > 1 ? 1 : 0)) * lda;
        const T *a2 = a + (int64_t) (i + (rb > 2 ? 2 : rb - 1)) * lda, *a3 = a + (int64_t) (i + (rb > 3 ? 3 : rb - 1)) * lda;
        for (int j = 0; j < n; j += 5) {
            const int jb = n - j < 5 ? n - j : 5;
            const T *w[5];
            for (int q = 0; q < 5; q++) w[q] = bt + (int64_t) (j + (q < jb ? q : jb - 1)) * k;
            __m512 s[4][5];
            for (int r = 0; r < 4; r++) for (int q = 0; q < 5; q++) s[r][q] = _mm512_setzero_ps();
            for (int p = 0; p < kv; p += VL) {
                const __m512 x0 = _mm512_loadu_ps(a0 + p), x1 = _mm512_loadu_ps(a1 + p), x2 = _mm512_loadu_ps(a2 + p), x3 = _mm512_loadu_ps(a3 + p);
                for (int q = 0; q < 5; q++) {
                    const __m512 v = _mm512_loadu_ps(w[q] + p);
                    s[0][q] = _mm512_fmadd_ps(x0, v, s[0][q]); s[1][q] = _mm512_fmadd_ps(x1, v, s[1][q]);
                    s[2][q] = _mm512_fmadd_ps(x2, v, s[2][q]); s[3][q] = _mm512_fmadd_ps(x3, v, s[3][q]);
                }
            }
            if (mode == 0) {
                for (int r = 0; r < 4; r++) for (int q = 0; q < 5; q++) _mm512_storeu_ps(lanes + (r * 5 + q) * VL, s[r][q]);
                for (int r = 0; r < rb; r++) for (int q = 0; q < jb; q++) {
                    const T *l = lanes + (r * 5 + q) * VL; T sum = 0;
                    for (int x = 0; x < VL; x++) sum += l[x];
                    c[(int64_t) (i + r) * ldc + j + q] = sum;
                }
            } else if (mode == 1) {
                for (int r = 0; r < rb; r++) for (int q = 0; q < jb; q++)
                    c[(int64_t) (i + r) * ldc + j + q] = tree(s[r][q]);
            } else {
                for (int r = 0; r < rb; r++) for (int q = 0; q < jb; q++)
                    c[(int64_t) (i + r) * ldc + j + q] = s[r][q][0];
            }
        }
    }
}
int main(){
    int M=1000,K=784,N=10;
    T *x=aligned_alloc(64,4L*M*K), *w=aligned_alloc(64,4L*N*K), *c[3];
    for (long i=0;i<(long)M*K;i++) x[i]=((i*7919)%1000)/1000.0f-0.5f;
    for (long i=0;i<(long)N*K;i++) w[i]=((i*104729)%997)/997.0f-0.5f;
    for (int v=0;v<3;v++){c[v]=malloc(4L*M*N);}
    rows(0,M,N,K,x,K,w,c[0],N); rows(1,M,N,K,x,K,w,c[1],N);
    double md=0, mr=0; for(int e=0;e<M*N;e++){double d=fabs(c[1][e]-c[0][e]); if(d>md)md=d; if(fabs(c[0][e])>mr) mr=fabs(c[0][e]);}
    printf("max |pairwise - in order| %g of %g\n", md, mr);
    for (int pass=0;pass<3;pass++) for (int mode=0;mode<3;mode++){
        double t[201];
        for(int r=0;r<201;r++){double t0=now(); rows(mode,M,N,K,x,K,w,c[mode],N); t[r]=(now()-t0)*1e6;}
        qsort(t+1,200,sizeof(double),cmp);
        printf("pass %d mode %d min %6.1f med %6.1f us\n",pass,mode,t[1],t[101]);
    }
}
