#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static long SZ; static long REPS;
static volatile float sink;
static void* work(void* arg){
  int cpu=(int)(long)arg; cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu,&s); sched_setaffinity(0,sizeof s,&s);
  float* buf=aligned_alloc(64,SZ*4); for(long i=0;i<SZ;i++) buf[i]=i*1e-9f;
  __m512 a0=_mm512_setzero_ps(),a1=a0,a2=a0,a3=a0;
  double t0=now();
  for(long r=0;r<REPS;r++) for(long i=0;i<SZ;i+=64){a0=_mm512_add_ps(a0,_mm512_load_ps(buf+i));a1=_mm512_add_ps(a1,_mm512_load_ps(buf+i+16));a2=_mm512_add_ps(a2,_mm512_load_ps(buf+i+32));a3=_mm512_add_ps(a3,_mm512_load_ps(buf+i+48));}
  double t1=now(); sink=_mm512_reduce_add_ps(a0+a1+a2+a3);
  printf("cpu %d size %ld KB: %.1f GB/s\n",cpu,SZ*4/1024,(double)SZ*4*REPS/(t1-t0)/1e9);
  return 0;}
int main(int c,char**v){ int n=atoi(v[1]); SZ=atol(v[2])/4; REPS=atol(v[3]); pthread_t t[2]; for(int i=0;i<n;i++) pthread_create(&t[i],0,work,(void*)(long)i); for(int i=0;i<n;i++) pthread_join(t[i],0); }
