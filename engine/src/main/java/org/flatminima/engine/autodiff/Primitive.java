package org.flatminima.engine.autodiff;

import org.flatminima.engine.Tensor;

/**
 * One differentiable operation, defined once: its forward computation on raw tensors, its JVP rule (tangent out
 * from tangents in) and its VJP rule (cotangents in from the cotangent out).
 *
 * <p>Both rules are written with differentiable {@link Var} operations, never with raw kernels, so they can
 * themselves be differentiated: running a VJP rule on JVP tracers is what makes forward-over-reverse
 * Hessian-vector products work without any Hessian-specific code.
 *
 * <p>Conventions for the rules:
 * <ul>
 *   <li>{@code primals} are the inputs with this transformation's level removed (they may still be tracers of
 *       outer levels); {@code out} is the primal output computed from them.</li>
 *   <li>A {@code null} tangent or cotangent is a symbolic zero: rules skip it and may return {@code null}.</li>
 *   <li>A rule may return a tangent or a cotangent of a broadcast shape only for a {@link Broadcasting}
 *       primitive; the reduction back to each input's shape happens once, centrally, in the tracer code.</li>
 * </ul>
 *
 * <p>Structure is declared with marker interfaces, from which the default methods derive rules:
 * {@link LinearUnary} (the JVP is the primitive applied to the tangent), {@link Elementwise} (both rules follow
 * from the derivative {@code f'(x)}) and {@link Bilinear} (the JVP is the sum of the two partial applications).
 * A primitive with neither a derived nor an explicit rule fails with its name.
 */
public sealed interface Primitive permits Primitives.Add, Primitives.Sub, Primitives.Mul, Primitives.Div,
        Primitives.Neg, Primitives.Scale, Primitives.Square, Primitives.Sqrt, Primitives.Exp, Primitives.Log,
        Primitives.Pow, Primitives.Relu, Primitives.LeakyRelu, Primitives.Tanh, Primitives.Sigmoid,
        Primitives.Softplus, Primitives.MatMul, Primitives.Permute, Primitives.Reshape, Primitives.FlatView,
        Primitives.Embed, Primitives.EmbedMany, Primitives.Expand, Primitives.SumTo, Primitives.Sum, Primitives.Max,
        Primitives.Gather, Primitives.Scatter, Primitives.Softmax, Primitives.LogSoftmax,
        Primitives.SoftmaxCrossEntropy,
        Primitives.Conv2d, Primitives.Conv2dInputGrad, Primitives.Conv2dWeightGrad, Primitives.MaxPool2d,
        Primitives.MaxPool2dGather, Primitives.MaxPool2dScatter, Primitives.AvgPool2d, Primitives.AvgPool2dBackward,
        CustomPrimitive {

    /** The primitive's name in error messages, e.g. {@code "matmul"}. */
    String name();

    /** The forward computation on raw tensors (through {@link org.flatminima.engine.TensorOps} and the backend). */
    Tensor forward(Tensor... in);

    /**
     * The output tangent; {@code tangents[i] == null} is a zero tangent, and at least one is non-null. Returns
     * {@code null} for a zero tangent.
     */
    default Var jvp(Var[] primals, Var[] tangents, Var out) {
        if (this instanceof LinearUnary l) {
            return l.applyToTangent(tangents[0], primals[0]);
        }
        if (this instanceof Elementwise e) {
            return tangents[0].mul(e.derivative(primals[0], out));
        }
        if (this instanceof Bilinear) {
            Var a = tangents[0] == null ? null : Trace.bind(this, tangents[0], primals[1]);
            Var b = tangents[1] == null ? null : Trace.bind(this, primals[0], tangents[1]);
            return a == null ? b : b == null ? a : a.add(b);
        }
        throw new UnsupportedOperationException("primitive " + name() + " has no JVP rule");
    }

    /**
     * {@link #vjp(Var, Var[], Var)} when only some inputs need a cotangent ({@code needed[i]} false: input i is a
     * constant at this level, its cotangent is discarded). A primitive whose cotangents are expensive (a matrix
     * product per input) overrides this to skip the unneeded ones and return null for them; the default
     * computes all.
     */
    default Var[] vjp(Var ct, Var[] primals, Var out, boolean[] needed) {
        return vjp(ct, primals, out);
    }

    /** The input cotangents ({@code null} for a zero) from the output cotangent {@code ct} (never null). */
    default Var[] vjp(Var ct, Var[] primals, Var out) {
        if (this instanceof Elementwise e) {
            return new Var[] {ct.mul(e.derivative(primals[0], out))};
        }
        throw new UnsupportedOperationException("primitive " + name() + " has no VJP rule");
    }

    /**
     * A one-input primitive that is linear in its input: its JVP is itself applied to the tangent. A tangent may
     * carry leading direction axes ({@code t.rank() - x.rank()} of them, see batched directions in
     * {@link Autodiff}); a primitive that acts on shapes or axes overrides {@link #applyToTangent} to apply
     * itself over those axes (an elementwise linear map needs nothing).
     */
    interface LinearUnary {
        /** This linear map applied to tangent {@code t} of primal input {@code x} (t may have leading axes). */
        default Var applyToTangent(Var t, Var x) {
            return Trace.bind((Primitive) this, t);
        }
    }

    /** A one-input elementwise primitive {@code y = f(x)}: both rules follow from {@code f'(x)}. */
    interface Elementwise {
        /** {@code f'(x)} as a differentiable expression of the input {@code x} and the output {@code y}. */
        Var derivative(Var x, Var y);
    }

    /**
     * A two-input primitive linear in each input separately (mul, matmul): the JVP is
     * {@code p(da, b) + p(a, db)}. The VJP (the transposes of the two partial maps) is explicit.
     */
    interface Bilinear {
    }

    /**
     * A primitive whose inputs broadcast against each other (NumPy rules); cotangents are summed back to each
     * input's shape and tangents expanded to the output's shape, in one central place ({@link Trace}).
     */
    interface Broadcasting {
    }
}
