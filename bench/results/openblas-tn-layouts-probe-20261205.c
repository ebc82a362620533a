/* Scratch probe (issue 17, 2026-12-05, docs/PERFORMANCE.md "Max pooling on vectors", tried and not kept): W2's
 * weight-gradient products dW = g^T x (row-major TN) against transposing g first and then NN, single precision,
 * best of 30, one thread. Built like openblas-builds-tn-probe-20261204.c, once per libopenblas; output in
 * openblas-tn-layouts-20261205.txt. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
static float *A,*B,*C,*T;
static void rm_gemm(int tA,int tB,int m,int n,int k,const float*a,const float*b){
  float one=1,zero=0; int lda=tA?m:k, ldb=tB?k:n, ldc=n;
  sgemm_(tB?"T":"N", tA?"T":"N", &n,&m,&k,&one,b,&ldb,a,&lda,&zero,C,&ldc);
}
/* a: k x m row-major -> t: m x k */
static void transpose(const float*a,float*t,int k,int m){
  for(int i0=0;i0<k;i0+=32) for(int j0=0;j0<m;j0+=32){
    int i1=i0+32<k?i0+32:k, j1=j0+32<m?j0+32:m;
    for(int i=i0;i<i1;i++) for(int j=j0;j<j1;j++) t[(long)j*k+i]=a[(long)i*m+j];
  }
}
int main(){
  A=aligned_alloc(64,1<<24);B=aligned_alloc(64,1<<24);C=aligned_alloc(64,1<<24);T=aligned_alloc(64,1<<24);
  for(int i=0;i<(1<<22);i++){A[i]=(i%7)*0.1f;B[i]=(i%5)*0.1f;C[i]=0;}
  int sh[][3]={{512,784,1000},{512,512,1000},{10,512,1000}};
  for(int rep=0;rep<2;rep++)
  for(int s=0;s<3;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2];
    double bt=1e9,bn=1e9,bx=1e9;
    for(int r=0;r<35;r++){
      double t=now(); rm_gemm(1,0,m,n,k,A,B); t=now()-t; if(r>=5&&t<bt)bt=t;
      t=now(); transpose(A,T,k,m); double tx=now()-t; rm_gemm(0,0,m,n,k,T,B); t=now()-t; if(r>=5&&t<bn)bn=t; if(r>=5&&tx<bx)bx=tx;
    }
    printf("m=%4d n=%4d k=%4d  TN %.3f ms   transpose+NN %.3f ms (transpose %.3f)\n",m,n,k,bt,bn,bx);
  }
}
