/*
 * flatminima C kernels: instantiates the kernel template fm_kernels.inc for float (_f32) and double (_f64).
 */
#include "flatminima.h"

#include <math.h>
#include <stddef.h>
#if defined(__AVX__)
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

/* Classes of a row whose exps a softmax keeps on the stack (wider rows compute them twice). */
#define FM_ROW_EXPS 256

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

#define T float
#define FM(name) fm_##name##_f32
#include "fm_kernels.inc"
#undef FM
#undef T

#define T double
#define FM(name) fm_##name##_f64
#include "fm_kernels.inc"
#undef FM
#undef T
