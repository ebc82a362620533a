/* Scratch measurement (issue 17, 2026-12-05, docs/PERFORMANCE.md "Wide sums row by row"): the C sum over an axis of
 * 256 images of 25088 columns (W3's first bias gradient) with the double accumulators of 512 ... 25088 columns kept at once,
 * from memory (eight 25.7 MB inputs in turn), best of 8. gcc -O3 -std=c11 -march=x86-64-v3 wide-sums-probe-20261205.c */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
typedef float T;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
static void slab(int64_t B, double *acc, int64_t len, int64_t count, int64_t stride, const T *x, T *y) {
        for (int64_t i0 = 0; i0 < count; i0 += B) {
            const int64_t m = count - i0 < B ? count - i0 : B;
            for (int64_t i = 0; i < m; i++) acc[i] = (double) x[i0 + i];
            for (int64_t l = 1; l < len; l++) {
                const T *xl = x + l * stride + i0;
                for (int64_t i = 0; i < m; i++) acc[i] += (double) xl[i];
            }
            for (int64_t i = 0; i < m; i++) y[i0 + i] = (T) acc[i];
        } }
int main(){
  long len=256, inner=25088; long nbuf=8; T *xs[8]; for(int b=0;b<nbuf;b++){ xs[b]=aligned_alloc(64,4*len*inner); for(long i=0;i<len*inner;i++) xs[b][i]=rand()/(float)RAND_MAX;}
  T *y=aligned_alloc(64,4*inner), *y2=aligned_alloc(64,4*inner); double *acc=malloc(8*inner);
  long Bs[]={512,2048,8192,25088};
  for(int r=0;r<3;r++){ printf("cold (8 buffers of 25.7 MB in turn):");
    for(int q=0;q<4;q++){ double best=1e18; for(int k=0;k<8;k++){ double t=now(); slab(Bs[q],acc,len,inner,inner,xs[k],q?y2:y); t=now()-t; if(t<best)best=t;}
      printf(" block %ld %.2f ms;", Bs[q], best/1e6); }
    printf(" same bits %d\n", memcmp(y,y2,4*inner)==0); }
}
