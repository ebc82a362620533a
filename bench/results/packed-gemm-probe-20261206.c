/* Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "Our own packed GEMM for AVX2"): the C library's
 * fm_packed_gemm_f32 against the OpenBLAS it is linked with, row-major NN and TN products of W2's and M4's shapes
 * and others, best of 22 calls after 3, one thread. With an argument, the 64 MB of F are written between calls
 * (operands cold); with two, only the first three shapes. Built from native/:
 *   gcc -O3 -std=c11 -fPIC -shared -march=x86-64-v3 -fno-math-errno -o /tmp/libfm.so src/flatminima.c -lm
 *   gcc -O2 packed-gemm-probe-20261206.c -o probe $LIB/libopenblas.so.0 /tmp/libfm.so -Wl,-rpath,$LIB:/tmp -lm
 * and run with OPENBLAS_NUM_THREADS=1 (output: packed-gemm-probe-20261206.txt). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <math.h>
#include <time.h>
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
int fm_packed_gemm_f32(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
static float *A,*B,*C,*C2;
static void rm_gemm(int tA,int tB,int m,int n,int k,float beta){
  float one=1; int lda=tA?m:k, ldb=tB?k:n, ldc=n;
  sgemm_(tB?"T":"N", tA?"T":"N", &n,&m,&k,&one,B,&ldb,A,&lda,&beta,C,&ldc);
}
static float *F; static int cold;
static void flush(){ for(long i=0;i<(64L<<20)/4;i+=16) F[i]+=1.0f; }
int main(int argc,char**argv){
  cold = argc>1; F=aligned_alloc(64,64L<<20); for(long i=0;i<(64L<<20)/4;i++)F[i]=0;
  A=aligned_alloc(64,1<<24);B=aligned_alloc(64,1<<24);C=aligned_alloc(64,1<<24);C2=aligned_alloc(64,1<<24);
  srand(1); for(int i=0;i<(1<<22);i++){A[i]=rand()/(float)RAND_MAX-0.5f;B[i]=rand()/(float)RAND_MAX-0.5f;C[i]=C2[i]=0;}
  int sh[][5]={{512,784,1000,1,0},{512,512,1000,1,0},{1000,512,512,0,0},{1000,512,784,0,1},{1000,512,512,0,1},{1000,256,784,0,1},{100,256,784,0,1},{1000,1000,1000,0,1},{256,784,1000,1,0},{256,256,1000,1,0},{256,128,256,1,0},{128,128,256,1,0},{64,256,256,1,0},{784,512,1000,1,0},
   {1000,512,512,0,0},{1000,256,256,0,0},{1000,784,256,0,0},{256,256,256,0,0},{100,256,256,0,0},{128,128,128,0,0},{1000,1000,1000,0,0}};
  int ns=argc>2?3:sizeof sh/sizeof sh[0];
  for(int s=0;s<ns;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3];
    int tb=sh[s][4]; int lda=ta?m:k, ldb=tb?k:n;
    double best=1e9, best2=1e9;
    for(int r=0;r<25;r++){
      if(cold) flush();
      double t=now(); rm_gemm(ta,tb,m,n,k,0); t=now()-t; if(r>=3&&t<best)best=t;
      if(cold) flush();
      t=now(); fm_packed_gemm_f32(ta,tb,m,n,k,1.0,A,lda,B,ldb,0.0,C2,n); t=now()-t; if(r>=3&&t<best2)best2=t;
    }
    double err=0; for(long i=0;i<(long)m*n;i++){double d=fabs(C[i]-C2[i]); if(d>err)err=d;}
    printf("m=%4d n=%4d k=%4d %s  blas %.3f ms %.1f GF | ours %.3f ms %.1f GF  ratio %.3f  err %.1e\n",m,n,k,ta?"TN":tb?"NT":"NN",best,2.0*m*n*k/best/1e6,best2,2.0*m*n*k/best2/1e6,best2/best,err);
  }
}
