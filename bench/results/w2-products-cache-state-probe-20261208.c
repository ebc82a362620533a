/* Scratch measurement (issue 17, 2026-12-08, docs/PERFORMANCE.md "W2's FLOP-limit fraction: where the last tenth
 * goes"): the library's 512-bit packed GEMM (fm_packed_gemm512_f32) on W2's five large float products and 1024^3, one
 * thread, with the operands hot (the same call repeated), in L3 (12 MB read between calls) and from memory (64 MB
 * read between calls), each mode in turn call by call; the optional third argument offsets A, B and C by that many
 * floats from a 64-byte boundary. Built with gcc -O2 <this file> -o hotcold -ldl; run as
 *   ./hotcold <libflatminima.so> [reps] [offset]
 * (output: w2-products-cache-state-20261208.txt). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef int (*gf)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const void *, int32_t, const void *, int32_t, double, void *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static char *junk; static size_t JN; static volatile long sink;
static void evict(size_t n){ long a=0; for (size_t i=0;i<n;i+=64) a+=junk[i]; sink=a; }
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  JN=64u<<20; junk=malloc(JN); memset(junk,1,JN);
  void *h=dlopen(argv[1],RTLD_NOW|RTLD_LOCAL); if(!h){printf("dlopen %s\n",dlerror());return 1;}
  gf f32=(gf)dlsym(h,"fm_packed_gemm512_f32");
  int reps = argc>2 ? atoi(argv[2]) : 21;
  struct {int ta,tb,m,n,k; double beta;} sh[] = {
    {1,0,512,784,1000,0},{0,0,1000,512,512,0},{1,0,512,512,1000,0},{0,1,1000,512,784,1},{0,1,1000,512,512,1},{0,0,1024,1024,1024,0}};
  int ns = sizeof sh / sizeof sh[0];
  size_t big = 1100*1100;
  int off = argc>3 ? atoi(argv[3]) : 0; float *a=(float*)aligned_alloc(64,4*big+256)+off, *b=(float*)aligned_alloc(64,4*big+256)+off, *c=(float*)aligned_alloc(64,4*big+256)+off;
  for(size_t i=0;i<big;i++){a[i]=(i%13)*0.01f; b[i]=(i%7)*0.02f; c[i]=0;}
  const char *mode[3]={"hot ","L3  ","cold"}; size_t ev[3]={0, 12u<<20, 64u<<20};
  for(int s=0;s<ns;s++){
    int m=sh[s].m,n=sh[s].n,k=sh[s].k; int lda = sh[s].ta ? m : k, ldb = sh[s].tb ? k : n;
    double t[3][64];
    for(int r=0;r<reps+2;r++) for(int md=0;md<3;md++){
      if(ev[md]) evict(ev[md]);
      double t0=now();
      f32(sh[s].ta,sh[s].tb,m,n,k,1.0,a,lda,b,ldb,sh[s].beta,c,n);
      if(r>=2) t[md][r-2]=(now()-t0)*1e3;
    }
    printf("%c%c %4dx%4dx%4d b%g", sh[s].ta?'T':'N', sh[s].tb?'T':'N', m,n,k,sh[s].beta);
    for(int md=0;md<3;md++){ qsort(t[md],reps,8,cmp); double g=2.0*m*n*k/1e9; printf(" | %s med %.3f ms %.0f GF best %.0f", mode[md], t[md][reps/2], g/(t[md][reps/2]/1e3), g/(t[md][0]/1e3)); }
    printf("\n");
  }
}
