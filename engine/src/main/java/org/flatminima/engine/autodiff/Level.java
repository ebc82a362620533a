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
    /** False once the transformation's function has returned; using its tracers afterwards is an error. */
    boolean active = true;

    Level(Kind kind) {
        this.kind = kind;
        this.tape = kind == Kind.REVERSE ? new ArrayList<>() : null;
    }

    @Override
    public String toString() {
        return (kind == Kind.JVP ? "jvp" : "reverse") + " level " + id;
    }
}
