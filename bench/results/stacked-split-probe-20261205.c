/* Scratch measurement (issue 17, 2026-12-05, docs/PERFORMANCE.md "Directions' products stacked"): the stacked
 * products at two threads, split by rows of C at a multiple of 48 (as NativeBackend.splitBlas), each part an OpenBLAS
 * call on one thread, against one call on one thread; both orientations, f64 and f32. Built against the bundled
 * library: gcc -O2 stacked-split-probe-20261205.c -o p -lpthread libopenblas.so.0 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>
void dgemm_(const char*,const char*,const int*,const int*,const int*,const double*,const double*,const int*,const double*,const int*,const double*,double*,const int*);
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
static double *A,*B,*C; static float *As,*Bs,*Cs; static int F32;
typedef struct {int tA,tB,m,n,k,from,to;} job;
static void rm(int tA,int tB,int m,int n,int k,int from,int to){
  int lda=tA?m:k, ldb=tB?k:n, ldc=n, mm=to-from;
  if(F32){ float one=1,zero=0; const float*a=As+(tA?from:(long)from*lda);
    sgemm_(tB?"T":"N", tA?"T":"N", &n,&mm,&k,&one,Bs,&ldb,a,&lda,&zero,Cs+(long)from*ldc,&ldc);}
  else { double one=1,zero=0; const double*a=A+(tA?from:(long)from*lda);
    dgemm_(tB?"T":"N", tA?"T":"N", &n,&mm,&k,&one,B,&ldb,a,&lda,&zero,C+(long)from*ldc,&ldc);}
}
static void* run(void*p){job*j=p; rm(j->tA,j->tB,j->m,j->n,j->k,j->from,j->to); return 0;}
int main(int argc,char**argv){
  A=aligned_alloc(64,8<<20);B=aligned_alloc(64,8<<20);C=aligned_alloc(64,8<<20);
  As=aligned_alloc(64,8<<20);Bs=aligned_alloc(64,8<<20);Cs=aligned_alloc(64,8<<20);
  for(int i=0;i<(1<<20);i++){A[i]=As[i]=rand()/(double)RAND_MAX-0.5;B[i]=Bs[i]=rand()/(double)RAND_MAX-0.5;C[i]=Cs[i]=0;}
  int sh[][6]={{100,1000,784,0,1,48},{100,784,1000,0,0,48},{1000,100,784,0,1,480},{784,100,1000,1,0,384}};
  for(F32=0;F32<2;F32++) for(int s=0;s<4;s++){int m=sh[s][0],n=sh[s][1],k=sh[s][2],ta=sh[s][3],tb=sh[s][4],cut=sh[s][5];
    double best1=1e18,best2=1e18; int reps=40;
    for(int r=0;r<7;r++){ double t=now(); for(int i=0;i<reps;i++) rm(ta,tb,m,n,k,0,m); t=(now()-t)/reps; if(t<best1)best1=t;
      t=now(); for(int i=0;i<reps;i++){ pthread_t th; job j1={ta,tb,m,n,k,0,cut}, j2={ta,tb,m,n,k,cut,m};
        pthread_create(&th,0,run,&j2); run(&j1); pthread_join(th,0);} t=(now()-t)/reps; if(t<best2)best2=t; }
    printf("%s %s%s m=%d n=%d k=%d: 1 thread %.0f us, rows split at %d on 2 threads %.0f us (%.2fx)\n",F32?"f32":"f64",ta?"T":"N",tb?"T":"N",m,n,k,best1/1e3,cut,best2/1e3,best1/best2);
  }
}
