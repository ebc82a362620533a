/*
 * flatminima C kernels: instantiates the kernel template fm_kernels.inc for float (_f32) and double (_f64).
 */
#include "flatminima.h"

#include <math.h>

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
