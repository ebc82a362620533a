#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static volatile float sink;
static void* work(void* arg){
  int cpu=(int)(long)arg; cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu,&s); sched_setaffinity(0,sizeof s,&s);
  __m512 a0=_mm512_set1_ps(1.0f+0e-7f),a1=_mm512_set1_ps(1.0f+1e-7f),a2=_mm512_set1_ps(1.0f+2e-7f),a3=_mm512_set1_ps(1.0f+3e-7f),a4=_mm512_set1_ps(1.0f+4e-7f),a5=_mm512_set1_ps(1.0f+5e-7f),a6=_mm512_set1_ps(1.0f+6e-7f),a7=_mm512_set1_ps(1.0f+7e-7f),a8=_mm512_set1_ps(1.0f+8e-7f),a9=_mm512_set1_ps(1.0f+9e-7f),a10=_mm512_set1_ps(1.0f+10e-7f),a11=_mm512_set1_ps(1.0f+11e-7f);
  __m512 x=_mm512_set1_ps(0.999999f), y=_mm512_set1_ps(1e-7f);
  double t0=now();
  for(long it=0; it<200000000L; it++){ a0=_mm512_fmadd_ps(a0,x,y);a1=_mm512_fmadd_ps(a1,x,y);a2=_mm512_fmadd_ps(a2,x,y);a3=_mm512_fmadd_ps(a3,x,y);a4=_mm512_fmadd_ps(a4,x,y);a5=_mm512_fmadd_ps(a5,x,y);a6=_mm512_fmadd_ps(a6,x,y);a7=_mm512_fmadd_ps(a7,x,y);a8=_mm512_fmadd_ps(a8,x,y);a9=_mm512_fmadd_ps(a9,x,y);a10=_mm512_fmadd_ps(a10,x,y);a11=_mm512_fmadd_ps(a11,x,y); }
  double t1=now();
  __m512 s2=a0+a1+a2+a3+a4+a5+a6+a7+a8+a9+a10+a11; sink=_mm512_reduce_add_ps(s2);
  printf("cpu %d: %.3f s, %.1f GFLOP/s\n",cpu,t1-t0, 200000000.0*12*16*2/(t1-t0)/1e9);
  return 0;}
int main(int c,char**v){ int n=c>1?atoi(v[1]):1; pthread_t t[2]; for(int i=0;i<n;i++) pthread_create(&t[i],0,work,(void*)(long)i); for(int i=0;i<n;i++) pthread_join(t[i],0); }
