/* Scratch measurement (issue 17, 2026-12-07, docs/PERFORMANCE.md "maxPool2dRelu's ReLU in the 2x2 kernels' store"):
 * fm_max_pool2d_f32 (the pooling and its routing) against fm_max_pool2d_relu_f32 (the same with the ReLU) on W3's
 * two pooled maps in chunks of 4 images (32 x 28 x 28 and 64 x 14 x 14), hot, medians of 2001 calls; run against
 * the library before (the ReLU a second pass) and after (in the store). Link by name:
 * gcc -O3 -march=x86-64-v3 probe.c -L<dir> -lflatminima && LD_LIBRARY_PATH=<dir> ./a.out. Results:
 * pool-relu-store-20261207.txt. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void fm_max_pool2d_f32(const int32_t *geom, const float *x, float *y, int32_t *argmax);
void fm_max_pool2d_relu_f32(const int32_t *geom, const float *x, float *y, int32_t *argmax);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(){
  int shapes[2][4]={{4,32,28,28},{4,64,14,14}};
  for (int pass=0;pass<3;pass++) for (int s=0;s<2;s++) {
    int32_t g[10]={shapes[s][0],shapes[s][1],shapes[s][2],shapes[s][3],2,2,2,2,0,0};
    long n=(long)g[0]*g[1]*g[2]*g[3], o=n/4;
    float *x=malloc(4*n), *y=malloc(4*o); int32_t *a=malloc(4*o);
    for (long i=0;i<n;i++) x[i]=(float)(((i*7919)%1000)/1000.0-0.5);
    static double t[2][2001];
    for (int r=0;r<2001;r++) for (int v=0;v<2;v++) { double t0=now(); if (v==0) fm_max_pool2d_f32(g,x,y,a); else fm_max_pool2d_relu_f32(g,x,y,a); t[v][r]=(now()-t0)*1e6; }
    qsort(t[0],2001,sizeof(double),cmp); qsort(t[1],2001,sizeof(double),cmp);
    printf("%dx%dx%dx%d  pool %.2f us  pool+relu %.2f us\n", g[0],g[1],g[2],g[3], t[0][1000], t[1][1000]);
    free(x); free(y); free(a);
  }
}
