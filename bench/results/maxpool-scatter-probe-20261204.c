// issue 17, 2026-12-04 (noon): the 2x2/2 max-pool backward (as native/src/fm_kernels.inc) on W3 conv1's stacked
// tangent shape (2560 x 32 planes of 28x28, f32) against memset and a staged version with streaming stores, one thread.
// gcc -O3 -march=native maxpool-scatter-probe-20261204.c && ./a.out; measured here (5 reps): current 39.0-39.9 ms,
// memset 24.1-24.6 ms, staged + streaming stores 32.3-33.3 ms, for 245 MB written. Not adopted (about 0.5% of W3's
// Hutchinson-10).
// probe: 2x2/2 max-pool backward on W3 conv1's stacked tangent shape, against memset and an NT-store version
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define H 28
#define W 28
#define OH 14
#define OW 14
static void cur(int64_t planes, const float*gy, const int32_t*am, float*gx){
  for(int64_t p=0;p<planes;p++){ float*gp=gx+p*H*W; const float*yp=gy+p*OH*OW; const int32_t*ap=am+(p%8192)*OH*OW;
    for(int oy=0;oy<OH;oy++){int r0=2*oy*W,r1=r0+W; for(int ox=0;ox<OW;ox++){int c0=2*ox;
      gp[r0+c0]=0;gp[r0+c0+1]=0;gp[r1+c0]=0;gp[r1+c0+1]=0; gp[ap[oy*OW+ox]]=0.0f+yp[oy*OW+ox];}}}}
// row-pair staged in a small buffer, then copied out with streaming stores when aligned
static void nt(int64_t planes, const float*gy, const int32_t*am, float*gx){
  float buf[H*W] __attribute__((aligned(64)));
  for(int64_t p=0;p<planes;p++){ float*gp=gx+p*H*W; const float*yp=gy+p*OH*OW; const int32_t*ap=am+(p%8192)*OH*OW;
    memset(buf,0,sizeof buf);
    for(int o=0;o<OH*OW;o++) buf[ap[o]]=0.0f+yp[o];
    // plane = 784 floats = 3136 B; planes not 64-B aligned in general: stream the aligned middle
    float*d=gp; int i=0; while(((uintptr_t)(d+i)&63) && i<H*W){d[i]=buf[i];i++;}
    for(;i+16<=H*W;i+=16) _mm512_stream_ps(d+i,_mm512_loadu_ps(buf+i));
    for(;i<H*W;i++) d[i]=buf[i];
  }
  _mm_sfence();
}
int main(){
  int64_t planes=2560LL*32; size_t nx=planes*H*W, ny=planes*OH*OW;
  float*gx=aligned_alloc(64,nx*4), *gy=aligned_alloc(64,ny*4); int32_t*am=malloc(8192*OH*OW*4);
  for(size_t i=0;i<ny;i++) gy[i]=(float)(i%7)-3;
  for(int p=0;p<8192;p++) for(int oy=0;oy<OH;oy++) for(int ox=0;ox<OW;ox++){int r=rand()%4; am[p*OH*OW+oy*OW+ox]=(2*oy+(r>>1))*W+2*ox+(r&1);}
  memset(gx,1,nx*4);
  for(int rep=0;rep<5;rep++){
    double t0=now(); cur(planes,gy,am,gx); double t1=now(); memset(gx,0,nx*4); double t2=now(); nt(planes,gy,am,gx); double t3=now();
    double s=0; for(size_t i=0;i<nx;i+=4096) s+=gx[i];
    printf("current %.1f ms  memset %.1f ms  staged+stream %.1f ms  (%zu MB out) %g\n",t1-t0,t2-t1,t3-t2,nx*4>>20,s);
  }
}
