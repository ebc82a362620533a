package org.flatminima.engine.autodiff;

import java.util.function.Function;
import org.flatminima.engine.Tensor;

/**
 * The transformations: {@link #grad}, {@link #valueAndGrad}, {@link #vjp}, {@link #jvp}, {@link #hvp} and a
 * dense {@link #hessian}. Each call opens a fresh {@link Level}, so they nest freely (a function passed to one
 * may call another) without confusing their perturbations.
 *
 * <p>The single-input forms take a function of one {@code Var} (typically a flat parameter vector whose layers
 * take {@link Var#view views}); the {@code N}-suffixed forms take several inputs.
 */
public final class Autodiff {
    private Autodiff() {
    }

    /** A value and its gradient with respect to the input. */
    public record ValueAndGrad(Var value, Var grad) {
    }

    /** A value and its tangent along the given direction. */
    public record ValueAndTangent(Var value, Var tangent) {
    }

    /** A value and its pullback {@code ct -> J^T ct} (one cotangent per input). */
    public record Pullback(Var value, Function<Var, Var[]> pullback) {
    }

    // ------------------------------------------------------------------ reverse mode

    /**
     * Records {@code f} on a fresh reverse level and returns its value with a pullback. The pullback may be
     * called any number of times, with a cotangent of the value's shape.
     */
    public static Pullback vjpN(Function<Var[], Var> f, Var... xs) {
        Level level = new Level(Level.Kind.REVERSE);
        Var.RevTracer[] leaves = new Var.RevTracer[xs.length];
        Var out;
        try {
            for (int i = 0; i < xs.length; i++) {
                leaves[i] = Trace.leaf(level, xs[i]);
            }
            out = f.apply(leaves.clone());
        } finally {
            level.active = false;
        }
        Var primal = out instanceof Var.RevTracer t && t.level == level ? t.primal : out;
        Function<Var, Var[]> pb = ct -> {
            if (!java.util.Arrays.equals(ct.shape(), primal.shape())) {
                throw new IllegalArgumentException("cotangent of shape " + java.util.Arrays.toString(ct.shape())
                        + " for a value of shape " + java.util.Arrays.toString(primal.shape()));
            }
            Var[] g = Trace.backward(level, out, ct, leaves);
            for (int i = 0; i < g.length; i++) {
                if (g[i] == null) {
                    g[i] = Var.of(Tensor.zeros(xs[i].dtype(), xs[i].shape()));
                }
            }
            return g;
        };
        return new Pullback(primal, pb);
    }

    /** {@link #vjpN} for a function of one input. */
    public static Pullback vjp(Function<Var, Var> f, Var x) {
        return vjpN(v -> f.apply(v[0]), x);
    }

    /** The gradients of a one-element function with respect to each input. */
    public static Var[] gradN(Function<Var[], Var> f, Var... xs) {
        return valueAndGradN(f, xs).grads();
    }

    /** Values and gradients of several inputs. */
    public record ValueAndGrads(Var value, Var[] grads) {
    }

    /** The value of a one-element function and its gradient with respect to each input. */
    public static ValueAndGrads valueAndGradN(Function<Var[], Var> f, Var... xs) {
        Pullback p = vjpN(f, xs);
        if (p.value().value().size() != 1) {
            throw new IllegalArgumentException("grad needs a function with one-element output, got shape "
                    + java.util.Arrays.toString(p.value().shape()) + "; use vjp for other outputs");
        }
        Var seed = Var.of(Tensor.full(p.value().dtype(), 1.0, p.value().shape()));
        return new ValueAndGrads(p.value(), p.pullback().apply(seed));
    }

    /** {@link #valueAndGradN} for one input. */
    public static ValueAndGrad valueAndGrad(Function<Var, Var> f, Var x) {
        ValueAndGrads r = valueAndGradN(v -> f.apply(v[0]), x);
        return new ValueAndGrad(r.value(), r.grads()[0]);
    }

    /** The gradient of a one-element function of one input. */
    public static Var grad(Function<Var, Var> f, Var x) {
        return valueAndGrad(f, x).grad();
    }

    // ------------------------------------------------------------------ forward mode

    /**
     * Evaluates {@code f} at {@code xs} on a fresh forward level with tangents {@code vs} (same shapes; a null
     * entry is a zero tangent); returns the outputs and their tangents.
     */
    public static Var[][] jvpN(Function<Var[], Var[]> f, Var[] xs, Var[] vs) {
        return jvpLevel(f, xs, vs, new int[0]);
    }

    /**
     * {@link #jvpN} for {@code k} directions at once: each tangent has shape {@code [k, ...shape of its input]}
     * and each output tangent {@code [k, ...shape of its output]}. One primal pass; the k tangents travel
     * stacked, so linear maps become larger matrix products instead of k separate passes.
     */
    public static Var[][] jvpBatchN(Function<Var[], Var[]> f, Var[] xs, Var[] vs, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("a batch of directions needs k >= 1, got " + k);
        }
        return jvpLevel(f, xs, vs, new int[] {k});
    }

    private static Var[][] jvpLevel(Function<Var[], Var[]> f, Var[] xs, Var[] vs, int[] batch) {
        if (xs.length != vs.length) {
            throw new IllegalArgumentException(xs.length + " inputs but " + vs.length + " tangents");
        }
        Level level = new Level(Level.Kind.JVP, batch);
        Var[] outs;
        try {
            Var[] duals = new Var[xs.length];
            for (int i = 0; i < xs.length; i++) {
                int[] want = Trace.concat(batch, xs[i].shape());
                if (vs[i] != null && !java.util.Arrays.equals(vs[i].shape(), want)) {
                    throw new IllegalArgumentException("tangent " + i + " has shape "
                            + java.util.Arrays.toString(vs[i].shape()) + " but shape "
                            + java.util.Arrays.toString(want) + " is needed (input of shape "
                            + java.util.Arrays.toString(xs[i].shape())
                            + (batch.length > 0 ? ", " + batch[0] + " directions)" : ")"));
                }
                duals[i] = vs[i] == null ? xs[i] : new Var.JvpTracer(level, xs[i], vs[i]);
            }
            outs = f.apply(duals);
        } finally {
            level.active = false;
        }
        Var[] primals = new Var[outs.length];
        Var[] tangents = new Var[outs.length];
        for (int i = 0; i < outs.length; i++) {
            if (outs[i] instanceof Var.JvpTracer t && t.level == level) {
                primals[i] = t.primal;
                tangents[i] = t.tangent;
            } else {
                primals[i] = outs[i];
                tangents[i] = Var.of(Tensor.zeros(outs[i].dtype(), Trace.concat(batch, outs[i].shape())));
            }
        }
        return new Var[][] {primals, tangents};
    }

    /** The value of {@code f(x)} and its directional derivative {@code J v}. */
    public static ValueAndTangent jvp(Function<Var, Var> f, Var x, Var v) {
        Var[][] r = jvpN(a -> new Var[] {f.apply(a[0])}, new Var[] {x}, new Var[] {v});
        return new ValueAndTangent(r[0][0], r[1][0]);
    }

    // ------------------------------------------------------------------ second order

    /** Directions per batched pass when building a dense Hessian. */
    private static final int HESSIAN_BLOCK = 32;

    /**
     * The Hessian-vector product {@code H v} of a one-element function, forward-over-reverse: the tangent, along
     * {@code v}, of the gradient. Costs about one gradient with duals; no loop over parameters.
     */
    public static Var hvp(Function<Var, Var> f, Var theta, Var v) {
        return jvp(t -> grad(f, t), theta, v).tangent();
    }

    /**
     * {@code k} Hessian-vector products at once: {@code directions} is {@code [k, ...shape of theta]} and the
     * result {@code [k, ...]} holds {@code H v_i} in row i. One forward-over-reverse pass with the k tangents
     * stacked (the primal work is shared, the tangent work is done as larger matrix products).
     */
    public static Var hvpBatch(Function<Var, Var> f, Var theta, Var directions) {
        if (directions.rank() != theta.rank() + 1) {
            throw new IllegalArgumentException("directions must have shape [k, "
                    + java.util.Arrays.toString(theta.shape()).substring(1) + ", got "
                    + java.util.Arrays.toString(directions.shape()));
        }
        int k = directions.dim(0);
        return jvpBatchN(a -> new Var[] {grad(f, a[0])}, new Var[] {theta}, new Var[] {directions}, k)[1][0];
    }

    /** {@link #hvp} for several inputs: {@code H v} blockwise, one block per input. */
    public static Var[] hvpN(Function<Var[], Var> f, Var[] xs, Var[] vs) {
        return jvpN(a -> gradN(f, a), xs, vs)[1];
    }

    /**
     * The dense Hessian {@code [P, P]} of a one-element function of a rank-1 input of size P, column by column
     * from P Hessian-vector products, computed 32 directions per batched pass (for small P only).
     */
    public static Tensor hessian(Function<Var, Var> f, Var theta) {
        if (theta.rank() != 1) {
            throw new IllegalArgumentException("hessian needs a rank-1 parameter vector, got shape "
                    + java.util.Arrays.toString(theta.shape()));
        }
        int p = theta.dim(0);
        double[] h = new double[p * p];
        for (int j0 = 0; j0 < p; j0 += HESSIAN_BLOCK) {
            int k = Math.min(HESSIAN_BLOCK, p - j0);
            double[] e = new double[k * p];
            for (int r = 0; r < k; r++) {
                e[r * p + j0 + r] = 1; // basis vectors e_{j0..j0+k-1}
            }
            double[] rows = hvpBatch(f, theta, Var.of(Tensor.of(theta.dtype(), e, k, p))).value().toDoubleArray();
            // row r is H e_{j0+r}, i.e. column j0+r of H (row j0+r too: H is symmetric, but copy as a column)
            for (int r = 0; r < k; r++) {
                for (int i = 0; i < p; i++) {
                    h[i * p + j0 + r] = rows[r * p + i];
                }
            }
        }
        return Tensor.of(theta.dtype(), h, p, p);
    }
}
