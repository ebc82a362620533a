#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>
void cblas_sgemm(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int M=1000,N=512,K=784; float *A,*B,*C; int parts=2;
static void *half(void *p){ long i=(long)p; int from=i?448:0, to=i?M:448; cblas_sgemm(101,111,112,to-from,N,K,1,A+(long)from*K,K,B,K,1,C+(long)from*N,N); return 0; }
int main(){ A=malloc(4L*M*K);B=malloc(4L*N*K);C=malloc(4L*M*N); for(long x=0;x<(long)M*K;x++)A[x]=1; for(long x=0;x<(long)N*K;x++)B[x]=1; for(long x=0;x<(long)M*N;x++)C[x]=0;
 for(int round=0;round<3;round++){
 int reps=30; double t0=now(); for(int r=0;r<reps;r++) cblas_sgemm(101,111,112,M,N,K,1,A,K,B,K,1,C,N); double t1=now();
 printf("whole, one thread: %.2f ms\n",(t1-t0)/reps*1e3);
 t0=now(); for(int r=0;r<reps;r++){ pthread_t th; pthread_create(&th,0,half,(void*)1L); half((void*)0L); pthread_join(th,0);} t1=now();
 printf("two halves (448/552 rows) at once: %.2f ms\n",(t1-t0)/reps*1e3);
 t0=now(); for(int r=0;r<reps;r++){ half((void*)0L); half((void*)1L);} t1=now();
 printf("two halves one after the other: %.2f ms\n",(t1-t0)/reps*1e3); }
}
