/* Scratch measurement (issue 17, 2026-12-05, docs/PERFORMANCE.md "Directions' products stacked"): OpenBLAS dgemm on
 * the products of W1's Hutchinson-10 with the ten directions side by side, in both orientations (the stack as
 * columns, a @ [b0 b1 ...], or as rows, [b0 b1 ...]^T a^T), row-major, one thread, best of 7 rounds of 50 calls.
 * The float twin is this file with double -> float and dgemm_ -> sgemm_. Built against the bundled library:
 * gcc -O2 stacked-orientation-probe-20261205.c -o p libopenblas.so.0 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void dgemm_(const char*,const char*,const int*,const int*,const int*,const double*,const double*,const int*,const double*,const int*,const double*,double*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
static double *A,*B,*C;
static void rm(int tA,int tB,int m,int n,int k,double beta){
  double one=1; int lda=tA?m:k, ldb=tB?k:n, ldc=n;
  dgemm_(tB?"T":"N", tA?"T":"N", &n,&m,&k,&one,B,&ldb,A,&lda,&beta,C,&ldc);
}
int main(){
  A=aligned_alloc(64,8<<20);B=aligned_alloc(64,8<<20);C=aligned_alloc(64,8<<20);
  for(int i=0;i<(1<<20);i++){A[i]=rand()/(double)RAND_MAX-0.5;B[i]=rand()/(double)RAND_MAX-0.5;C[i]=0;}
  int sh[][6]={{1000,100,784,0,1,1},{1000,100,784,0,0,1},{100,1000,784,0,1,1},{100,1000,784,1,1,1},{784,100,1000,1,0,0},{784,100,1000,0,0,0},{100,784,1000,1,0,0},{1000,10,784,0,1,1},{784,10,1000,1,0,0},{1000,1024,1024,0,0,0}};
  for(int s=0;s<10;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3],tb=sh[s][4]; double beta=sh[s][5];
    double best=1e18; int reps = 50;
    for(int r=0;r<7;r++){ double t=now(); for(int i=0;i<reps;i++) rm(ta,tb,m,n,k,beta); t=(now()-t)/reps; if(t<best)best=t; }
    printf("%s%s m=%d n=%d k=%d beta=%g: %.1f us %.1f GF\n",ta?"T":"N",tb?"T":"N",m,n,k,beta,best/1e3,2.0*m*n*k/best);
  }
}
