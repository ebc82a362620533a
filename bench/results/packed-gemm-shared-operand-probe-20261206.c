/* Scratch measurement (issue 17, 2026-12-06, late; docs/PERFORMANCE.md "The packed GEMM in double"): what a band of
 * rows at two threads spends packing the operand the bands share, bounded by the same call with 6 rows (the shared
 * operand's packing plus one row of tiles). Built from native/ as packed-gemm-probe-20261206.c, with
 *   gcc -O2 packed-gemm-shared-operand-probe-20261206.c -o probe /tmp/libfm.so -Wl,-rpath,/tmp -lm
 * Output: packed-gemm-shared-operand-probe-20261206.txt. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
int fm_packed_gemm_f32(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
int main(){
  float *A=aligned_alloc(64,1<<24),*B=aligned_alloc(64,1<<24),*C=aligned_alloc(64,1<<24);
  for(int i=0;i<(1<<22);i++){A[i]=rand()/(float)RAND_MAX;B[i]=rand()/(float)RAND_MAX;C[i]=0;}
  /* W2's products split in two bands: {m_band, n, k, ta, tb} and the same with 6 rows (packing of the shared operand + one tile row) */
  int sh[][5]={{500,512,784,0,1},{500,512,512,0,1},{500,512,512,0,0},{256,784,1000,1,0},{256,512,1000,1,0}};
  for(int s=0;s<5;s++){ int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3],tb=sh[s][4]; int lda=ta?(ta? 512:k):k, ldb=tb?k:n;
    if(ta) lda=512;
    double best=1e9,best6=1e9;
    for(int r=0;r<30;r++){ double t=now(); fm_packed_gemm_f32(ta,tb,m,n,k,1.0,A,lda,B,ldb,0.0,C,n); t=now()-t; if(r>2&&t<best)best=t;
      t=now(); fm_packed_gemm_f32(ta,tb,6,n,k,1.0,A,lda,B,ldb,0.0,C,n); t=now()-t; if(r>2&&t<best6)best6=t; }
    printf("band %4d x %4d x %4d %s: %.3f ms; 6 rows: %.3f ms (%.1f%%)\n",m,n,k,ta?"TN":tb?"NT":"NN",best,best6,100*best6/best);
  }
}
