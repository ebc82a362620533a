#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
typedef int (*g_t)(const int32_t*, int32_t, const float*, float*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  void *h[2]={dlopen(argv[1],RTLD_NOW|RTLD_LOCAL),dlopen(argv[2],RTLD_NOW|RTLD_LOCAL)};
  g_t f[2]={(g_t)dlsym(h[0],"fm_winograd_gradient_f32"),(g_t)dlsym(h[1],"fm_winograd_gradient_f32")};
  int shapes[4][4]={{2,64,14,14},{1,32,28,28},{2,19,13,11},{3,11,7,9}};
  for(int s=0;s<4;s++){
    int ci=shapes[s][0], cout=shapes[s][1], hh=shapes[s][2], ww=shapes[s][3];
    int batch=256; long oplane=(long)hh*ww; long tiles=(long)ci*((hh+1)/2)*((ww+1)/2);
    float *gy=malloc(4L*batch*cout*oplane); for(long i=0;i<(long)batch*cout*oplane;i++) gy[i]=(rand()%1000)/100.0f-5;
    float *gt1=malloc(4L*16*cout*tiles), *gt2=malloc(4L*16*cout*tiles);
    int g[10]={ci,cout,hh,ww,3,3,1,1,1,1};
    for(int b=0;b+ci<=batch;b+=ci){ f[0](g,cout,gy+(long)b*cout*oplane,gt1); f[1](g,cout,gy+(long)b*cout*oplane,gt2); if(memcmp(gt1,gt2,4L*16*cout*tiles)){printf("MISMATCH shape %d at %d\n",s,b);return 1;} }
    double best[2]={1e9,1e9};
    for(int round=0;round<8;round++) for(int v=0;v<2;v++){
      double t0=now(); for(int b=0;b+ci<=batch;b+=ci) f[v](g,cout,gy+(long)b*cout*oplane,gt1); double t=(now()-t0)/(batch/ci)*1e6; if(t<best[v])best[v]=t; }
    printf("%d image(s) %dx%d, %d channels, across a batch of 256: old %.1f us, new %.1f us (%.2f)\n",ci,hh,ww,cout,best[0],best[1],best[1]/best[0]);
  }
}
