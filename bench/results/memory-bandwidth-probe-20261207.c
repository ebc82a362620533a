/* Scratch measurements (issue 17, 2026-12-07, docs/PERFORMANCE.md "Why the passes between the products do not
 * scale"), three programs in one file, each built alone with -DPROG=1, 2 or 3:
 *   1: read bandwidth by working-set size, one thread (how much of the 32 MB L3 this VM gets);
 *   2: read and ReLU (read + write) bandwidth over 128 MB per thread, one and two threads (argv: threads, mode);
 *   3: reading 1-8 MB right after this core wrote it against right after the other vCPU wrote it (one L3 or two).
 * gcc -O2 -mavx2 -pthread -DPROG=N THIS -o probeN. Output: memory-passes-20261207.txt. */
#if PROG == 1
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  size_t max=256u<<20; float *a=aligned_alloc(64,max); for(size_t i=0;i<max/4;i++)a[i]=i;
  for(size_t mb=1;mb<=256;mb*=2){
    size_t n=(mb<<20)/4; double best=1e9; float s=0;
    for(int r=0;r<20;r++){ double t0=now(); __m256 acc=_mm256_setzero_ps(),b1=acc,b2=acc,b3=acc;
      for(size_t i=0;i<n;i+=32){acc=_mm256_add_ps(acc,_mm256_load_ps(a+i));b1=_mm256_add_ps(b1,_mm256_load_ps(a+i+8));b2=_mm256_add_ps(b2,_mm256_load_ps(a+i+16));b3=_mm256_add_ps(b3,_mm256_load_ps(a+i+24));} acc=_mm256_add_ps(_mm256_add_ps(acc,b1),_mm256_add_ps(b2,b3));
      double t=now()-t0; float v[8]; _mm256_storeu_ps(v,acc); s+=v[0]; if(t<best)best=t; }
    printf("%4zu MB: read %.1f GB/s (%g)\n", mb, (mb<<20)/best/1e9, s>0?0.0:1.0);
  }
}

#elif PROG == 2
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define SZ (128u<<20)
static float *buf[2]; static float *dst[2]; static double res[2]; static int mode;
static pthread_barrier_t bar;
static void *run(void *p){ int id=(int)(long)p; float *a=buf[id], *d=dst[id]; size_t n=SZ/4;
  pthread_barrier_wait(&bar); double best=1e9;
  for(int r=0;r<5;r++){ double t0=now();
    if(mode==0){ __m256 s0=_mm256_setzero_ps(),s1=s0,s2=s0,s3=s0;
      for(size_t i=0;i<n;i+=32){s0=_mm256_add_ps(s0,_mm256_load_ps(a+i));s1=_mm256_add_ps(s1,_mm256_load_ps(a+i+8));s2=_mm256_add_ps(s2,_mm256_load_ps(a+i+16));s3=_mm256_add_ps(s3,_mm256_load_ps(a+i+24));}
      float v[8]; _mm256_storeu_ps(v,_mm256_add_ps(_mm256_add_ps(s0,s1),_mm256_add_ps(s2,s3))); if(v[0]==-1)puts("");
    } else { for(size_t i=0;i<n;i+=8){ __m256 x=_mm256_load_ps(a+i); _mm256_store_ps(d+i,_mm256_max_ps(x,_mm256_setzero_ps())); } }
    double t=now()-t0; if(t<best)best=t; }
  res[id]=(mode==0?1.0:2.0)*SZ/best/1e9; return NULL; }
int main(int argc,char**argv){ int th=atoi(argv[1]); mode=atoi(argv[2]);
  for(int i=0;i<2;i++){buf[i]=aligned_alloc(64,SZ);dst[i]=aligned_alloc(64,SZ);memset(buf[i],1,SZ);memset(dst[i],1,SZ);}
  pthread_barrier_init(&bar,NULL,th); pthread_t t[2];
  for(int i=0;i<th;i++)pthread_create(&t[i],NULL,run,(void*)(long)i);
  for(int i=0;i<th;i++)pthread_join(t[i],NULL);
  printf("threads %d mode %s: ", th, mode?"relu(r+w)":"read"); for(int i=0;i<th;i++)printf("%.1f GB/s ",res[i]); puts("");
}

#else
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <sched.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static size_t SZ; static float *a; static volatile int phase=0;
static void pin(int c){cpu_set_t s;CPU_ZERO(&s);CPU_SET(c,&s);pthread_setaffinity_np(pthread_self(),sizeof s,&s);}
static double rd(){ size_t n=SZ/4; __m256 s0=_mm256_setzero_ps(),s1=s0,s2=s0,s3=s0; double t0=now();
  for(size_t i=0;i<n;i+=32){s0=_mm256_add_ps(s0,_mm256_load_ps(a+i));s1=_mm256_add_ps(s1,_mm256_load_ps(a+i+8));s2=_mm256_add_ps(s2,_mm256_load_ps(a+i+16));s3=_mm256_add_ps(s3,_mm256_load_ps(a+i+24));}
  float v[8]; _mm256_storeu_ps(v,_mm256_add_ps(_mm256_add_ps(s0,s1),_mm256_add_ps(s2,s3))); if(v[0]==-1)puts(""); return SZ/(now()-t0)/1e9; }
static void wr(float x){ size_t n=SZ/4; for(size_t i=0;i<n;i++) a[i]=x+i; }
static void *other(void *p){ pin(1); for(int r=0;r<20;r++){ while(phase!=1); wr(r); phase=2; } return NULL; }
int main(int argc,char**argv){ SZ=(size_t)atoi(argv[1])<<20; a=aligned_alloc(64,SZ); memset(a,0,SZ); pin(0);
  pthread_t t; pthread_create(&t,NULL,other,NULL); double self=0, cross=0;
  for(int r=0;r<20;r++){ wr(r); double s=rd(); phase=1; while(phase!=2); double c=rd(); phase=0; if(r>2){self+=s;cross+=c;} }
  pthread_join(t,NULL); printf("%s MB: read after own write %.1f GB/s, after the other core's write %.1f GB/s\n", argv[1], self/17, cross/17); }

#endif
