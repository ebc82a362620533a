/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "The direct weight gradient two output channels a
 * pass"): fm_conv3x3_wgrad_f32 (the library's) against wgrad2 below (two output channels a pass, each load of x
 * feeding both) on one image of W3's first layer (1 x 28 x 28, 32 filters, padding 1), hot, medians of 501 calls,
 * three passes, and the two compared bit for bit. Link by name: gcc -O3 -march=x86-64-v3 probe.c -L<dir>
 * -lflatminima && LD_LIBRARY_PATH=<dir> ./a.out. Results: the library before 9.63-9.75 us, wgrad2 6.17-6.19 (same
 * bits); the library after (fm_dc_wgrad_channels, first written with a [2][9] array and loops over the channels:
 * 7.09-7.17, its accumulators partly on the stack; with two arrays of nine: 6.14-6.17). */
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int fm_conv3x3_wgrad_f32(const int32_t *geom, int32_t cout, const float *x, const float *gy, float *gw);
static __mmask16 fm_dc_mask(int32_t half, int32_t j, int32_t pw, int32_t w, int32_t ow) {
    uint32_t m = 0;
    for (int32_t l = 0; l < 16; l++) { const int32_t ox = 16 * half + l, c = ox + j - pw; if (ox < ow && c >= 0 && c < w) m |= 1u << l; }
    return (__mmask16) m;
}
static __mmask16 fm_dc_out(int32_t half, int32_t ow) { const int32_t k = ow - 16 * half; return (__mmask16) (k >= 16 ? 0xFFFF : k <= 0 ? 0 : (1u << k) - 1); }
/* two output channels at a time: each x load feeds both */
__attribute__((noinline, target("avx512f"))) static void wgrad2(const int32_t *geom, int32_t cout, const float *x, const float *gy, float *gw) {
    const int32_t n = geom[0], ch = geom[1], h = geom[2], w = geom[3], ph = geom[8], pw = geom[9];
    const int32_t oh = h + 2 * ph - 2, ow = w + 2 * pw - 2;
    const int64_t plane = (int64_t) h * w, oplane = (int64_t) oh * ow;
    __mmask16 mk[3][2];
    for (int j = 0; j < 3; j++) for (int hf = 0; hf < 2; hf++) mk[j][hf] = fm_dc_mask(hf, j, pw, w, ow);
    const __mmask16 out0 = fm_dc_out(0, ow), out1 = fm_dc_out(1, ow);
    for (int64_t b = 0; b < n; b++) {
        const float *xb = x + b * ch * plane;
        int32_t o = 0;
        for (; o + 1 < cout; o += 2) {
            const float *gp = gy + (b * cout + o) * oplane, *gq = gp + oplane;
            for (int32_t c = 0; c < ch; c++) {
                __m512 acc[9], bcc[9];
                for (int t = 0; t < 9; t++) acc[t] = bcc[t] = _mm512_setzero_ps();
                for (int32_t oy = 0; oy < oh; oy++) {
                    const __m512 g0 = _mm512_maskz_loadu_ps(out0, gp + (int64_t) oy * ow);
                    const __m512 g1 = _mm512_maskz_loadu_ps(out1, gp + (int64_t) oy * ow + 16);
                    const __m512 q0 = _mm512_maskz_loadu_ps(out0, gq + (int64_t) oy * ow);
                    const __m512 q1 = _mm512_maskz_loadu_ps(out1, gq + (int64_t) oy * ow + 16);
                    for (int i = 0; i < 3; i++) {
                        const int32_t r = oy + i - ph;
                        if (r < 0 || r >= h) continue;
                        const float *xr = xb + c * plane + (int64_t) r * w - pw;
                        for (int j = 0; j < 3; j++) {
                            const __m512 x0 = _mm512_maskz_loadu_ps(mk[j][0], xr + j), x1 = _mm512_maskz_loadu_ps(mk[j][1], xr + j + 16);
                            acc[3 * i + j] = _mm512_fmadd_ps(g0, x0, acc[3 * i + j]);
                            bcc[3 * i + j] = _mm512_fmadd_ps(q0, x0, bcc[3 * i + j]);
                            acc[3 * i + j] = _mm512_fmadd_ps(g1, x1, acc[3 * i + j]);
                            bcc[3 * i + j] = _mm512_fmadd_ps(q1, x1, bcc[3 * i + j]);
                        }
                    }
                }
                float *go = gw + ((int64_t) o * ch + c) * 9, *gq2 = go + (int64_t) ch * 9;
                for (int t = 0; t < 9; t++) { go[t] += _mm512_reduce_add_ps(acc[t]); gq2[t] += _mm512_reduce_add_ps(bcc[t]); }
            }
        }
        for (; o < cout; o++) { /* the last channel alone: as the library */
            const float *gp = gy + (b * cout + o) * oplane;
            for (int32_t c = 0; c < ch; c++) {
                __m512 acc[9];
                for (int t = 0; t < 9; t++) acc[t] = _mm512_setzero_ps();
                for (int32_t oy = 0; oy < oh; oy++) {
                    const __m512 g0 = _mm512_maskz_loadu_ps(out0, gp + (int64_t) oy * ow);
                    const __m512 g1 = _mm512_maskz_loadu_ps(out1, gp + (int64_t) oy * ow + 16);
                    for (int i = 0; i < 3; i++) {
                        const int32_t r = oy + i - ph;
                        if (r < 0 || r >= h) continue;
                        const float *xr = xb + c * plane + (int64_t) r * w - pw;
                        for (int j = 0; j < 3; j++) {
                            acc[3 * i + j] = _mm512_fmadd_ps(g0, _mm512_maskz_loadu_ps(mk[j][0], xr + j), acc[3 * i + j]);
                            acc[3 * i + j] = _mm512_fmadd_ps(g1, _mm512_maskz_loadu_ps(mk[j][1], xr + j + 16), acc[3 * i + j]);
                        }
                    }
                }
                float *go = gw + ((int64_t) o * ch + c) * 9;
                for (int t = 0; t < 9; t++) go[t] += _mm512_reduce_add_ps(acc[t]);
            }
        }
    }
}
int main(){
  int32_t g[10]={1,1,28,28,3,3,1,1,1,1}; int cout=32;
  float *x=malloc(4*784), *gy=malloc(4*32*784), *w1=calloc(32*9,4), *w2=calloc(32*9,4);
  for (int i=0;i<784;i++) x[i]=(float)((i*37%101)/50.0-1); for (int i=0;i<32*784;i++) gy[i]=(float)((i*53%97)/48.0-1);
  fm_conv3x3_wgrad_f32(g,cout,x,gy,w1); wgrad2(g,cout,x,gy,w2);
  printf("same bits: %s\n", memcmp(w1,w2,4*32*9)==0?"yes":"NO");
  for (int pass=0;pass<3;pass++){ double t1[501],t2[501]; for(int r=0;r<501;r++){double q=now(); fm_conv3x3_wgrad_f32(g,cout,x,gy,w1); t1[r]=(now()-q)*1e6; q=now(); wgrad2(g,cout,x,gy,w2); t2[r]=(now()-q)*1e6;} qsort(t1,501,8,cmp); qsort(t2,501,8,cmp); printf("one image, 32 filters: library %.2f us, two channels a pass %.2f us\n", t1[250], t2[250]); }
}
