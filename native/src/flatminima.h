/*
 * flatminima C kernels: the exported interface.
 *
 * Every kernel exists once per element type, as fm_<op>_f32 (float) and fm_<op>_f64 (double); both are
 * generated from the single template fm_kernels.inc. Semantics are those of the Java scalar oracle
 * (org.flatminima.kernels.ScalarBackend): arithmetic that involves a double parameter or a transcendental
 * function is done in double precision and rounded once to the element type.
 * Sizes and strides are in elements. All kernels are single-threaded: the Java side splits a call into
 * independent sub-ranges (org.flatminima.kernels.vector.Parts) and runs them on its own threads.
 */
#ifndef FLATMINIMA_H
#define FLATMINIMA_H

#include <stdint.h>

/* Bump whenever a signature, an op code or the bits a kernel shares with the Java kernels change; the Java
 * loader refuses a different value.
 * ABI 3 added fm_reduce_cols and fm_max_pool2d_gather; ABI 4 fm_winograd_input, fm_winograd_output and
 * fm_winograd_gradient; ABI 5 the binary op FM_GATE; ABI 6 fm_axpby; ABI 7 fm_avx512_supported,
 * fm_fewcol_gemm and fm_vector_math; ABI 8 fm_avx2_supported and fm_small_gemm; ABI 9 fm_vector_math's codes 2
 * and 3 (the AVX2 versions) and fm_test_without_avx512; ABI 10 fm_packed_gemm_f32; ABI 11 fm_packed_gemm_f64;
 * ABI 12 fm_packed_gemm_row_f32 and _f64; ABI 13 their relu argument; ABI 14 fm_max_pool2d_relu and
 * fm_gated_channel_sum; ABI 15 fm_fewcol_gemm's lanes summed pairwise (the bits of the vector kernels' new order);
 * ABI 16 the bias argument of fm_winograd_output and fm_conv3x3; ABI 17 fm_packed_gemm512_f32 and _f64 and their _row
 * forms. */
#define FM_ABI_VERSION 17

/* Unary op codes (mirrored by org.flatminima.kernels.ffm.CKernels). 1 and 4 (abs, reciprocal) were removed
 * unused in ABI 2; their codes are not reused. */
enum fm_unary {
    FM_NEG = 0, FM_SQUARE = 2, FM_SQRT = 3, FM_EXP = 5, FM_LOG = 6,
    FM_POW = 7, FM_SCALE = 8, FM_ADD_SCALAR = 9, FM_RELU = 10, FM_LEAKY_RELU = 11, FM_STEP = 12,
    FM_LEAKY_STEP = 13, FM_TANH = 14, FM_SIGMOID = 15, FM_SOFTPLUS = 16
};

/* Binary op codes. */
enum fm_binary {
    FM_ADD = 0, FM_SUB = 1, FM_MUL = 2, FM_DIV = 3, FM_MAX = 4, FM_MIN = 5, FM_GREATER = 6, FM_GATE = 7
};

/* Reduce op codes. */
enum fm_reduce { FM_SUM = 0, FM_RMAX = 1, FM_RMIN = 2 };

int fm_abi_version(void);

/* 1 when this CPU runs fm_small_gemm (AVX2 and FMA), else 0. */
int fm_avx2_supported(void);
/* 1 when this CPU runs fm_fewcol_gemm and the softmax kernels' vector exp and log (AVX-512F), else 0. */
int fm_avx512_supported(void);

/* For tests: v[i] = exp(v[i]) (fn 0) or log(v[i]) (fn 1) by the softmax kernels' vector functions on the widest
 * vectors the CPU has (AVX-512 or AVX2), or (fn 2, 3) on AVX2, returning 1; 0 (nothing written) where those do not
 * run. */
int fm_vector_math(int32_t fn, int64_t n, double *v);

/* For tests: off 1 makes the AVX-512 kernels step aside (fm_avx512_supported() 0) until called with 0, so that
 * the AVX2 ones run on an AVX-512 CPU; returns the previous setting. Not thread-safe. */
int fm_test_without_avx512(int32_t off);

/* C = alpha op(A) op(B) + beta C (NN, TN and NT; row-major) with both operands packed, on AVX2 and FMA: 1 when
 * done, 0 (nothing written) without AVX2 and FMA, for TT or an empty dimension, -2 without memory for the calling
 * thread's packing buffer (fm_packed_gemm.inc). */
int fm_packed_gemm_f32(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,
                       const float *a, int32_t lda, const float *b, int32_t ldb, double beta, float *c, int32_t ldc);
int fm_packed_gemm_f64(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,
                       const double *a, int32_t lda, const double *b, int32_t ldb, double beta, double *c,
                       int32_t ldc);
/* C = alpha op(A) op(B) + 1 row^T: fm_packed_gemm's product onto the n elements of row added to every row of C (C
 * not read), with the bits of fm_packed_gemm at beta 1 onto a C whose every row holds row; the same results. With
 * relu non-zero, C's ReLU instead (c > 0 ? c : +0, NaN to +0), in the product's last store. */
int fm_packed_gemm_row_f32(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,
                           const float *a, int32_t lda, const float *b, int32_t ldb, const float *row, float *c,
                           int32_t ldc, int32_t relu);
int fm_packed_gemm_row_f64(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,
                           const double *a, int32_t lda, const double *b, int32_t ldb, const double *row, double *c,
                           int32_t ldc, int32_t relu);
/* The four above with 512-bit vectors (AVX-512F), the same bits: the AVX2 ones where the CPU has no AVX-512. */
int fm_packed_gemm512_f32(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,
                          const float *a, int32_t lda, const float *b, int32_t ldb, double beta, float *c, int32_t ldc);
int fm_packed_gemm512_f64(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,
                          const double *a, int32_t lda, const double *b, int32_t ldb, double beta, double *c,
                          int32_t ldc);
int fm_packed_gemm_row512_f32(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,
                              const float *a, int32_t lda, const float *b, int32_t ldb, const float *row, float *c,
                              int32_t ldc, int32_t relu);
int fm_packed_gemm_row512_f64(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,
                              const double *a, int32_t lda, const double *b, int32_t ldb, const double *row,
                              double *c, int32_t ldc, int32_t relu);

#define FM_DECLARE(T, S)                                                                                 \
    void fm_fill_##S(int64_t n, double value, T *y);                                                     \
    void fm_axpby_##S(int64_t n, double alpha, const T *x, double beta, T *y);                           \
    int fm_unary_##S(int32_t op, int64_t n, double param, const T *x, T *y);                             \
    int fm_binary_##S(int32_t op, int64_t n0, int64_t n1, int64_t n2,                                    \
                      const T *a, int64_t a0, int64_t a1, int64_t a2,                                    \
                      const T *b, int64_t b0, int64_t b1, int64_t b2, T *y);                             \
    int fm_reduce_##S(int32_t op, int32_t outer, int32_t len, int32_t inner, const T *x, T *y);          \
    int fm_reduce_cols_##S(int32_t op, int32_t len, int32_t count, int32_t stride, const T *x, T *y);    \
    void fm_argmax_##S(int32_t outer, int32_t len, int32_t inner, const T *x, int32_t *idx);             \
    void fm_softmax_##S(int32_t rows, int32_t cols, const T *x, T *y);                                   \
    void fm_log_softmax_##S(int32_t rows, int32_t cols, const T *x, T *y);                               \
    void fm_softmax_xent_##S(int32_t rows, int32_t cols, const T *z, const int32_t *labels,              \
                             T *loss, T *probs);                                                         \
    void fm_im2col_##S(const int32_t *geom, const T *x, T *cols);                                        \
    void fm_col2im_##S(const int32_t *geom, const T *cols, T *x);                                        \
    void fm_max_pool2d_##S(const int32_t *geom, const T *x, T *y, int32_t *argmax);                      \
    void fm_max_pool2d_relu_##S(const int32_t *geom, const T *x, T *y, int32_t *argmax);                 \
    void fm_max_pool2d_backward_##S(const int32_t *geom, const T *gy, const int32_t *argmax, T *gx);     \
    void fm_max_pool2d_gather_##S(const int32_t *geom, const T *x, const int32_t *argmax, T *y);         \
    void fm_gated_channel_sum_##S(int32_t n, int32_t c, int64_t image, int64_t plane, const T *a,        \
                                  const T *gate, T *out);                                                 \
    void fm_avg_pool2d_##S(const int32_t *geom, const T *x, T *y);                                       \
    void fm_avg_pool2d_backward_##S(const int32_t *geom, const T *gy, T *gx);                            \
    void fm_winograd_input_##S(const int32_t *geom, const T *x, T *v);                                   \
    void fm_winograd_output_##S(const int32_t *geom, int32_t cout, const T *m, const T *bias, T *y);    \
    void fm_winograd_gradient_##S(const int32_t *geom, int32_t cout, const T *gy, T *gt);              \
    int fm_conv3x3_##S(const int32_t *geom, int32_t cout, const T *x, const T *w, const T *bias, T *y); \
    int fm_conv3x3_wgrad_##S(const int32_t *geom, int32_t cout, const T *x, const T *gy, T *gw);       \
    int fm_fewcol_gemm_##S(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha, \
                           const T *a, int32_t lda, const T *b, int32_t ldb, double beta, T *c, int32_t ldc); \
    int fm_small_gemm_##S(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k, double alpha,  \
                          const T *a, int32_t lda, const T *b, int32_t ldb, double beta, T *c, int32_t ldc);

FM_DECLARE(float, f32)
FM_DECLARE(double, f64)

#undef FM_DECLARE

#endif
