/* Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "The packed GEMM in double"): the C library's
 * fm_packed_gemm_f64 against the OpenBLAS it is linked with, row-major products of M4's, W2's and W1's shapes in
 * double (NN, TN, NT), best of 22 calls after 3, one thread, the two alternating call by call. Built from native/:
 *   gcc -O3 -std=c11 -fPIC -shared -march=x86-64-v3 -fno-math-errno -o /tmp/libfm.so src/flatminima.c -lm
 *   gcc -O2 packed-gemm-f64-probe-20261206.c -o probe $LIB/libopenblas.so.0 /tmp/libfm.so -Wl,-rpath,$LIB:/tmp -lm
 * and run with OPENBLAS_NUM_THREADS=1, LIB the bundled OpenBLAS's directory or Debian's
 * (/usr/lib/x86_64-linux-gnu/openblas-pthread). Output: packed-gemm-f64-probe-20261206.txt. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <math.h>
#include <time.h>
void dgemm_(const char*,const char*,const int*,const int*,const int*,const double*,const double*,const int*,const double*,const int*,const double*,double*,const int*);
int fm_packed_gemm_f64(int32_t, int32_t, int32_t, int32_t, int32_t, double, const double *, int32_t, const double *, int32_t, double, double *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
static double *A,*B,*C,*C2;
static void rm_gemm(int tA,int tB,int m,int n,int k,double beta){
  double one=1; int lda=tA?m:k, ldb=tB?k:n, ldc=n;
  dgemm_(tB?"T":"N", tA?"T":"N", &n,&m,&k,&one,B,&ldb,A,&lda,&beta,C,&ldc);
}
int main(int argc,char**argv){
  A=aligned_alloc(64,1<<24);B=aligned_alloc(64,1<<24);C=aligned_alloc(64,1<<24);C2=aligned_alloc(64,1<<24);
  srand(1); for(int i=0;i<(1<<21);i++){A[i]=rand()/(double)RAND_MAX-0.5;B[i]=rand()/(double)RAND_MAX-0.5;C[i]=C2[i]=0;}
  /* m n k transA transB */
  int sh[][5]={{1000,256,784,0,1},{1000,256,256,0,1},{256,784,1000,1,0},{256,256,1000,1,0},{1000,256,256,0,0},
               {1000,512,784,0,1},{1000,512,512,0,1},{512,784,1000,1,0},{512,512,1000,1,0},{1000,512,512,0,0},
               {100,784,1000,0,0},{100,1000,784,0,1},{100,256,784,0,1},{1000,1000,1000,0,0}};
  int reps=argc>1?atoi(argv[1]):25;
  for(int s=0;s<(int)(sizeof sh/sizeof sh[0]);s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3];
    int tb=sh[s][4]; int lda=ta?m:k, ldb=tb?k:n;
    double best=1e9, best2=1e9;
    for(int r=0;r<reps;r++){
      double t=now(); rm_gemm(ta,tb,m,n,k,0); t=now()-t; if(r>=3&&t<best)best=t;
      t=now(); fm_packed_gemm_f64(ta,tb,m,n,k,1.0,A,lda,B,ldb,0.0,C2,n); t=now()-t; if(r>=3&&t<best2)best2=t;
    }
    double err=0; for(long i=0;i<(long)m*n;i++){double d=fabs(C[i]-C2[i]); if(d>err)err=d;}
    printf("m=%4d n=%4d k=%4d %s  blas %.3f ms %.1f GF | ours %.3f ms %.1f GF  ratio %.3f  err %.1e\n",m,n,k,ta?"TN":tb?"NT":"NN",best,2.0*m*n*k/best/1e6,best2,2.0*m*n*k/best2/1e6,best2/best,err);
  }
}
