package org.flatminima.experiments.models;

import org.flatminima.experiments.UserException;

/**
 * A model spec that does not parse, or whose shapes do not fit together. The message is one line of the form
 * {@code spec '<spec>': <where>: <what was expected>}, e.g.
 * {@code spec 'seq:1x28x28:conv(32)': layer 0 'conv(32)': conv needs (OUT,K) ..., e.g. conv(32,3)}.
 */
public final class SpecException extends UserException {
    private static final long serialVersionUID = 1L;

    /** An error in {@code spec}; {@code detail} says where and what was expected. */
    public SpecException(String spec, String detail) {
        super("spec '" + spec + "': " + detail);
    }
}
