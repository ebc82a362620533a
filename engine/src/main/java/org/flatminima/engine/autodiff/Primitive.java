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
 *       outer levels); {@code out} is the primal output computed from them, carrying the residuals of a
 *       {@link WithResiduals} primitive's forward.</li>
 *   <li>A {@code null} tangent or cotangent is a symbolic zero: rules skip it and may return {@code null}.</li>
 *   <li>A rule may return a tangent or a cotangent of a broadcast shape only for a {@link Broadcasting}
 *       primitive; the reduction back to each input's shape happens once, centrally, in the tracer code.</li>
 * </ul>
 *
 * <p>Structure is declared with marker interfaces, from which the default methods derive rules:
 * {@link LinearUnary} (the JVP is the primitive applied to the tangent), {@link Elementwise} (both rules follow
 * from the derivative {@code f'(x)}) and {@link Bilinear} (the JVP is the sum of the two partial applications).
 * A primitive with neither a derived nor an explicit rule fails with its name.
 *
 * <p>Registering a primitive is declaring it: each primitive is a record in one of the six family files
 * ({@link ElementwisePrimitives}, {@link ViewPrimitives}, {@link ReductionPrimitives}, {@link ProductPrimitives},
 * {@link ConvPrimitives}, {@link PoolingPrimitives}), each a sealed interface without a {@code permits} clause, which Java then
 * completes with exactly the records declared in that file. The generic checker walks this hierarchy.
 */
public sealed interface Primitive permits ElementwisePrimitives, ViewPrimitives, ReductionPrimitives,
        ProductPrimitives, ConvPrimitives, PoolingPrimitives, CustomPrimitive {

    /** The primitive's name in error messages, e.g. {@code "matmul"}. */
    String name();

    /**
     * The forward computation on raw tensors (through {@link org.flatminima.engine.TensorOps} or
     * {@link org.flatminima.engine.ImageOps} and the backend).
     */
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
     * A primitive whose forward keeps residuals for its rules: what the forward computed anyway and the rules
     * would otherwise compute again (max pooling's routing, an argmax mask, softmax probabilities). {@link Trace}
     * calls {@link #forwardWithResiduals} and keeps the residuals with the output; a rule reads them back from
     * its {@code out} argument with {@link #residuals}, at any level (a tracer's residuals are those of its
     * innermost primal, the one this forward computed).
     *
     * <p>Two kinds of residual, and why forward-over-reverse stays exact with each:
     * <ul>
     *   <li>A residual that is locally constant in the inputs (integer routing, a 0/1 mask) is plain data: its
     *       derivative is zero almost everywhere, so using it as a constant at every level is exact.</li>
     *   <li>A residual that is a differentiable function of the inputs (softmax probabilities p(z)) must not be
     *       a constant at a level where z is a tracer: the JVP of the VJP needs dp. The rule re-enters it into
     *       the trace with {@link Trace#bindKnown}, as the output of the primitive that defines it, applied to
     *       the rule's own primal input: the value is not computed again, and at every level its tangent or
     *       cotangent comes from that primitive's checked rules (for p, softmax's).</li>
     * </ul>
     *
     * @param <R> the residuals' type
     */
    interface WithResiduals<R> {
        /** The forward computation: the output, and the residuals the rules read back with {@link #residuals}. */
        Forward<R> forwardWithResiduals(Tensor... in);

        /** The residuals kept by the forward computation of {@code out}, an output of this primitive. */
        @SuppressWarnings("unchecked")
        default R residuals(Var out) {
            Object r = out.residuals();
            if (r == null) {
                throw new IllegalStateException("primitive " + ((Primitive) this).name()
                        + ": its output carries no residuals (it was not computed by Trace.bind)");
            }
            return (R) r;
        }
    }

    /** What a forward with residuals returns: the output and the residuals. */
    record Forward<R>(Tensor out, R residuals) {
    }

    /**
     * A primitive that can write an input's cotangent straight into a buffer it is given, instead of returning a
     * new tensor. {@link Trace}'s backward pass gives it, for a parameter tensor that is a view of the flat vector
     * being differentiated (or that view transposed), that tensor's range of the flat cotangent, so the flat
     * cotangent is not assembled afterwards by copying every piece ({@link FlatCotangents}). It is the VJP rule's
     * computation for that input on raw tensors, and runs only when the cotangent and every primal are constants
     * (no outer level sees it); the generic checker compares the two.
     */
    interface CotangentInPlace {
        /**
         * Writes ({@code accumulate} false) or adds the cotangent of input {@code i}, for output cotangent
         * {@code g}, into {@code into}, a tensor of input i's shape; returns false, having written nothing, when it
         * cannot for this input or layout (the VJP rule then computes that cotangent).
         */
        boolean vjpInto(int i, Tensor g, Tensor[] primals, Tensor out, Tensor into, boolean accumulate);
    }

    /**
     * A primitive whose output and tangent can come from one computation, cheaper than its forward and then its
     * JVP rule: a product {@code a @ b} where only b moves, whose two products would each read all of a
     * ({@link ProductPrimitives.MatMul}, {@link ProductPrimitives.MatMulAdd}). {@link Trace} calls it at a JVP
     * level when every primal and tangent is a constant (no other level sees the computation, so it need not be
     * differentiable), before it would run the forward and the rule; the generic checker compares the two. It is
     * the forward and the JVP rule's computation on raw tensors, as {@link CotangentInPlace} is the VJP rule's.
     */
    interface TangentWithValue {
        /**
         * {@code {output, tangent}} for raw {@code primals} and {@code tangents} (null for a zero; each other one of
         * shape {@code batch ++} its primal's, {@code batch} the level's direction axes), the tangent of shape
         * {@code batch ++} the output's; or null, having computed nothing, when it cannot for these inputs (the
         * forward and the JVP rule then run).
         */
        Tensor[] forwardWithTangent(Tensor[] primals, Tensor[] tangents, int[] batch);
    }

    /**
     * A primitive that is another, its {@link #inner} one, with a map applied to the inner output in the same
     * computation, whose derivative is read from the output and its residuals alone: {@code y = f(inner(x))} (a linear
     * layer and its ReLU, {@link ProductPrimitives.MatMulAddRelu}). Its VJP is the inner primitive's on the cotangent of the
     * inner output, {@link #innerCotangent}; {@link Trace}'s backward pass computes that once and gives it to the
     * inner primitive's in-place writes ({@link CotangentInPlace}) and VJP rule alike, as if the inner primitive had
     * been bound and the map after it. The primitive's own VJP rule must be that composition (the generic checker
     * checks it as any other), and the inner primitive's rules must not read their {@code out} argument: they are
     * given the map's output.
     */
    interface Epilogue {
        /** The primitive whose output the map is applied to (its VJP rule and in-place writes are used). */
        Primitive inner();

        /** The cotangent of the inner output for output cotangent {@code g}, from the output {@code out}. */
        Var innerCotangent(Var g, Var out);
    }

    /**
     * A primitive whose inputs broadcast against each other (NumPy rules); cotangents are summed back to each
     * input's shape and tangents expanded to the output's shape, in one central place ({@link Trace}).
     */
    interface Broadcasting {
    }
}
