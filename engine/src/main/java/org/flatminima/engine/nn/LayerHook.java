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
}
