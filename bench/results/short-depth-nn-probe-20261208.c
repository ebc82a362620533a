/* Scratch measurement (issue 17, 2026-12-08, docs/PERFORMANCE.md "W2's FLOP-limit fraction: where the last tenth
 * goes"): short-depth NN products C = A B (an output layer's input gradient, 1000 x 512 x 10 in W2) on OpenBLAS's
 * sgemm_/dgemm_ (row-major as cblas calls them), our AVX2 small-product kernels (fm_small_gemm) and the 512-bit packed
 * GEMM (fm_packed_gemm512), alternating call by call, medians; hot, and cold (64 MB read before each call); beta 0
 * and 1. Built with
 *   gcc -O2 <this file> -o shortdepth $LIB/libopenblas.so.0 -Wl,-rpath,$LIB -ldl
 * ($LIB the bundled OpenBLAS's directory) and run as
 *   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 ./shortdepth <libflatminima.so> [reps]
 * (output: short-depth-nn-20261208.txt). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
void sgemm_(const char *, const char *, const int *, const int *, const int *, const float *, const float *,
            const int *, const float *, const int *, const float *, float *, const int *);
void dgemm_(const char *, const char *, const int *, const int *, const int *, const double *, const double *,
            const int *, const double *, const int *, const double *, double *, const int *);
typedef int (*gf)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const void *, int32_t, const void *, int32_t, double, void *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static char *junk; static size_t JN=64u<<20; static volatile long sink;
static void evict(){ long a=0; for (size_t i=0;i<JN;i+=64) a+=junk[i]; sink=a; }
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  junk=malloc(JN); memset(junk,1,JN);
  void *h=dlopen(argv[1],RTLD_NOW|RTLD_LOCAL);
  gf p[2]={ (gf)dlsym(h,"fm_packed_gemm512_f32"), (gf)dlsym(h,"fm_packed_gemm512_f64")};
  gf s[2]={ (gf)dlsym(h,"fm_small_gemm_f32"), (gf)dlsym(h,"fm_small_gemm_f64")};
  int reps = argc>2 ? atoi(argv[2]) : 41;
  struct {int m,n,k;} sh[] = {{1000,512,10},{1000,256,10},{1000,784,10},{1000,512,16},{1000,512,32},{256,512,10},{500,512,10}};
  int ns=sizeof sh/sizeof sh[0];
  size_t big=1100*1100; double *a=aligned_alloc(64,8*big),*b=aligned_alloc(64,8*big),*c=aligned_alloc(64,8*big);
  for(size_t i=0;i<big;i++){a[i]=(i%13)*0.01; b[i]=(i%7)*0.02; c[i]=0;}
  float *af=(float*)a,*bf=(float*)b,*cf=(float*)c;
  for(int dbl=0;dbl<2;dbl++) for(int cold=0;cold<2;cold++) for(int bi=0;bi<2;bi++) for(int q=0;q<ns;q++){
    int m=sh[q].m,n=sh[q].n,k=sh[q].k; double beta=bi; double t[3][256];
    for(int r=0;r<reps+2;r++) for(int v=0;v<3;v++){
      if(cold) evict();
      double t0=now();
      if(v==0){ if(dbl){double one=1,bt=beta; dgemm_("N","N",&n,&m,&k,&one,b,&n,a,&k,&bt,c,&n);} else {float one=1,bt=beta; sgemm_("N","N",&n,&m,&k,&one,bf,&n,af,&k,&bt,cf,&n);} }
      else if(v==1) s[dbl](0,0,m,n,k,1.0,dbl?(void*)a:(void*)af,k,dbl?(void*)b:(void*)bf,n,beta,dbl?(void*)c:(void*)cf,n);
      else p[dbl](0,0,m,n,k,1.0,dbl?(void*)a:(void*)af,k,dbl?(void*)b:(void*)bf,n,beta,dbl?(void*)c:(void*)cf,n);
      if(r>=2) t[v][r-2]=(now()-t0)*1e6;
    }
    for(int v=0;v<3;v++) qsort(t[v],reps,8,cmp);
    printf("%s %s b%d %4dx%4dx%3d  OpenBLAS %6.1f  small %6.1f  packed512 %6.1f us (medians)  packed/OpenBLAS %.2f packed/small %.2f\n",
      dbl?"f64":"f32", cold?"cold":"hot ", bi, m,n,k, t[0][reps/2], t[1][reps/2], t[2][reps/2], t[2][reps/2]/t[0][reps/2], t[2][reps/2]/t[1][reps/2]);
  }
}
