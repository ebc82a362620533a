package org.flatminima.experiments.reproduce;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.flatminima.experiments.train.TrainConfig;

/**
 * E3's seven runs per seed, all from the seed's initialisation, in two regimes (see {@link E3Config}).
 *
 * <p>The authors' regime (plain SGD, constant learning rate {@code lr_A}, no momentum):
 * <ul>
 *   <li>A1: the small batch for {@code E_A} epochs;</li>
 *   <li>A2: the large batch for {@code E_A} epochs (equal epochs: far fewer steps);</li>
 *   <li>A3, the control: the large batch at the <em>same</em> learning rate for as many SGD steps as A1,
 *       {@code ceil(E_A * spe_small / spe_large)} epochs ({@code spe} = steps per epoch, last partial batch kept),
 *       capped at {@code controlMaxEpochs}. The authors' own training loop stops after a fixed number of steps
 *       whatever the batch size ({@code margin_flatness/training.py}, {@code num_steps}), so A3 is their
 *       comparison and A2 is Keskar et al.'s equal-epoch one.</li>
 * </ul>
 * The current regime (SGD with momentum, multistep schedule; milestones scale with each run's epochs), with
 * {@code m = min(maxMultiplier, round(B_large / B_small))}:
 * <ul>
 *   <li>C1 and C2: the small and the large batch for {@code E_C} epochs at {@code lr_C};</li>
 *   <li>C3: Hoffer et al. (2017): the large batch for {@code m E_C} epochs at {@code lr_C sqrt(B_large /
 *       B_small)} (more steps <em>and</em> a larger learning rate);</li>
 *   <li>C4, the control: the large batch for {@code m E_C} epochs at {@code lr_C} (more steps only). C3 and C4
 *       differ only in the learning rate, C2 and C4 only in the number of steps.</li>
 * </ul>
 */
final class E3Plan {
    private E3Plan() {
    }

    /** What a run is for. */
    enum Role {
        /** The small batch. */
        SMALL,
        /** The large batch, as many epochs as the small batch. */
        LARGE,
        /** The large batch trained longer at the same learning rate (the control). */
        STEPS,
        /** The large batch in Hoffer et al.'s regime: longer and at a larger learning rate. */
        HOFFER
    }

    /**
     * One run.
     *
     * @param name the run's file name ({@code authors-small}, ...)
     * @param id the short label in tables (A1..A3, C1..C4)
     * @param regime "authors" or "current"
     * @param role what the run is for
     * @param batchSize the batch size
     * @param epochs epochs
     * @param lr the base learning rate
     * @param momentum SGD momentum
     * @param schedule "constant" or "multistep"
     * @param milestones multistep milestones (epochs; empty for constant)
     * @param gamma the multistep factor
     */
    record Run(String name, String id, String regime, Role role, int batchSize, int epochs, double lr,
               double momentum, String schedule, long[] milestones, double gamma) {

        /** A line for tables: "A3 B=4096, 64 epochs, lr 0.36". */
        String label() {
            return String.format(Locale.ROOT, "%s B=%d, %d ep, lr %s%s", id, batchSize, epochs,
                    Results.format(lr, 4), momentum > 0 ? ", mom " + Results.format(momentum, 2) : "");
        }

        /** The training configuration at {@code seed} (checkpoints to be added). */
        TrainConfig.Builder train(long seed) {
            TrainConfig.Builder b = TrainConfig.builder().optimizer("sgd").lr(lr).momentum(momentum)
                    .batchSize(batchSize).epochs(epochs).schedule(schedule).gamma(gamma).seed(seed)
                    .logEvery(Integer.MAX_VALUE);
            return milestones.length > 0 ? b.milestones(milestones) : b;
        }

        /** Steps per epoch over {@code n} points. */
        int stepsPerEpoch(int n) {
            return (n + batchSize - 1) / batchSize;
        }

        /** Steps of the run over {@code n} points. */
        long steps(int n) {
            return (long) stepsPerEpoch(n) * epochs;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Run r && r.name.equals(name) && r.id.equals(id) && r.regime.equals(regime)
                    && r.role == role && r.batchSize == batchSize && r.epochs == epochs && r.lr == lr
                    && r.momentum == momentum && r.schedule.equals(schedule) && Arrays.equals(r.milestones, milestones)
                    && r.gamma == gamma;
        }

        @Override
        public int hashCode() {
            return name.hashCode();
        }

        @Override
        public String toString() {
            return label();
        }
    }

    /** The current regime's epoch multiplier: {@code round(ratio)}, at least 1, capped at {@code maxMultiplier}. */
    static int multiplier(E3Config c) {
        return (int) Math.max(1, Math.min(c.maxMultiplier(), Math.round(c.ratio())));
    }

    /** Epochs of the authors' control: the small batch's steps in large batches, capped. */
    static int controlEpochs(E3Config c, int n) {
        long small = (long) c.authorsEpochs() * ((n + c.smallBatch() - 1) / c.smallBatch());
        int speLarge = (n + c.largeBatch() - 1) / c.largeBatch();
        return (int) Math.min(c.controlMaxEpochs(), (small + speLarge - 1) / speLarge);
    }

    static long[] milestones(E3Config c, int epochs) {
        double[] f = c.milestoneFractions();
        long[] m = new long[f.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = Math.max(1, Math.round(f[i] * epochs));
        }
        return m;
    }

    /** The seven runs over {@code n} training points, in the order they are trained and reported. */
    static List<Run> runs(E3Config c, int n) {
        int ea = c.authorsEpochs();
        int ec = c.currentEpochs();
        int longer = ec * multiplier(c);
        double la = c.authorsLr();
        double lc = c.currentLr();
        double mom = c.currentMomentum();
        long[] none = {};
        return List.of(
                new Run("authors-small", "A1", "authors", Role.SMALL, c.smallBatch(), ea, la, 0, "constant", none, 1),
                new Run("authors-large", "A2", "authors", Role.LARGE, c.largeBatch(), ea, la, 0, "constant", none, 1),
                new Run("authors-large-steps", "A3", "authors", Role.STEPS, c.largeBatch(), controlEpochs(c, n), la, 0,
                        "constant", none, 1),
                new Run("current-small", "C1", "current", Role.SMALL, c.smallBatch(), ec, lc, mom, "multistep",
                        milestones(c, ec), c.gamma()),
                new Run("current-large", "C2", "current", Role.LARGE, c.largeBatch(), ec, lc, mom, "multistep",
                        milestones(c, ec), c.gamma()),
                new Run("current-large-hoffer", "C3", "current", Role.HOFFER, c.largeBatch(), longer,
                        lc * Math.sqrt(c.ratio()), mom, "multistep", milestones(c, longer), c.gamma()),
                new Run("current-large-steps", "C4", "current", Role.STEPS, c.largeBatch(), longer, lc, mom,
                        "multistep", milestones(c, longer), c.gamma()));
    }

    /** The run of {@code regime} with {@code role}. */
    static Run find(List<Run> runs, String regime, Role role) {
        return runs.stream().filter(r -> r.regime().equals(regime) && r.role() == role).findFirst().orElseThrow();
    }
}
