/* Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "Small products on AVX2"): fm_small_gemm against
 * OpenBLAS on products larger than 10^6 multiply-adds with a dimension of at most 16 (W1's and an output layer's),
 * operands rotating over several buffers (tens of MB, so read from memory), best of 15 x 40 calls, one thread.
 * Built as small-gemm-probe-20261206.c. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
int fm_small_gemm_f32(int32_t,int32_t,int32_t,int32_t,int32_t,double,const float*,int32_t,const float*,int32_t,double,float*,int32_t);
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec*1e-3;}
#define NB 8
int main(){
  int shapes[][5]={{0,1,1000,10,784},{1,0,10,784,1000},{0,0,1000,784,10},{0,0,1000,1000,16},{0,0,256,3136,16},{0,1,1000,16,512},{0,1,1000,10,128},{0,0,1000,512,10},{1,0,784,10,1000}};
  for(int s=0;s<9;s++){int ta=shapes[s][0],tb=shapes[s][1],m=shapes[s][2],n=shapes[s][3],k=shapes[s][4];
    float *a[NB],*b[NB],*c[NB]; for(int q=0;q<NB;q++){a[q]=malloc(4L*m*k);b[q]=malloc(4L*k*n);c[q]=malloc(4L*m*n);
      for(long i=0;i<(long)m*k;i++)a[q][i]=rand()/(float)RAND_MAX; for(long i=0;i<(long)k*n;i++)b[q][i]=rand()/(float)RAND_MAX; for(long i=0;i<(long)m*n;i++)c[q][i]=0;}
    int la=ta?m:k, lb=tb?k:n; float one=1,zero=0; double bo=1e9,bm=1e9;
    for(int rep=0;rep<15;rep++){ double t=now(); for(int q=0;q<40;q++) sgemm_(tb?"T":"N",ta?"T":"N",&n,&m,&k,&one,b[q%NB],&lb,a[q%NB],&la,&zero,c[q%NB],&n); t=(now()-t)/40; if(t<bo)bo=t;
      t=now(); for(int q=0;q<40;q++) fm_small_gemm_f32(ta,tb,m,n,k,1,a[q%NB],la,b[q%NB],lb,0,c[q%NB],n); t=(now()-t)/40; if(t<bm)bm=t;}
    printf("%c%c %dx%dx%d (buffers rotating over %d MB): openblas %.1f us mine %.1f ratio %.2f\n","NT"[ta],"NT"[tb],m,n,k,(int)(NB*4L*(m*k+k*n+m*n)>>20),bo,bm,bm/bo);}
}
