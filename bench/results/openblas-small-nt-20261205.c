/* Scratch measurement (issue 17, 2026-12-05, docs/PERFORMANCE.md "Winograd transforms two rows of tiles to a vector"):
 * OpenBLAS on the small products of a Winograd convolution (W3 second convolution, one chunk of two images), row-major,
 * in the layouts it could be given; best of 7 rounds of 3000 calls, one thread. Built against the bundled library:
 * gcc -O2 openblas-small-nt-20261205.c -o p libopenblas.so.0 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
static float *A,*B,*C;
static void rm_gemm(int tA,int tB,int m,int n,int k,float beta){
  float one=1; int lda=tA?m:k, ldb=tB?k:n, ldc=n;
  sgemm_(tB?"T":"N", tA?"T":"N", &n,&m,&k,&one,B,&ldb,A,&lda,&beta,C,&ldc);
}
int main(){
  A=aligned_alloc(64,1<<22);B=aligned_alloc(64,1<<22);C=aligned_alloc(64,1<<22);
  for(int i=0;i<(1<<20);i++){A[i]=rand()/(float)RAND_MAX-0.5f;B[i]=rand()/(float)RAND_MAX-0.5f;C[i]=0;}
  int sh[][6]={{64,32,98,0,1,1},{64,32,98,1,0,1},{64,32,98,0,0,1},{64,32,98,1,1,1},{32,64,98,0,1,1},{32,64,98,1,0,1},{64,98,32,0,0,0},{32,98,64,0,0,0},{64,98,32,1,0,0},{64,98,32,0,1,0}};
  for(int s=0;s<10;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3],tb=sh[s][4]; float beta=sh[s][5];
    double best=1e18;
    for(int r=0;r<7;r++){ double t=now(); for(int i=0;i<3000;i++) rm_gemm(ta,tb,m,n,k,beta); t=(now()-t)/3000; if(t<best)best=t; }
    printf("%s%s m=%d n=%d k=%d beta=%g: %.2f us %.0f GF\n",ta?"T":"N",tb?"T":"N",m,n,k,beta,best/1e3,2.0*m*n*k/best);
  }
}
