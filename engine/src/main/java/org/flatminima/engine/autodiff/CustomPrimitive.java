package org.flatminima.engine.autodiff;

/**
 * The door for primitives defined outside the engine: {@link Primitive} is sealed (the engine's own primitives
 * are listed there), and this non-sealed sub-interface is the one place code in another package may implement
 * it. A custom primitive is written exactly like a built-in one: {@link #name}, {@link #forward} on raw tensors,
 * and its rules, either explicit ({@link #jvp}, {@link #vjp}) or derived from a marker such as
 * {@link Primitive.Elementwise}. Rules must be written in differentiable {@link Var} operations (or other
 * primitives) so that forward-over-reverse Hessian-vector products stay correct.
 *
 * <p>{@link #apply} records it on whatever transformations are active, like {@link Var}'s own operations do;
 * {@link PrimitiveChecker#check} tests its rules against finite differences. A worked example (sine and cosine,
 * each the other's derivative) is {@code examples/.../CustomPrimitiveExample.java}.
 */
public non-sealed interface CustomPrimitive extends Primitive {

    /** This primitive applied to {@code inputs}, at the level of the innermost active transformation. */
    default Var apply(Var... inputs) {
        return Trace.bind(this, inputs);
    }
}
