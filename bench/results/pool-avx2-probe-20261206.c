#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <dlfcn.h>
typedef void (*fw_t)(const int32_t*, const float*, float*, int32_t*);
typedef void (*bw_t)(const int32_t*, const float*, const int32_t*, float*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  void *h[2]={dlopen(argv[1],RTLD_NOW|RTLD_LOCAL),dlopen(argv[2],RTLD_NOW|RTLD_LOCAL)};
  fw_t f[2]={(fw_t)dlsym(h[0],"fm_max_pool2d_f32"),(fw_t)dlsym(h[1],"fm_max_pool2d_f32")};
  bw_t b[2]={(bw_t)dlsym(h[0],"fm_max_pool2d_backward_f32"),(bw_t)dlsym(h[1],"fm_max_pool2d_backward_f32")};
  int geoms[2][10]={{256,32,28,28,2,2,2,2,0,0},{256,64,14,14,2,2,2,2,0,0}};
  for(int gi=0;gi<2;gi++){ int *g=geoms[gi]; long xn=(long)g[0]*g[1]*g[2]*g[3], yn=xn/4;
    float *x=malloc(4*xn),*y=malloc(4*yn),*gx=malloc(4*xn),*gy=malloc(4*yn); int32_t *am=malloc(4*yn);
    for(long i=0;i<xn;i++) x[i]=(rand()%3==0)?0:(rand()%1000)/100.0f; for(long i=0;i<yn;i++) gy[i]=(rand()%100)/10.0f;
    double bf[2]={1e9,1e9},bb[2]={1e9,1e9};
    for(int round=0;round<8;round++) for(int v=0;v<2;v++){
      double t0=now(); for(int r=0;r<10;r++) f[v](g,x,y,am); double t=(now()-t0)/10*1e3; if(t<bf[v])bf[v]=t;
      t0=now(); for(int r=0;r<10;r++) b[v](g,gy,am,gx); t=(now()-t0)/10*1e3; if(t<bb[v])bb[v]=t; }
    printf("%dx%dx%dx%d forward: old %.2f new %.2f ms (%.2f); backward: old %.2f new %.2f ms (%.2f)\n",g[0],g[1],g[2],g[3],bf[0],bf[1],bf[1]/bf[0],bb[0],bb[1],bb[1]/bb[0]); }
}
