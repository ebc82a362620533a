package org.flatminima.engine.nn;

/**
 * PyTorch's {@code module.train()} / {@code module.eval()}: only batch normalisation depends on it (batch
 * statistics in {@link #TRAIN}, running statistics in {@link #EVAL}).
 */
public enum Mode {
    TRAIN,
    EVAL
}
