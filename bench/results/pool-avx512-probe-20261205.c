/* Scratch measurement (issue 17, 2026-12-05, docs/PERFORMANCE.md "Max pooling on vectors"): the C library's
 * scalar 2x2/2 max-pool kernels (as in native/src/fm_kernels.inc before the change, copied here) against the
 * AVX-512 kernels of native/src/fm_pool.inc (included), on W3's two poolings at batch 256 (256 x 32 planes of
 * 28 x 28, 256 x 64 of 14 x 14) with a ReLU's output (half zeros), best of 15, one thread; first a check that both
 * give the same bits over h, w = 1..40 on three kinds of input (ReLU output, small integers, NaNs and -0).
 *   gcc -O3 -std=c11 -march=x86-64-v3 -fno-math-errno -I native/src bench/results/pool-avx512-probe-20261205.c -o probe -lm
 * (FM_POOL_BACKWARD_ALL, defined below, makes fm_pool.inc build its backward for doubles too, which the library
 * leaves out: it was slower there).
 */
#ifndef PROBE_REF
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
#define FM_POOL_BACKWARD_ALL
static int fm_avx512_supported(void) { return __builtin_cpu_supports("avx512f"); }

#define T float
#define FM(n) n##_f32
#include "fm_pool.inc"
#undef FM
#undef T
#define T double
#define FM(n) n##_f64
#define FM_POOL_F64
#include "fm_pool.inc"
#undef FM_POOL_F64
#undef FM
#undef T

/* the scalar kernels and the check, once per type: this file again with PROBE_REF defined */
#define PROBE_REF
#define T float
#define S f32
#include "pool-avx512-probe-20261205.c"
#undef S
#undef T
#define T double
#define S f64
#include "pool-avx512-probe-20261205.c"
#undef S
#undef T

int main(){
  int bad=0;
  for(int h=1;h<=40;h++) for(int w=1;w<=40;w++) for(int k=0;k<3;k++){
    if(!check_f32(3,h,w,k,0)){printf("f32 mismatch h=%d w=%d kind=%d\n",h,w,k);bad++;}
    if(!check_f64(3,h,w,k,0)){printf("f64 mismatch h=%d w=%d kind=%d\n",h,w,k);bad++;}
  }
  printf("mismatches %d\n",bad);
  check_f32(256*32,28,28,0,1); check_f32(256*64,14,14,0,1);
  check_f64(256*32,28,28,0,1); check_f64(256*64,14,14,0,1);
}

#else /* PROBE_REF */

#define CAT(a,b) a##_##b
#define X(a,b) CAT(a,b)
__attribute__((noinline)) static void X(old_fwd,S)(int64_t np, int h, int w, const T *x, T *y, int32_t *argmax) {
  int oh=h/2, ow=w/2; int64_t plane=(int64_t)h*w, oplane=(int64_t)oh*ow;
  for (int64_t p = 0; p < np; p++) {
    const T *xp = x + p * plane; T *yp = y + p * oplane; int32_t *ap = argmax + p * oplane;
    for (int32_t oy = 0; oy < oh; oy++) {
      const int32_t r0 = 2 * oy * w, r1 = r0 + w;
      for (int32_t ox = 0; ox < ow; ox++) {
        const int32_t c0 = 2 * ox;
        T best = xp[r0 + c0]; int32_t at = r0 + c0;
        if (xp[r0 + c0 + 1] > best) { best = xp[r0 + c0 + 1]; at = r0 + c0 + 1; }
        if (xp[r1 + c0] > best) { best = xp[r1 + c0]; at = r1 + c0; }
        if (xp[r1 + c0 + 1] > best) { best = xp[r1 + c0 + 1]; at = r1 + c0 + 1; }
        yp[(int64_t) oy * ow + ox] = best; ap[(int64_t) oy * ow + ox] = at;
      }
    }
  }
}
__attribute__((noinline)) static void X(old_bwd,S)(int64_t np, int h, int w, const T *gy, const int32_t *argmax, T *gx) {
  int oh=h/2, ow=w/2; int64_t plane=(int64_t)h*w, oplane=(int64_t)oh*ow;
  for (int64_t p = 0; p < np; p++) {
    T *gp = gx + p * plane; const T *yp = gy + p * oplane; const int32_t *ap = argmax + p * oplane;
    for (int32_t oy = 0; oy < oh; oy++) {
      const int32_t r0 = 2 * oy * w, r1 = r0 + w;
      for (int32_t ox = 0; ox < ow; ox++) {
        const int32_t c0 = 2 * ox;
        gp[r0 + c0] = 0; gp[r0 + c0 + 1] = 0; gp[r1 + c0] = 0; gp[r1 + c0 + 1] = 0;
        gp[ap[(int64_t) oy * ow + ox]] = (T) 0 + yp[(int64_t) oy * ow + ox];
      }
      for (int32_t ix = 2 * ow; ix < w; ix++) { gp[r0 + ix] = 0; gp[r1 + ix] = 0; }
    }
    for (int64_t i = (int64_t) 2 * oh * w; i < plane; i++) gp[i] = 0;
  }
}
__attribute__((noinline)) static void X(old_gather,S)(int64_t np, int h, int w, const T *x, const int32_t *argmax, T *y) {
  int64_t plane=(int64_t)h*w, oplane=(int64_t)(h/2)*(w/2);
  for (int64_t p = 0; p < np; p++) { const T *xp = x + p * plane; const int32_t *ap = argmax + p * oplane; T *yp = y + p * oplane;
    for (int64_t o = 0; o < oplane; o++) { const int32_t at = ap[o]; yp[o] = at < 0 ? (T) 0 : xp[at]; } }
}
static int X(check,S)(int64_t np, int h, int w, int kind, int timeit) {
  int64_t xn=np*h*w, yn=np*(h/2)*(w/2);
  T *x=malloc(xn*sizeof(T)+64), *y1=malloc(yn*sizeof(T)), *y2=malloc(yn*sizeof(T)), *g1=malloc(xn*sizeof(T)), *g2=malloc(xn*sizeof(T));
  int32_t *a1=malloc(yn*4), *a2=malloc(yn*4);
  for(int64_t i=0;i<xn;i++){ double v=rand()/(double)RAND_MAX-0.5;
    x[i] = kind==0 ? (v<0?0:v) : kind==1 ? (T)(rand()%3) - 1 : (rand()%17==0 ? NAN : (rand()%23==0? -0.0 : v)); }
  for(int64_t i=0;i<yn;i++){ double v=rand()/(double)RAND_MAX-0.5; y1[i] = rand()%11==0 ? -0.0 : v; }
  memset(g1,0x7f,xn*sizeof(T)); memset(g2,0x7f,xn*sizeof(T));
  X(old_fwd,S)(np,h,w,x,y2,a1); X(pool2x2_avx512,S)(np,h,w,x,y2,a2);
  T *yo = malloc(yn*sizeof(T)); X(old_fwd,S)(np,h,w,x,yo,a1);
  int ok = memcmp(yo,y2,yn*sizeof(T))==0 && memcmp(a1,a2,yn*4)==0;
  X(old_bwd,S)(np,h,w,y1,a1,g1); X(pool2x2_backward_avx512,S)(np,h,w,y1,a1,g2);
  ok = ok && memcmp(g1,g2,xn*sizeof(T))==0;
  if (timeit) {
    double bo=1e9,bn=1e9,cbo=1e9,cbn=1e9,go=1e9,gn=1e9;
    for(int r=0;r<15;r++){
      double t=now(); X(old_fwd,S)(np,h,w,x,y1,a1); t=now()-t; if(t<bo)bo=t;
      t=now(); X(pool2x2_avx512,S)(np,h,w,x,y2,a2); t=now()-t; if(t<bn)bn=t;
      t=now(); X(old_bwd,S)(np,h,w,y1,a1,g1); t=now()-t; if(t<cbo)cbo=t;
      t=now(); X(pool2x2_backward_avx512,S)(np,h,w,y1,a1,g2); t=now()-t; if(t<cbn)cbn=t;
      t=now(); X(old_gather,S)(np,h,w,x,a1,y1); t=now()-t; if(t<go)go=t;
      t=now(); X(pool_gather_avx512,S)(np,(int64_t)h*w,(int64_t)(h/2)*(w/2),x,a1,y2); t=now()-t; if(t<gn)gn=t;
    }
    if (memcmp(y1,y2,yn*sizeof(T))) printf("gather mismatch\n");
    printf("%s %dx%dx%d fwd old %.3f new %.3f ms; bwd old %.3f new %.3f ms; gather old %.3f new %.3f ms\n",(int)sizeof(T)==4?"f32":"f64",(int)np,h,w,bo,bn,cbo,cbn,go,gn);
  }
  free(x);free(y1);free(y2);free(g1);free(g2);free(a1);free(a2);free(yo);
  return ok;
}
#undef CAT
#undef X

#endif
