/* Scratch reproduction (issue 17, 2026-12-07, docs/PERFORMANCE.md "A convolution's ReLU carried by its pooling's
 * routing"): gcc 12.2.0 (Debian 12) at -O3 -march=x86-64-v3 compiles this conditional sum into 16 running sums
 * kept in a local array so that only the first 8 lanes accumulate. Built and run:
 *   gcc -O3 -march=x86-64-v3 gcc12-masked-sum-repro-20261207.c -o r && ./r 2 1
 * prints "1 0 19 4 0 22 7 0 0 0 0 0 0 0 0 0" where -O0, -O2 -march=x86-64-v3, -O3 (baseline x86-64) and
 * -O3 -march=x86-64-v3 -fno-tree-loop-vectorize print "1 0 19 4 0 22 7 0 25 10 0 28 13 0 31 16".
 * fm_gated_channel_sum (native/src/fm_kernels.inc) uses GCC's vector extensions instead. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#define T float
__attribute__((noinline)) void f(int32_t n, int32_t c, int64_t image, int64_t plane, const T *a, const T *gate, T *out) {
    for (int32_t ci = 0; ci < c; ci++) {
        T s[16];
        for (int j = 0; j < 16; j++) s[j] = 0;
        for (int32_t b = 0; b < n; b++) {
            const T *ap = a + b * image + ci * plane;
            const T *gp = gate + b * image + ci * plane;
            for (int64_t o = 0; o + 16 <= plane; o += 16)
                for (int j = 0; j < 16; j++) s[j] += gp[o + j] > 0 ? ap[o + j] : (T) 0;
        }
        for (int j = 0; j < 16; j++) out[ci * 16 + j] = s[j];
    }
}
int main(int argc, char **argv) {
    int n = atoi(argv[1]), c = atoi(argv[2]), plane = 16;
    float a[1000], g[1000], out[100];
    for (int i = 0; i < n * c * plane; i++) {
        a[i] = i + 1;
        g[i] = (i % 3 == 0) ? 1 : -1;
    }
    f(n, c, (int64_t) c * plane, plane, a, g, out);
    for (int i = 0; i < c * 16; i++) printf("%g ", out[i]);
    printf("\n");
}
