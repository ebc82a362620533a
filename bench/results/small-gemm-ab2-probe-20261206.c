/* Two builds of libflatminima side by side: one product shape, rounds alternating, min and median of 31 rounds, and
 * whether the two give the same bits. gcc -O2 -o ab small-gemm-ab2-probe-20261206.c -ldl;
 * ./ab old.so new.so f32|f64 transA transB m n k */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
typedef int (*gemm_t)(int32_t, int32_t, int32_t, int32_t, int32_t, double, const void *, int32_t, const void *, int32_t, double, void *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
/* usage: ab old.so new.so f32|f64 ta tb m n k */
int main(int argc,char**argv){
  char fn[64]; snprintf(fn,64,"fm_small_gemm_%s",argv[3]); int es=strcmp(argv[3],"f32")?8:4;
  gemm_t g[2]; for(int l=0;l<2;l++){void *h=dlopen(argv[1+l],RTLD_NOW|RTLD_LOCAL); g[l]=(gemm_t)dlsym(h,fn);}
  int ta=atoi(argv[4]),tb=atoi(argv[5]),m=atoi(argv[6]),n=atoi(argv[7]),k=atoi(argv[8]);
  int lda=ta?m:k, ldb=tb?k:n;
  char *x=aligned_alloc(64,(size_t)es*m*k+64),*w=aligned_alloc(64,(size_t)es*n*k+64),*c[2]={aligned_alloc(64,(size_t)es*m*n+64),aligned_alloc(64,(size_t)es*m*n+64)};
  for(long i=0;i<(long)m*k;i++){ if(es==4)((float*)x)[i]=(rand()%100)/100.0f; else ((double*)x)[i]=(rand()%100)/100.0;}
  for(long i=0;i<(long)n*k;i++){ if(es==4)((float*)w)[i]=(rand()%100)/100.0f; else ((double*)w)[i]=(rand()%100)/100.0;}
  int R=31; double t[2][64]; int it=100000000/((long)m*n*k)+1;
  for(int r=0;r<R;r++) for(int l=0;l<2;l++){ double t0=now(); for(int i=0;i<it;i++) g[l](ta,tb,m,n,k,1.0,x,lda,w,ldb,0.0,c[l],n); t[l][r]=(now()-t0)/it*1e6; }
  int same=memcmp(c[0],c[1],(size_t)es*m*n)==0;
  qsort(t[0],R,8,cmp); qsort(t[1],R,8,cmp);
  printf("%s %c%c %dx%dx%d: old min %.1f med %.1f | new min %.1f med %.1f us | new/old min %.3f med %.3f | bits %s\n",argv[3],ta?'T':'N',tb?'T':'N',m,n,k,t[0][0],t[0][R/2],t[1][0],t[1][R/2],t[1][0]/t[0][0],t[1][R/2]/t[0][R/2],same?"same":"DIFFER");
}
