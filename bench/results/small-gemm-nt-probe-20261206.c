/* Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "Small products on AVX2"): fm_small_gemm for A B^T
 * (dot products of rows) against OpenBLAS, best of 15 x 300 calls, one thread; the shapes behind
 * NativeBackend.SMALL_NT_MIN_DEPTH. Built as small-gemm-probe-20261206.c (without -ffp-contract). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
int fm_small_gemm_f32(int32_t,int32_t,int32_t,int32_t,int32_t,double,const float*,int32_t,const float*,int32_t,double,float*,int32_t);
int fm_small_gemm_f64(int32_t,int32_t,int32_t,int32_t,int32_t,double,const double*,int32_t,const double*,int32_t,double,double*,int32_t);
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
void dgemm_(const char*,const char*,const int*,const int*,const int*,const double*,const double*,const int*,const double*,const int*,const double*,double*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec*1e-3;}
int main(){
  int shapes[][3]={{32,9,784},{32,9,196},{64,9,3136},{100,100,100},{64,64,64},{10,10,1000},{100,100,16},{200,50,100},{32,512,16},{128,64,49},{50,30,7},{1000,10,100}};
  for(int s=0;s<12;s++){int m=shapes[s][0],n=shapes[s][1],k=shapes[s][2];
    float*a=malloc(4L*m*k),*b=malloc(4L*k*n),*c=malloc(4L*m*n); double*ad=malloc(8L*m*k),*bd=malloc(8L*k*n),*cd=malloc(8L*m*n);
    for(long i=0;i<(long)m*k;i++)ad[i]=a[i]=rand()/(float)RAND_MAX; for(long i=0;i<(long)k*n;i++)bd[i]=b[i]=rand()/(float)RAND_MAX;
    float one=1,zero=0; double o1=1,z0=0, bo=1e9,bm=1e9,bod=1e9,bmd=1e9;
    for(int rep=0;rep<15;rep++){ double t=now(); for(int q=0;q<300;q++) sgemm_("T","N",&n,&m,&k,&one,b,&k,a,&k,&zero,c,&n); t=(now()-t)/300; if(t<bo)bo=t;
      t=now(); for(int q=0;q<300;q++) fm_small_gemm_f32(0,1,m,n,k,1,a,k,b,k,0,c,n); t=(now()-t)/300; if(t<bm)bm=t;
      t=now(); for(int q=0;q<300;q++) dgemm_("T","N",&n,&m,&k,&o1,bd,&k,ad,&k,&z0,cd,&n); t=(now()-t)/300; if(t<bod)bod=t;
      t=now(); for(int q=0;q<300;q++) fm_small_gemm_f64(0,1,m,n,k,1,ad,k,bd,k,0,cd,n); t=(now()-t)/300; if(t<bmd)bmd=t;}
    double fl=2.0*m*n*k/1e3; printf("NT %dx%dx%d f32 openblas %.2f mine %.2f (%.0f GF/s) ratio %.2f | f64 %.2f mine %.2f ratio %.2f\n",m,n,k,bo,bm,fl/bm,bm/bo,bod,bmd,bmd/bod);}
}
