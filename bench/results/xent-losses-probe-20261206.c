/* The fused softmax cross-entropy with its probabilities and the losses alone (probs NULL), 1000 x 10, one build of
 * libflatminima: gcc -O2 -o q xent-losses-probe-20261206.c -L<dir of libflatminima.so> -lflatminima -lm; ./q */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
void fm_softmax_xent_f32(int32_t rows, int32_t cols, const float *z, const int32_t *labels, float *loss, float *probs);
void fm_softmax_xent_f64(int32_t rows, int32_t cols, const double *z, const int32_t *labels, double *loss, double *probs);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(){
  int R=1000,C=10; float *z=malloc(4*R*C),*p=malloc(4*R*C),*l=malloc(4*R); double *zd=malloc(8*R*C),*pd=malloc(8*R*C),*ld=malloc(8*R); int32_t*lab=malloc(4*R);
  for(int i=0;i<R*C;i++){z[i]=(float)(rand()/(double)RAND_MAX*4-2); zd[i]=z[i];} for(int i=0;i<R;i++)lab[i]=i%10;
  double t[4][41];
  for(int r=0;r<41;r++){ double t0;
    t0=now(); for(int i=0;i<50;i++) fm_softmax_xent_f32(R,C,z,lab,l,p); t[0][r]=(now()-t0)/50;
    t0=now(); for(int i=0;i<50;i++) fm_softmax_xent_f32(R,C,z,lab,l,NULL); t[1][r]=(now()-t0)/50;
    t0=now(); for(int i=0;i<50;i++) fm_softmax_xent_f64(R,C,zd,lab,ld,pd); t[2][r]=(now()-t0)/50;
    t0=now(); for(int i=0;i<50;i++) fm_softmax_xent_f64(R,C,zd,lab,ld,NULL); t[3][r]=(now()-t0)/50; }
  for(int k=0;k<4;k++) qsort(t[k],41,8,cmp);
  printf("1000x10 f32: with probs min %.1f med %.1f us, losses alone min %.1f med %.1f (med ratio %.2f)\n",t[0][0],t[0][20],t[1][0],t[1][20],t[1][20]/t[0][20]);
  printf("1000x10 f64: with probs min %.1f med %.1f us, losses alone min %.1f med %.1f (med ratio %.2f)\n",t[2][0],t[2][20],t[3][0],t[3][20],t[3][20]/t[2][20]);
}
