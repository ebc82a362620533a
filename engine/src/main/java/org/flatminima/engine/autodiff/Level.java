package org.flatminima.engine.autodiff;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One differentiation in progress: each {@code jvp}, {@code grad} or {@code vjp} call makes a fresh level with a
 * strictly larger id than every level before it, so a transformation nested inside another has the higher id.
 * A value is differentiated at a level only if it is a tracer of that very level; everything else is a
 * constant there. This is what makes perturbation confusion impossible.
 */
final class Level {
    private static final AtomicLong COUNTER = new AtomicLong();

    enum Kind { JVP, REVERSE }

    final long id = COUNTER.incrementAndGet();
    final Kind kind;
    /** Reverse levels only: the tape, nodes in creation order (a topological order). */
    final List<Trace.Node> tape;
    /**
     * Forward levels only: the leading "direction" axes every tangent of this level carries ({@code [k]} when
     * k directions are pushed through at once, empty for a single direction). A tangent of a primal of shape
     * {@code s} then has shape {@code batch ++ s}.
     */
    final int[] batch;
    /** False once the transformation's function has returned; using its tracers afterwards is an error. */
    boolean active = true;

    Level(Kind kind) {
        this(kind, new int[0]);
    }

    Level(Kind kind, int[] batch) {
        this.kind = kind;
        this.tape = kind == Kind.REVERSE ? new ArrayList<>() : null;
        this.batch = batch.clone();
    }

    @Override
    public String toString() {
        return (kind == Kind.JVP ? "jvp" : "reverse") + " level " + id;
    }
}
