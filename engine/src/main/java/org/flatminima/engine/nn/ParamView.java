package org.flatminima.engine.nn;

import org.flatminima.engine.autodiff.Var;

/**
 * The parameters of one module, as differentiable views of the flat parameter vector: {@code get("weight")} is
 * {@code flat.view(offset, shape)} of the entry {@code prefix + "weight"} of the {@link ParameterLayout}. A
 * container hands each child {@link #child(int) its own scope}, so the names a module uses are local.
 */
public final class ParamView {
    private final ParameterLayout layout;
    private final Var flat;
    private final String prefix;

    ParamView(ParameterLayout layout, Var flat, String prefix) {
        this.layout = layout;
        this.flat = flat;
        this.prefix = prefix;
    }

    /** The parameter {@code name} of this scope (e.g. {@code "weight"}), reshaped to its declared shape. */
    public Var get(String name) {
        return layout.view(flat, prefix + name);
    }

    /** The scope of the sub-module at position {@code index} (names {@code prefix + index + "."}). */
    public ParamView child(int index) {
        return new ParamView(layout, flat, prefix + index + ".");
    }

    /** The name prefix of this scope ({@code ""} at the root, {@code "2."} for the module at index 2). */
    public String prefix() {
        return prefix;
    }
}
