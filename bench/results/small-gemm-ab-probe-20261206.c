#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <dlfcn.h>
#include <string.h>
typedef int (*gemm_t)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const void *, int32_t, const void *, int32_t, double, void *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  void *h[2]={dlopen(argv[1],RTLD_NOW|RTLD_LOCAL),dlopen(argv[2],RTLD_NOW|RTLD_LOCAL)};
  const char *fn = argc>3?argv[3]:"fm_small_gemm_f32"; int es = fn[strlen(fn)-1]=='2'?4:8;
  gemm_t g[2]={(gemm_t)dlsym(h[0],fn),(gemm_t)dlsym(h[1],fn)};
  int shapes[][5]={{0,1,1000,10,784},{1,0,784,10,1000},{0,1,1000,12,784},{0,1,256,10,784},{1,0,784,10,256}};
  int ns=5; char *x=malloc(8*1000*1000),*w=malloc(8*1000*1000),*c=malloc(8*1000*1000);
  for(int i=0;i<1000*1000;i++){ if(es==4){((float*)x)[i]=(rand()%100)/100.0f;((float*)w)[i]=(rand()%100)/100.0f;} else {((double*)x)[i]=(rand()%100)/100.0;((double*)w)[i]=(rand()%100)/100.0;}}
  double best[8][2]; for(int s=0;s<ns;s++) best[s][0]=best[s][1]=1e9;
  for(int round=0;round<6;round++) for(int s=0;s<ns;s++) for(int v=0;v<2;v++){
    int ta=shapes[s][0],tb=shapes[s][1],m=shapes[s][2],n=shapes[s][3],k=shapes[s][4];
    int lda=ta?m:k, ldb=tb?k:n; int it=400; double t0=now();
    for(int r=0;r<it;r++) g[v](ta,tb,m,n,k,1.0,x,lda,w,ldb,0.0,c,n);
    double t=(now()-t0)/it*1e6; if(t<best[s][v]) best[s][v]=t; }
  for(int s=0;s<ns;s++) printf("%s %s m=%d n=%d k=%d: old %.1f us  new %.1f us  new/old %.2f\n", shapes[s][0]?"T":"N", shapes[s][1]?"T":"N", shapes[s][2],shapes[s][3],shapes[s][4], best[s][0],best[s][1],best[s][1]/best[s][0]);
}
