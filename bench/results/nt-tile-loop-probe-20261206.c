// Probe of docs/PERFORMANCE.md, "The softmax of few columns, four rows to a vector" (2026-12-06): the inner loop of a
// 5 x 2 tile of C = A B^T (fm_small.inc) alone, over depth K, the operands in cache. gcc -O3 -march=x86-64-v3 -o /tmp/l <this file>; /tmp/l K
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <immintrin.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
__attribute__((noinline)) static void tile(const float *a, const float *b, int k, float *out) {
  const float *x0=a, *x1=a+k, *x2=a+2*k, *x3=a+3*k, *x4=a+4*k, *y0=b, *y1=b+k;
  __m256 s00=_mm256_setzero_ps(),s01=s00,s10=s00,s11=s00,s20=s00,s21=s00,s30=s00,s31=s00,s40=s00,s41=s00;
  for (int p=0;p<k;p+=8){
    __m256 v0=_mm256_loadu_ps(y0+p), v1=_mm256_loadu_ps(y1+p);
    __m256 u;
    u=_mm256_loadu_ps(x0+p); __asm__("":"+x"(u)); s00=_mm256_fmadd_ps(u,v0,s00); s01=_mm256_fmadd_ps(u,v1,s01);
    u=_mm256_loadu_ps(x1+p); __asm__("":"+x"(u)); s10=_mm256_fmadd_ps(u,v0,s10); s11=_mm256_fmadd_ps(u,v1,s11);
    u=_mm256_loadu_ps(x2+p); __asm__("":"+x"(u)); s20=_mm256_fmadd_ps(u,v0,s20); s21=_mm256_fmadd_ps(u,v1,s21);
    u=_mm256_loadu_ps(x3+p); __asm__("":"+x"(u)); s30=_mm256_fmadd_ps(u,v0,s30); s31=_mm256_fmadd_ps(u,v1,s31);
    u=_mm256_loadu_ps(x4+p); __asm__("":"+x"(u)); s40=_mm256_fmadd_ps(u,v0,s40); s41=_mm256_fmadd_ps(u,v1,s41);
  }
  __m256 s=_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s00,s01),_mm256_add_ps(s10,s11)),_mm256_add_ps(_mm256_add_ps(s20,s21),_mm256_add_ps(_mm256_add_ps(s30,s31),_mm256_add_ps(s40,s41))));
  _mm256_storeu_ps(out,s);
}
int main(int argc,char**argv){
  int k=atoi(argv[1]);
  float *a=aligned_alloc(64,4L*5*k), *b=aligned_alloc(64,4L*2*k), out[8];
  for(long i=0;i<5L*k;i++) a[i]=1e-3f*(i%13); for(long i=0;i<2L*k;i++) b[i]=1e-3f*(i%7);
  for(int r=0;r<5;r++){ long N=2000000000L/(10L*k); double t0=now(); for(long i=0;i<N;i++) tile(a,b,k,out); double t=now()-t0;
    printf("k=%d: %.1f GFLOP/s, %.3f ns per iteration\n",k,N*10.0*k*2/t/1e3, t*1e3/(N*(k/8.0))); }
  return (int)out[0];
}
