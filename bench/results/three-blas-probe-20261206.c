/* The networks' products on three BLAS libraries, one thread, rounds alternating, medians of 15:
 * ./m bundled/libopenblas.so.0 debian/libopenblas.so.0 mkl/libmkl_rt.so.2 [f64] ta,tb,m,n,k ... (LD_LIBRARY_PATH:
 * the oneMKL directory; MKL_THREADING_LAYER=INTEL). Output: three-blas-20261206.txt (float), three-blas-f64-20261206.txt
 * (double; that run used a copy of this probe with double for float, since folded in here as the f64 argument). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
typedef void (*sgemm_t)(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);
typedef void (*dgemm_t)(int,int,int,int,int,int,double,const double*,int,const double*,int,double,double*,int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){ int nl=3; sgemm_t g[3]; dgemm_t gd[3];
  int f64=argc>4&&!strcmp(argv[4],"f64"), s0=f64?5:4;
  for(int l=0;l<nl;l++){ void*h=dlopen(argv[1+l],RTLD_NOW|RTLD_LOCAL); if(!h){printf("%s\n",dlerror());return 1;}
    g[l]=(sgemm_t)dlsym(h,"cblas_sgemm"); gd[l]=(dgemm_t)dlsym(h,"cblas_dgemm");
    void(*st)(int)=dlsym(h,"openblas_set_num_threads"); if(st) st(1); else { void(*ms)(int)=dlsym(h,"MKL_Set_Num_Threads"); if(ms) ms(1); } }
  double*a=aligned_alloc(64,8<<22),*b=aligned_alloc(64,8<<22),*c=aligned_alloc(64,8<<22);
  for(int i=0;i<1<<22;i++){a[i]=(rand()%100)/100.0;b[i]=(rand()%100)/100.0;}
  if(!f64){float*fa=(float*)a,*fb=(float*)b; for(int i=0;i<1<<22;i++){fa[i]=(rand()%100)/100.0f;fb[i]=(rand()%100)/100.0f;}}
  for(int s=s0;s<argc;s++){int ta,tb,m,n,k; sscanf(argv[s],"%d,%d,%d,%d,%d",&ta,&tb,&m,&n,&k); int lda=ta?m:k, ldb=tb?k:n;
    double t[3][15]; int it=200000000/((long)m*n*k)+1;
    for(int r=0;r<15;r++) for(int l=0;l<nl;l++){ double t0=now();
      for(int i=0;i<it;i++){ if(f64) gd[l](101,ta?112:111,tb?112:111,m,n,k,1.0,a,lda,b,ldb,0.0,c,n);
        else g[l](101,ta?112:111,tb?112:111,m,n,k,1.0f,(float*)a,lda,(float*)b,ldb,0.0f,(float*)c,n); }
      t[l][r]=(now()-t0)/it; }
    for(int v=0;v<nl;v++) qsort(t[v],15,8,cmp);
    printf("%c%c %4dx%4dx%4d: bundled %7.1f debian %7.1f mkl %7.1f us | debian %.3f mkl %.3f of bundled (%.0f GFLOP/s bundled)\n",ta?'T':'N',tb?'T':'N',m,n,k,t[0][7],t[1][7],t[2][7],t[1][7]/t[0][7],t[2][7]/t[0][7],2.0*m*n*k/t[0][7]/1e3);
  }
}
