/* Build: gcc -O2 -o gemm_ref bench/peers/gemm_ref.c -l:libopenblas.so.0   (run: ./gemm_ref [threads...]) */
/*
 * Reference GFLOP/s of cblas_sgemm / cblas_dgemm called directly from C, to compare with the same calls made
 * from Java through FFM (org.flatminima.kernels.ffm.GemmThroughput). Square row-major n x n x n, C = A*B;
 * best of 5 timed batches after a warm-up. The -dev headers are not needed: the prototypes are declared here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ROW_MAJOR = 101, NO_TRANS = 111 };
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
void cblas_dgemm(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
                 const double *b, int ldb, double beta, double *c, int ldc);
void openblas_set_num_threads(int n);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Repetitions so that one batch takes roughly 0.2 s at 100 GFLOP/s. */
static int reps_for(int n) {
    double flops = 2.0 * n * n * n;
    int r = (int) (2e10 / flops);
    return r < 1 ? 1 : r;
}

static double bench(int dbl, int n) {
    size_t sz = (size_t) n * n;
    void *a = malloc(sz * 8), *b = malloc(sz * 8), *c = malloc(sz * 8);
    for (size_t i = 0; i < sz; i++) {
        double v = (double) ((i * 2654435761u) % 1000) / 1000.0 - 0.5;
        if (dbl) { ((double *) a)[i] = v; ((double *) b)[i] = -v; ((double *) c)[i] = 0; }
        else { ((float *) a)[i] = (float) v; ((float *) b)[i] = (float) -v; ((float *) c)[i] = 0; }
    }
    int reps = reps_for(n);
    double best = 0;
    for (int batch = 0; batch < 6; batch++) {
        double t0 = now();
        for (int r = 0; r < reps; r++) {
            if (dbl) cblas_dgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
            else cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        }
        double gf = 2.0 * n * n * n * reps / (now() - t0) / 1e9;
        if (batch > 0 && gf > best) best = gf; /* batch 0 is the warm-up */
    }
    free(a); free(b); free(c);
    return best;
}

int main(int argc, char **argv) {
    int threads[8] = {1, 2};
    int nt = 2;
    if (argc > 1) {
        nt = 0;
        for (int i = 1; i < argc && nt < 8; i++) threads[nt++] = atoi(argv[i]);
    }
    int sizes[] = {256, 512, 1024};
    for (int ti = 0; ti < nt; ti++) {
        openblas_set_num_threads(threads[ti]);
        for (int dbl = 0; dbl < 2; dbl++) {
            for (int si = 0; si < 3; si++) {
                printf("C   %s n=%4d threads=%d  %7.1f GFLOP/s\n", dbl ? "dgemm" : "sgemm", sizes[si], threads[ti],
                       bench(dbl, sizes[si]));
                fflush(stdout);
            }
        }
    }
    return 0;
}
