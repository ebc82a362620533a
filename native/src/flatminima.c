/*
 * flatminima C kernels: instantiates the kernel template fm_kernels.inc for float (_f32) and double (_f64).
 */
#include "flatminima.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/*
 * Clears the upper halves of the vector registers at the entry of a kernel that calls glibc's libm (exp, log, pow,
 * tanh, log1p), whose functions are legacy-SSE code. The JVM can call a kernel with those halves dirty (its compiled
 * vector code does not always clear them before a downcall), and then every legacy-SSE instruction pays an SSE/AVX
 * state transition: a softmax's calls to exp ran many times slower, in phases that followed the JIT's compilations
 * (docs/PERFORMANCE.md, "Dirty vector registers"). The C ABI assumes a clean state at a call, so the compiler never
 * clears it itself at an entry. Upper halves hold nothing a kernel's caller keeps (the calling convention passes
 * doubles in the low 128 bits, which vzeroupper keeps).
 */
#if defined(__AVX__)
#define FM_CLEAN_UPPER() _mm256_zeroupper()
#elif defined(__x86_64__)
#define FM_CLEAN_UPPER()                                                                                           \
    do {                                                                                                           \
        if (__builtin_cpu_supports("avx")) __asm__ volatile("vzeroupper");                                         \
    } while (0)
#else
#define FM_CLEAN_UPPER() ((void) 0)
#endif

/* Bytes of the vectors of the Winograd transforms (fm_kernels.inc): one register of the build's instruction set. */
#if defined(__AVX__)
#define FM_VEC_BYTES 32
#else
#define FM_VEC_BYTES 16
#endif

/* Elements whose exps the softmax kernels compute together (x - max in double, on the stack); a wider row
 * computes its exps twice, one at a time. */
#define FM_EXP_BLOCK 1024
/* Columns up to which rows' softmaxes run four rows to a vector on AVX2 (fm_softmax_avx2.inc; their exps, 32 bytes
 * a column, on the stack): faster there at every width measured, 10 to 1000 columns (0.59-0.80 of the blocks' time). */
#define FM_SOFTMAX_GROUP_COLS 1024

int fm_abi_version(void) { return FM_ABI_VERSION; }

/* Java's Math.max on doubles: NaN if either is NaN, and -0 < +0. */
static inline double fm_jmax_d(double a, double b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* Java's Math.pow where it differs from C's pow: a NaN exponent gives NaN, and (+-1)^(+-inf) is NaN. */
static inline double fm_java_pow(double x, double p) {
    if (p != p) return p;
    if (isinf(p) && fabs(x) == 1.0) return NAN;
    return pow(x, p);
}

#if defined(__x86_64__)

/* Set by fm_test_without_avx512: the AVX-512 kernels step aside, so that tests run the AVX2 ones on any CPU. */
static int fm_avx512_off = 0;

int fm_avx512_supported(void) {
    static int supported = -1;
    if (supported < 0) supported = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return supported && !fm_avx512_off;
}

int fm_avx2_supported(void) {
    static int supported = -1;
    if (supported < 0) supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    return supported;
}

/* The softmax kernels' exp and log on vectors (AVX-512 or AVX2, the same bits): fm_vexp, fm_vlog. */
#include "fm_vmath.inc"

/* Code for AVX-512, compiled into both flavours of the library and run only where fm_avx512_supported().
 * A function compiled for AVX-512 (or AVX2) is called only after that check (or fm_avx2_supported()) in code
 * compiled for the library's baseline: the compiler may use the wider instructions anywhere in such a function,
 * its prologue included (an AddressSanitizer build stored a zmm register there, SIGILL on an AVX2 CPU), so a
 * check inside it can come too late. The functions keep their own checks as well. */
#define FC_TARGET __attribute__((target("avx512f,fma")))

#else

int fm_avx512_supported(void) { return 0; }
int fm_avx2_supported(void) { return 0; }
static int fm_vexp(int64_t n, double *v) {
    (void) n;
    (void) v;
    return 0;
}
static int fm_vlog(int64_t n, double *v) {
    (void) n;
    (void) v;
    return 0;
}
static int fm_exp_avx2(int64_t n, double *v) { return fm_vexp(n, v); }
static int fm_log_avx2(int64_t n, double *v) { return fm_vlog(n, v); }

#endif

/* For tests: off 1 makes fm_avx512_supported() 0 until called with 0 (not thread-safe: tests run one at a time);
 * returns the previous setting. */
int fm_test_without_avx512(int32_t off) {
#if defined(__x86_64__)
    const int was = fm_avx512_off;
    fm_avx512_off = off != 0;
    return was;
#else
    (void) off;
    return 0;
#endif
}

/* For tests: the softmax kernels' vector exp (fn 0) or log (fn 1) on the widest vectors this CPU has, or (fn 2,
 * 3) on AVX2, where they run (returns 1), else nothing (returns 0). */
int fm_vector_math(int32_t fn, int64_t n, double *v) {
    switch (fn) {
    case 0: return fm_vexp(n, v);
    case 1: return fm_vlog(n, v);
    case 2: return fm_avx2_supported() && fm_exp_avx2(n, v);
    case 3: return fm_avx2_supported() && fm_log_avx2(n, v);
    default: return 0;
    }
}

/* Max pooling on AVX-512 (fm_pool.inc): 2x2/2 windows forward (and backward for floats), and the gather of any
 * window, for the scalar kernels of fm_kernels.inc: 1 where they ran, 0 (nothing written) where the CPU has no
 * AVX-512, the build is not for x86-64, or (the backward of doubles) always. */
static int fm_pool2x2_avx512_f32(int64_t planes, int32_t h, int32_t w, const float *x, float *y, int32_t *argmax,
                                 int32_t relu);
static int fm_pool2x2_avx512_f64(int64_t planes, int32_t h, int32_t w, const double *x, double *y, int32_t *argmax,
                                 int32_t relu);
static int fm_pool2x2_backward_avx512_f32(int64_t planes, int32_t h, int32_t w, const float *gy,
                                          const int32_t *argmax, float *gx);
static int fm_pool2x2_backward_avx512_f64(int64_t planes, int32_t h, int32_t w, const double *gy,
                                          const int32_t *argmax, double *gx);
static int fm_pool_gather_avx512_f32(int64_t planes, int64_t plane, int64_t oplane, const float *x,
                                     const int32_t *argmax, float *y);
static int fm_pool_gather_avx512_f64(int64_t planes, int64_t plane, int64_t oplane, const double *x,
                                     const int32_t *argmax, double *y);
/* The vector 2x2/2 pooling forward where one runs: AVX-512, or AVX2 (fm_pool_avx2.inc); 1 where it
 * ran. relu: the ReLU of each maximum in the same store (v > 0 ? v : +0), its routing -1 where that is 0. */
static int fm_pool2x2_vec_f32(int64_t planes, int32_t h, int32_t w, const float *x, float *y, int32_t *argmax,
                                 int32_t relu);
static int fm_pool2x2_vec_f64(int64_t planes, int32_t h, int32_t w, const double *x, double *y, int32_t *argmax,
                                 int32_t relu);

/* Softmaxes of rows four to a vector on AVX2 (fm_softmax_avx2.inc): the rows done (none without AVX2 or x86-64). */
static int64_t fm_softmax_rows_avx2_f32(int64_t rows, int32_t cols, const float *x, float *y, const int32_t *labels,
                                        float *loss);
static int64_t fm_softmax_rows_avx2_f64(int64_t rows, int32_t cols, const double *x, double *y,
                                        const int32_t *labels, double *loss);

/* Winograd transforms on AVX-512 (fm_winograd.inc) for the portable ones of fm_kernels.inc: 1 where they ran,
 * 0 (nothing written) where the CPU has no AVX-512, the build is not for x86-64 or the shape is not one they
 * take. */
static int fm_winograd_input_avx512_f32(const int32_t *geom, const float *x, float *v);
static int fm_winograd_output_avx512_f32(const int32_t *geom, int32_t cout, const float *mm, const float *bias,
                                         float *y);
static int fm_winograd_gradient_avx512_f32(const int32_t *geom, int32_t cout, const float *gy, float *gt);
static int fm_winograd_input_avx512_f64(const int32_t *geom, const double *x, double *v);
static int fm_winograd_output_avx512_f64(const int32_t *geom, int32_t cout, const double *mm, const double *bias,
                                         double *y);
static int fm_winograd_gradient_avx512_f64(const int32_t *geom, int32_t cout, const double *gy, double *gt);
/* The transforms on vectors where they run: AVX-512, or for floats AVX2 (fm_winograd_avx2.inc). */
static int fm_winograd_input_vec_f32(const int32_t *geom, const float *x, float *v);
static int fm_winograd_output_vec_f32(const int32_t *geom, int32_t cout, const float *mm, const float *bias,
                                      float *y);
static int fm_winograd_input_vec_f64(const int32_t *geom, const double *x, double *v);
static int fm_winograd_output_vec_f64(const int32_t *geom, int32_t cout, const double *mm, const double *bias,
                                      double *y);
static int fm_winograd_gradient_vec_f32(const int32_t *geom, int32_t cout, const float *gy, float *gt);
static int fm_winograd_gradient_vec_f64(const int32_t *geom, int32_t cout, const double *gy, double *gt);

#define T float
#define TI int32_t
#define FM(name) fm_##name##_f32
#include "fm_kernels.inc"
#undef FM
#undef TI
#undef T

#define T double
#define TI int64_t
#define FM(name) fm_##name##_f64
#include "fm_kernels.inc"
#undef FM
#undef TI
#undef T

/* ------------------------------------------------ products with few columns of C, max pooling (AVX-512) */

#if defined(__x86_64__)

/* An accumulator's lanes summed pairwise by halves: lane x plus lane x + 8, then x + 4, x + 2, x + 1 (the lower
 * lane the first operand), the order SkinnyGemm's rows kernel keeps in Java. */
FC_TARGET static inline float fm_lanes_sum_f32(__m512 v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                                   _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
}

/* The same for doubles: lane x plus lane x + 4, then x + 2, x + 1. */
FC_TARGET static inline double fm_lanes_sum_f64(__m512d v) {
    const __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
}

#define T float
#define FM(name) fm_##name##_f32
#define FC_V __m512
#define FC_VL 16
#define FC_LANES_SUM(v) fm_lanes_sum_f32(v)
#define FC_LOAD(p) _mm512_loadu_ps(p)
#define FC_STORE(p, v) _mm512_storeu_ps(p, v)
#define FC_SET1(x) _mm512_set1_ps(x)
#define FC_ZERO() _mm512_setzero_ps()
#define FC_FMA(x, y, z) _mm512_fmadd_ps(x, y, z)
#define FC_FMAS(x, y, z) fmaf(x, y, z)
#include "fm_fewcol.inc"
#include "fm_pool.inc"
#undef FM
#undef T

#define T double
#define FM(name) fm_##name##_f64
#define FC_V __m512d
#define FC_VL 8
#define FC_LANES_SUM(v) fm_lanes_sum_f64(v)
#define FC_LOAD(p) _mm512_loadu_pd(p)
#define FC_STORE(p, v) _mm512_storeu_pd(p, v)
#define FC_SET1(x) _mm512_set1_pd(x)
#define FC_ZERO() _mm512_setzero_pd()
#define FC_FMA(x, y, z) _mm512_fmadd_pd(x, y, z)
#define FC_FMAS(x, y, z) fma(x, y, z)
#include "fm_fewcol.inc"
#define FM_POOL_F64
#include "fm_pool.inc"
#undef FM_POOL_F64
#undef FM
#undef T

/* ------------------------------------------------ small products (AVX2 and FMA): fm_small.inc */

#define SM_STORE_TARGET __attribute__((target("avx2,fma"))) static inline
/* Lanes below r of a mask for maskload (r may be 1 .. 8 for floats, 1 .. 4 for doubles). */
SM_STORE_TARGET __m256i fm_sm_mask32(int32_t r) {
    static const int32_t ones[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *) (ones + 8 - r));
}
SM_STORE_TARGET __m256i fm_sm_mask64(int32_t r) {
    static const int64_t ones[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *) (ones + 4 - r));
}
/* Rows r0 .. r3 (8 floats each) transposed: column h (lanes h of the four rows) at c + h cq, as alpha x + beta c. */
SM_STORE_TARGET void fm_sm_store_t4_f32(float *c, int64_t cq, __m256 r0, __m256 r1, __m256 r2, __m256 r3,
                                        float alpha, float beta) {
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    /* u[h]: column h in its low half, column h + 4 in its high half */
    const __m256 u[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xEE),
                         _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xEE)};
    const __m128 va = _mm_set1_ps(alpha), vb = _mm_set1_ps(beta);
    for (int h = 0; h < 8; h++) {
        float *o = c + h * cq;
        __m128 s = _mm_mul_ps(va, h < 4 ? _mm256_castps256_ps128(u[h]) : _mm256_extractf128_ps(u[h - 4], 1));
        if (beta != 0) s = _mm_add_ps(s, _mm_mul_ps(vb, _mm_loadu_ps(o)));
        _mm_storeu_ps(o, s);
    }
}
/* The same for four rows of 4 doubles. */
SM_STORE_TARGET void fm_sm_store_t4_f64(double *c, int64_t cq, __m256d r0, __m256d r1, __m256d r2, __m256d r3,
                                        double alpha, double beta) {
    const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    const __m256d col[4] = {_mm256_permute2f128_pd(t0, t2, 0x20), _mm256_permute2f128_pd(t1, t3, 0x20),
                            _mm256_permute2f128_pd(t0, t2, 0x31), _mm256_permute2f128_pd(t1, t3, 0x31)};
    const __m256d va = _mm256_set1_pd(alpha), vb = _mm256_set1_pd(beta);
    for (int h = 0; h < 4; h++) {
        double *o = c + h * cq;
        __m256d s = _mm256_mul_pd(va, col[h]);
        if (beta != 0) s = _mm256_add_pd(s, _mm256_mul_pd(vb, _mm256_loadu_pd(o)));
        _mm256_storeu_pd(o, s);
    }
}
/* The first count (1 .. 8) floats of v at p, by whole stores of 8, or of 4, 2 and 1 floats (AMD's masked stores are
 * slow). */
SM_STORE_TARGET void fm_sm_store_first_f32(float *p, __m256 v, int32_t count) {
    if (count >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    __m128 q = _mm256_castps256_ps128(v);
    if (count & 4) {
        _mm_storeu_ps(p, q);
        p += 4;
        q = _mm256_extractf128_ps(v, 1);
    }
    if (count & 2) {
        _mm_storel_pi((__m64 *) p, q);
        p += 2;
        q = _mm_movehl_ps(q, q);
    }
    if (count & 1) _mm_store_ss(p, q);
}
/* The 8 x 8 floats of r transposed in place: lane c of r[j] becomes lane j of r[c]. */
SM_STORE_TARGET void fm_sm_transpose8_f32(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
        r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
    }
}
/* out[e] = the lanes of v[e] added in order from lane 0, for e < 8: the 8 vectors transposed, then added. */
SM_STORE_TARGET void fm_sm_lane_sums_f32(const __m256 *v, float *out) {
    __m256 r[8];
    for (int e = 0; e < 8; e++) r[e] = v[e];
    fm_sm_transpose8_f32(r);
    __m256 s = _mm256_add_ps(r[0], r[1]);
    for (int l = 2; l < 8; l++) s = _mm256_add_ps(s, r[l]);
    _mm256_storeu_ps(out, s);
}
/* The same for 4 vectors of 4 doubles. */
SM_STORE_TARGET void fm_sm_lane_sums_f64(const __m256d *v, double *out) {
    const __m256d t0 = _mm256_unpacklo_pd(v[0], v[1]), t1 = _mm256_unpackhi_pd(v[0], v[1]);
    const __m256d t2 = _mm256_unpacklo_pd(v[2], v[3]), t3 = _mm256_unpackhi_pd(v[2], v[3]);
    __m256d s = _mm256_add_pd(_mm256_permute2f128_pd(t0, t2, 0x20), _mm256_permute2f128_pd(t1, t3, 0x20));
    s = _mm256_add_pd(s, _mm256_permute2f128_pd(t0, t2, 0x31));
    s = _mm256_add_pd(s, _mm256_permute2f128_pd(t1, t3, 0x31));
    _mm256_storeu_pd(out, s);
}
#undef SM_STORE_TARGET

#define T float
#define FM(name) fm_##name##_f32
#define SM_V __m256
#define SM_VL 8
#define SM_LOAD(p) _mm256_loadu_ps(p)
#define SM_MASKLOAD(p, r) _mm256_maskload_ps(p, fm_sm_mask32(r))
#define SM_STORE(p, v) _mm256_storeu_ps(p, v)
#define SM_SET1(x) _mm256_set1_ps(x)
#define SM_ZERO() _mm256_setzero_ps()
#define SM_MUL(x, y) _mm256_mul_ps(x, y)
#define SM_ADD(x, y) _mm256_add_ps(x, y)
#define SM_FMA(x, y, z) _mm256_fmadd_ps(x, y, z)
#define SM_FMAS(x, y, z) fmaf(x, y, z)
#define SM_BROADCAST(p) _mm256_broadcast_ss(p)
#define SM_STORE_T4 fm_sm_store_t4_f32
#define SM_LANE_SUMS fm_sm_lane_sums_f32
#include "fm_small.inc"
#undef FM
#undef T

#define T double
#define FM(name) fm_##name##_f64
#define SM_V __m256d
#define SM_VL 4
#define SM_LOAD(p) _mm256_loadu_pd(p)
#define SM_MASKLOAD(p, r) _mm256_maskload_pd(p, fm_sm_mask64(r))
#define SM_STORE(p, v) _mm256_storeu_pd(p, v)
#define SM_SET1(x) _mm256_set1_pd(x)
#define SM_ZERO() _mm256_setzero_pd()
#define SM_MUL(x, y) _mm256_mul_pd(x, y)
#define SM_ADD(x, y) _mm256_add_pd(x, y)
#define SM_FMA(x, y, z) _mm256_fmadd_pd(x, y, z)
#define SM_FMAS(x, y, z) fma(x, y, z)
#define SM_BROADCAST(p) _mm256_broadcast_sd(p)
#define SM_STORE_T4 fm_sm_store_t4_f64
#define SM_LANE_SUMS fm_sm_lane_sums_f64
#include "fm_small.inc"
#undef FM
#undef T

#define T float
#define FM(name) fm_##name##_f32
#define SX_COLUMN4(p, n) _mm256_cvtps_pd(_mm_setr_ps((p)[0], (p)[n], (p)[2 * (n)], (p)[3 * (n)]))
#define SX_BLOCK 64
#include "fm_softmax_avx2.inc"
#undef SX_COLUMN4
#undef SX_BLOCK
#undef FM
#undef T
#define T double
#define FM(name) fm_##name##_f64
#define SX_COLUMN4(p, n) _mm256_setr_pd((p)[0], (p)[n], (p)[2 * (n)], (p)[3 * (n)])
#define SX_BLOCK 64
#include "fm_softmax_avx2.inc"
#undef SX_COLUMN4
#undef SX_BLOCK
#undef FM
#undef T

#include "fm_packed_gemm.inc"
#include "fm_winograd.inc"
#include "fm_direct.inc"
#include "fm_pool_avx2.inc"
#include "fm_winograd_avx2.inc"
#include "fm_direct_avx2.inc"

#else

#include "fm_stubs.inc"

#endif

/* Direct 3x3 convolutions for few input channels (fm_direct.inc, fm_direct_avx2.inc: the same bits): 1 where they
 * ran, 0 (nothing written) where the CPU has neither AVX-512 nor AVX2, the build is not for x86-64, the window is not
 * one they take, or (doubles) always. */
int fm_conv3x3_f32(const int32_t *geom, int32_t cout, const float *x, const float *w, const float *bias, float *y) {
    return (fm_avx512_supported() && fm_conv3x3_direct_f32(geom, cout, x, w, bias, y))
           || (fm_avx2_supported() && fm_conv3x3_direct_avx2_f32(geom, cout, x, w, bias, y));
}
int fm_conv3x3_wgrad_f32(const int32_t *geom, int32_t cout, const float *x, const float *gy, float *gw) {
    return (fm_avx512_supported() && fm_conv3x3_direct_wgrad_f32(geom, cout, x, gy, gw))
           || (fm_avx2_supported() && fm_conv3x3_direct_wgrad_avx2_f32(geom, cout, x, gy, gw));
}
int fm_conv3x3_f64(const int32_t *geom, int32_t cout, const double *x, const double *w, const double *bias,
                   double *y) {
    (void) geom; (void) cout; (void) x; (void) w; (void) bias; (void) y;
    return 0;
}
int fm_conv3x3_wgrad_f64(const int32_t *geom, int32_t cout, const double *x, const double *gy, double *gw) {
    (void) geom; (void) cout; (void) x; (void) gy; (void) gw;
    return 0;
}

/* Doubles keep the scalar max-pool backward on every CPU: the vector one was slower on W3's larger pooling (both
 * bound by writing gx; docs/PERFORMANCE.md, "Max pooling on vectors"). */
static int fm_pool2x2_backward_avx512_f64(int64_t planes, int32_t h, int32_t w, const double *gy,
                                          const int32_t *argmax, double *gx) {
    (void) planes; (void) h; (void) w; (void) gy; (void) argmax; (void) gx;
    return 0;
}

static int fm_pool2x2_vec_f32(int64_t planes, int32_t h, int32_t w, const float *x, float *y, int32_t *argmax,
                                 int32_t relu) {
    return (fm_avx512_supported() && fm_pool2x2_avx512_f32(planes, h, w, x, y, argmax, relu))
           || (fm_avx2_supported() && fm_pool2x2_avx2_f32(planes, h, w, x, y, argmax, relu));
}
static int fm_pool2x2_vec_f64(int64_t planes, int32_t h, int32_t w, const double *x, double *y, int32_t *argmax,
                                 int32_t relu) {
    return (fm_avx512_supported() && fm_pool2x2_avx512_f64(planes, h, w, x, y, argmax, relu))
           || (fm_avx2_supported() && fm_pool2x2_avx2_f64(planes, h, w, x, y, argmax, relu));
}
static int fm_winograd_input_vec_f32(const int32_t *geom, const float *x, float *v) {
    return (fm_avx512_supported() && fm_winograd_input_avx512_f32(geom, x, v))
           || (fm_avx2_supported() && fm_winograd_input_avx2_f32(geom, x, v));
}
static int fm_winograd_output_vec_f32(const int32_t *geom, int32_t cout, const float *mm, const float *bias,
                                      float *y) {
    return (fm_avx512_supported() && fm_winograd_output_avx512_f32(geom, cout, mm, bias, y))
           || (fm_avx2_supported() && fm_winograd_output_avx2_f32(geom, cout, mm, bias, y));
}
static int fm_winograd_input_vec_f64(const int32_t *geom, const double *x, double *v) {
    return (fm_avx512_supported() && fm_winograd_input_avx512_f64(geom, x, v));
}
static int fm_winograd_output_vec_f64(const int32_t *geom, int32_t cout, const double *mm, const double *bias,
                                      double *y) {
    return (fm_avx512_supported() && fm_winograd_output_avx512_f64(geom, cout, mm, bias, y));
}
static int fm_winograd_gradient_vec_f32(const int32_t *geom, int32_t cout, const float *gy, float *gt) {
    return (fm_avx512_supported() && fm_winograd_gradient_avx512_f32(geom, cout, gy, gt))
           || (fm_avx2_supported() && fm_winograd_gradient_avx2_f32(geom, cout, gy, gt));
}
static int fm_winograd_gradient_vec_f64(const int32_t *geom, int32_t cout, const double *gy, double *gt) {
    return (fm_avx512_supported() && fm_winograd_gradient_avx512_f64(geom, cout, gy, gt));
}
