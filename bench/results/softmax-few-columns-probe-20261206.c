// Probe of docs/PERFORMANCE.md, "The softmax of few columns, four rows to a vector" (2026-12-06). Build from native/:
// gcc -O3 -std=c11 -march=x86-64-v3 -fno-math-errno -I src -o /tmp/pp <this file> src/flatminima.c -lm; run /tmp/pp ROWS COLS [d] (d: doubles)
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include "flatminima.h"
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
int main(int argc,char**argv){
  int rows=atoi(argv[1]), cols=atoi(argv[2]), dbl=argc>3;
  double *z=malloc(8L*rows*cols), *loss=malloc(8L*rows), *probs=malloc(8L*rows*cols);
  float *zf=(float*)z, *lf=(float*)loss, *pf=(float*)probs;
  int32_t *lab=malloc(4L*rows);
  srand(1); for(long i=0;i<(long)rows*cols;i++){ double v=(rand()/(double)RAND_MAX-0.5)*8; if(dbl) z[i]=v; else zf[i]=(float)v;} for(int i=0;i<rows;i++) lab[i]=rand()%cols;
  double best1=1e9,best2=1e9;
  for(int it=0;it<3000;it++){
    double t0=now(); if(dbl) fm_softmax_xent_f64(rows,cols,z,lab,loss,NULL); else fm_softmax_xent_f32(rows,cols,zf,lab,lf,NULL); double t1=now();
    if(dbl) fm_softmax_xent_f64(rows,cols,z,lab,loss,probs); else fm_softmax_xent_f32(rows,cols,zf,lab,lf,pf); double t2=now();
    if(t1-t0<best1)best1=t1-t0; if(t2-t1<best2)best2=t2-t1;
  }
  printf("%s %dx%d: losses %.2f us, with probs %.2f us\n",dbl?"f64":"f32",rows,cols,best1,best2);
  return 0;
}
