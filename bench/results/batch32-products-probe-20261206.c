/* W2 and M4 products at batch 32 (and 100, 64; W3 linear layer at 32) on the bundled OpenBLAS, Debian 0.3.21 and our
 * C small-product kernels, one thread, rounds alternating, medians of 21. Output: batch32-products-20261206.txt.
 * ./p bundled.so debian.so libflatminima.so [f32|f64 [ta,tb,m,n,k ...]]: other shapes instead of the list below (the
 * batch-1000 weight gradients of forwards-without-residuals-20261206.txt: 1,0,256,784,1000 0,0,256,784,1000 ...). */
/* W2's products at batch 32: bundled OpenBLAS, Debian's OpenBLAS and the C small-product kernels, one thread,
 * rounds alternating; min and median of 21 rounds. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
typedef void (*sgemm_t)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*dgemm_t)(int, int, int, int, int, int, double, const double *, int, const double *, int, double, double *, int);
typedef void (*setth_t)(int);
typedef int (*small_t)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const void *, int32_t, const void *, int32_t, double, void *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  void *hb=dlopen(argv[1],RTLD_NOW|RTLD_LOCAL), *hd=dlopen(argv[2],RTLD_NOW|RTLD_LOCAL), *hf=dlopen(argv[3],RTLD_NOW|RTLD_LOCAL);
  int f64=argc>4&&!strcmp(argv[4],"f64");
  sgemm_t g[2]={(sgemm_t)dlsym(hb,"cblas_sgemm"),(sgemm_t)dlsym(hd,"cblas_sgemm")};
  dgemm_t gd[2]={(dgemm_t)dlsym(hb,"cblas_dgemm"),(dgemm_t)dlsym(hd,"cblas_dgemm")};
  ((setth_t)dlsym(hb,"openblas_set_num_threads"))(1); ((setth_t)dlsym(hd,"openblas_set_num_threads"))(1);
  small_t sm=(small_t)dlsym(hf,f64?"fm_small_gemm_f64":"fm_small_gemm_f32");
  /* ta tb m n k */
  int sh[][5]={{0,1,32,512,784},{0,1,32,512,512},{0,1,32,10,512},{0,0,32,512,512},{0,0,32,512,10},{1,0,512,784,32},{1,0,512,512,32},{1,0,10,512,32},
               {0,1,32,256,784},{0,1,32,256,256},{0,0,32,256,256},{1,0,256,784,32},{1,0,256,256,32},
               {0,1,100,256,784},{0,1,100,256,256},{0,0,100,256,256},{1,0,256,784,100},{1,0,256,256,100},
               {0,1,32,128,3136},{0,0,32,3136,128},{1,0,128,3136,32},{0,1,64,512,784},{1,0,512,784,64},{0,0,64,512,512}};
  int ns=sizeof(sh)/sizeof(sh[0]);
  if(argc>5){ ns=argc-5<(int)(sizeof(sh)/sizeof(sh[0]))?argc-5:(int)(sizeof(sh)/sizeof(sh[0]));
    for(int s=0;s<ns;s++) sscanf(argv[5+s],"%d,%d,%d,%d,%d",&sh[s][0],&sh[s][1],&sh[s][2],&sh[s][3],&sh[s][4]); }
  float *a=aligned_alloc(64,8*1000*1000),*b=aligned_alloc(64,8*1000*1000),*c=aligned_alloc(64,8*1000*1000);
  for(int i=0;i<2*1000*1000;i++){a[i]=(rand()%100)/100.0f;b[i]=(rand()%100)/100.0f;}
  if(f64) for(int i=0;i<1000*1000;i++){((double*)a)[i]=(rand()%100)/100.0;((double*)b)[i]=(rand()%100)/100.0;}
  for(int s=0;s<ns;s++){ int ta=sh[s][0],tb=sh[s][1],m=sh[s][2],n=sh[s][3],k=sh[s][4]; int lda=ta?m:k, ldb=tb?k:n;
    double t[3][21]; int it=50000000/((long)m*n*k)+1;
    for(int r=0;r<21;r++) for(int v=0;v<3;v++){ double t0=now();
      for(int i=0;i<it;i++){ if(v<2){ if(f64) gd[v](101,ta?112:111,tb?112:111,m,n,k,1.0,(double*)a,lda,(double*)b,ldb,0.0,(double*)c,n); else g[v](101,ta?112:111,tb?112:111,m,n,k,1.0f,a,lda,b,ldb,0.0f,c,n);} else sm(ta,tb,m,n,k,1.0,a,lda,b,ldb,0.0,c,n);} 
      t[v][r]=(now()-t0)/it*1e6; }
    for(int v=0;v<3;v++) qsort(t[v],21,8,cmp);
    printf("%c%c %4dx%4dx%4d: bundled %7.1f  debian %7.1f  C small %7.1f us (medians) | debian/bundled %.2f  small/bundled %.2f  (%.0f GFLOP/s bundled)\n",ta?'T':'N',tb?'T':'N',m,n,k,t[0][10],t[1][10],t[2][10],t[1][10]/t[0][10],t[2][10]/t[0][10],2.0*m*n*k/t[0][10]/1e3);
  }
}
