/* Products the native backend's small-product route takes (GemmRoutes.smallShape) on AVX2: the bundled OpenBLAS,
 * oneMKL (strict CBWR, one thread) and our C small kernels, rounds alternating, medians of 15.
 * ./s bundled.so libmkl_rt.so libflatminima.so f32|f64 ta,tb,m,n,k ... Output: mkl-small-avx2-20261206.txt. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
typedef void (*sg_t)(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);
typedef void (*dg_t)(int,int,int,int,int,int,double,const double*,int,const double*,int,double,double*,int);
typedef int (*small_t)(int32_t,int32_t,int32_t,int32_t,int32_t,double,const void*,int32_t,const void*,int32_t,double,void*,int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  void*hb=dlopen(argv[1],RTLD_NOW|RTLD_LOCAL),*hm=dlopen(argv[2],RTLD_NOW|RTLD_LOCAL),*hf=dlopen(argv[3],RTLD_NOW|RTLD_LOCAL);
  if(!hb||!hm||!hf){printf("%s\n",dlerror());return 1;}
  int f64=!strcmp(argv[4],"f64");
  ((void(*)(int))dlsym(hb,"openblas_set_num_threads"))(1); ((void(*)(int))dlsym(hm,"MKL_Set_Num_Threads"))(1);
  ((int(*)(int))dlsym(hm,"MKL_CBWR_Set"))(2|0x10000);
  sg_t sg[2]={(sg_t)dlsym(hb,"cblas_sgemm"),(sg_t)dlsym(hm,"cblas_sgemm")}; dg_t dg[2]={(dg_t)dlsym(hb,"cblas_dgemm"),(dg_t)dlsym(hm,"cblas_dgemm")};
  small_t sm=(small_t)dlsym(hf,f64?"fm_small_gemm_f64":"fm_small_gemm_f32");
  double*a=aligned_alloc(64,8<<21),*b=aligned_alloc(64,8<<21),*c=aligned_alloc(64,8<<21);
  for(int i=0;i<1<<21;i++){a[i]=(rand()%100)/100.0;b[i]=(rand()%100)/100.0;}
  if(!f64){float*fa=(float*)a,*fb=(float*)b; for(int i=0;i<1<<21;i++){fa[i]=(rand()%100)/100.0f;fb[i]=(rand()%100)/100.0f;}}
  for(int s=5;s<argc;s++){int ta,tb,m,n,k; sscanf(argv[s],"%d,%d,%d,%d,%d",&ta,&tb,&m,&n,&k); int lda=ta?m:k, ldb=tb?k:n;
    double t[3][15]; int it=30000000/((long)m*n*k)+1;
    for(int r=0;r<15;r++) for(int v=0;v<3;v++){ double t0=now();
      for(int i=0;i<it;i++){ if(v==2) sm(ta,tb,m,n,k,1.0,a,lda,b,ldb,0.0,c,n);
        else if(f64) dg[v](101,ta?112:111,tb?112:111,m,n,k,1.0,a,lda,b,ldb,0.0,c,n);
        else sg[v](101,ta?112:111,tb?112:111,m,n,k,1.0f,(float*)a,lda,(float*)b,ldb,0.0f,(float*)c,n);}
      t[v][r]=(now()-t0)/it; }
    for(int v=0;v<3;v++) qsort(t[v],15,8,cmp);
    printf("%s %c%c %4dx%4dx%4d: bundled %8.1f mkl %8.1f C small %8.1f us | mkl/bundled %.2f  small/mkl %.2f\n",f64?"f64":"f32",ta?'T':'N',tb?'T':'N',m,n,k,t[0][7],t[1][7],t[2][7],t[1][7]/t[0][7],t[2][7]/t[1][7]);
  }
}
