#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <dlfcn.h>
typedef void (*in_t)(const int32_t*, const float*, float*);
typedef void (*out_t)(const int32_t*, int32_t, const float*, float*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  void *h[2]={dlopen(argv[1],RTLD_NOW|RTLD_LOCAL),dlopen(argv[2],RTLD_NOW|RTLD_LOCAL)};
  in_t fi[2]={(in_t)dlsym(h[0],"fm_winograd_input_f32"),(in_t)dlsym(h[1],"fm_winograd_input_f32")};
  out_t fg[2]={(out_t)dlsym(h[0],"fm_winograd_gradient_f32"),(out_t)dlsym(h[1],"fm_winograd_gradient_f32")};
  out_t fo[2]={(out_t)dlsym(h[0],"fm_winograd_output_f32"),(out_t)dlsym(h[1],"fm_winograd_output_f32")};
  int g[10]={2,32,14,14,3,3,1,1,1,1}; int cout=64; long nt=2*7*7;
  float *x=malloc(4L*2*32*196), *v=malloc(4L*16*32*nt), *m=malloc(4L*16*cout*nt), *y=malloc(4L*2*cout*196);
  for(long i=0;i<2*32*196;i++) x[i]=rand()%100/10.0f; for(long i=0;i<16*cout*nt;i++) m[i]=rand()%100/10.0f;
  double bi[2]={1e9,1e9},bo[2]={1e9,1e9},bg[2]={1e9,1e9}; float *gt=malloc(4L*16*cout*nt);
  for(int round=0;round<8;round++) for(int k=0;k<2;k++){
    double t0=now(); for(int r=0;r<500;r++) fi[k](g,x,v); double t=(now()-t0)/500*1e6; if(t<bi[k])bi[k]=t;
    t0=now(); for(int r=0;r<500;r++) fo[k](g,cout,m,y); t=(now()-t0)/500*1e6; if(t<bo[k])bo[k]=t;
    t0=now(); for(int r=0;r<500;r++) fg[k](g,cout,y,gt); t=(now()-t0)/500*1e6; if(t<bg[k])bg[k]=t; }
  printf("W3 conv2 chunk of 2 images: input old %.1f new %.1f us (%.2f); output old %.1f new %.1f us (%.2f)\n",bi[0],bi[1],bi[1]/bi[0],bo[0],bo[1],bo[1]/bo[0]); printf("gradient old %.1f new %.1f us (%.2f)\n",bg[0],bg[1],bg[1]/bg[0]);
}
