package org.flatminima.engine.autodiff;

import java.util.Arrays;

/**
 * Small helpers shared by the rules of the primitives (the {@code *Primitives} files): cotangent arrays, the
 * leading direction axes of batched tangents, moving axes, and stacking k directions into channels.
 */
final class Rules {
    private Rules() {
    }

    static Var[] cts(Var... v) {
        return v;
    }

    /**
     * Leading direction axes of tangent {@code t} of primal {@code x} (0 for a single direction, 1 when a
     * batch of directions is pushed through at once).
     */
    static int lead(Var t, Var x) {
        return t.rank() - x.rank();
    }

    static int[] leadDims(Var t, int lead) {
        return Arrays.copyOf(t.shape(), lead);
    }

    /** Moves axis {@code from} of v to position {@code to}, keeping the order of the others. */
    static Var moveAxis(Var v, int from, int to) {
        if (from == to) {
            return v;
        }
        int r = v.rank();
        int[] order = new int[r];
        java.util.List<Integer> rest = new java.util.ArrayList<>();
        for (int i = 0; i < r; i++) {
            if (i != from) {
                rest.add(i);
            }
        }
        rest.add(to, from);
        for (int i = 0; i < r; i++) {
            order[i] = rest.get(i);
        }
        return v.permute(order);
    }

    /** The number of directions of a tangent with one leading axis; more than one leading axis is refused. */
    static int directions(String op, Var t, Var x) {
        int l = lead(t, x);
        if (l != 1) {
            throw new UnsupportedOperationException(op + ": tangents with " + l + " leading direction axes");
        }
        return t.dim(0);
    }

    /**
     * An image tensor {@code [pre..., k*c, h, w]} whose channels stack k directions (direction-major) as
     * {@code [k, pre..., c, h, w]}.
     */
    static Var splitStackedChannels(Var r, int k) {
        int pre = r.rank() - 3;
        int[] split = Arrays.copyOf(r.shape(), r.rank() + 1);
        split[pre] = k;
        split[pre + 1] = r.dim(-3) / k;
        split[pre + 2] = r.dim(-2);
        split[pre + 3] = r.dim(-1);
        return moveAxis(r.reshape(split), pre, 0);
    }

    /**
     * {@code [k, out...]}: {@code call} on each direction {@code dt[i]} of a tangent with one leading direction axis
     * ({@code [k, ...]}, its primal of rank {@code rank}), one call per direction on a view of dt, assembled by one
     * {@link ViewPrimitives.EmbedMany}; each call gives {@code out}. For primitives whose inputs must keep their
     * shapes (a routing's, a sum over the batch), where a direction axis cannot fold into the batch.
     */
    static Var perDirection(String op, Var dt, int rank, int[] out, java.util.function.UnaryOperator<Var> call) {
        if (dt.rank() != rank + 1) {
            throw new UnsupportedOperationException(op + ": tangents with " + (dt.rank() - rank)
                    + " leading direction axes");
        }
        int k = dt.dim(0);
        int[] one = Arrays.copyOfRange(dt.shape(), 1, dt.rank());
        int m = Math.toIntExact(org.flatminima.kernels.Shapes.size(one));
        Var flat = dt.reshape(k * m);
        int size = Math.toIntExact(org.flatminima.kernels.Shapes.size(out));
        Var[] parts = new Var[k];
        int[] offsets = new int[k];
        int[][] shapes = new int[k][];
        for (int i = 0; i < k; i++) {
            parts[i] = call.apply(flat.view(i * m, one));
            offsets[i] = i * size;
            shapes[i] = out;
        }
        int[] all = new int[out.length + 1];
        all[0] = k;
        System.arraycopy(out, 0, all, 1, out.length);
        return Trace.bind(new ViewPrimitives.EmbedMany(offsets, shapes, k * size), parts).reshape(all);
    }

    static Var sum(Var a, Var b) {
        return a == null ? b : b == null ? a : a.add(b);
    }
}
