package org.flatminima.engine.autodiff;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import org.flatminima.engine.Tensor;

/**
 * The interpreter: {@link #bind} applies a primitive to values of any mix of levels, and {@link #backward} runs
 * a reverse level's tape. This is the only place that knows about levels, symbolic zeros and broadcasting of
 * derivatives.
 */
final class Trace {
    private Trace() {
    }

    /** A tape entry of a reverse level: a primitive applied to primals, and the nodes its inputs came from. */
    static final class Node {
        /** null for a leaf (an input of the differentiated function). */
        final Primitive primitive;
        /** The inputs with this level removed. */
        final Var[] primals;
        /** For each input, the node that produced it at this level, or null if it is a constant here. */
        final Node[] parents;
        /** The primal output. */
        final Var out;

        Node(Primitive primitive, Var[] primals, Node[] parents, Var out) {
            this.primitive = primitive;
            this.primals = primals;
            this.parents = parents;
            this.out = out;
        }
    }

    /**
     * Applies {@code p} to {@code in}: at the highest level among the inputs' tracers, or directly on the raw
     * tensors when there is none. Inputs of lower levels, and constants, are constants at that level.
     */
    static Var bind(Primitive p, Var... in) {
        return apply(p, null, false, in);
    }

    /**
     * {@link #bind} for an application whose primal output is already known: {@code known}, a residual that
     * another primitive's forward computed, equal to {@code p} applied to the raw values of {@code in} (softmax
     * probabilities kept by the cross-entropy). Nothing is computed on raw tensors; at each level the output's
     * tangent, or its tape node, is that of {@code p}, so the value is differentiable at every level exactly as
     * if {@code p} had been applied again. See {@link Primitive.WithResiduals}.
     */
    static Var bindKnown(Primitive p, Tensor known, Var... in) {
        if (p instanceof Primitive.WithResiduals<?>) {
            throw new IllegalArgumentException(p.name() + " keeps residuals, so its output alone cannot be known");
        }
        return apply(p, known, false, in);
    }

    /**
     * {@code nested}: called by this method for a level above, whose rules may read the residuals of the output;
     * a primitive applied to constants alone otherwise runs its plain {@link Primitive#forward}, with no residuals
     * (nothing can differentiate that application: the losses of a cross-entropy without its probabilities).
     */
    private static Var apply(Primitive p, Tensor known, boolean nested, Var... in) {
        Level top = null;
        for (Var v : in) {
            if (v == null) {
                throw new IllegalArgumentException(p.name() + ": an input is null");
            }
            Level l = v.level();
            if (l != null && (top == null || l.id > top.id)) {
                top = l;
            }
        }
        if (top == null) {
            Tensor[] raw = new Tensor[in.length];
            for (int i = 0; i < in.length; i++) {
                raw[i] = in[i].value();
            }
            if (known != null) {
                return new Var.Const(known);
            }
            if (nested && p instanceof Primitive.WithResiduals<?> w) {
                Primitive.Forward<?> f = w.forwardWithResiduals(raw);
                return new Var.Const(f.out(), f.residuals());
            }
            return new Var.Const(p.forward(raw));
        }
        if (!top.active) {
            throw new IllegalStateException("primitive " + p.name() + " got a tracer of " + top
                    + ", whose transformation has already returned (a tracer escaped, e.g. through a field)");
        }
        Var[] primals = new Var[in.length];
        if (top.kind == Level.Kind.JVP) {
            Var[] tangents = new Var[in.length];
            boolean any = false;
            for (int i = 0; i < in.length; i++) {
                if (in[i] instanceof Var.JvpTracer t && t.level == top) {
                    primals[i] = t.primal;
                    tangents[i] = t.tangent;
                    any |= t.tangent != null;
                } else {
                    primals[i] = in[i];
                }
            }
            if (any && known == null && p instanceof Primitive.TangentWithValue f) {
                Var fused = withTangent(f, top, primals, tangents);
                if (fused != null) {
                    return fused;
                }
            }
            Var out = apply(p, known, true, primals);
            if (!any) {
                return out; // every tangent is a symbolic zero: nothing to carry at this level
            }
            if (top.batch.length > 0 && p instanceof Primitive.Broadcasting) {
                liftTangents(top.batch, primals, tangents, out.rank());
            }
            Var tan = p.jvp(primals, tangents, out);
            int[] want = concat(top.batch, out.shape());
            if (tan != null && !Arrays.equals(tan.shape(), want)) {
                if (!(p instanceof Primitive.Broadcasting)) {
                    throw new IllegalStateException("JVP rule of " + p.name() + " returned shape "
                            + Arrays.toString(tan.shape()) + " for an output tangent of shape " + Arrays.toString(want));
                }
                tan = tan.expand(want);
            }
            return tan == null ? out : new Var.JvpTracer(top, out, tan);
        }
        Trace.Node[] parents = new Trace.Node[in.length];
        for (int i = 0; i < in.length; i++) {
            if (in[i] instanceof Var.RevTracer t && t.level == top) {
                primals[i] = t.primal;
                parents[i] = t.node;
            } else {
                primals[i] = in[i];
            }
        }
        Var out = apply(p, known, true, primals);
        Node node = new Node(p, primals, parents, out);
        top.tape.add(node);
        return new Var.RevTracer(top, out, node);
    }

    /**
     * The output and tangent of {@code f} in one computation ({@link Primitive.TangentWithValue}) when every primal
     * and tangent is a constant, else null.
     */
    private static Var withTangent(Primitive.TangentWithValue f, Level top, Var[] primals, Var[] tangents) {
        Tensor[] x = new Tensor[primals.length];
        Tensor[] t = new Tensor[tangents.length];
        for (int i = 0; i < x.length; i++) {
            if (primals[i].level() != null || tangents[i] != null && tangents[i].level() != null) {
                return null;
            }
            x[i] = primals[i].value();
            t[i] = tangents[i] == null ? null : tangents[i].value();
        }
        Tensor[] r = f.forwardWithTangent(x, t, top.batch);
        return r == null ? null : new Var.JvpTracer(top, new Var.Const(r[0]), new Var.Const(r[1]));
    }

    static int[] concat(int[] a, int[] b) {
        int[] s = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, s, a.length, b.length);
        return s;
    }

    /**
     * Batched directions meet broadcasting: a tangent {@code [k, ...s]} of an input that broadcasts against a
     * larger one must not have its direction axis aligned with a data axis. Inserting size-1 axes after the
     * direction axes (to the output's rank) makes NumPy's right-aligned rules line up again, so every
     * broadcasting rule works unchanged on batched tangents.
     */
    private static void liftTangents(int[] batch, Var[] primals, Var[] tangents, int outRank) {
        for (int i = 0; i < tangents.length; i++) {
            Var t = tangents[i];
            if (t == null || primals[i].rank() == outRank) {
                continue;
            }
            int[] xs = primals[i].shape();
            int[] lifted = new int[batch.length + outRank];
            Arrays.fill(lifted, 1);
            System.arraycopy(batch, 0, lifted, 0, batch.length);
            System.arraycopy(xs, 0, lifted, lifted.length - xs.length, xs.length);
            tangents[i] = t.reshape(lifted);
        }
    }

    /** Starts a function input at a reverse level: a leaf node on its tape. */
    static Var.RevTracer leaf(Level level, Var x) {
        Node n = new Node(null, new Var[0], new Node[0], x);
        level.tape.add(n);
        return new Var.RevTracer(level, x, n);
    }

    /**
     * Runs a reverse level's tape backwards from {@code out} with cotangent {@code seed}, and returns the
     * cotangent of each leaf (null for a symbolic zero). The VJP rules run with differentiable operations on
     * the recorded primals, so any outer level still in progress sees them.
     */
    static Var[] backward(Level level, Var out, Var seed, Var.RevTracer[] leaves) {
        Map<Node, Var> ct = new IdentityHashMap<>();
        // cotangents of flat views, per viewed node, assembled into one vector when that node's turn comes
        Map<Node, java.util.List<Piece>> pieces = new IdentityHashMap<>();
        // the cotangents of flat inputs' views written in place, where the values are constants
        FlatCotangents flat = FlatCotangents.of(level.tape, leaves);
        if (out instanceof Var.RevTracer t && t.level == level) {
            ct.put(t.node, seed);
        }
        for (int k = level.tape.size() - 1; k >= 0 && (!ct.isEmpty() || !pieces.isEmpty()); k--) {
            Node node = level.tape.get(k);
            assemble(node, ct, pieces);
            if (node.primitive == null) {
                continue; // a leaf: its cotangent stays in the map
            }
            Var g = ct.remove(node);
            if (g == null) {
                continue;
            }
            Primitive p = node.primitive;
            if (p instanceof ViewPrimitives.FlatView fv && node.parents[0] != null) {
                if (flat != null && flat.add(node, g)) {
                    continue;
                }
                pieces.computeIfAbsent(node.parents[0], n -> new java.util.ArrayList<>()).add(new Piece(fv, g));
                continue;
            }
            boolean[] needed = new boolean[node.parents.length];
            for (int i = 0; i < needed.length; i++) {
                needed[i] = node.parents[i] != null;
            }
            if (p instanceof Primitive.Epilogue e) { // the map's cotangent once, then the inner primitive's rules
                g = e.innerCotangent(g, node.out);
                p = e.inner();
            }
            if (flat != null) {
                flat.writeInPlace(node, p, g, needed);
            }
            Var[] gs = any(needed) ? p.vjp(g, node.primals, node.out, needed) : new Var[needed.length];
            if (gs.length != node.primals.length) {
                throw new IllegalStateException("VJP rule of " + p.name() + " returned " + gs.length
                        + " cotangents for " + node.primals.length + " inputs");
            }
            for (int i = 0; i < gs.length; i++) {
                Node parent = node.parents[i];
                Var gi = gs[i];
                if (parent == null || gi == null) {
                    continue;
                }
                int[] want = node.primals[i].shape();
                if (!Arrays.equals(gi.shape(), want)) {
                    if (!(p instanceof Primitive.Broadcasting)) {
                        throw new IllegalStateException("VJP rule of " + p.name() + " returned shape "
                                + Arrays.toString(gi.shape()) + " for input " + i + " of shape " + Arrays.toString(want));
                    }
                    gi = gi.sumTo(want); // the one place where broadcasting is undone
                }
                Var prev = ct.get(parent);
                ct.put(parent, prev == null ? gi : prev.add(gi));
            }
        }
        Var[] res = new Var[leaves.length];
        for (int i = 0; i < leaves.length; i++) {
            assemble(leaves[i].node, ct, pieces);
            res[i] = ct.get(leaves[i].node);
            Var inPlace = flat == null ? null : flat.finish(leaves[i].node);
            if (inPlace != null) {
                res[i] = res[i] == null ? inPlace : res[i].add(inPlace);
            }
        }
        return res;
    }

    private static boolean any(boolean[] b) {
        for (boolean x : b) {
            if (x) {
                return true;
            }
        }
        return false;
    }

    /** A flat view's cotangent waiting to be assembled into the cotangent of the viewed vector. */
    private record Piece(ViewPrimitives.FlatView view, Var g) {
    }

    /**
     * Adds the pending flat-view cotangents of {@code node} to its cotangent: with disjoint views (the parameter
     * tensors of a model) as one {@link ViewPrimitives.EmbedMany}, else view by view.
     */
    private static void assemble(Node node, Map<Node, Var> ct, Map<Node, java.util.List<Piece>> pieces) {
        java.util.List<Piece> ps = pieces.remove(node);
        if (ps == null) {
            return;
        }
        int length = node.out.dim(-1);
        int[] offsets = new int[ps.size()];
        int[][] shapes = new int[ps.size()][];
        Var[] gs = new Var[ps.size()];
        for (int i = 0; i < gs.length; i++) {
            offsets[i] = ps.get(i).view().offset();
            shapes[i] = ps.get(i).view().shape();
            gs[i] = ps.get(i).g();
        }
        Var sum;
        if (ViewPrimitives.EmbedMany.disjoint(offsets, shapes, length)) {
            sum = bind(new ViewPrimitives.EmbedMany(offsets, shapes, length), gs);
        } else {
            sum = null; // overlapping views: each one's own transpose, summed
            for (Piece piece : ps) {
                Var e = piece.view().vjp(piece.g(), new Var[] {node.out}, null)[0];
                sum = sum == null ? e : sum.add(e);
            }
        }
        Var prev = ct.get(node);
        ct.put(node, prev == null ? sum : prev.add(sum));
    }
}
