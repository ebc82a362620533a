/* Scratch measurement (issue 17, 2026-12-05, docs/kernels.md "Intel oneMKL", PERFORMANCE.md "Intel oneMKL as the
 * BLAS"): single-precision products from W3's Winograd chunks (64 x 98 x 32 ...), a batch of 32's products
 * (32 x 10 x 784 ...) and squares from 64 to 512, best of 5 rounds of many calls, one thread, against whichever
 * library it is linked with:
 *   gcc -O2 mkl-small-probe-20261205.c -o small_ob <bundled dir>/libopenblas.so.0 -Wl,-rpath,<bundled dir>
 *   gcc -O2 mkl-small-probe-20261205.c -o small_mkl <oneMKL dir>/libmkl_rt.so.2 -Wl,-rpath,<oneMKL dir>
 *   OPENBLAS_NUM_THREADS=1 ./small_ob;  MKL_NUM_THREADS=1 MKL_CBWR=AUTO,STRICT ./small_mkl
 * Output on the 2-vCPU Xeon (Sapphire Rapids), us per call, OpenBLAS 0.3.31 (bundled) | oneMKL 2025.3 strict
 * (| oneMKL without MKL_CBWR):
 *   64x98x32 NN 2.25 | 2.64 (2.38); 32x98x64 NN 2.14 | 2.87 (2.33); 64x32x98 TT 1.88 | 2.95 (2.34);
 *   32x10x784 NT 2.87 | 11.83 (6.64); 784x10x32 TN 4.38 | 9.49 (5.32); 32x512x784 NT 225 | 153; 512x784x32 TN 175 | 115;
 *   64^3 2.62 | 3.31; 100^3 11.3 | 11.8; 128^3 29.6 | 20.6; 160^3 49.1 | 40.3; 200^3 105 | 78.0; 256^3 184 | 156;
 *   256x128x3136 NT 1228 | 1085; 512^3 1477 | 1274. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void cblas_sgemm(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec*1e-3;}
int main(){
  float*A=aligned_alloc(64,1<<24),*B=aligned_alloc(64,1<<24),*C=aligned_alloc(64,1<<24);
  for(int i=0;i<(1<<22);i++){A[i]=(i%7)*0.1f;B[i]=(i%5)*0.1f;C[i]=0;}
  /* m n k tA tB beta */
  int sh[][6]={{64,98,32,0,0,0},{32,98,64,0,0,0},{64,32,98,1,1,1},{32,10,784,0,1,1},{784,10,32,1,0,0},{32,512,784,0,1,1},{512,784,32,1,0,0},
               {64,64,64,0,0,0},{100,100,100,0,0,0},{128,128,128,0,0,0},{160,160,160,0,0,0},{200,200,200,0,0,0},{256,256,256,0,0,0},{256,128,3136,0,1,1},{512,512,512,0,0,0}};
  for(int s=0;s<15;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3],tb=sh[s][4]; float beta=sh[s][5];
    int lda=ta?m:k, ldb=tb?k:n;
    int reps = 2e8/((double)m*n*k)+10;
    for(int w=0;w<reps;w++) cblas_sgemm(101,ta?112:111,tb?112:111,m,n,k,1,A,lda,B,ldb,beta,C,n);
    double best=1e18; for(int r=0;r<5;r++){double t=now(); for(int i=0;i<reps;i++) cblas_sgemm(101,ta?112:111,tb?112:111,m,n,k,1,A,lda,B,ldb,beta,C,n); t=(now()-t)/reps; if(t<best)best=t;}
    printf("%4dx%4dx%4d t%d%d  %9.2f us  %6.1f GFLOP/s\n",m,n,k,ta,tb,best,2.0*m*n*k/best/1e3);
  }
}
