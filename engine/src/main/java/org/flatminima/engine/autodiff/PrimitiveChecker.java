package org.flatminima.engine.autodiff;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;

/**
 * The generic checker of a primitive's rules, for the engine's own primitives and for a {@link CustomPrimitive}:
 * at float64 inputs and random directions, the JVP rule against central finite differences (all inputs
 * perturbed, then each input alone with the others symbolic zeros), the VJP rule against finite differences of
 * {@code <u, f(x)>} element by element, the adjoint identity {@code <u, J v> = <J^T u, v>}, and the
 * forward-over-reverse Hessian-vector product of {@code s(x) = sum(w * f(x)) + sum(f(x)^2) / 2} against finite
 * differences of its gradient; for a {@link Primitive.CotangentInPlace} primitive, the cotangents it writes in place
 * (written, and added onto a buffer, contiguous and transposed) against the VJP rule's; for a
 * {@link Primitive.TangentWithValue} primitive, the output and tangent it computes in one against the forward and
 * the JVP rule. Errors are {@code max |a - b| / (1 + max |b|)}; with a step of {@value #STEP} a
 * correct rule gives about 1e-9 on the finite-difference checks and about 1e-15 on the adjoint identity.
 *
 * <p>Inputs must be float64 and away from kinks (finite differences straddle them); the VJP check costs two
 * evaluations per input element, so keep the inputs small.
 */
public final class PrimitiveChecker {
    /** The central-difference step. */
    public static final double STEP = 1e-6;

    private PrimitiveChecker() {
    }

    /**
     * The largest error of each check (0 when a check does not apply: {@code jvpOneInput} for one input).
     *
     * @param jvp JVP with every input perturbed, vs finite differences
     * @param jvpOneInput JVP along one input at a time (the others symbolic zeros), worst input
     * @param vjp VJP vs finite differences, worst input
     * @param adjoint {@code |<u, J v> - <J^T u, v>| / (1 + |<u, J v>|)}
     * @param hvp forward-over-reverse HVP vs finite differences of the gradient
     * @param inPlace cotangents written in place vs the VJP rule's ({@link Primitive.CotangentInPlace}), worst input
     *     and layout; 0 when the primitive writes none
     * @param withValue output and tangent in one vs the forward and the JVP rule ({@link Primitive.TangentWithValue}),
     *     worst case; 0 when the primitive computes none
     */
    public record Report(String primitive, double jvp, double jvpOneInput, double vjp, double adjoint, double hvp,
            double inPlace, double withValue) {

        /**
         * This report, if every finite-difference check is below {@code fdTolerance} and the adjoint identity
         * below {@code adjointTolerance}; otherwise an {@link AssertionError} naming the failed checks.
         */
        public Report requireBelow(double fdTolerance, double adjointTolerance) {
            StringBuilder failed = new StringBuilder();
            fail(failed, "JVP vs finite differences", jvp, fdTolerance);
            fail(failed, "JVP along one input vs finite differences", jvpOneInput, fdTolerance);
            fail(failed, "VJP vs finite differences", vjp, fdTolerance);
            fail(failed, "adjoint identity", adjoint, adjointTolerance);
            fail(failed, "HVP vs finite differences of the gradient", hvp, fdTolerance);
            fail(failed, "cotangent in place vs the VJP rule", inPlace, adjointTolerance);
            fail(failed, "output and tangent in one vs the forward and the JVP rule", withValue, adjointTolerance);
            if (!failed.isEmpty()) {
                throw new AssertionError("primitive " + primitive + ":" + failed);
            }
            return this;
        }

        private static void fail(StringBuilder b, String what, double err, double tol) {
            if (!(err < tol)) { // NaN fails too
                b.append(' ').append(what).append(" error ").append(err).append(" (tolerance ").append(tol)
                        .append(')');
            }
        }
    }

    /**
     * Checks {@code p} at inputs {@code x} (float64), drawing the directions and cotangents from {@code rnd}.
     *
     * @throws IllegalStateException if a rule returns a tangent or cotangent of the wrong shape
     */
    public static Report check(Primitive p, Var[] x, SplittableRandom rnd) {
        for (Var xi : x) {
            if (xi.dtype() != DType.F64) {
                throw new IllegalArgumentException("the checker needs float64 inputs, got " + xi.dtype()
                        + " (finite differences in float32 are too coarse)");
            }
        }
        Function<Var[], Var> f = a -> Trace.bind(p, a);
        Var y = f.apply(x);
        Var[] v = new Var[x.length];
        for (int i = 0; i < x.length; i++) {
            v[i] = normal(rnd, x[i].shape());
        }
        Var u = normal(rnd, y.shape());

        Var jv = Autodiff.jvpN(a -> new Var[] {f.apply(a)}, x, v)[1][0];
        requireShape(p, "JVP", jv, y.shape());
        double eJvp = relErr(flat(jv), fdDirectional(a -> flat(f.apply(a)), x, v));

        double eOne = 0;
        if (x.length > 1) {
            for (int i = 0; i < x.length; i++) {
                Var[] only = new Var[x.length];
                Var[] dense = new Var[x.length];
                for (int j = 0; j < x.length; j++) {
                    only[j] = j == i ? v[j] : null;
                    dense[j] = j == i ? v[j] : Var.of(Tensor.zeros(DType.F64, x[j].shape()));
                }
                Var ji = Autodiff.jvpN(a -> new Var[] {f.apply(a)}, x, only)[1][0];
                requireShape(p, "JVP along input " + i, ji, y.shape());
                eOne = Math.max(eOne, relErr(flat(ji), fdDirectional(a -> flat(f.apply(a)), x, dense)));
            }
        }

        Var[] jtu = Autodiff.vjpN(f, x).pullback().apply(u);
        double eVjp = 0;
        for (int i = 0; i < x.length; i++) {
            requireShape(p, "VJP of input " + i, jtu[i], x[i].shape());
            int n = (int) x[i].value().size();
            double[] fd = new double[n];
            for (int k = 0; k < n; k++) {
                Var[] e = new Var[x.length];
                for (int j = 0; j < x.length; j++) {
                    double[] ek = new double[(int) x[j].value().size()];
                    if (j == i) {
                        ek[k] = 1;
                    }
                    e[j] = Var.of(Tensor.of(DType.F64, ek, x[j].shape()));
                }
                fd[k] = fdDirectional(a -> new double[] {dot(u, f.apply(a))}, x, e)[0];
            }
            eVjp = Math.max(eVjp, relErr(flat(jtu[i]), fd));
        }

        double lhs = dot(u, jv);
        double rhs = 0;
        for (int i = 0; i < x.length; i++) {
            rhs += dot(jtu[i], v[i]);
        }
        double eAdj = Math.abs(lhs - rhs) / (1 + Math.abs(lhs));

        Var w = normal(rnd, y.shape());
        Function<Var[], Var> scalar = a -> {
            Var out = f.apply(a);
            return out.mul(w).sum().add(out.square().sum().scale(0.5));
        };
        Var[] hv = Autodiff.hvpN(scalar, x, v);
        double eHvp = relErr(flat(hv), fdDirectional(a -> flat(Autodiff.gradN(scalar, a)), x, v));
        double eInPlace = p instanceof Primitive.CotangentInPlace c ? inPlaceError(c, x, y, u, jtu, rnd) : 0;
        double eWith = p instanceof Primitive.TangentWithValue tv ? withValueError(p, tv, x, rnd) : 0;
        return new Report(p.name(), eJvp, eOne, eVjp, eAdj, eHvp, eInPlace, eWith);
    }

    /**
     * The worst error of the output and tangent {@code f} computes in one against {@code p}'s forward and its JVP
     * rule (run direction by direction): tangents on each input alone and on every input but the first, with no
     * direction axis and with one of three directions, the inputs as given and with every matrix in column-major
     * layout (a transposed view). Combinations it declines are skipped.
     */
    private static double withValueError(Primitive p, Primitive.TangentWithValue f, Var[] x, SplittableRandom rnd) {
        double err = 0;
        int n = x.length;
        for (boolean columnMajor : new boolean[] {false, true}) {
            Tensor[] xs = new Tensor[n];
            Var[] primals = new Var[n];
            for (int i = 0; i < n; i++) {
                Tensor v = x[i].value();
                xs[i] = columnMajor && v.rank() == 2 ? v.transpose(0, 1).contiguous().transpose(0, 1) : v;
                primals[i] = Var.of(xs[i]);
            }
            Tensor want = p.forward(xs);
            for (int mask = 1; mask < 1 << n; mask++) {
                if (Integer.bitCount(mask) != 1 && mask != (1 << n) - 2) {
                    continue;
                }
                for (int k : new int[] {0, 3}) {
                    int[] batch = k == 0 ? new int[0] : new int[] {k};
                    Tensor[] t = new Tensor[n];
                    for (int i = 0; i < n; i++) {
                        t[i] = (mask >> i & 1) == 0 ? null
                                : Tensor.normal(DType.F64, rnd, Trace.concat(batch, xs[i].shape()));
                    }
                    Tensor[] r = f.forwardWithTangent(xs, t, batch);
                    if (r == null) {
                        continue;
                    }
                    err = Math.max(err, relErr(r[0].toDoubleArray(), want.toDoubleArray()));
                    for (int d = 0; d < Math.max(k, 1); d++) {
                        Var[] td = new Var[n];
                        for (int i = 0; i < n; i++) {
                            td[i] = t[i] == null ? null : Var.of(k == 0 ? t[i] : t[i].select(0, d));
                        }
                        Tensor got = k == 0 ? r[1] : r[1].select(0, d);
                        Tensor rule = p.jvp(primals, td, Var.of(want)).value().expand(got.shape());
                        err = Math.max(err, relErr(got.toDoubleArray(), rule.toDoubleArray()));
                    }
                }
            }
        }
        return err;
    }

    /**
     * The worst error of the cotangents {@code c} writes in place for output cotangent {@code u}, against the VJP
     * rule's {@code jtu}: into a contiguous buffer and (for a matrix) the transpose of one, overwriting random
     * contents and added onto them. Layouts the primitive declines are skipped.
     */
    private static double inPlaceError(Primitive.CotangentInPlace c, Var[] x, Var y, Var u, Var[] jtu,
            SplittableRandom rnd) {
        Tensor[] xs = new Tensor[x.length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = x[i].value();
        }
        double err = 0;
        for (int i = 0; i < x.length; i++) {
            int[] sh = x[i].shape();
            for (boolean transposed : sh.length == 2 ? new boolean[] {false, true} : new boolean[] {false}) {
                Tensor base = Tensor.normal(DType.F64, rnd, transposed ? new int[] {sh[1], sh[0]} : sh);
                Tensor into = transposed ? base.transpose(0, 1) : base;
                double[] before = into.toDoubleArray();
                if (!c.vjpInto(i, u.value(), xs, y.value(), into, true)) {
                    continue;
                }
                double[] want = jtu[i].value().toDoubleArray();
                double[] added = new double[want.length];
                for (int k = 0; k < added.length; k++) {
                    added[k] = before[k] + want[k];
                }
                err = Math.max(err, relErr(into.toDoubleArray(), added));
                TensorOps.assign(base, Tensor.normal(DType.F64, rnd, base.shape()));
                if (!c.vjpInto(i, u.value(), xs, y.value(), into, false)) {
                    return Double.NaN; // it wrote onto the buffer but declines to overwrite it
                }
                err = Math.max(err, relErr(into.toDoubleArray(), want));
            }
        }
        return err;
    }

    private static void requireShape(Primitive p, String what, Var got, int[] want) {
        if (!Arrays.equals(got.shape(), want)) {
            throw new IllegalStateException("primitive " + p.name() + ": " + what + " has shape "
                    + Arrays.toString(got.shape()) + ", expected " + Arrays.toString(want));
        }
    }

    // ------------------------------------------------------------------ numerics (shared with the engine's tests)

    static Var normal(SplittableRandom rnd, int... shape) {
        return Var.of(Tensor.normal(DType.F64, rnd, shape));
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

    /** max |a - b| / (1 + max |b|). */
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
        double[] p = f.apply(axpy(x, STEP, v));
        double[] m = f.apply(axpy(x, -STEP, v));
        double[] d = new double[p.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (p[i] - m[i]) / (2 * STEP);
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
