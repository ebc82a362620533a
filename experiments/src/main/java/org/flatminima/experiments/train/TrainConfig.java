package org.flatminima.experiments.train;

import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.optim.Adam;
import org.flatminima.engine.optim.LrSchedule;
import org.flatminima.engine.optim.Optimizer;
import org.flatminima.engine.optim.Sgd;
import org.flatminima.experiments.UserException;

/**
 * How to train: optimiser, learning rate and its schedule (indexed by epoch, as a PyTorch scheduler stepped once
 * per epoch), batch size, epochs, seed, and when to log and checkpoint. Immutable; made with {@link #builder()}
 * (or {@link #sgd}) and changed with {@link #toBuilder()}. {@link Builder#build()} validates every value and
 * refuses a bad one with a {@link UserException} naming the command-line option and the fix.
 *
 * <p>Checkpoints are taken every {@link #checkpointEvery()} steps (0: never), at each step of
 * {@link #checkpointAt()}, and always at the last step; {@link #isCheckpoint} decides without building a list, so
 * a run of any length costs no memory for its checkpoint plan.
 */
public final class TrainConfig {
    private static final List<String> OPTIMIZERS = List.of("sgd", "adam");
    private static final List<String> SCHEDULES = List.of("constant", "step", "multistep", "cosine");

    private final String optimizer;
    private final double lr;
    private final double momentum;
    private final boolean nesterov;
    private final double weightDecay;
    private final int batchSize;
    private final int epochs;
    private final String schedule;
    private final long[] milestones;
    private final double gamma;
    private final long seed;
    private final int logEvery;
    private final long checkpointEvery;
    private final long[] checkpointAt;

    private TrainConfig(Builder b) {
        this.optimizer = b.optimizer;
        this.lr = b.lr;
        this.momentum = b.momentum;
        this.nesterov = b.nesterov;
        this.weightDecay = b.weightDecay;
        this.batchSize = b.batchSize;
        this.epochs = b.epochs;
        this.schedule = b.schedule;
        this.milestones = b.milestones.clone();
        this.gamma = b.gamma;
        this.seed = b.seed;
        this.logEvery = b.logEvery;
        this.checkpointEvery = b.checkpointEvery;
        this.checkpointAt = b.checkpointAt.clone();
        Arrays.sort(this.checkpointAt);
    }

    /** A builder with the defaults: SGD, lr 0.05, momentum 0.9, batch 64, 5 epochs, constant, seed 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** Plain SGD with momentum 0.9, constant learning rate, logging every 50 steps. */
    public static TrainConfig sgd(double lr, int batchSize, int epochs, long seed) {
        return builder().lr(lr).batchSize(batchSize).epochs(epochs).seed(seed).logEvery(50).build();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder().optimizer(optimizer).lr(lr).momentum(momentum).nesterov(nesterov)
                .weightDecay(weightDecay).batchSize(batchSize).epochs(epochs).schedule(schedule)
                .milestones(milestones).gamma(gamma).seed(seed).logEvery(logEvery).checkpointEvery(checkpointEvery)
                .checkpointAt(checkpointAt);
    }

    /** "sgd" or "adam". */
    public String optimizer() {
        return optimizer;
    }

    /** Base learning rate. */
    public double lr() {
        return lr;
    }

    /** SGD momentum (0 for none). */
    public double momentum() {
        return momentum;
    }

    /** Nesterov momentum (SGD). */
    public boolean nesterov() {
        return nesterov;
    }

    /** L2 weight decay added to the gradient. */
    public double weightDecay() {
        return weightDecay;
    }

    /** Points per step (the last batch of an epoch may be smaller, as PyTorch's DataLoader). */
    public int batchSize() {
        return batchSize;
    }

    /** Passes over the training set. */
    public int epochs() {
        return epochs;
    }

    /**
     * "constant", "step" (gamma every {@code milestones[0]} epochs), "multistep" (gamma at each milestone epoch)
     * or "cosine" (to 0 over all epochs).
     */
    public String schedule() {
        return schedule;
    }

    /** Epochs for "step"/"multistep". */
    public long[] milestones() {
        return milestones.clone();
    }

    /** Decay factor for "step"/"multistep". */
    public double gamma() {
        return gamma;
    }

    /** Seed of the batch order (and of nothing else: initialisation has its own). */
    public long seed() {
        return seed;
    }

    /** Steps between metric rows (the last step is always logged). */
    public int logEvery() {
        return logEvery;
    }

    /** Steps between checkpoints, 0 for none (the last step is always checkpointed). */
    public long checkpointEvery() {
        return checkpointEvery;
    }

    /** Extra checkpoint steps, ascending. */
    public long[] checkpointAt() {
        return checkpointAt.clone();
    }

    /** True when step {@code step} of a run of {@code total} steps is checkpointed. */
    public boolean isCheckpoint(long step, long total) {
        return step == total || (checkpointEvery > 0 && step % checkpointEvery == 0)
                || Arrays.binarySearch(checkpointAt, step) >= 0;
    }

    /** Steps per epoch for a training set of {@code n} points. */
    public int stepsPerEpoch(int n) {
        return (n + batchSize - 1) / batchSize;
    }

    /** Steps of a run over {@code n} points (exact: a long cannot overflow here). */
    public long totalSteps(int n) {
        return (long) stepsPerEpoch(n) * epochs;
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

    /** Collects the values of a {@link TrainConfig}; {@link #build()} validates them all. */
    public static final class Builder {
        private String optimizer = "sgd";
        private double lr = 0.05;
        private double momentum = 0.9;
        private boolean nesterov;
        private double weightDecay;
        private int batchSize = 64;
        private int epochs = 5;
        private String schedule = "constant";
        private long[] milestones = new long[0];
        private double gamma = 0.1;
        private long seed;
        private int logEvery = 100;
        private long checkpointEvery;
        private long[] checkpointAt = new long[0];

        private Builder() {
        }

        public Builder optimizer(String v) {
            optimizer = v;
            return this;
        }

        public Builder lr(double v) {
            lr = v;
            return this;
        }

        public Builder momentum(double v) {
            momentum = v;
            return this;
        }

        public Builder nesterov(boolean v) {
            nesterov = v;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        public Builder schedule(String v) {
            schedule = v;
            return this;
        }

        public Builder milestones(long... v) {
            milestones = v.clone();
            return this;
        }

        public Builder gamma(double v) {
            gamma = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder logEvery(int v) {
            logEvery = v;
            return this;
        }

        public Builder checkpointEvery(long v) {
            checkpointEvery = v;
            return this;
        }

        public Builder checkpointAt(long... v) {
            checkpointAt = v.clone();
            return this;
        }

        /** The configuration, after checking every value (the first bad one is reported). */
        public TrainConfig build() {
            if (!OPTIMIZERS.contains(optimizer)) {
                throw new UserException("unknown --optimizer '" + optimizer + "': use sgd or adam");
            }
            if (!(lr > 0) || Double.isInfinite(lr)) {
                throw new UserException("--lr must be a positive finite number, got " + lr);
            }
            if (!(momentum >= 0 && momentum < 1)) {
                throw new UserException("--momentum must be in [0, 1), got " + momentum + ": use 0 for none");
            }
            if (nesterov && !(momentum > 0 && optimizer.equals("sgd"))) {
                throw new UserException("--nesterov needs SGD with a --momentum above 0, e.g. --momentum 0.9");
            }
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new UserException("--weight-decay must be a finite number >= 0, got " + weightDecay);
            }
            atLeastOne("--batch-size", batchSize);
            atLeastOne("--epochs", epochs);
            atLeastOne("--log-every", logEvery);
            if (checkpointEvery < 0) {
                throw new UserException("--checkpoint-every must be at least 1, got " + checkpointEvery);
            }
            if (!SCHEDULES.contains(schedule)) {
                throw new UserException("unknown --schedule '" + schedule + "': use constant, step, multistep or cosine");
            }
            boolean stepped = schedule.equals("step") || schedule.equals("multistep");
            if (stepped && milestones.length == 0) {
                throw new UserException("--schedule " + schedule + " needs --milestones, e.g. --milestones 30,60");
            }
            for (long m : milestones) {
                if (m < 1) {
                    throw new UserException("--milestones must be epochs >= 1, got " + m + ": e.g. --milestones 30,60");
                }
            }
            if (!(gamma > 0) || Double.isInfinite(gamma)) {
                throw new UserException("--gamma must be a positive finite number, got " + gamma);
            }
            for (long s : checkpointAt) {
                if (s < 0) {
                    throw new IllegalArgumentException("checkpoint steps must be at least 0, got " + s);
                }
            }
            return new TrainConfig(this);
        }

        private static void atLeastOne(String option, long v) {
            if (v < 1) {
                throw new UserException(option + " must be at least 1, got " + v);
            }
        }
    }
}
