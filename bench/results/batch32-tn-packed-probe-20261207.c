/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "A batch of 32's weight gradients on the packed
 * GEMM"): a batch of 32's (and 16's, 64's) float weight gradients, A^T B of depth 32, at W2's, M4's and W3's shapes,
 * on the small-product C kernels, the packed C GEMM and the bundled OpenBLAS, one thread, 41 calls each, medians; hot,
 * and with an argument "cold" after a 64 MB pass over other memory before every call. Adapted from
 * batch32-products-probe-20261207.c. Build the library from native/src as gcc -O3 -std=c11 -fPIC -shared
 * -march=x86-64-v3 -fno-math-errno -o <dir>/libfm.so flatminima.c -lm, then gcc -O2 THIS -o probe -ldl &&
 * ./probe <dir>/libfm.so && ./probe <dir>/libfm.so cold. Output: batch32-tn-packed-20261207.txt. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef int (*gf)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const void *, int32_t, const void *, int32_t, double, void *, int32_t);
typedef void (*sg)(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  void *h=dlopen(argv[1],RTLD_NOW|RTLD_LOCAL);
  gf small=(gf)dlsym(h,"fm_small_gemm_f32"), packed=(gf)dlsym(h,"fm_packed_gemm_f32");
  void *ob=dlopen("/root/.cache/flatminima/openblas-0.3.31-1.5.13-linux-x86_64/libopenblas.so.0",RTLD_NOW);
  sg sgemm=(sg)dlsym(ob,"cblas_sgemm"); void (*setth)(int)=dlsym(ob,"openblas_set_num_threads"); setth(1);
  int reps=41; size_t big=4000*1000; int cold=argc>2; size_t jn=64u<<20; char *junk=malloc(jn); memset(junk,1,jn); volatile long sink=0;
  float *a=aligned_alloc(64,4*big),*b=aligned_alloc(64,4*big),*c=aligned_alloc(64,4*big);
  for(size_t i=0;i<big;i++){a[i]=(i%13)*0.01f;b[i]=(i%7)*0.02f;c[i]=0;}
  struct {int ta,tb,m,n,k;} sh[]={{1,0,512,784,32},{1,0,512,512,32},{1,0,256,784,32},{1,0,256,256,32},{1,0,128,3136,32},{1,0,1024,784,32},{1,0,512,784,64},{1,0,256,784,64},{1,0,512,512,16},{1,0,128,784,32}};
  for(int s=0;s<(int)(sizeof sh/sizeof sh[0]);s++){ int ta=sh[s].ta,tb=sh[s].tb,m=sh[s].m,n=sh[s].n,k=sh[s].k,lda=ta?m:k,ldb=tb?k:n;
    double t[3][64]; int rc[3];
    for(int r=0;r<reps+3;r++) for(int v=0;v<3;v++){ if(cold){ for(size_t j=0;j<jn;j+=64){junk[j]++; sink+=junk[j];} } double t0=now();
      if(v==0) rc[0]=small(ta,tb,m,n,k,1.0,a,lda,b,ldb,1.0,c,n); else if(v==1) rc[1]=packed(ta,tb,m,n,k,1.0,a,lda,b,ldb,1.0,c,n);
      else sgemm(101,ta?112:111,tb?112:111,m,n,k,1.0f,a,lda,b,ldb,1.0f,c,n);
      if(r>=3) t[v][r-3]=(now()-t0)*1e6; }
    for(int v=0;v<3;v++) qsort(t[v],reps,8,cmp);
    double fl=2.0*m*n*k*1e-3;
    printf("%c%c %4dx%4dx%4d small %.0f us (%.0f GF/s, rc %d) | packed %.0f (%.0f, rc %d) | openblas %.0f (%.0f)\n",ta?'T':'N',tb?'T':'N',m,n,k,
      t[0][reps/2],fl/t[0][reps/2],rc[0],t[1][reps/2],fl/t[1][reps/2],rc[1],t[2][reps/2],fl/t[2][reps/2]);
  }
}
