package org.flatminima.engine.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.FlatBuffer;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.BinaryOp;

/**
 * The cotangent of a flat vector that the differentiated function views as tensors (a model's parameters), written
 * in place during one backward pass: one buffer per such input of the reverse level, each view's cotangent written
 * into its range of it as it is computed, instead of every view's cotangent computed into a buffer of its own and
 * the pieces then copied into the flat cotangent ({@link ViewPrimitives.EmbedMany}).
 *
 * <p>A view's range is handed to the primitive that consumes the view (or its transpose, {@code W^T} of a linear
 * layer) when that primitive can write the cotangent itself ({@link Primitive.CotangentInPlace}); any other
 * cotangent of a view is added into its range when the view's turn comes. The first write of a range overwrites
 * it, later ones add onto it; ranges nothing reached, and gaps between the views, are zeroed at the end. All of
 * this happens only on constants: for an input whose value is a tracer of an outer level (the parameters of a
 * Hessian-vector product, differentiated again) there is no buffer, and a cotangent that is a tracer is left to
 * the pieces of {@link Trace}'s usual assembly.
 */
final class FlatCotangents {

    /** One view's range of a flat cotangent: range {@code index} of {@code flat}. */
    private record Range(FlatBuffer flat, int index) {
        Tensor values() {
            return flat.range(index);
        }
    }

    private final Map<Trace.Node, FlatBuffer> flats = new IdentityHashMap<>(); // leaf node -> its cotangent
    private final Map<Trace.Node, Range> ranges = new IdentityHashMap<>(); // flat-view node -> its range

    private FlatCotangents() {
    }

    /**
     * The in-place cotangents for the leaves of a tape: those leaves that are constant vectors whose flat views on
     * the tape are disjoint (otherwise their cotangents are assembled as before). Null when there are none.
     */
    static FlatCotangents of(List<Trace.Node> tape, Var.RevTracer[] leaves) {
        Map<Trace.Node, List<Trace.Node>> views = new IdentityHashMap<>();
        for (Var.RevTracer leaf : leaves) {
            if (leaf.node.out instanceof Var.Const && leaf.node.out.rank() == 1) {
                views.put(leaf.node, new ArrayList<>());
            }
        }
        if (views.isEmpty()) {
            return null;
        }
        for (Trace.Node node : tape) {
            if (node.primitive instanceof ViewPrimitives.FlatView && node.parents.length == 1) {
                List<Trace.Node> of = views.get(node.parents[0]);
                if (of != null) {
                    of.add(node);
                }
            }
        }
        FlatCotangents fc = new FlatCotangents();
        for (Map.Entry<Trace.Node, List<Trace.Node>> e : views.entrySet()) {
            List<Trace.Node> vs = e.getValue();
            Tensor x = e.getKey().out.value();
            int[] offsets = new int[vs.size()];
            int[][] shapes = new int[vs.size()][];
            for (int i = 0; i < offsets.length; i++) {
                ViewPrimitives.FlatView fv = (ViewPrimitives.FlatView) vs.get(i).primitive;
                offsets[i] = fv.offset();
                shapes[i] = fv.shape();
            }
            if (vs.isEmpty() || !ViewPrimitives.EmbedMany.disjoint(offsets, shapes, x.dim(0))) {
                continue;
            }
            FlatBuffer flat = new FlatBuffer(x.dtype(), x.dim(0), offsets, shapes);
            for (int i = 0; i < offsets.length; i++) {
                fc.ranges.put(vs.get(i), new Range(flat, i));
            }
            fc.flats.put(e.getKey(), flat);
        }
        return fc.flats.isEmpty() ? null : fc;
    }

    /**
     * Lets {@code node}'s primitive ({@code primitive}: the node's, or the inner one of an
     * {@link Primitive.Epilogue}, {@code g} then the inner output's cotangent) write the cotangents of those inputs
     * that are views with a range (or such a view transposed) straight into their ranges, when it can and every value
     * it reads is a constant; clears {@code needed[i]} for each input it wrote, so the VJP rule skips it.
     */
    void writeInPlace(Trace.Node node, Primitive primitive, Var g, boolean[] needed) {
        if (!(primitive instanceof Primitive.CotangentInPlace p) || !(g instanceof Var.Const)
                || !(node.out instanceof Var.Const)) {
            return;
        }
        Tensor[] x = new Tensor[node.primals.length];
        for (int i = 0; i < x.length; i++) {
            if (!(node.primals[i] instanceof Var.Const)) {
                return;
            }
            x[i] = node.primals[i].value();
        }
        for (int i = 0; i < x.length; i++) {
            if (!needed[i]) {
                continue;
            }
            Trace.Node parent = node.parents[i];
            Range r = ranges.get(parent);
            Tensor into = r == null ? null : r.values();
            if (r == null && parent.primitive instanceof ViewPrimitives.Permute perm
                    && Arrays.equals(perm.perm(), new int[] {1, 0})) {
                r = ranges.get(parent.parents[0]);
                into = r == null ? null : r.values().transpose(0, 1);
            }
            if (r != null && p.vjpInto(i, g.value(), x, node.out.value(), into, r.flat().written(r.index()))) {
                r.flat().markWritten(r.index());
                needed[i] = false;
            }
        }
    }

    /**
     * Adds the cotangent {@code g} of a flat-view node into its range, if it has one and {@code g} is a constant;
     * false otherwise (the caller assembles it as before).
     */
    boolean add(Trace.Node view, Var g) {
        Range r = ranges.get(view);
        if (r == null || !(g instanceof Var.Const)) {
            return false;
        }
        if (r.flat().written(r.index())) {
            TensorOps.assignBinary(r.values(), BinaryOp.ADD, r.values(), g.value());
        } else {
            TensorOps.assign(r.values(), g.value());
            r.flat().markWritten(r.index());
        }
        return true;
    }

    /**
     * The in-place cotangent of leaf {@code node} ({@link FlatBuffer#finish}: what no range holds is zero); null
     * when nothing was written into it (the leaf has no buffer, or its cotangent is zero or assembled elsewhere).
     */
    Var finish(Trace.Node node) {
        FlatBuffer f = flats.remove(node);
        return f == null || !f.anyWritten() ? null : Var.of(f.finish());
    }
}
