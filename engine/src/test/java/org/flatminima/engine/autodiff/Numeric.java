package org.flatminima.engine.autodiff;

import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;

/** Test helpers: random float64 tensors, dot products and central finite differences on raw values. */
final class Numeric {
    static final DType F64 = DType.F64;
    static final double H = 1e-6;

    private Numeric() {
    }

    static Var normal(SplittableRandom rnd, int... shape) {
        return Var.of(Tensor.normal(F64, rnd, shape));
    }

    static Var uniform(SplittableRandom rnd, double lo, double hi, int... shape) {
        return Var.of(Tensor.uniform(F64, rnd, lo, hi, shape));
    }

    static double dot(Var a, Var b) {
        double[] x = a.value().toDoubleArray();
        double[] y = b.value().toDoubleArray();
        if (x.length != y.length) {
            throw new IllegalArgumentException("dot of sizes " + x.length + " and " + y.length);
        }
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** max |a - b| / (1 + max |b|): the error measure used throughout. */
    static double relErr(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m / (1 + maxAbs(b));
    }

    /** x + s v on raw tensors (constants). */
    static Var axpy(Var x, double s, Var v) {
        return Var.of(TensorOps.add(x.value(), TensorOps.scale(v.value(), s)));
    }

    static Var[] axpy(Var[] x, double s, Var[] v) {
        Var[] r = new Var[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = axpy(x[i], s, v[i]);
        }
        return r;
    }

    /** Central difference of a vector-valued function along direction v: (f(x + h v) - f(x - h v)) / 2h. */
    static double[] fdDirectional(Function<Var[], double[]> f, Var[] x, Var[] v) {
        double[] p = f.apply(axpy(x, H, v));
        double[] m = f.apply(axpy(x, -H, v));
        double[] d = new double[p.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (p[i] - m[i]) / (2 * H);
        }
        return d;
    }

    /** Concatenation of the raw values of several Vars. */
    static double[] flat(Var... vs) {
        int n = 0;
        for (Var v : vs) {
            n += (int) v.value().size();
        }
        double[] r = new double[n];
        int o = 0;
        for (Var v : vs) {
            double[] a = v.value().toDoubleArray();
            System.arraycopy(a, 0, r, o, a.length);
            o += a.length;
        }
        return r;
    }
}
