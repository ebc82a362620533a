/**
 * Optimisers and learning-rate schedules for a flat parameter vector.
 *
 * <p>Models in this engine are pure functions of one parameter tensor of shape {@code [P]}, so an optimiser
 * maps {@code (params, grad)} to new params and keeps its state as tensors of the same shape:
 * {@link org.flatminima.engine.optim.Sgd} and {@link org.flatminima.engine.optim.Adam} (also AdamW) reproduce
 * PyTorch's update equations; {@link org.flatminima.engine.optim.LrSchedule} gives PyTorch's StepLR,
 * MultiStepLR and CosineAnnealingLR (with optional linear warm-up) in closed form. State buffers are
 * GC-managed and updated in place, so a training loop that runs each step in a
 * {@link org.flatminima.engine.Scope} and keeps only the new parameters runs in bounded memory.
 */
package org.flatminima.engine.optim;
