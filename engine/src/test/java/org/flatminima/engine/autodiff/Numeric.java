package org.flatminima.engine.autodiff;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;

/**
 * Test helpers: random float64 tensors, dot products and central finite differences on raw values (the
 * numerics are {@link PrimitiveChecker}'s, so the tests and the public checker measure errors the same way).
 */
final class Numeric {
    static final DType F64 = DType.F64;
    static final double H = PrimitiveChecker.STEP;

    private Numeric() {
    }

    static Var normal(SplittableRandom rnd, int... shape) {
        return PrimitiveChecker.normal(rnd, shape);
    }

    static Var uniform(SplittableRandom rnd, double lo, double hi, int... shape) {
        return Var.of(Tensor.uniform(F64, rnd, lo, hi, shape));
    }

    static double dot(Var a, Var b) {
        return PrimitiveChecker.dot(a, b);
    }

    static double maxAbs(double[] a) {
        return PrimitiveChecker.maxAbs(a);
    }

    /** max |a - b| / (1 + max |b|): the error measure used throughout. */
    static double relErr(double[] a, double[] b) {
        return PrimitiveChecker.relErr(a, b);
    }

    /** x + s v on raw tensors (constants). */
    static Var axpy(Var x, double s, Var v) {
        return PrimitiveChecker.axpy(x, s, v);
    }

    static Var[] axpy(Var[] x, double s, Var[] v) {
        return PrimitiveChecker.axpy(x, s, v);
    }

    /** Central difference of a vector-valued function along direction v: (f(x + h v) - f(x - h v)) / 2h. */
    static double[] fdDirectional(Function<Var[], double[]> f, Var[] x, Var[] v) {
        return PrimitiveChecker.fdDirectional(f, x, v);
    }

    /** Concatenation of the raw values of several Vars. */
    static double[] flat(Var... vs) {
        return PrimitiveChecker.flat(vs);
    }
}
