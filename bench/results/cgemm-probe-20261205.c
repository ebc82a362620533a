/* Scratch measurement (issue 17, 2026-12-05, docs/PERFORMANCE.md "Winograd transforms two rows of tiles to a vector",
 * "An own GEMM in C, probed"): a blocked single-threaded sgemm in C with AVX-512 intrinsics (14 x 32 micro-tile, 28
 * accumulators; A packed in 14-row panels, B in 32-column panels, KC balanced over k, the first pass over k storing
 * C instead of adding to it) against the OpenBLAS it is linked with, on the eight products of W2 gradient and two
 * squares; row-major, best of 22 calls after 3. Not used by flatminima: it was within -5% .. +8% of the bundled
 * OpenBLAS, see the doc. Built: gcc -O3 -march=sapphirerapids cgemm-probe-20261205.c -o p libopenblas.so.0 -lm */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#ifndef MR
#define MR 14
#endif
#define NR 32
#ifndef KC
#define KC 256
#endif
#ifndef MC
#define MC 336
#endif
#ifndef NC
#define NC 4096
#endif
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}

/* ap: panels of MR rows: ap[q*MR*kc + p*MR + r]; bp: panels of NR cols: bp[jq*NR*kc + p*NR + j] */
static void packA(int ta, const float *a, int lda, int i0, int p0, int mc, int kc, float alpha, float *ap) {
  __m512 va = _mm512_set1_ps(alpha);
  if (ta) {
    int panels = (mc + MR - 1) / MR;
    __mmask16 pm = (__mmask16)((1u << MR) - 1);
    for (int p = 0; p < kc; p++) {
      const float *src = a + (long)(p0 + p) * lda + i0;
      float *dst = ap + p * MR;
      int q = 0;
      for (; q < panels - 1; q++) _mm512_mask_storeu_ps(dst + (long)q * MR * kc, pm, _mm512_mul_ps(va, _mm512_loadu_ps(src + q * MR)));
      int rows = mc - q * MR;
      _mm512_mask_storeu_ps(dst + (long)q * MR * kc, pm, _mm512_mul_ps(va, _mm512_maskz_loadu_ps((__mmask16)((1u << rows) - 1), src + q * MR)));
    }
    return;
  }
  for (int q = 0; q * MR < mc; q++) {
    float *dst = ap + (long)q * MR * kc;
    int rows = mc - q * MR < MR ? mc - q * MR : MR;
    __mmask16 rm = (__mmask16)((1u << rows) - 1);
    __mmask16 pm = (__mmask16)((1u << MR) - 1);
    if (ta) { /* packed below, row by row */
    } else {
      __m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(15,14,13,12,11,10,9,8,7,6,5,4,3,2,1,0), _mm512_set1_epi32(lda));
      const float *src = a + (long)(i0 + q * MR) * lda + p0;
      for (int p = 0; p < kc; p++)
        _mm512_mask_storeu_ps(dst + p * MR, pm, _mm512_mul_ps(va, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), rm, idx, src + p, 4)));
    }
  }
}
static void packB(int tb, const float *b, int ldb, int p0, int j0, int kc, int nc, float *bp) {
  if (!tb) {
    int panels = (nc + NR - 1) / NR;
    int last = nc - (panels - 1) * NR;
    __mmask16 m0 = last >= 16 ? 0xFFFF : (__mmask16)((1u << last) - 1);
    __mmask16 m1 = last >= 32 ? 0xFFFF : last <= 16 ? 0 : (__mmask16)((1u << (last - 16)) - 1);
    for (int p = 0; p < kc; p++) {
      const float *src = b + (long)(p0 + p) * ldb + j0;
      float *dst = bp + p * NR;
      int jq = 0;
      for (; jq < panels - 1; jq++) {
        _mm512_store_ps(dst + (long)jq * NR * kc, _mm512_loadu_ps(src + jq * NR));
        _mm512_store_ps(dst + (long)jq * NR * kc + 16, _mm512_loadu_ps(src + jq * NR + 16));
      }
      _mm512_store_ps(dst + (long)jq * NR * kc, _mm512_maskz_loadu_ps(m0, src + jq * NR));
      _mm512_store_ps(dst + (long)jq * NR * kc + 16, _mm512_maskz_loadu_ps(m1, src + jq * NR + 16));
    }
    return;
  }
  for (int jq = 0; jq * NR < nc; jq++) {
    float *dst = bp + (long)jq * NR * kc;
    int cols = nc - jq * NR < NR ? nc - jq * NR : NR;
    if (!tb) {
    } else {
      __m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(15,14,13,12,11,10,9,8,7,6,5,4,3,2,1,0), _mm512_set1_epi32(ldb));
      __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
      __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
      const float *src = b + (long)(j0 + jq * NR) * ldb + p0, *src1 = src + 16L * ldb;
      for (int p = 0; p < kc; p++) {
        _mm512_store_ps(dst + p * NR, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m0, idx, src + p, 4));
        _mm512_store_ps(dst + p * NR + 16, m1 ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m1, idx, src1 + p, 4) : _mm512_setzero_ps());
      }
    }
  }
}
/* C[MR x NR] += Apanel * Bpanel */
static void kernel(int kc, const float *ap, const float *bp, float *c, int ldc, int mr, int nr, int first) {
  __m512 acc[MR][2];
  for (int r = 0; r < MR; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
  if (!first) for (int r = 0; r < mr; r++) _mm_prefetch((const char*)(c + (long)r * ldc), _MM_HINT_T0), _mm_prefetch((const char*)(c + (long)r * ldc + 16), _MM_HINT_T0);
  for (int p = 0; p < kc; p++) {
    __m512 b0 = _mm512_load_ps(bp + p * NR), b1 = _mm512_load_ps(bp + p * NR + 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      __m512 a = _mm512_set1_ps(ap[p * MR + r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      float *cr = c + (long)r * ldc;
      if (first) { _mm512_storeu_ps(cr, acc[r][0]); _mm512_storeu_ps(cr + 16, acc[r][1]); }
      else {
      _mm512_storeu_ps(cr, _mm512_add_ps(_mm512_loadu_ps(cr), acc[r][0]));
      _mm512_storeu_ps(cr + 16, _mm512_add_ps(_mm512_loadu_ps(cr + 16), acc[r][1])); }
    }
  } else {
    __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
    for (int r = 0; r < mr; r++) {
      float *cr = c + (long)r * ldc;
      if (first) { _mm512_mask_storeu_ps(cr, m0, acc[r][0]); _mm512_mask_storeu_ps(cr + 16, m1, acc[r][1]); }
      else {
      _mm512_mask_storeu_ps(cr, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cr), acc[r][0]));
      _mm512_mask_storeu_ps(cr + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, cr + 16), acc[r][1])); }
    }
  }
}
static float *AP, *BP; double tPA, tPB, tZ;
static void mygemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
  double t0=now();
  int passes = (k + KC - 1) / KC, kb = ((k + passes - 1) / passes + 7) / 8 * 8;
  tZ+=now()-t0;
  for (int jc = 0; jc < n; jc += NC) {
    int nc = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += kb) {
      int kc = k - pc < kb ? k - pc : kb;
      t0=now(); packB(tb, b, ldb, pc, jc, kc, nc, BP); tPB+=now()-t0;
      for (int ic = 0; ic < m; ic += MC) {
        int mc = m - ic < MC ? m - ic : MC;
        t0=now(); packA(ta, a, lda, ic, pc, mc, kc, alpha, AP); tPA+=now()-t0;
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = mc - ir < MR ? mc - ir : MR;
            kernel(kc, AP + (long)ir * kc, BP + (long)jr * kc, c + (long)(ic + ir) * ldc + jc + jr, ldc, mr, nr, pc == 0);
          }
        }
      }
    }
  }
}
static float *A,*B,*C,*C2;
static void rm_gemm(int tA,int tB,int m,int n,int k){
  float one=1,zero=0; int lda=tA?m:k, ldb=tB?k:n, ldc=n;
  sgemm_(tB?"T":"N", tA?"T":"N", &n,&m,&k,&one,B,&ldb,A,&lda,&zero,C,&ldc);
}
int main(){
  A=aligned_alloc(64,1<<24);B=aligned_alloc(64,1<<24);C=aligned_alloc(64,1<<24);C2=aligned_alloc(64,1<<24);
  AP=aligned_alloc(64,(MC+MR)*KC*4); BP=aligned_alloc(64,(long)(NC+NR)*KC*4);
  srand(1); for(int i=0;i<(1<<22);i++){A[i]=rand()/(float)RAND_MAX-0.5f;B[i]=rand()/(float)RAND_MAX-0.5f;C[i]=0;}
  int sh[][5]={{1000,512,784,0,1},{1000,512,512,0,1},{1000,10,512,0,1},{1000,512,512,0,0},{1000,512,10,0,0},{512,784,1000,1,0},{512,512,1000,1,0},{10,512,1000,1,0},{1000,1000,1000,0,0},{1024,1024,1024,0,0}};
  double tot=0, tot2=0;
  for(int s=0;s<10;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3],tb=sh[s][4];
    int lda=ta?m:k, ldb=tb?k:n;
    double best=1e9, best2=1e9; tPA=tPB=tZ=0;
    for(int r=0;r<25;r++){
      double t=now(); rm_gemm(ta,tb,m,n,k); t=now()-t; if(r>=3&&t<best)best=t;
      t=now(); mygemm(ta,tb,m,n,k,1.0f,A,lda,B,ldb,C2,n); t=now()-t; if(r>=3&&t<best2)best2=t;
    }
    double err=0, mx=0; for(long i=0;i<(long)m*n;i++){double d=fabs(C[i]-C2[i]); if(d>err)err=d; if(fabs(C[i])>mx)mx=fabs(C[i]);}
    if(s<8){tot+=best;tot2+=best2;}
    printf("   per call: packA %.3f packB %.3f zero %.3f ms\n", tPA/25, tPB/25, tZ/25);
    printf("m=%4d n=%4d k=%4d tA=%d tB=%d  blas %.3f ms %.1f GF | ours %.3f ms %.1f GF  ratio %.3f  err %.2e/%.2e\n",m,n,k,ta,tb,best,2.0*m*n*k/best/1e6,best2,2.0*m*n*k/best2/1e6,best2/best,err,mx);
  }
  printf("W2 grad GEMMs total blas %.3f ours %.3f ms\n",tot,tot2);
}
