/* Scratch measurement (issue 17, 2026-12-06, docs/PERFORMANCE.md "Our own packed GEMM for AVX2", two threads): W2's
 * three largest products, OpenBLAS (linked) at one and two of its threads against fm_packed_gemm_f32 whole and as
 * two bands of C's rows on two persistent pthreads (the way CKernelBackend splits it), best of 15. Run with an
 * argument to skip OpenBLAS's two-thread calls: its idle threads spin after a call and took the second vCPU from
 * our helper (our two-thread split then measured 0.95x of one thread). Built like packed-gemm-probe-20261206.c plus
 * -D_GNU_SOURCE -lpthread. Output, three runs each way, in packed-gemm-probe-20261206.txt. Later that night: W3's
 * dense-layer products added, and two bands of C's columns timed beside the two bands of rows ("Everything again;
 * sums four rows to a pass", bands of columns). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>
void sgemm_(const char*,const char*,const int*,const int*,const int*,const float*,const float*,const int*,const float*,const int*,const float*,float*,const int*);
void openblas_set_num_threads(int);
int fm_packed_gemm_f32(int32_t, int32_t, int32_t, int32_t, int32_t, double, const float *, int32_t, const float *, int32_t, double, float *, int32_t);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec*1e-6;}
static float *A,*B,*C; static int M,N,K,TA,TB;
typedef struct {int i0,i1;} band;
static int COLS; /* bands of C's columns (i0, i1 columns) instead of rows */
static void *run(void *arg){ band *b=arg; int lda=TA?M:K, ldb=TB?K:N;
  if (COLS) { const float *bb = TB ? B + (long)b->i0*ldb : B + b->i0;
    fm_packed_gemm_f32(TA,TB,M,b->i1-b->i0,K,1.0,A,lda,bb,ldb,0.0,C+b->i0,N); return NULL; }
  const float *a = TA ? A + b->i0 : A + (long)b->i0*lda;
  fm_packed_gemm_f32(TA,TB,b->i1-b->i0,N,K,1.0,a,lda,B,ldb,0.0,C+(long)b->i0*N,N); return NULL;}
static void rm(int m,int n,int k){float one=1,zero=0; int lda=TA?m:k, ldb=TB?k:n, ldc=n;
  sgemm_(TB?"T":"N", TA?"T":"N", &n,&m,&k,&one,B,&ldb,A,&lda,&zero,C,&ldc);}
static pthread_barrier_t bs, bd; static band Y; static volatile int quit;
static void *helper(void *arg){ (void)arg; for(;;){ pthread_barrier_wait(&bs); if(quit) return NULL; run(&Y); pthread_barrier_wait(&bd);} }
int main(int argc, char **argv){ int skip2 = argc > 1;
  pthread_barrier_init(&bs,NULL,2); pthread_barrier_init(&bd,NULL,2); pthread_t h; pthread_create(&h,NULL,helper,NULL);
  A=aligned_alloc(64,1<<24);B=aligned_alloc(64,1<<24);C=aligned_alloc(64,1<<24);
  for(int i=0;i<(1<<22);i++){A[i]=(i%7)*0.1f;B[i]=(i%5)*0.1f;C[i]=0;}
  int sh[][5]={{512,784,1000,1,0},{1000,512,784,0,1},{1000,512,512,0,0},{128,3136,256,1,0},{256,3136,128,0,0},{256,128,3136,0,1}};
  for(int s=0;s<(int)(sizeof sh/sizeof sh[0]);s++){M=sh[s][0];N=sh[s][1];K=sh[s][2];TA=sh[s][3];TB=sh[s][4];
    double b1=1e9,b2=1e9,o1=1e9,o2=1e9,o3=1e9;
    for(int r=0;r<15;r++){
      openblas_set_num_threads(1); double t=now(); rm(M,N,K); t=now()-t; if(t<b1)b1=t;
      if(!skip2){openblas_set_num_threads(2); t=now(); rm(M,N,K); t=now()-t; if(t<b2)b2=t;}
      band whole={0,M}; t=now(); run(&whole); t=now()-t; if(t<o1)o1=t;
      int mid=(M/2)/6*6; band x={0,mid}; Y.i0=mid; Y.i1=M; t=now(); pthread_barrier_wait(&bs); run(&x); pthread_barrier_wait(&bd); t=now()-t; if(t<o2)o2=t;
      COLS=1; int midc=(N/2)/16*16; band xc={0,midc}; Y.i0=midc; Y.i1=N; t=now(); pthread_barrier_wait(&bs); run(&xc); pthread_barrier_wait(&bd); t=now()-t; if(t<o3)o3=t; COLS=0;
    }
    printf("   (the next line's product) two bands of columns %.2f (%.2fx)\n", o3, o1/o3);
    printf("%dx%dx%d %s  blas 1T %.2f 2T %.2f (%.2fx) | ours 1T %.2f 2T split %.2f (%.2fx)\n",M,N,K,TA?"TN":TB?"NT":"NN",b1,b2,b1/b2,o1,o2,o1/o2);
  }
}
