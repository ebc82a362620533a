/* Scratch measurement (issue 17, 2026-12-05, docs/kernels.md "Intel oneMKL"): does oneMKL give a block of a
 * product's rows the bits those rows have in the whole product? For 35 pairs (n, k) and every transpose, the first p
 * rows (p = 48 .. 384) computed alone against a product of 2.5 p rows, f32 ('s') and f64 ('d'); X marks a difference.
 *   L=<extracted oneMKL dir>; gcc -O2 mkl-rows-probe-20261205.c -o probe $L/libmkl_rt.so.2 -Wl,-rpath,$L
 *   MKL_NUM_THREADS=1 ./probe | grep -c X                       -> 10 lines with a difference (oneMKL 2025.3)
 *   MKL_CBWR=AUTO,STRICT MKL_NUM_THREADS=1 ./probe | grep -c X  -> 0 (also with blocks of 1, 7, 16, 33, 48, 100)
 * e.g. "ta=0 tb=0 n= 512 k=784: 48:sd 96:XX 144:XX 192:sd ...". OpenBLAS (bundled 0.3.31): 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void cblas_sgemm(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);
void cblas_dgemm(int,int,int,int,int,int,double,const double*,int,const double*,int,double,double*,int);
int main(){
  int ns[]={10,32,65,128,200,512,1000}, ks[]={9,64,150,288,784}, ps[]={48,96,144,192,288,480};
  float*A=malloc(4L*1000*1000),*B=malloc(4L*1000*1000),*C1=malloc(4L*1000*1000*2),*C2=malloc(4L*1000*1000);
  double*dA=malloc(8L*1000*1000),*dB=malloc(8L*1000*1000),*D1=malloc(8L*1000*1000*2),*D2=malloc(8L*1000*1000);
  srand(5); for(long i=0;i<1000L*1000;i++){A[i]=rand()/(float)RAND_MAX-.5f;B[i]=rand()/(float)RAND_MAX-.5f;dA[i]=A[i];dB[i]=B[i];}
  for(int t=0;t<4;t++){int ta=t&1,tb=t>>1;
  for(int ni=0;ni<7;ni++)for(int ki=0;ki<5;ki++){int n=ns[ni],k=ks[ki]; printf("ta=%d tb=%d n=%4d k=%3d:",ta,tb,n,k);
    for(int pi=0;pi<6;pi++){int p=ps[pi],m=2*p+p/2; int lda=ta?m:k, ldb=tb?k:n;
      cblas_sgemm(101,ta?112:111,tb?112:111,m,n,k,1,A,lda,B,ldb,0,C1,n);
      cblas_sgemm(101,ta?112:111,tb?112:111,p,n,k,1,A,lda,B,ldb,0,C2,n);
      cblas_dgemm(101,ta?112:111,tb?112:111,m,n,k,1,dA,lda,dB,ldb,0,D1,n);
      cblas_dgemm(101,ta?112:111,tb?112:111,p,n,k,1,dA,lda,dB,ldb,0,D2,n);
      int s=memcmp(C1,C2,4L*p*n)==0, d=memcmp(D1,D2,8L*p*n)==0;
      printf(" %d:%c%c",p,s?'s':'X',d?'d':'X');}
    printf("\n");}}
}
