// Probe of docs/PERFORMANCE.md, "The softmax of few columns, four rows to a vector" (2026-12-06): fm_small_gemm_f32 NT
// (C = A B^T) of M x N x K, REPS calls a sample, best of 200. Build from native/:
// gcc -O3 -std=c11 -march=x86-64-v3 -fno-math-errno -I src -o /tmp/g <this file> src/flatminima.c -lm; run /tmp/g M N K REPS
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include "flatminima.h"
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
int main(int argc,char**argv){
  int m=atoi(argv[1]),n=atoi(argv[2]),k=atoi(argv[3]),reps=atoi(argv[4]);
  float *a=aligned_alloc(64,4L*m*k+64), *b=aligned_alloc(64,4L*n*k+64), *c=aligned_alloc(64,4L*m*n+64);
  for(long i=0;i<(long)m*k;i++) a[i]=rand()/(float)RAND_MAX; for(long i=0;i<(long)n*k;i++) b[i]=rand()/(float)RAND_MAX;
  double best=1e9;
  for(int round=0;round<200;round++){
      double t0=now(); for(int rep=0;rep<reps;rep++) fm_small_gemm_f32(0,1,m,n,k,1.0,a,k,b,k,1.0,c,n); double t=now()-t0; if(t<best)best=t;
  }
  printf("m=%d n=%d k=%d x%d: %.1f us  (%.1f GFLOP/s)\n",m,n,k,reps,best,2.0*reps*m*n*k/best/1e3);
}
