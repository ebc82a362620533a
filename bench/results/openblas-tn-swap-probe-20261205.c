/* Scratch probe (issue 17, 2026-12-05, with openblas-tn-layouts-probe-20261205.c): the weight gradient as g^T x (512 x 784,
 * what the engine computes for a transposed weight) and as x^T g (784 x 512), row-major TN, single precision, best
 * of 30, one thread; output in openblas-tn-layouts-20261205.txt. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
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
  int sh[][5]={{512,784,1000,1,0},{784,512,1000,1,0},{512,512,1000,1,0},{10,512,1000,1,0},{512,10,1000,1,0},{1000,1000,1000,0,0}};
  for(int s=0;s<6;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3],tb=sh[s][4];
    for(int w=0;w<5;w++) rm_gemm(ta,tb,m,n,k);
    double best=1e9; for(int r=0;r<30;r++){double t=now(); rm_gemm(ta,tb,m,n,k); t=now()-t; if(t<best)best=t;}
    printf("m=%4d n=%4d k=%4d tA=%d tB=%d  %.3f ms  %.1f GFLOP/s\n",m,n,k,ta,tb,best,2.0*m*n*k/best/1e6);
  }
}
