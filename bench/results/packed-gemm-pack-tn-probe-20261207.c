/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "Packing a transposed A by rows"): two builds of the
 * C library, loaded side by side with dlopen, their fm_packed_gemm_f32/_f64 alternating call by call (the order
 * swapped every call), on the TN products of W1's Hutchinson-10 (784 x 100 x 1000, float and double), its NT product
 * (1000 x 100 x 784, whose packing did not change: the control), W2's weight gradients (512 x 784 x 1000 and
 * 512 x 512 x 1000) and a ten-column TN product (784 x 10 x 1000, which the backend gives to the few-columns
 * kernels: shown for the packing alone); hot (repeated) and cold (a 64 MB read before each call). Build each
 * library from native/src as
 *   gcc -O3 -std=c11 -fPIC -shared -march=x86-64-v3 -fno-math-errno -o <dir>/libfm.so flatminima.c -lm
 * then gcc -O2 packed-gemm-pack-tn-probe-20261207.c -o probe -ldl && ./probe <libA> <libB> [reps]; run it again
 * with the two swapped. Output: packed-gemm-pack-tn-20261207.txt. */
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
  void *h[2]; gf f32[2], f64[2];
  for(int i=0;i<2;i++){ h[i]=dlopen(argv[1+i],RTLD_NOW|RTLD_LOCAL); if(!h[i]){printf("dlopen %s\n",dlerror());return 1;}
    f32[i]=(gf)dlsym(h[i],"fm_packed_gemm_f32"); f64[i]=(gf)dlsym(h[i],"fm_packed_gemm_f64"); }
  int reps = argc>3 ? atoi(argv[3]) : 15;
  struct {int ta,tb,m,n,k; double beta; int dbl;} sh[] = {
    {1,0,784,100,1000,0,0},{1,0,784,100,1000,0,1},{0,1,1000,100,784,0,0},{1,0,512,784,1000,0,0},{1,0,512,512,1000,0,0},
    {1,0,512,784,1000,0,1},{1,0,784,10,1000,0,0},{1,0,784,10,1000,0,1}};
  int ns = sizeof sh / sizeof sh[0];
  size_t big = 1000*1000;
  double *a=aligned_alloc(64,8*big), *b=aligned_alloc(64,8*big), *c=aligned_alloc(64,8*big);
  for(size_t i=0;i<big;i++){a[i]=(i%13)*0.01; b[i]=(i%7)*0.02; c[i]=0;}
  float *af=(float*)a,*bf=(float*)b,*cf=(float*)c;
  for(int cold=0;cold<2;cold++) for(int s=0;s<ns;s++){
    double t[2][64];
    int m=sh[s].m,n=sh[s].n,k=sh[s].k;
    int lda = sh[s].ta ? m : k, ldb = sh[s].tb ? k : n;
    for(int r=0;r<reps+2;r++) for(int i=0;i<2;i++){
      int which = (r&1) ? 1-i : i;
      if(cold) evict();
      double t0=now();
      if(sh[s].dbl) f64[which](sh[s].ta,sh[s].tb,m,n,k,1.0,a,lda,b,ldb,sh[s].beta,c,n);
      else f32[which](sh[s].ta,sh[s].tb,m,n,k,1.0,af,lda,bf,ldb,sh[s].beta,cf,n);
      if(r>=2) t[which][r-2]=(now()-t0)*1e3;
    }
    qsort(t[0],reps,8,cmp); qsort(t[1],reps,8,cmp);
    printf("%s %s %c%c %4dx%4dx%4d b%g  A med %.3f min %.3f | B med %.3f min %.3f  B/A med %.3f min %.3f\n", cold?"cold":"hot ",
      sh[s].dbl?"f64":"f32", sh[s].ta?'T':'N', sh[s].tb?'T':'N', m,n,k,sh[s].beta, t[0][reps/2],t[0][0],t[1][reps/2],t[1][0], t[1][reps/2]/t[0][reps/2], t[1][0]/t[0][0]);
  }
}
