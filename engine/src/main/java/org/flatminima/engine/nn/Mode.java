package org.flatminima.engine.nn;

/**
 * PyTorch's {@code module.train()} / {@code module.eval()}: batch normalisation (batch statistics in
 * {@link #TRAIN}, running statistics in {@link #EVAL}) and {@link Dropout} (a random mask in {@link #TRAIN}, the
 * identity in {@link #EVAL}) depend on it. Training steps run in {@link #TRAIN}; evaluation and every curvature
 * measurement run in {@link #EVAL}, as the paper's authors measured (PyHessian calls {@code model.eval()}), where
 * both layers are affine and the exact per-point curvature methods apply.
 */
public enum Mode {
    TRAIN,
    EVAL
}
