/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "Prefetching the few-columns products' input; a batch
 * split between the threads"): W1's two products with ten columns of C (f64 and f32), hot (repeated) and cold (a 64 MB
 * read between calls), against a streaming read of the same 6.3 MB. Link it with the library under test by name, not path:
 * gcc -O3 -march=x86-64-v3 probe.c -L<dir> -lfm && LD_LIBRARY_PATH=<dir> ./a.out (check with ldd). Results:
 * fewcol-prefetch-20261207.txt. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>
int fm_fewcol_gemm_f64(int32_t, int32_t, int32_t, int32_t, int32_t, double, const double *, int32_t, const double *, int32_t, double, double *, int32_t);
int fm_fewcol_gemm_f32(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static char *junk; static size_t JN = 64u<<20;
static volatile long sink; static void evict(){ long a=0; for (size_t i=0;i<JN;i+=64) a+=junk[i]; sink=a; }
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  int M=1000,K=784,N=10; junk=malloc(JN); memset(junk,1,JN);
  double *x=malloc(8L*M*K),*g=malloc(8L*M*N),*w=malloc(8L*N*K),*c1=malloc(8L*K*N),*c2=malloc(8L*M*N);
  float *xf=malloc(4L*M*K),*gf=malloc(4L*M*N),*wf=malloc(4L*N*K),*c1f=malloc(4L*K*N),*c2f=malloc(4L*M*N);
  for(long i=0;i<(long)M*K;i++){x[i]=(i%17)*0.1;xf[i]=x[i];}
  for(long i=0;i<(long)M*N;i++){g[i]=(i%7)*0.1;gf[i]=g[i];c2[i]=0;c2f[i]=0;}
  for(long i=0;i<(long)N*K;i++){w[i]=(i%5)*0.1;wf[i]=w[i];}
  const char *names[]={"f64 sum 6.3MB","f64 TN 784x10x1000","f64 NT 1000x10x784","f32 TN 784x10x1000","f32 NT 1000x10x784"};
  for(int cold=0;cold<2;cold++) for(int s=-1;s<4;s++){
    double t[41];
    for(int r=0;r<41;r++){
      if(cold) evict();
      double t0=now();
      if(s==-1){__m256d a=_mm256_setzero_pd(),b=a,cc=a,d=a; for(long i=0;i<(long)M*K;i+=16){a=_mm256_add_pd(a,_mm256_loadu_pd(x+i));b=_mm256_add_pd(b,_mm256_loadu_pd(x+i+4));cc=_mm256_add_pd(cc,_mm256_loadu_pd(x+i+8));d=_mm256_add_pd(d,_mm256_loadu_pd(x+i+12));} a=_mm256_add_pd(_mm256_add_pd(a,b),_mm256_add_pd(cc,d)); sink=(long)a[0];}
      if(s==0) fm_fewcol_gemm_f64(1,0,K,N,M,1.0,x,K,g,N,0.0,c1,N);
      if(s==1) fm_fewcol_gemm_f64(0,1,M,N,K,1.0,x,K,w,K,1.0,c2,N);
      if(s==2) fm_fewcol_gemm_f32(1,0,K,N,M,1.0,xf,K,gf,N,0.0,c1f,N);
      if(s==3) fm_fewcol_gemm_f32(0,1,M,N,K,1.0,xf,K,wf,K,1.0,c2f,N);
      t[r]=(now()-t0)*1e6;
    }
    qsort(t+1,40,sizeof(double),cmp);
    printf("%s %-20s min %7.1f med %7.1f us\n", cold?"cold":"hot ", names[s+1], t[1], t[21]);
  }
  printf("check %g %g\n", c1[5], c2[7]);
}
