package org.flatminima.engine.nn;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flatminima.engine.Tensor;

/**
 * The state of a model that is not a parameter: PyTorch's buffers, e.g. batch normalisation's
 * {@code running_mean}, {@code running_var} and {@code num_batches_tracked}, by full name
 * ({@code "1.running_mean"}) in state_dict order. Buffers are never differentiated; they change only through
 * an explicit update ({@link Network#lossUpdatingBuffers}), so that gradients and Hessian-vector products see
 * a pure function of the flat parameter vector.
 *
 * <p>{@code num_batches_tracked} is an int64 scalar in PyTorch; here it is a rank-0 tensor of the model's
 * dtype holding the same integer.
 */
public final class Buffers {
    private final Map<String, Tensor> values = new LinkedHashMap<>();

    Buffers(Map<String, Tensor> initial) {
        values.putAll(initial);
    }

    /** The buffer {@code name}; an unknown name is an error listing the known ones. */
    public Tensor get(String name) {
        Tensor t = values.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no buffer '" + name + "'; the model has " + values.keySet());
        }
        return t;
    }

    /** Replaces the buffer {@code name} by a tensor of the same shape. */
    public void set(String name, Tensor value) {
        Tensor old = get(name);
        if (!Arrays.equals(old.shape(), value.shape())) {
            throw new IllegalArgumentException("buffer '" + name + "' has shape " + Arrays.toString(old.shape())
                    + ", cannot set it to " + Arrays.toString(value.shape()));
        }
        values.put(name, value);
    }

    /** Every buffer by name, in state_dict order (unmodifiable). */
    public Map<String, Tensor> toMap() {
        return Collections.unmodifiableMap(values);
    }

    /** A copy of this state (the tensors are shared; they are replaced, never written in place). */
    public Buffers copy() {
        return new Buffers(values);
    }

    @Override
    public String toString() {
        return "Buffers" + values.keySet();
    }
}
