package org.flatminima.engine.optim;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;

/**
 * An optimiser of a flat parameter vector: one step maps the current parameters and the gradient of the loss
 * at them to new parameters.
 *
 * <p>{@link #step} is functional: it returns a new tensor and never changes {@code params} or {@code grad}.
 * The optimiser's own state (momentum, moment estimates) lives in GC-managed buffers that are updated in place,
 * so it survives any {@link org.flatminima.engine.Scope} the step runs in. The intended loop allocates every
 * temporary in a scope and keeps only the new parameters:
 * <pre>{@code
 * for (int t = 0; t < steps; t++) {
 *     opt.setLearningRate(schedule.lr(t));
 *     try (Scope s = Scope.open()) {
 *         Tensor g = gradient(params);        // temporaries live in s
 *         params = s.keep(opt.step(params, g));
 *     }                                       // everything else freed here
 * }
 * }</pre>
 * Each {@code s.keep} makes a GC-managed copy, and the previous parameters are reclaimed when the collector
 * runs (the engine requests a collection when GC-managed tensor memory passes its budget). For a footprint that
 * does not depend on the collector, keep the parameters in one tensor made outside the loop's scopes and use
 * {@link #stepInPlace} inside them.
 *
 * <p>Parameters and gradient must have the same shape and dtype (F32 or F64); the state takes them too. One
 * optimiser serves one parameter vector.
 */
public interface Optimizer {

    /**
     * One update: returns the new parameters (allocated in the current scope) and advances the step count.
     * {@code params} and {@code grad} are not modified.
     */
    Tensor step(Tensor params, Tensor grad);

    /** Number of steps taken so far (PyTorch's {@code state["step"]}); 0 before the first step. */
    long stepCount();

    /** The learning rate the next step uses. */
    double learningRate();

    /** Sets the learning rate of the following steps (schedules call this; the state is kept). */
    void setLearningRate(double lr);

    /** A copy of the state (GC-managed, independent of this optimiser) for checkpoints. */
    OptimizerState state();

    /**
     * Replaces the state with a copy of {@code state} (as saved by {@link #state()} of an optimiser of the same
     * kind); the next step continues exactly where the saved one would have. The learning rate is restored
     * too.
     */
    void loadState(OptimizerState state);

    /**
     * {@link #step} whose result overwrites {@code params} in place: the same values to the last bit, computed
     * into {@code params} (and the state) without the temporaries of the functional step where the optimiser
     * can. {@code params} must be contiguous and should outlive the current scope (made outside it). The step's
     * remaining temporaries go to the current scope as usual.
     */
    default void stepInPlace(Tensor params, Tensor grad) {
        TensorOps.assign(params, step(params, grad));
    }
}
