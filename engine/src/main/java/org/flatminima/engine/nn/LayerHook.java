package org.flatminima.engine.nn;

import org.flatminima.engine.autodiff.Var;

/**
 * Observes, and may replace, the output of every module during one forward pass
 * ({@link Network#logits(Var, org.flatminima.engine.Tensor, LayerHook)}). It is called after each module
 * (containers included, after their children) with the module's index path ({@code "0"}, {@code "3.1"};
 * {@code ""} for the root), its input and its output; what it returns is used as the module's output.
 * Returning {@code output} unchanged observes only. {@link Taps} uses it to add zero "tap" inputs after the
 * parametrised layers, whose cotangents are then the per-sample output cotangents of those layers.
 */
@FunctionalInterface
public interface LayerHook {
    /** The value to use as {@code module}'s output; {@code output} itself to change nothing. */
    Var after(String path, Module module, Var input, Var output);

    /**
     * Whether this hook is called after every module, in the written order (true), or only after the leaf
     * modules with parameters of their own ({@link #parametrised}), which leaves {@link Sequential} free to run
     * the modules between them in an equivalent order (a max pooling before the ReLU written ahead of it).
     */
    default boolean everyModule() {
        return true;
    }

    /**
     * {@code hook} called only after the leaf modules with parameters of their own (Linear, Conv2d, BatchNorm),
     * not after containers or parameter-free modules, which may then run in an equivalent order: what
     * {@link Taps} needs.
     */
    static LayerHook parametrised(LayerHook hook) {
        return new LayerHook() {
            @Override
            public Var after(String path, Module module, Var input, Var output) {
                return hook.after(path, module, input, output);
            }

            @Override
            public boolean everyModule() {
                return false;
            }
        };
    }
}
