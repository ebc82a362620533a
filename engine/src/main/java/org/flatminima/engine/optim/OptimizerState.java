package org.flatminima.engine.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flatminima.engine.Tensor;

/**
 * A checkpoint of an {@link Optimizer}: its step count, its learning rate and its named state buffers, each a
 * tensor shaped like the parameters (PyTorch's names: {@code momentum_buffer}, {@code exp_avg},
 * {@code exp_avg_sq}). A buffer that does not exist yet (SGD's momentum before the first step) is absent.
 *
 * @param step         steps taken
 * @param learningRate learning rate of the next step
 * @param buffers      state buffers by name, in a fixed order
 */
public record OptimizerState(long step, double learningRate, Map<String, Tensor> buffers) {

    /** Validates and freezes the map (its tensors are not copied here). */
    public OptimizerState {
        if (step < 0) {
            throw new IllegalArgumentException("negative step count " + step);
        }
        buffers = Collections.unmodifiableMap(new LinkedHashMap<>(buffers));
    }
}
