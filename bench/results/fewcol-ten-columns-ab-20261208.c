/* Scratch measurement (issue 17, 2026-12-08; docs/PERFORMANCE.md "Ten columns of C in one pass"): fm_fewcol_gemm
 * of two builds loaded side by side (dlopen RTLD_LOCAL), calls alternating, on W1's four products, hot and cold.
 * Build: gcc -O2 -std=c11 fewcol-ten-columns-ab-20261208.c -ldl -lm; run: ./a.out OLD/libflatminima.so NEW/libflatminima.so 150
 * (full paths; each build's native/target/classes/native/linux-x86_64/x86-64-v3/libflatminima.so). Results:
 * fewcol-ten-columns-20261208.txt. */
#define _POSIX_C_SOURCE 199309L
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
typedef int (*gd)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const double *, int32_t, const double *, int32_t, double, double *, int32_t);
typedef int (*gf)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static char *junk; static size_t JN = 64u<<20; static volatile long sink;
static void evict(){ long a=0; for (size_t i=0;i<JN;i+=64) a+=junk[i]; sink=a; }
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){
  void *h[2] = {dlopen(argv[1], RTLD_NOW|RTLD_LOCAL), dlopen(argv[2], RTLD_NOW|RTLD_LOCAL)};
  if (!h[0] || !h[1]) { printf("dlopen: %s\n", dlerror()); return 1; }
  gd fd[2]; gf ff[2];
  for (int v = 0; v < 2; v++) { fd[v] = (gd) dlsym(h[v], "fm_fewcol_gemm_f64"); ff[v] = (gf) dlsym(h[v], "fm_fewcol_gemm_f32"); }
  int M=1000,K=784,N=10, R = argc > 3 ? atoi(argv[3]) : 60; junk=malloc(JN); memset(junk,1,JN);
  double *x=malloc(8L*M*K),*g=malloc(8L*M*N),*w=malloc(8L*N*K),*c1[2],*c2[2];
  float *xf=malloc(4L*M*K),*gf_=malloc(4L*M*N),*wf=malloc(4L*N*K),*c1f[2],*c2f[2];
  for (int v=0;v<2;v++){c1[v]=calloc(K*N,8);c2[v]=calloc(M*N,8);c1f[v]=calloc(K*N,4);c2f[v]=calloc(M*N,4);}
  for(long i=0;i<(long)M*K;i++){x[i]=sin(i*0.37);xf[i]=x[i];}
  for(long i=0;i<(long)M*N;i++){g[i]=cos(i*0.3);gf_[i]=g[i];}
  for(long i=0;i<(long)N*K;i++){w[i]=cos(i*0.11);wf[i]=w[i];}
  const char *names[]={"f64 TN 784x10x1000","f64 NT 1000x10x784","f32 TN 784x10x1000","f32 NT 1000x10x784"};
  for(int cold=0;cold<2;cold++) for(int s=0;s<4;s++){
    double t[2][400];
    for(int r=0;r<R+1;r++) for (int v0 = 0; v0 < 2; v0++) {
      int v = (r & 1) ? 1 - v0 : v0;
      if(cold) evict();
      double t0=now();
      if(s==0) fd[v](1,0,K,N,M,1.0,x,K,g,N,0.0,c1[v],N);
      if(s==1) fd[v](0,1,M,N,K,1.0,x,K,w,K,0.0,c2[v],N);
      if(s==2) ff[v](1,0,K,N,M,1.0,xf,K,gf_,N,0.0,c1f[v],N);
      if(s==3) ff[v](0,1,M,N,K,1.0,xf,K,wf,K,0.0,c2f[v],N);
      t[v][r]=(now()-t0)*1e6;
    }
    qsort(t[0]+1,R,sizeof(double),cmp); qsort(t[1]+1,R,sizeof(double),cmp);
    int same = !memcmp(c1[0],c1[1],8*K*N) && !memcmp(c2[0],c2[1],8*M*N) && !memcmp(c1f[0],c1f[1],4*K*N) && !memcmp(c2f[0],c2f[1],4*M*N);
    printf("%s %-20s A min %6.1f med %6.1f | B min %6.1f med %6.1f us | B/A med %.3f %s\n", cold?"cold":"hot ", names[s],
           t[0][1], t[0][1+R/2], t[1][1], t[1][1+R/2], t[1][1+R/2]/t[0][1+R/2], same ? "" : "(bits differ so far)");
  }
}
