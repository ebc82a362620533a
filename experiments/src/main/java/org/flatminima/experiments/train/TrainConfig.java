package org.flatminima.experiments.train;

import java.util.Arrays;
import org.flatminima.engine.optim.Adam;
import org.flatminima.engine.optim.LrSchedule;
import org.flatminima.engine.optim.Optimizer;
import org.flatminima.engine.optim.Sgd;

/**
 * How to train: optimiser, learning rate and its schedule (indexed by epoch, as a PyTorch scheduler stepped once
 * per epoch), batch size, epochs, seed, and when to log and checkpoint.
 *
 * @param optimizer "sgd" or "adam"
 * @param lr base learning rate
 * @param momentum SGD momentum (0 for none)
 * @param nesterov Nesterov momentum (SGD)
 * @param weightDecay L2 weight decay added to the gradient
 * @param batchSize points per step (the last batch of an epoch may be smaller, as PyTorch's DataLoader)
 * @param epochs passes over the training set
 * @param schedule "constant", "step" (gamma every {@code milestones[0]} epochs), "multistep" (gamma at each
 *     milestone epoch) or "cosine" (to 0 over all epochs)
 * @param milestones epochs for "step"/"multistep"
 * @param gamma decay factor for "step"/"multistep"
 * @param seed seed of the batch order (and of nothing else: initialisation has its own)
 * @param logEvery steps between metric rows (the last step is always logged)
 * @param checkpointSteps steps after which a checkpoint is written (the last step always is)
 */
public record TrainConfig(String optimizer, double lr, double momentum, boolean nesterov, double weightDecay,
                          int batchSize, int epochs, String schedule, long[] milestones, double gamma, long seed,
                          int logEvery, long[] checkpointSteps) {

    public TrainConfig {
        if (!optimizer.equals("sgd") && !optimizer.equals("adam")) {
            throw new IllegalArgumentException("unknown optimizer '" + optimizer + "': use sgd or adam");
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("the learning rate must be positive, got " + lr);
        }
        if (batchSize < 1 || epochs < 1 || logEvery < 1) {
            throw new IllegalArgumentException("batch size, epochs and log interval must be at least 1");
        }
        if (!Arrays.asList("constant", "step", "multistep", "cosine").contains(schedule)) {
            throw new IllegalArgumentException("unknown schedule '" + schedule
                    + "': use constant, step, multistep or cosine");
        }
        if ((schedule.equals("step") || schedule.equals("multistep")) && milestones.length == 0) {
            throw new IllegalArgumentException("schedule '" + schedule + "' needs milestones");
        }
        milestones = milestones.clone();
        checkpointSteps = checkpointSteps.clone();
    }

    /** Plain SGD with momentum 0.9, constant learning rate, logging every 50 steps. */
    public static TrainConfig sgd(double lr, int batchSize, int epochs, long seed) {
        return new TrainConfig("sgd", lr, 0.9, false, 0, batchSize, epochs, "constant", new long[0], 0.1, seed, 50,
                new long[0]);
    }

    /** Steps per epoch for a training set of {@code n} points. */
    public int stepsPerEpoch(int n) {
        return (n + batchSize - 1) / batchSize;
    }

    /** A fresh optimiser. */
    public Optimizer newOptimizer() {
        return optimizer.equals("sgd")
                ? new Sgd(lr, momentum, weightDecay, nesterov)
                : new Adam(lr, 0.9, 0.999, 1e-8, weightDecay);
    }

    /** The learning-rate schedule, indexed by epoch. */
    public LrSchedule newSchedule() {
        return switch (schedule) {
            case "step" -> LrSchedule.step(lr, milestones[0], gamma);
            case "multistep" -> LrSchedule.multiStep(lr, milestones, gamma);
            case "cosine" -> LrSchedule.cosine(lr, epochs, 0);
            default -> LrSchedule.constant(lr);
        };
    }

    /** A copy with another seed / epochs / batch size etc. is made with the canonical constructor. */
    @Override
    public long[] milestones() {
        return milestones.clone();
    }

    @Override
    public long[] checkpointSteps() {
        return checkpointSteps.clone();
    }
}
