/* Max pooling, two builds of libflatminima side by side (alternating rounds): f64 (or f32) 2x2/2 with routing.
 * gcc -O2 -o pab pab.c -ldl; ./pab old.so new.so f32|f64 n c h w */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <time.h>
typedef void (*pool_t)(const int32_t *, const void *, void *, int32_t *);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(int argc,char**argv){ char fn[64]; snprintf(fn,64,"fm_max_pool2d_%s",argv[3]); int es=strcmp(argv[3],"f32")?8:4;
 pool_t g[2]; for(int l=0;l<2;l++){void*h=dlopen(argv[1+l],RTLD_NOW|RTLD_LOCAL); g[l]=(pool_t)dlsym(h,fn);}
 int n=atoi(argv[4]),c=atoi(argv[5]),h=atoi(argv[6]),w=atoi(argv[7]); int32_t geom[10]={n,c,h,w,2,2,2,2,0,0};
 long N=(long)n*c*h*w, O=(long)n*c*(h/2)*(w/2); char*x=malloc(es*N),*y[2]={malloc(es*O),malloc(es*O)}; int32_t*a[2]={malloc(4*O),malloc(4*O)};
 for(long i=0;i<N;i++){double v=(rand()%1000)/100.0-5; if(i%97==3)v=0.0/0.0; if(i%89==5)v=-0.0; if(es==4)((float*)x)[i]=v; else ((double*)x)[i]=v;}
 double t[2][21]; for(int r=0;r<21;r++) for(int l=0;l<2;l++){ double t0=now(); g[l](geom,x,y[l],a[l]); t[l][r]=now()-t0; }
 qsort(t[0],21,8,cmp); qsort(t[1],21,8,cmp);
 printf("%s pool [%d,%d,%d,%d]: old med %.2f ms | new med %.2f ms | new/old %.2f | y %s, argmax %s\n",argv[3],n,c,h,w,t[0][10],t[1][10],t[1][10]/t[0][10],
   memcmp(y[0],y[1],es*O)?"DIFFER":"same",memcmp(a[0],a[1],4*O)?"DIFFER":"same"); }
