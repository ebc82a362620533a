package org.flatminima.examples;

import java.util.Arrays;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;

/**
 * The three derivatives the engine is built around, of one small function: the gradient (reverse mode), a
 * Jacobian-vector product (forward mode) and a Hessian-vector product (forward-over-reverse).
 *
 * <p>The function is {@code f(x) = log(sum_i exp(x_i)) + ||x||^2 / 2}. Its derivatives have a closed form, which
 * {@link #main} prints next to the engine's numbers: with {@code p = softmax(x)},
 * <pre>
 *   grad f(x)  = p + x
 *   J_f(x) v   = (p + x) . v
 *   H(x) v     = p * v - p (p . v) + v        (elementwise product *, H = diag(p) - p p^T + I)
 * </pre>
 *
 * <p>What it teaches: a function is written once, with {@link Var} operations, as a {@code Function<Var, Var>};
 * {@link Autodiff} transforms it. Nothing in {@code f} knows about derivatives, and no Hessian-specific code
 * exists anywhere: {@code hvp} is the JVP of the gradient. Work in float64 when checking numbers.
 */
public final class Derivatives {
    private Derivatives() {
    }

    /** {@code f(x) = log(sum(exp(x))) + sum(x^2) / 2}, written with engine operations. */
    static final Function<Var, Var> F = x -> x.exp().sum().log().add(x.square().sum().scale(0.5));

    static Var vector(double... values) {
        return Var.of(Tensor.of(DType.F64, values, values.length));
    }

    /** {@code f(x)}. */
    public static double value(double[] x) {
        return F.apply(vector(x)).item();
    }

    /** The gradient {@code grad f(x)}, by reverse mode. */
    public static double[] gradient(double[] x) {
        return Autodiff.grad(F, vector(x)).value().toDoubleArray();
    }

    /** The directional derivative {@code J_f(x) v = grad f(x) . v}, by forward mode (no gradient is formed). */
    public static double jvp(double[] x, double[] v) {
        return Autodiff.jvp(F, vector(x), vector(v)).tangent().item();
    }

    /** The Hessian-vector product {@code H(x) v}, by forward-over-reverse (no Hessian is formed). */
    public static double[] hvp(double[] x, double[] v) {
        return Autodiff.hvp(F, vector(x), vector(v)).value().toDoubleArray();
    }

    /** Prints the engine's derivatives at a fixed point, each next to its closed form. */
    public static void main(String[] args) {
        double[] x = {0.5, -1.0, 2.0};
        double[] v = {1.0, 0.25, -0.5};
        double[] p = new double[x.length];
        double z = 0;
        for (int i = 0; i < x.length; i++) {
            p[i] = Math.exp(x[i]);
            z += p[i];
        }
        double pv = 0;
        double[] g = new double[x.length];
        double gv = 0;
        for (int i = 0; i < x.length; i++) {
            p[i] /= z;
            pv += p[i] * v[i];
            g[i] = p[i] + x[i];
            gv += g[i] * v[i];
        }
        double[] hv = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            hv[i] = p[i] * v[i] - p[i] * pv + v[i];
        }
        System.out.println("f(x) = log(sum(exp(x))) + |x|^2/2 at x = " + Arrays.toString(x) + ", v = "
                + Arrays.toString(v));
        System.out.println("value          " + value(x));
        System.out.println("gradient       " + Arrays.toString(gradient(x)));
        System.out.println("  closed form  " + Arrays.toString(g));
        System.out.println("jvp            " + jvp(x, v));
        System.out.println("  closed form  " + gv);
        System.out.println("hvp            " + Arrays.toString(hvp(x, v)));
        System.out.println("  closed form  " + Arrays.toString(hv));
    }
}
