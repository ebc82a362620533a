package org.flatminima.examples;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.CustomPrimitive;
import org.flatminima.engine.autodiff.Primitive;
import org.flatminima.engine.autodiff.PrimitiveChecker;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;

/**
 * Adding an operation the engine does not have: sine and cosine as two new primitives, each the other's
 * derivative, checked with the engine's generic checker and then used in a Hessian-vector product.
 *
 * <p>A primitive outside the engine implements {@link CustomPrimitive}: a name, a forward computation on raw
 * tensors, and rules. For an elementwise {@code y = f(x)} the marker {@link Primitive.Elementwise} derives both
 * rules (JVP {@code t * f'(x)}, VJP {@code ct * f'(x)}) from {@code derivative}, which must itself be a
 * differentiable expression: here {@code sin' = cos} and {@code cos' = -sin} are the other primitive applied to
 * {@code x}, so the second derivative needed by a Hessian-vector product exists without more code. A primitive
 * that is not elementwise overrides {@code jvp} and {@code vjp} instead (see {@link Primitive}).
 *
 * <p>{@link PrimitiveChecker#check} then compares the rules with central finite differences in float64 (first
 * order, adjoint identity, and second order through forward-over-reverse). The forward here loops over a
 * {@code double[]} for clarity; a fast primitive would call a backend kernel.
 */
public final class CustomPrimitiveExample {
    private CustomPrimitiveExample() {
    }

    /** {@code y = sin(x)}, elementwise; {@code sin'(x) = cos(x)}. */
    public record Sin() implements CustomPrimitive, Primitive.Elementwise {
        @Override
        public String name() {
            return "sin";
        }

        @Override
        public Tensor forward(Tensor... in) {
            return map(in[0], Math::sin);
        }

        @Override
        public Var derivative(Var x, Var y) {
            return new Cos().apply(x);
        }
    }

    /** {@code y = cos(x)}, elementwise; {@code cos'(x) = -sin(x)}. */
    public record Cos() implements CustomPrimitive, Primitive.Elementwise {
        @Override
        public String name() {
            return "cos";
        }

        @Override
        public Tensor forward(Tensor... in) {
            return map(in[0], Math::cos);
        }

        @Override
        public Var derivative(Var x, Var y) {
            return new Sin().apply(x).neg();
        }
    }

    /** {@code f} applied to every element of {@code x}, as a new tensor of x's dtype and shape. */
    static Tensor map(Tensor x, DoubleUnaryOperator f) {
        double[] v = x.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(v[i]);
        }
        return Tensor.of(x.dtype(), v, x.shape());
    }

    /** The generic checker's report for {@code p} at random float64 inputs of shape {@code [3, 4]}. */
    public static PrimitiveChecker.Report check(Primitive p, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Var x = Var.of(Tensor.normal(DType.F64, rnd, 3, 4));
        return PrimitiveChecker.check(p, new Var[] {x}, rnd);
    }

    /** {@code H v} of {@code g(x) = sum(sin(x))}: forward-over-reverse through the new primitives. */
    public static double[] hvpOfSumOfSines(double[] x, double[] v) {
        Var xs = Var.of(Tensor.of(DType.F64, x, x.length));
        Var vs = Var.of(Tensor.of(DType.F64, v, v.length));
        return Autodiff.hvp(a -> new Sin().apply(a).sum(), xs, vs).value().toDoubleArray();
    }

    /** Checks both primitives (an AssertionError if a rule is wrong), then prints an HVP and its closed form. */
    public static void main(String[] args) {
        for (Primitive p : new Primitive[] {new Sin(), new Cos()}) {
            PrimitiveChecker.Report r = check(p, 1).requireBelow(1e-6, 1e-12);
            System.out.println(r);
        }
        double[] x = {0.0, 1.0, 2.0};
        double[] v = {1.0, 1.0, 1.0};
        double[] closed = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            closed[i] = -Math.sin(x[i]) * v[i]; // H = diag(-sin x)
        }
        System.out.println("hvp of sum(sin(x)) " + Arrays.toString(hvpOfSumOfSines(x, v)));
        System.out.println("  closed form      " + Arrays.toString(closed));
    }
}
