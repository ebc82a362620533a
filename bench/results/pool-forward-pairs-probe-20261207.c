/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "The input gradient of a pooled convolution
 * scattered chunk by chunk", its last paragraph): fm_max_pool2d_relu_f32 hot on a chunk of W3's second pooled map
 * (2 x 64 x 14 x 14: rows of 7 windows) and of its first (1 and 5 x 32 x 28 x 28: rows of 14), medians of 501 calls,
 * two passes. Link by name: gcc -O3 -march=x86-64-v3 probe.c -L<dir> -lflatminima && LD_LIBRARY_PATH=<dir> ./a.out.
 * Results: before (a row of windows to a vector) 5.48-5.49 us for the 14 x 14 chunk (0.22 ns an input) against
 * 2.68-2.76 for the 28 x 28 one of as many inputs (0.11 ns); after (two rows to a vector where they fit) 2.77-2.87
 * us (0.11 ns), the 28 x 28 ones unchanged (2.74-2.78, 13.5-13.7 for five images). */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void fm_max_pool2d_relu_f32(const int32_t *geom, const float *x, float *y, int32_t *argmax);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(){
  int shapes[3][4]={{2,64,14,14},{1,32,28,28},{5,32,28,28}};
  for (int pass=0;pass<2;pass++) for (int s=0;s<3;s++){
    int32_t g[10]={shapes[s][0],shapes[s][1],shapes[s][2],shapes[s][3],2,2,2,2,0,0};
    long n=(long)g[0]*g[1]*g[2]*g[3]; float *x=malloc(4*n), *y=malloc(n); int32_t *a=malloc(n);
    for (long i=0;i<n;i++) x[i]=(float)(((i*7919)%1000)/1000.0-0.5);
    double t[501]; for (int r=0;r<501;r++){double q=now(); fm_max_pool2d_relu_f32(g,x,y,a); t[r]=(now()-q)*1e6;}
    qsort(t,501,8,cmp); printf("%dx%dx%dx%d (%ld inputs) %.2f us, %.2f ns per input\n", g[0],g[1],g[2],g[3], n, t[250], t[250]*1000/n);
  }
}
