/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "The input gradient of a pooled convolution
 * scattered chunk by chunk"): fm_max_pool2d_backward_f32 on one chunk of W3's second pooled map (2 x 64 x 14 x 14),
 * hot (the same chunk again) and streaming (chunk after chunk through a batch of 256, after evicting 64 MB), medians
 * of 128 calls; run against the library before (a row of windows to a vector: 7 of 16 lanes) and after (two rows).
 * Link by name: gcc -O3 -march=x86-64-v3 probe.c -L<dir> -lflatminima && LD_LIBRARY_PATH=<dir> ./a.out.
 * Results (three passes each): before hot 5.34-5.60 us, streaming 6.81-7.13; after hot 3.67-3.68, streaming
 * 6.09-6.44. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void fm_max_pool2d_backward_f32(const int32_t *geom, const float *gy, const int32_t *argmax, float *gx);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(){
  int N=256, C=64, H=14, W=14; long planes=(long)N*C, o=planes*49;
  float *gy=malloc(4*o); int32_t *a=malloc(4*o); float *buf=aligned_alloc(64, 4L*2*C*H*W);
  for (long p=0;p<planes;p++) for (int oy=0;oy<7;oy++) for (int ox=0;ox<7;ox++){ long i=p*49+oy*7+ox; int r=(int)((i*7919)%5); a[i]= r==4?-1:(2*oy+(r>>1))*W+2*ox+(r&1); gy[i]=(float)(((i*31)%1000)/1000.0-0.5);}
  long big=64L<<20; char *junk=malloc(big);
  int32_t g[10]={2,C,H,W,2,2,2,2,0,0};
  for (int pass=0; pass<3; pass++) {
    double th[128], tc[128];
    /* hot: the same chunk again and again */
    for (int q=0;q<128;q++){ fm_max_pool2d_backward_f32(g, gy, a, buf); double t0=now(); fm_max_pool2d_backward_f32(g, gy, a, buf); th[q]=(now()-t0)*1e6; }
    /* streaming: chunk after chunk through the batch, after an eviction */
    for (long i=0;i<big;i+=64) junk[i]++;
    for (int q=0;q<128;q++){ double t0=now(); fm_max_pool2d_backward_f32(g, gy+q*2L*C*49, a+q*2L*C*49, buf); tc[q]=(now()-t0)*1e6; }
    qsort(th,128,8,cmp); qsort(tc,128,8,cmp);
    printf("chunk 2x64x14x14: hot %.2f us, streaming from memory %.2f us (median)\n", th[64], tc[64]);
  }
}
