/* Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "Small products on AVX2"): fm_small_gemm of
 * libflatminima.so (NN, TN, TT) against the OpenBLAS it is linked with, best of 15 x 500 calls, one thread, float and
 * double; first checks every entry (padded leading dimensions, alpha 0.7, beta 0.3) against one chain of fmaf / fma
 * over the depth, to the bit. Built: gcc -O2 -ffp-contract=off small-gemm-probe-20261206.c -o p
 *   native/target/classes/native/linux-x86_64/x86-64-v3/libflatminima.so <bundled>/libopenblas.so.0 -lm;
 * run with OPENBLAS_NUM_THREADS=1. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <math.h>
#include <time.h>
#include <string.h>
int fm_small_gemm_f32(int32_t,int32_t,int32_t,int32_t,int32_t,double,const float*,int32_t,const float*,int32_t,double,float*,int32_t);
int fm_small_gemm_f64(int32_t,int32_t,int32_t,int32_t,int32_t,double,const double*,int32_t,const double*,int32_t,double,double*,int32_t);
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
void dgemm_(const char*,const char*,const int*,const int*,const int*,const double*,const double*,const int*,const double*,const int*,const double*,double*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec*1e-3;}
int main(){
  int shapes[][5]={{0,0,32,98,64},{0,0,64,98,32},{1,1,64,32,98},{0,0,640,49,32},{0,0,320,49,64},{1,1,64,320,49},{0,0,32,784,9},{1,0,50,30,70},{0,0,100,100,100},{1,1,37,29,41},{1,1,5,3,7},{0,0,1,1,1},{1,0,13,17,1},{0,0,7,25,3}};
  int ns=sizeof shapes/sizeof shapes[0]; long bad=0;
  for(int s=0;s<ns;s++){int ta=shapes[s][0],tb=shapes[s][1],m=shapes[s][2],n=shapes[s][3],k=shapes[s][4];
    int lda=(ta?m:k)+1, ldb=(tb?k:n)+2, ldc=n+3;
    float*a=malloc(4L*lda*(ta?k:m)),*b=malloc(4L*ldb*(tb?n:k)),*c=malloc(4L*m*ldc),*c0=malloc(4L*m*ldc);
    double*ad=malloc(8L*lda*(ta?k:m)),*bd=malloc(8L*ldb*(tb?n:k)),*cd=malloc(8L*m*ldc),*cd0=malloc(8L*m*ldc);
    for(long i=0;i<(long)lda*(ta?k:m);i++)ad[i]=a[i]=rand()/(float)RAND_MAX-0.5f;
    for(long i=0;i<(long)ldb*(tb?n:k);i++)bd[i]=b[i]=rand()/(float)RAND_MAX-0.5f;
    for(long i=0;i<(long)m*ldc;i++){cd0[i]=cd[i]=c0[i]=c[i]=rand()/(float)RAND_MAX-0.5f;}
    float al=0.7f, be=0.3f;
    fm_small_gemm_f32(ta,tb,m,n,k,al,a,lda,b,ldb,be,c,ldc); fm_small_gemm_f64(ta,tb,m,n,k,al,ad,lda,bd,ldb,be,cd,ldc);
    for(int i=0;i<m;i++)for(int j=0;j<ldc;j++){ float sf=0; double sd=0;
      for(int p=0;p<k;p++){ float x=ta?a[(long)p*lda+i]:a[(long)i*lda+p], y=tb?b[(long)j*ldb+p]:b[(long)p*ldb+j]; if(j<n){sf=fmaf(x,y,sf);} 
        double xd=ta?ad[(long)p*lda+i]:ad[(long)i*lda+p], yd=tb?bd[(long)j*ldb+p]:bd[(long)p*ldb+j]; if(j<n) sd=fma(xd,yd,sd);}
      float ef = j<n ? al*sf + be*c0[(long)i*ldc+j] : c0[(long)i*ldc+j];
      double ed = j<n ? (double)al*sd + (double)be*cd0[(long)i*ldc+j] : cd0[(long)i*ldc+j];
      if (memcmp(&ef,&c[(long)i*ldc+j],4)) bad++; if (memcmp(&ed,&cd[(long)i*ldc+j],8)) bad++; }
    /* timing, contiguous */
    int la=ta?m:k, lb=tb?k:n; float one=1,zero=0; double oned=1,zerod=0; double bo=1e9,bm=1e9,bod=1e9,bmd=1e9;
    for(int rep=0;rep<15;rep++){ double t=now(); for(int q=0;q<500;q++) sgemm_(tb?"T":"N",ta?"T":"N",&n,&m,&k,&one,b,&lb,a,&la,&zero,c,&n); t=(now()-t)/500; if(t<bo)bo=t;
      t=now(); for(int q=0;q<500;q++) fm_small_gemm_f32(ta,tb,m,n,k,1,a,la,b,lb,0,c,n); t=(now()-t)/500; if(t<bm)bm=t;
      t=now(); for(int q=0;q<500;q++) dgemm_(tb?"T":"N",ta?"T":"N",&n,&m,&k,&oned,bd,&lb,ad,&la,&zerod,cd,&n); t=(now()-t)/500; if(t<bod)bod=t;
      t=now(); for(int q=0;q<500;q++) fm_small_gemm_f64(ta,tb,m,n,k,1,ad,la,bd,lb,0,cd,n); t=(now()-t)/500; if(t<bmd)bmd=t;}
    double fl=2.0*m*n*k/1e3; printf("%c%c %dx%dx%d f32 openblas %.2f us mine %.2f (%.0f GF/s) ratio %.2f | f64 openblas %.2f mine %.2f (%.0f GF/s) ratio %.2f\n","NT"[ta],"NT"[tb],m,n,k,bo,bm,fl/bm,bm/bo,bod,bmd,fl/bmd,bmd/bod);}
  printf("bit mismatches: %ld\n", bad);
}
