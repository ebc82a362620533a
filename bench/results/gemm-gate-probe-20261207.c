/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "A ReLU's backward gate in the product that makes
 * its cotangent"): W2's and M4's input-gradient products (NN, 1000 x 512 x 512 and 1000 x 256 x 256, double and
 * float) on the packed GEMM, then the ReLU's gate as a pass of its own (a plain C loop, as the library's GATE
 * kernel), against fm_packed_gemm_gate with the gate in the last store; hot, and cold: every operand evicted from
 * cache before each call (a 64 MB read), as in a step. Results: gemm-gate-20261207.txt. Link the library under test
 * by name: gcc -O3 -march=x86-64-v3 probe.c -L<dir> -lflatminima && LD_LIBRARY_PATH=<dir> ./a.out. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
int fm_packed_gemm_f64(int32_t, int32_t, int32_t, int32_t, int32_t, double, const double *, int32_t, const double *, int32_t, double, double *, int32_t);
int fm_packed_gemm_gate_f64(int32_t, int32_t, int32_t, int32_t, int32_t, double, const double *, int32_t, const double *, int32_t, double, const double *, int32_t, double *, int32_t);
int fm_packed_gemm_f32(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
int fm_packed_gemm_gate_f32(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, const float *, int32_t, float *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static char *junk; static size_t JN = 64u<<20; static volatile long sink;
static void evict(){ long a=0; for (size_t i=0;i<JN;i+=64) a+=junk[i]; sink=a; }
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
#define RUN(T, SUF) \
static void run_##SUF(int M, int N, int K, int cold) { \
  T *a=malloc(sizeof(T)*M*K), *b=malloc(sizeof(T)*K*N), *g=malloc(sizeof(T)*M*N), *c=malloc(sizeof(T)*M*N); \
  for (long i=0;i<(long)M*K;i++) a[i]=(T)((i%13)*0.1-0.6); for (long i=0;i<(long)K*N;i++) b[i]=(T)((i%7)*0.1-0.3); \
  for (long i=0;i<(long)M*N;i++) g[i]=(T)((i%3)-1); \
  double t[3][31]; \
  for (int r=0;r<31;r++) for (int v=0;v<3;v++) { \
    if (cold) evict(); double t0=now(); \
    if (v==0) fm_packed_gemm_##SUF(0,0,M,N,K,1.0,a,K,b,N,0.0,c,N); \
    if (v==1) { fm_packed_gemm_##SUF(0,0,M,N,K,1.0,a,K,b,N,0.0,c,N); for (long i=0;i<(long)M*N;i++) c[i]= g[i] > 0 ? c[i] : 0; } \
    if (v==2) fm_packed_gemm_gate_##SUF(0,0,M,N,K,1.0,a,K,b,N,0.0,g,N,c,N); \
    t[v][r]=(now()-t0)*1e6; } \
  for (int v=0;v<3;v++) qsort(t[v]+1,30,sizeof(double),cmp); \
  printf("%s %s %dx%dx%d  gemm %7.0f  gemm+gate %7.0f  gemm_gate %7.0f us (medians of 30)\n", #SUF, cold?"cold":"hot ", M,N,K, t[0][16], t[1][16], t[2][16]); \
  free(a); free(b); free(g); free(c); }
RUN(double, f64)
RUN(float, f32)
int main(){ junk=malloc(JN); memset(junk,1,JN);
  for (int pass=0;pass<3;pass++) for (int cold=0;cold<2;cold++) { run_f64(1000,512,512,cold); run_f64(1000,256,256,cold); run_f32(1000,512,512,cold); run_f32(1000,256,256,cold); }
}
