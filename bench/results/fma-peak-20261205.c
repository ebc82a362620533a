/* Scratch measurement (issue 17, 2026-12-05): the core f32 FMA peak, 24 independent AVX-512 FMA chains (2 FMA ports x
 * 16 lanes x 2 FLOP per cycle). gcc -O2 -mavx512f -mfma fma-peak-20261205.c -o fma && ./fma */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  __m512 a[24]; __m512 x=_mm512_set1_ps(1.0000001f), y=_mm512_set1_ps(0.9999999f);
  for(int i=0;i<24;i++) a[i]=_mm512_set1_ps(i);
  long iters=200000000/24*10;
  for(int rep=0;rep<5;rep++){
  double t=now();
  for(long n=0;n<iters/10;n++){
#pragma GCC unroll 24
    for(int i=0;i<24;i++) a[i]=_mm512_fmadd_ps(a[i],x,y);
  }
  t=now()-t;
  float s=0; for(int i=0;i<24;i++) s+=_mm512_reduce_add_ps(a[i]);
  printf("%.1f GFLOP/s f32 (%g)\n", iters/10.0*24*32/t/1e9, s);
  }
}
