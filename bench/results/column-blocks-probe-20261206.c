/* Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "Products of few rows in two blocks of columns"):
 * W2 at batch 32's products of 32 rows as one OpenBLAS call against two and four calls on blocks of C's columns,
 * one thread, best of 15 x 100 calls. Built: gcc -O2 column-blocks-probe-20261206.c -o p <bundled>/libopenblas.so.0;
 * run with OPENBLAS_NUM_THREADS=1. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec*1e-3;}
/* row-major C[m,n] = op(A) op(B) */
static void rm(int ta,int tb,int m,int n,int k,const float*a,int lda,const float*b,int ldb,float*c,int ldc){ float one=1,zero=0;
  sgemm_(tb?"T":"N",ta?"T":"N",&n,&m,&k,&one,b,&ldb,a,&lda,&zero,c,&ldc);}
int main(){
  int shapes[][5]={{0,1,32,512,784},{0,1,32,512,512},{0,0,32,512,512},{0,1,32,256,784},{0,0,32,784,512}};
  for(int s=0;s<5;s++){int ta=shapes[s][0],tb=shapes[s][1],m=shapes[s][2],n=shapes[s][3],k=shapes[s][4];
    int lda=ta?m:k, ldb=tb?k:n; float*a=malloc(4L*m*k),*b=malloc(4L*k*n),*c=malloc(4L*m*n);
    for(long i=0;i<(long)m*k;i++)a[i]=rand()/(float)RAND_MAX; for(long i=0;i<(long)k*n;i++)b[i]=rand()/(float)RAND_MAX;
    double b1=1e9,b2=1e9,b4=1e9;
    for(int rep=0;rep<15;rep++){ double t=now(); for(int q=0;q<100;q++) rm(ta,tb,m,n,k,a,lda,b,ldb,c,n); t=(now()-t)/100; if(t<b1)b1=t;
      t=now(); for(int q=0;q<100;q++) for(int h=0;h<2;h++){int j0=h*n/2/16*16, j1=h?n:n/2/16*16; rm(ta,tb,m,j1-j0,k,a,lda,tb?b+(long)j0*ldb:b+j0,ldb,c+j0,n);} t=(now()-t)/100; if(t<b2)b2=t;
      t=now(); for(int q=0;q<100;q++) for(int h=0;h<4;h++){int j0=h*n/4/16*16, j1=h==3?n:(h+1)*n/4/16*16; rm(ta,tb,m,j1-j0,k,a,lda,tb?b+(long)j0*ldb:b+j0,ldb,c+j0,n);} t=(now()-t)/100; if(t<b4)b4=t;}
    printf("%c%c %dx%dx%d one call %.1f us, 2 column blocks %.1f (%.3f), 4 blocks %.1f (%.3f)\n","NT"[ta],"NT"[tb],m,n,k,b1,b2,b2/b1,b4,b4/b1);}
}
