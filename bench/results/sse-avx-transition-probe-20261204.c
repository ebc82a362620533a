/* Scratch measurement (issue 17, 2026-12-04, docs/PERFORMANCE.md "Dirty vector registers"): 20,000 calls of glibc's
 * exp with the upper halves of the vector registers clean, then dirtied by one AVX / AVX-512 instruction (as the
 * JVM can leave them before a downcall), then cleaned by vzeroupper; best of 20. (The same states around the
 * bundled OpenBLAS's sgemm cost at most 0.2 us per call: numbers in docs/PERFORMANCE.md.) gcc -O3 [-march=x86-64-v3] -fno-math-errno
 * sse-avx-transition-probe-20261204.c -lm. Output on this machine (Xeon, Sapphire Rapids, 2026-12-04), both flags:
 *   clean 0.079 ms; zmm16 dirty 0.081; after vzeroupper 0.081; zmm1 dirty 2.33; after vzeroupper 0.080;
 *   ymm1 dirty 2.10; after vzeroupper 0.080
 * (zmm16-31 do not count: only the halves vzeroupper clears.) */
#include <math.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
__attribute__((noinline)) double run(const double*x){ double s=0; for(int i=0;i<20000;i++) s+=exp(x[i]); return s;}
double x[20000];
void rep(const char*n){ double best=1e9; for(int k=0;k<20;k++){double t=now(); volatile double s=run(x); t=now()-t; if(t<best)best=t;} printf("%-28s %.3f ms\n",n,best);}
int main(){
  for(int i=0;i<20000;i++) x[i]=-(i%10)*0.7;
  rep("clean");
  __asm__ volatile("vpternlogd $0xff, %zmm16, %zmm16, %zmm16");
  rep("zmm16 dirty");
  __asm__ volatile("vzeroupper");
  rep("after vzeroupper");
  __asm__ volatile("vpternlogd $0xff, %zmm1, %zmm1, %zmm1");
  rep("zmm1 dirty");
  __asm__ volatile("vzeroupper");
  rep("after vzeroupper");
  __asm__ volatile("vpcmpeqd %ymm1,%ymm1,%ymm1");
  rep("ymm1 dirty");
  __asm__ volatile("vzeroupper");
  rep("after vzeroupper");
}
