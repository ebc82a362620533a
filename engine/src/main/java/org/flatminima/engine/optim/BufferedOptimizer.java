package org.flatminima.engine.optim;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.DType;

/**
 * What every optimiser here shares: the step count, the learning rate, and named state buffers, overwritten in
 * place, that live in the scope that was open when the optimiser was made ({@link Scope#enter}; freed when it
 * closes, as PyTorch frees an optimiser's state with the optimiser), or are GC-managed when none was. Make an
 * optimiser outside the scope of one step: inside, its state would be gone after that step.
 */
abstract class BufferedOptimizer implements Optimizer {

    private final List<String> bufferNames;
    private final Scope home = Scope.current();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private double lr;
    private long steps;

    BufferedOptimizer(double lr, String... bufferNames) {
        this.bufferNames = List.of(bufferNames);
        setLearningRate(lr);
    }

    @Override
    public final long stepCount() {
        return steps;
    }

    @Override
    public final double learningRate() {
        return lr;
    }

    @Override
    public final void setLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        this.lr = lr;
    }

    @Override
    public final Tensor step(Tensor params, Tensor grad) {
        check(params, grad);
        Tensor next = update(params, grad, steps + 1);
        steps++;
        return next;
    }

    /**
     * {@link #step} written into {@code params}: the same values to the last bit, through
     * {@link #updateInPlace}, which subclasses implement without the temporaries of the functional step.
     */
    @Override
    public final void stepInPlace(Tensor params, Tensor grad) {
        check(params, grad);
        if (!params.isContiguous()) {
            throw new IllegalArgumentException("stepInPlace needs contiguous parameters");
        }
        updateInPlace(params, grad, steps + 1);
        steps++;
    }

    private void check(Tensor params, Tensor grad) {
        if (params.dtype() != grad.dtype()) {
            throw new IllegalArgumentException("params are " + params.dtype().longName() + " but grad is "
                    + grad.dtype().longName());
        }
        if (params.dtype() != DType.F32 && params.dtype() != DType.F64) {
            throw new IllegalArgumentException("optimisers update F32 or F64 parameters, got "
                    + params.dtype().longName());
        }
        if (!params.sameShape(grad)) {
            throw new IllegalArgumentException("params " + Arrays.toString(params.shape()) + " and grad "
                    + Arrays.toString(grad.shape()) + " differ in shape");
        }
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            Tensor b = e.getValue();
            if (!b.sameShape(params) || b.dtype() != params.dtype()) {
                throw new IllegalArgumentException("state buffer " + e.getKey() + " is " + b.dtype().longName()
                        + Arrays.toString(b.shape()) + " but the params are " + params.dtype().longName()
                        + Arrays.toString(params.shape()) + " (one optimiser serves one parameter vector)");
            }
        }
    }

    /** The update of step {@code t} (1-based, as PyTorch counts after incrementing). */
    abstract Tensor update(Tensor params, Tensor grad, long t);

    /**
     * The update of step {@code t} written into {@code params} (contiguous), equal to {@link #update}'s result;
     * by default that result copied in.
     */
    void updateInPlace(Tensor params, Tensor grad, long t) {
        TensorOps.assign(params, update(params, grad, t));
    }

    /** The buffer {@code name}, or null if it was never created. */
    final Tensor buffer(String name) {
        return buffers.get(name);
    }

    /**
     * Creates buffer {@code name} as a copy of {@code init} in the optimiser's scope (GC-managed without one),
     * outliving the scopes open inside it.
     */
    final Tensor createBuffer(String name, Tensor init) {
        Tensor b;
        try {
            b = home == null ? Scope.outside(init::copy) : home.enter(init::copy);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(getClass().getSimpleName() + " keeps its state in the scope that was "
                    + "open when it was made, which cannot take it now (" + e.getMessage() + "): make the optimiser "
                    + "outside the scope of one step, on the thread that steps it", e);
        }
        buffers.put(name, b);
        return b;
    }

    /** Overwrites buffer {@code name} with {@code value} (computed in any scope). */
    static void overwrite(Tensor buffer, Tensor value) {
        TensorOps.assign(buffer, value);
    }

    @Override
    public final OptimizerState state() {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            copy.put(e.getKey(), Scope.outside(e.getValue()::copy));
        }
        return new OptimizerState(steps, lr, copy);
    }

    @Override
    public final void loadState(OptimizerState state) {
        for (String name : state.buffers().keySet()) {
            if (!bufferNames.contains(name)) {
                throw new IllegalArgumentException("unknown state buffer '" + name + "' for "
                        + getClass().getSimpleName() + "; expected some of " + bufferNames);
            }
        }
        Tensor first = null;
        for (Map.Entry<String, Tensor> e : state.buffers().entrySet()) {
            Tensor b = e.getValue();
            if (first != null && (!b.sameShape(first) || b.dtype() != first.dtype())) {
                throw new IllegalArgumentException("state buffers differ in shape or dtype: " + e.getKey() + " is "
                        + b.dtype().longName() + Arrays.toString(b.shape()));
            }
            first = b;
        }
        setLearningRate(state.learningRate());
        buffers.clear();
        for (String name : bufferNames) {
            Tensor b = state.buffers().get(name);
            if (b != null) {
                createBuffer(name, b);
            }
        }
        steps = state.step();
    }
}
