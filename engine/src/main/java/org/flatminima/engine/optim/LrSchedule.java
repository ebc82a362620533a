package org.flatminima.engine.optim;

import java.util.Arrays;

/**
 * A learning rate as a function of a non-negative index {@code t}, with PyTorch's closed forms.
 *
 * <p><b>The index.</b> {@code t} counts how many times a PyTorch scheduler's {@code step()} would have been
 * called: {@code lr(t)} is the rate in force during epoch {@code t} (0-based) when the schedule is stepped per
 * epoch, as PyTorch's examples do, or during optimiser step {@code t} (0-based, i.e. {@code
 * optimizer.stepCount()} before the step) when it is stepped per iteration. The schedule itself does not know
 * which; sizes such as {@code stepSize}, {@code milestones} and {@code tMax} are in the same unit as
 * {@code t}. Apply it with {@code optimizer.setLearningRate(schedule.lr(t))} before the step(s) of {@code t}.
 *
 * <p>The schedules carry their base rate explicitly (PyTorch takes it from the optimiser's initial lr).
 */
@FunctionalInterface
public interface LrSchedule {

    /** The learning rate at index {@code t >= 0}. */
    double lr(long t);

    private static void checkIndex(long t) {
        if (t < 0) {
            throw new IllegalArgumentException("schedule index must be >= 0, got " + t);
        }
    }

    /** {@code lr(t) = base}. */
    static LrSchedule constant(double base) {
        return new Constant(base);
    }

    /** StepLR: {@code lr(t) = base * gamma^floor(t / stepSize)}. */
    static LrSchedule step(double base, long stepSize, double gamma) {
        return new StepDecay(base, stepSize, gamma);
    }

    /**
     * MultiStepLR: {@code lr(t) = base * gamma^k} where k is the number of milestones {@code <= t} (a milestone
     * listed twice counts twice, as in PyTorch).
     */
    static LrSchedule multiStep(double base, long[] milestones, double gamma) {
        return new MultiStep(base, milestones, gamma);
    }

    /**
     * CosineAnnealingLR: {@code lr(t) = etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2}, so
     * {@code lr(0) = base}, {@code lr(tMax / 2)} is the midpoint and {@code lr(tMax) = etaMin}. Past {@code tMax}
     * the formula continues (the rate rises again), exactly as PyTorch's scheduler does; stop at {@code tMax}.
     */
    static LrSchedule cosine(double base, long tMax, double etaMin) {
        return new Cosine(base, tMax, etaMin);
    }

    /**
     * Linear warm-up followed by {@code after}, as PyTorch's {@code SequentialLR([LinearLR(startFactor,
     * total_iters=warmup), after], milestones=[warmup])}: for {@code t < warmup},
     * {@code lr(t) = after.lr(0) * (startFactor + (1 - startFactor) * t / warmup)}; from then on
     * {@code lr(t) = after.lr(t - warmup)} (so {@code after} starts afresh at index 0).
     */
    static LrSchedule linearWarmup(long warmup, double startFactor, LrSchedule after) {
        return new LinearWarmup(warmup, startFactor, after);
    }

    /**
     * See {@link #constant}.
     *
     * @param base the learning rate
     */
    record Constant(double base) implements LrSchedule {
        @Override
        public double lr(long t) {
            checkIndex(t);
            return base;
        }
    }

    /**
     * See {@link #step}.
     *
     * @param base     rate at index 0
     * @param stepSize indices between decays (>= 1)
     * @param gamma    factor per decay
     */
    record StepDecay(double base, long stepSize, double gamma) implements LrSchedule {
        /** Checks that {@code stepSize >= 1}. */
        public StepDecay {
            if (stepSize < 1) {
                throw new IllegalArgumentException("StepLR step size must be >= 1, got " + stepSize);
            }
        }

        @Override
        public double lr(long t) {
            checkIndex(t);
            return base * Math.pow(gamma, t / stepSize);
        }
    }

    /**
     * See {@link #multiStep}; the milestones are kept sorted.
     *
     * @param base       rate before the first milestone
     * @param milestones indices at which the rate is multiplied by gamma
     * @param gamma      factor per milestone
     */
    record MultiStep(double base, long[] milestones, double gamma) implements LrSchedule {
        /** Copies and sorts the milestones. */
        public MultiStep {
            milestones = milestones.clone();
            Arrays.sort(milestones);
        }

        /** A copy of the sorted milestones. */
        @Override
        public long[] milestones() {
            return milestones.clone();
        }

        @Override
        public double lr(long t) {
            checkIndex(t);
            int k = 0;
            while (k < milestones.length && milestones[k] <= t) {
                k++;
            }
            return base * Math.pow(gamma, k);
        }

        @Override
        public String toString() {
            return "MultiStep[base=" + base + ", milestones=" + Arrays.toString(milestones) + ", gamma=" + gamma
                    + "]";
        }
    }

    /**
     * See {@link #cosine}.
     *
     * @param base   rate at index 0
     * @param tMax   index at which the rate reaches etaMin (>= 1)
     * @param etaMin the smallest rate
     */
    record Cosine(double base, long tMax, double etaMin) implements LrSchedule {
        /** Checks that {@code tMax >= 1}. */
        public Cosine {
            if (tMax < 1) {
                throw new IllegalArgumentException("cosine annealing needs T_max >= 1, got " + tMax);
            }
        }

        @Override
        public double lr(long t) {
            checkIndex(t);
            return etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
        }
    }

    /**
     * See {@link #linearWarmup}.
     *
     * @param warmup      number of warm-up indices (>= 1)
     * @param startFactor fraction of {@code after.lr(0)} at index 0
     * @param after       the schedule that follows, started at its index 0
     */
    record LinearWarmup(long warmup, double startFactor, LrSchedule after) implements LrSchedule {
        /** Checks {@code warmup >= 1} and {@code 0 < startFactor <= 1} (PyTorch's LinearLR bounds). */
        public LinearWarmup {
            if (warmup < 1 || !(startFactor > 0 && startFactor <= 1)) {
                throw new IllegalArgumentException("warm-up needs warmup >= 1 and 0 < startFactor <= 1, got "
                        + warmup + ", " + startFactor);
            }
        }

        @Override
        public double lr(long t) {
            checkIndex(t);
            if (t < warmup) {
                return after.lr(0) * (startFactor + (1 - startFactor) * t / warmup);
            }
            return after.lr(t - warmup);
        }
    }
}
