/* Scratch measurement (issue 17, 2026-12-04, docs/PERFORMANCE.md "Two builds of OpenBLAS"): the eight products of
 * W2's gradient at batch 1000 (row-major, as the engine calls them: forward NT, input gradients NN, weight
 * gradients TN) plus n = 1000 NN, single precision, best of 30 after 5 warm-up calls, against whichever
 * libopenblas it is linked with. Built once per library:
 *   gcc -O2 openblas-builds-tn-probe-20261204.c -o probe /path/to/libopenblas.so.0 -Wl,-rpath,/path/to
 * and run with OPENBLAS_NUM_THREADS=1. Output on this machine (Xeon, Sapphire Rapids; corename SkylakeX for all),
 * two runs each, the weight-gradient rows (ms):
 *   m=512 n=784 k=1000 TN:  bytedeco 0.3.21-1.5.8 4.29 4.31 | 0.3.26 4.34 4.27 | 0.3.28 4.31 4.33 |
 *                           0.3.30 4.29 4.30 | 0.3.31-1.5.13 (bundled) 4.34 4.32 | Debian 0.3.21 3.97 3.97
 *   m=512 n=512 k=1000 TN:  bytedeco 2.79-2.86 (all versions)                     | Debian 2.66 2.67
 *   m=10  n=512 k=1000 TN:  bytedeco 0.310-0.329                                  | Debian 0.207 0.208
 *   all eight products:     bytedeco 16.86-17.05                                  | Debian 16.28 16.29
 * The NT and NN rows agree within 2% between all builds. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
/* row-major C[m x n] = op(A) op(B) through col-major sgemm: C^T = op(B)^T op(A)^T */
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
static float *A,*B,*C;
static void rm_gemm(int tA,int tB,int m,int n,int k){
  float one=1,zero=0; int lda=tA?m:k, ldb=tB?k:n, ldc=n;
  sgemm_(tB?"T":"N", tA?"T":"N", &n,&m,&k,&one,B,&ldb,A,&lda,&zero,C,&ldc);
}
int main(){
  A=aligned_alloc(64,1<<24);B=aligned_alloc(64,1<<24);C=aligned_alloc(64,1<<24);
  for(int i=0;i<(1<<22);i++){A[i]=(i%7)*0.1f;B[i]=(i%5)*0.1f;C[i]=0;}
  int sh[][5]={{1000,512,784,0,1},{1000,512,512,0,1},{1000,10,512,0,1},{1000,512,512,0,0},{1000,512,10,0,0},{512,784,1000,1,0},{512,512,1000,1,0},{10,512,1000,1,0},{1000,1000,1000,0,0}};
  double tot=0;
  for(int s=0;s<9;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3],tb=sh[s][4];
    for(int w=0;w<5;w++) rm_gemm(ta,tb,m,n,k);
    double best=1e9; for(int r=0;r<30;r++){double t=now(); rm_gemm(ta,tb,m,n,k); t=now()-t; if(t<best)best=t;}
    if(s<8) tot+=best;
    printf("m=%4d n=%4d k=%4d tA=%d tB=%d  %.3f ms  %.1f GFLOP/s\n",m,n,k,ta,tb,best,2.0*m*n*k/best/1e6);
  }
  printf("W2 grad GEMMs total %.3f ms\n",tot);
}
