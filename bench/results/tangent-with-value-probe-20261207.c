/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "A product's value and tangent in one GEMM"): W1's
 * Hutchinson-10 products apart (a ten-column product on fm_fewcol_gemm, a hundred-column one on fm_packed_gemm) against
 * one product of 110 columns as rows or as columns, forward (x W^T with x V^T) and weight gradient (x^T g with
 * x^T Gdot), hot and after a 64 MB read; float and double. Build the library from native/src as
 *   gcc -O3 -std=c11 -fPIC -shared -march=x86-64-v3 -fno-math-errno -o <dir>/libfm.so flatminima.c -lm
 * then gcc -O2 tangent-with-value-probe-20261207.c -o probe -ldl && ./probe <dir>/libfm.so. Output: part 1 of
 * tangent-with-value-20261207.txt. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef int (*gf)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const void *, int32_t, const void *, int32_t, double, void *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static char *junk; static size_t JN = 64u<<20; static volatile long sink;
static void evict(){ long a=0; for (size_t i=0;i<JN;i+=64) a+=junk[i]; sink=a; }
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  junk=malloc(JN); memset(junk,1,JN);
  void *h=dlopen(argv[1],RTLD_NOW|RTLD_LOCAL);
  gf pk[2]={(gf)dlsym(h,"fm_packed_gemm_f32"),(gf)dlsym(h,"fm_packed_gemm_f64")};
  gf fc[2]={(gf)dlsym(h,"fm_fewcol_gemm_f32"),(gf)dlsym(h,"fm_fewcol_gemm_f64")};
  int reps=21; size_t big=1000*1000;
  double *a=aligned_alloc(64,8*big),*b=aligned_alloc(64,8*big),*c=aligned_alloc(64,8*big),*c2=aligned_alloc(64,8*big);
  for(size_t i=0;i<big;i++){a[i]=(i%13)*0.01;b[i]=(i%7)*0.02;c[i]=0;c2[i]=0;}
  for(int cold=0;cold<2;cold++) for(int d=0;d<2;d++){
    double t[6][64];
    for(int r=0;r<reps+2;r++) for(int v=0;v<6;v++){ if(cold) evict(); double t0=now();
      /* x = a [1000 x 784] row-major */
      if(v==0){ pk[d](0,1,1000,100,784,1.0,a,784,b,784,0.0,c,100); fc[d](0,1,1000,10,784,1.0,a,784,b,784,1.0,c2,10);} /* separate forward */
      else if(v==1){ pk[d](0,1,110,1000,784,1.0,b,784,a,784,1.0,c,1000);} /* fused forward: stack [110x784] @ x^T */
      else if(v==2){ pk[d](1,0,784,100,1000,1.0,a,784,b,100,0.0,c,100); fc[d](1,0,784,10,1000,1.0,a,784,b,10,0.0,c2,10);} /* separate backward */
      else if(v==3){ pk[d](0,0,110,784,1000,1.0,b,1000,a,784,0.0,c,784);} /* fused backward: stack [110x1000] @ x */
      else if(v==4){ pk[d](0,1,1000,110,784,1.0,a,784,b,784,1.0,c,110);} /* fused forward, columns: x @ stack^T */
      else { pk[d](1,0,784,110,1000,1.0,a,784,b,110,0.0,c,110);} /* fused backward, columns: x^T @ [g|gdot] */
      if(r>=2) t[v][r-2]=(now()-t0)*1e3; }
    for(int v=0;v<6;v++) qsort(t[v],reps,8,cmp);
    printf("%s %s forward: separate %.3f fused rows %.3f cols %.3f | backward: separate %.3f fused rows %.3f cols %.3f\n",cold?"cold":"hot ",d?"f64":"f32",
      t[0][reps/2],t[1][reps/2],t[4][reps/2],t[2][reps/2],t[3][reps/2],t[5][reps/2]);
  }
}
