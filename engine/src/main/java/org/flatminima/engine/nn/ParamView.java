package org.flatminima.engine.nn;

import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;

/**
 * What {@link Module#forward} reads besides its input, scoped to one module: its parameters as differentiable
 * views of the flat parameter vector ({@code get("weight")} is {@code flat.view(offset, shape)} of the entry
 * {@code prefix + "weight"} of the {@link ParameterLayout}), the {@link Mode}, and its buffers. A container hands
 * each child {@link #child(int) its own scope}, so the names a module uses are local.
 */
public final class ParamView {
    private final ParameterLayout layout;
    private final Var flat;
    private final String prefix;
    private final Mode mode;
    private final Buffers buffers;
    private final Map<String, Tensor> updates;
    private final LayerHook hook;
    private final Long noiseSeed;

    ParamView(ParameterLayout layout, Var flat, String prefix, Mode mode, Buffers buffers,
            Map<String, Tensor> updates) {
        this(layout, flat, prefix, mode, buffers, updates, null, null);
    }

    private ParamView(ParameterLayout layout, Var flat, String prefix, Mode mode, Buffers buffers,
            Map<String, Tensor> updates, LayerHook hook, Long noiseSeed) {
        this.layout = layout;
        this.flat = flat;
        this.prefix = prefix;
        this.mode = mode;
        this.buffers = buffers;
        this.updates = updates;
        this.hook = hook;
        this.noiseSeed = noiseSeed;
    }

    /** This scope with {@code hook} called after every module run through {@link #forward} (null: none). */
    public ParamView withHook(LayerHook hook) {
        return new ParamView(layout, flat, prefix, mode, buffers, updates, hook, noiseSeed);
    }

    /**
     * This scope with the seed of the forward pass's randomness (training-mode {@link Dropout}); null: none. The
     * training loop passes a seed derived from the run's seed and the step, so a pass is a deterministic
     * function of (parameters, inputs, seed): reproducible, and the same after a resume.
     */
    public ParamView withNoise(Long seed) {
        return new ParamView(layout, flat, prefix, mode, buffers, updates, hook, seed);
    }

    /** Whether this forward pass has a noise seed ({@link #withNoise}). */
    public boolean hasNoise() {
        return noiseSeed != null;
    }

    /**
     * A generator for this scope's randomness in this forward pass: a function of the pass's noise seed and of
     * this scope's name prefix only, so two layers draw independent streams and the same layer draws the same
     * stream for the same seed.
     *
     * @throws IllegalStateException if the pass has no noise seed (the message names the module's prefix)
     */
    public java.util.SplittableRandom noise() {
        if (noiseSeed == null) {
            throw new IllegalStateException("module at '" + prefix + "' draws random numbers in training mode but the "
                    + "forward pass has no noise seed: train with Network.lossUpdatingBuffers(theta, x, labels, seed) "
                    + "(or logits(theta, x, seed)), and evaluate or measure curvature with net.withMode(Mode.EVAL)");
        }
        long h = noiseSeed * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < prefix.length(); i++) {
            h = (h ^ prefix.charAt(i)) * 0xBF58476D1CE4E5B9L;
        }
        return new java.util.SplittableRandom(h ^ (h >>> 31));
    }

    /**
     * Runs {@code module} (the module this scope belongs to) on {@code input}, then the {@link LayerHook} if one
     * is set; containers call this for each child (with {@link #child}) instead of {@link Module#forward}.
     */
    public Var forward(Module module, Var input) {
        Var out = module.forward(input, this);
        if (hook == null || !hook.everyModule() && (module.parameters().isEmpty() || module instanceof Sequential)) {
            return out;
        }
        String path = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
        return hook.after(path, module, input, out);
    }

    /**
     * Whether a {@link LayerHook} observes every module run through {@link #forward} in the written order
     * ({@link LayerHook#everyModule}).
     */
    public boolean watchesEveryModule() {
        return hook != null && hook.everyModule();
    }

    /** Whether a {@link LayerHook} observes modules run through {@link #forward} (every one, or those with parameters). */
    public boolean watchesModules() {
        return hook != null;
    }

    /** The parameter {@code name} of this scope (e.g. {@code "weight"}), reshaped to its declared shape. */
    public Var get(String name) {
        return layout.view(flat, prefix + name);
    }

    /** The scope of the sub-module at position {@code index} (names {@code prefix + index + "."}). */
    public ParamView child(int index) {
        return new ParamView(layout, flat, prefix + index + ".", mode, buffers, updates, hook, noiseSeed);
    }

    /** The name prefix of this scope ({@code ""} at the root, {@code "2."} for the module at index 2). */
    public String prefix() {
        return prefix;
    }

    /** Training or evaluation mode. */
    public Mode mode() {
        return mode;
    }

    /** The current value of this scope's buffer {@code name} (e.g. {@code "running_mean"}). */
    public Tensor buffer(String name) {
        if (buffers == null) {
            throw new IllegalStateException("module at '" + prefix + "' needs buffer '" + name
                    + "' but no buffers were given (use Network, or ParameterLayout.initBuffers)");
        }
        return buffers.get(prefix + name);
    }

    /** Whether this forward pass records new buffer values ({@link #updateBuffer}). */
    public boolean updatesBuffers() {
        return updates != null;
    }

    /**
     * Records a new value of this scope's buffer {@code name}, applied by the caller after the forward pass; a
     * no-op unless {@link #updatesBuffers()}.
     */
    public void updateBuffer(String name, Tensor value) {
        if (updates != null) {
            updates.put(prefix + name, value);
        }
    }
}
