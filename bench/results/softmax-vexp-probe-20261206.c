#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <dlfcn.h>
typedef void (*sx_t)(int32_t, int32_t, const void*, const int32_t*, void*, void*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  void *h[2]={dlopen(argv[1],RTLD_NOW|RTLD_LOCAL),dlopen(argv[2],RTLD_NOW|RTLD_LOCAL)};
  const char *names[2]={"fm_softmax_xent_f32","fm_softmax_xent_f64"};
  int R=1000,C=10; float *zf=malloc(4*R*C); double *zd=malloc(8*R*C); void *p=malloc(8*R*C),*l=malloc(8*R); int32_t *lab=malloc(4*R);
  for(int i=0;i<R*C;i++){ zf[i]=(rand()%2000-1000)/100.0f; zd[i]=zf[i]; } for(int i=0;i<R;i++) lab[i]=i%C;
  for(int t=0;t<2;t++){ sx_t f[2]={(sx_t)dlsym(h[0],names[t]),(sx_t)dlsym(h[1],names[t])}; double best[2]={1e9,1e9};
    for(int round=0;round<10;round++) for(int v=0;v<2;v++){ double t0=now(); for(int it=0;it<500;it++) f[v](R,C,t?(void*)zd:(void*)zf,lab,l,p); double x=(now()-t0)/500*1e6; if(x<best[v])best[v]=x; }
    printf("%s 1000x10: old %.1f us, new %.1f us (%.2f)\n",names[t],best[0],best[1],best[1]/best[0]); }
}
