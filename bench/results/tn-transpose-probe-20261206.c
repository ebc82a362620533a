/* TN on OpenBLAS against a transposed copy of A (blocks of 32) and NN, one thread, alternating; medians of 21
 * rounds: ./p libopenblas.so.0 m,n,k ... Output: tn-transpose-20261206.txt. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
typedef void (*sgemm_t)(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
/* at[m x k] = a[k x m]^T, blocks of 32 */
static void tr(int k,int m,const float*a,float*at){
  for(int i0=0;i0<k;i0+=32) for(int j0=0;j0<m;j0+=32){int i1=i0+32<k?i0+32:k,j1=j0+32<m?j0+32:m;
    for(int j=j0;j<j1;j++) for(int i=i0;i<i1;i++) at[(long)j*k+i]=a[(long)i*m+j];}
}
int main(int argc,char**argv){
  void*h=dlopen(argv[1],RTLD_NOW|RTLD_LOCAL); sgemm_t g=(sgemm_t)dlsym(h,"cblas_sgemm");
  ((void(*)(int))dlsym(h,"openblas_set_num_threads"))(1);
  float*a=aligned_alloc(64,4<<22),*b=aligned_alloc(64,4<<22),*c=aligned_alloc(64,4<<22),*c2=aligned_alloc(64,4<<22),*at=aligned_alloc(64,4<<22);
  for(int i=0;i<1<<22;i++){a[i]=(rand()%100)/100.0f;b[i]=(rand()%100)/100.0f;}
  for(int s=2;s<argc;s++){int m,n,k; sscanf(argv[s],"%d,%d,%d",&m,&n,&k);
    double t[3][21]; int it=200000000/((long)m*n*k)+1;
    for(int r=0;r<21;r++){ double t0=now();
      for(int i=0;i<it;i++) g(101,112,111,m,n,k,1.0f,a,m,b,n,0.0f,c,n); t[0][r]=(now()-t0)/it; t0=now();
      for(int i=0;i<it;i++){ tr(k,m,a,at); g(101,111,111,m,n,k,1.0f,at,k,b,n,0.0f,c2,n);} t[1][r]=(now()-t0)/it; t0=now();
      for(int i=0;i<it;i++) tr(k,m,a,at); t[2][r]=(now()-t0)/it; }
    for(int v=0;v<3;v++) qsort(t[v],21,8,cmp);
    double md=0; for(long i=0;i<(long)m*n;i++){double d=c[i]-c2[i]; if(d<0)d=-d; if(d>md)md=d;}
    printf("%4dx%4dx%4d: TN %7.1f | transpose+NN %7.1f (transpose alone %6.1f) us | ratio %.3f | max diff %g\n",m,n,k,t[0][10],t[1][10],t[2][10],t[1][10]/t[0][10],md);
  }
}
