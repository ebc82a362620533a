#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
typedef int (*f_t)(const int32_t*, int32_t, const float*, const float*, float*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  void *h=dlopen(argv[1],RTLD_NOW|RTLD_LOCAL);
  f_t fw=(f_t)dlsym(h,"fm_conv3x3_f32"), wg=(f_t)dlsym(h,"fm_conv3x3_wgrad_f32");
  int n=32, cout=32; int g[10]={n,1,28,28,3,3,1,1,1,1};
  float *x=malloc(4L*n*784), *y=malloc(4L*n*cout*784), *w=malloc(4L*cout*9), *gw=calloc(cout*9,4);
  for(long i=0;i<n*784;i++) x[i]=rand()%100/50.0f-1; for(long i=0;i<(long)n*cout*784;i++) y[i]=rand()%100/50.0f-1;
  for(int i=0;i<cout*9;i++) w[i]=rand()%100/50.0f-1;
  double bf=1e9,bw=1e9;
  for(int round=0;round<10;round++){
    double t0=now(); for(int r=0;r<20;r++) fw(g,cout,x,w,y); double t=(now()-t0)/20*1e6; if(t<bf)bf=t;
    t0=now(); for(int r=0;r<20;r++) wg(g,cout,x,y,gw); t=(now()-t0)/20*1e6; if(t<bw)bw=t; }
  printf("32 images 28x28 -> 32 channels: forward %.1f us, weight gradient %.1f us\n",bf,bw);
}
