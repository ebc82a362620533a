/* Scratch measurement (issue 17, 2026-12-05; the closing note of the day): a direct 3x3 convolution for one input
 * channel on AVX-512 (a row of outputs on two 16-lane vectors, the nine shifted input rows loaded once per output row
 * and shared by the 32 output channels) and its weight gradient (images outer, nine accumulators per output
 * channel), on W3 first convolution at batch 256 (1 -> 32 channels, 28 x 28, padding 1). For comparison, the
 * engine spends per gradient step about 2.3 ms in its forward products (K = 9) and 2.5 ms in its weight gradient
 * products plus 2.3 ms of im2col for both (bench/results/kernel-times-w3-grad-f32-20261205.txt). Not in the library.
 * gcc -O3 -std=c11 -march=x86-64-v3 direct-conv-probe-20261205.c -o p -lm && ./p */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
/* y[b][o][oy][ox] = sum_{i,j} w[o][i][j] x[b][oy+i-1][ox+j-1], one input channel, 3x3, pad 1, w <= 32 */
__attribute__((target("avx512f"))) static void conv_fwd(int n, int co, int h, int w, const float *x, const float *wt, float *y) {
  const __mmask16 m0 = w >= 16 ? 0xFFFF : (1u << w) - 1, m1 = w <= 16 ? 0 : (__mmask16)((1u << (w - 16)) - 1);
  for (int b = 0; b < n; b++) {
    const float *xp = x + (long)b * h * w;
    for (int oy = 0; oy < h; oy++) {
      __m512 s[3][3][2];
      for (int i = 0; i < 3; i++) {
        int r = oy + i - 1;
        for (int j = 0; j < 3; j++) {
          if (r < 0 || r >= h) { s[i][j][0] = s[i][j][1] = _mm512_setzero_ps(); continue; }
          const float *xr = xp + (long)r * w + j - 1;
          /* lane l holds column l + j - 1: valid when 0 <= l + j - 1 < w */
          __mmask16 v0 = m0, v1 = m1;
          if (j == 0) v0 &= 0xFFFE; /* column -1 */
          if (j == 2) { if (w <= 16) v0 &= (__mmask16)((1u << (w - 1)) - 1); else v1 &= (__mmask16)((1u << (w - 17)) - 1); }
          s[i][j][0] = _mm512_maskz_loadu_ps(v0, xr);
          s[i][j][1] = _mm512_maskz_loadu_ps(v1, xr + 16);
        }
      }
      for (int o = 0; o < co; o++) {
        const float *wo = wt + o * 9;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) {
          __m512 ww = _mm512_set1_ps(wo[i * 3 + j]);
          a0 = _mm512_fmadd_ps(ww, s[i][j][0], a0);
          a1 = _mm512_fmadd_ps(ww, s[i][j][1], a1);
        }
        float *yr = y + (((long)b * co + o) * h + oy) * w;
        _mm512_mask_storeu_ps(yr, m0, a0);
        _mm512_mask_storeu_ps(yr + 16, m1, a1);
      }
    }
  }
}
/* gw[o][i][j] += sum_b sum_{oy,ox} gy[b][o][oy][ox] x[b][oy+i-1][ox+j-1]; images outer: gy read once, in order */
__attribute__((target("avx512f"))) static void conv_wgrad(int n, int co, int h, int w, const float *x, const float *gy, float *gw) {
  const __mmask16 m0 = w >= 16 ? 0xFFFF : (1u << w) - 1, m1 = w <= 16 ? 0 : (__mmask16)((1u << (w - 16)) - 1);
  for (int b = 0; b < n; b++) {
    const float *xp = x + (long)b * h * w;
    for (int o = 0; o < co; o++) {
      __m512 acc[9];
      for (int t = 0; t < 9; t++) acc[t] = _mm512_setzero_ps();
      const float *gp = gy + ((long)b * co + o) * h * w;
      for (int oy = 0; oy < h; oy++) {
        const __m512 g0 = _mm512_maskz_loadu_ps(m0, gp + oy * w), g1 = _mm512_maskz_loadu_ps(m1, gp + oy * w + 16);
        for (int i = 0; i < 3; i++) {
          int r = oy + i - 1;
          if (r < 0 || r >= h) continue;
          for (int j = 0; j < 3; j++) {
            const float *xr = xp + (long)r * w + j - 1;
            __mmask16 v0 = m0, v1 = m1;
            if (j == 0) v0 &= 0xFFFE;
            if (j == 2) { if (w <= 16) v0 &= (__mmask16)((1u << (w - 1)) - 1); else v1 &= (__mmask16)((1u << (w - 17)) - 1); }
            acc[i * 3 + j] = _mm512_fmadd_ps(g0, _mm512_maskz_loadu_ps(v0, xr), acc[i * 3 + j]);
            acc[i * 3 + j] = _mm512_fmadd_ps(g1, _mm512_maskz_loadu_ps(v1, xr + 16), acc[i * 3 + j]);
          }
        }
      }
      for (int t = 0; t < 9; t++) gw[o * 9 + t] += _mm512_reduce_add_ps(acc[t]);
    }
  }
}
int main(){
  int n=256, co=32, h=28, w=28;
  float *x=malloc(4L*n*h*w), *wt=malloc(4*co*9), *y=malloc(4L*n*co*h*w), *gw=calloc(co*9,4), *gy=malloc(4L*n*co*h*w);
  srand(1); for(long i=0;i<(long)n*h*w;i++) x[i]=rand()/(float)RAND_MAX-0.5f; for(int i=0;i<co*9;i++) wt[i]=rand()/(float)RAND_MAX-0.5f;
  for(long i=0;i<(long)n*co*h*w;i++) gy[i]=rand()/(float)RAND_MAX-0.5f;
  /* check forward against a double loop on 3 images */
  conv_fwd(n,co,h,w,x,wt,y);
  double err=0; for(int b=0;b<3;b++) for(int o=0;o<co;o++) for(int oy=0;oy<h;oy++) for(int ox=0;ox<w;ox++){ double s=0; for(int i=0;i<3;i++) for(int j=0;j<3;j++){int r=oy+i-1,c=ox+j-1; if(r>=0&&r<h&&c>=0&&c<w) s+=(double)wt[o*9+i*3+j]*x[(long)b*h*w+r*w+c];} double d=fabs(s-y[(((long)b*co+o)*h+oy)*w+ox]); if(d>err)err=d; }
  conv_wgrad(n,co,h,w,x,gy,gw);
  double err2=0; for(int o=0;o<co;o++) for(int t=0;t<9;t++){ double s=0; int i=t/3,j=t%3; for(int b=0;b<n;b++) for(int oy=0;oy<h;oy++) for(int ox=0;ox<w;ox++){int r=oy+i-1,c=ox+j-1; if(r>=0&&r<h&&c>=0&&c<w) s+=(double)gy[(((long)b*co+o)*h+oy)*w+ox]*x[(long)b*h*w+r*w+c];} double d=fabs(s-gw[o*9+t])/fmax(1,fabs(s)); if(d>err2)err2=d; }
  printf("forward max err %.2e, weight grad max rel err %.2e\n", err, err2);
  for(int rep=0;rep<3;rep++){
    double b1=1e9,b2=1e9;
    for(int r=0;r<15;r++){ double t=now(); conv_fwd(n,co,h,w,x,wt,y); t=now()-t; if(t<b1)b1=t; memset(gw,0,4*co*9); t=now(); conv_wgrad(n,co,h,w,x,gy,gw); t=now()-t; if(t<b2)b2=t; }
    printf("256 images, 1 -> 32 channels, 28 x 28: direct forward %.3f ms, direct weight gradient %.3f ms\n", b1, b2);
  }
}
