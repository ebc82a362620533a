package org.flatminima.experiments.sweep.rank;

import java.util.List;
import java.util.Locale;
import org.flatminima.experiments.UserException;

/**
 * How {@link MeasureRanking} ranks the measures: against which target, at which checkpoint, how seeds enter the
 * granulated coefficient, and the bootstrap. Immutable; made with {@link #builder()}.
 */
public final class RankOptions {
    /** Targets a measure can be ranked against (columns of the sweep table). */
    public static final List<String> TARGETS = List.of("gap_accuracy", "gap_loss", "test_accuracy", "test_loss");

    /**
     * How seeds enter the granulated coefficient (seeds are replicates, never an axis; see the package documentation).
     */
    public enum Seeds {
        /**
         * Each seed is part of the fixed "other" hyperparameters: networks are compared only with networks of the same
         * seed (same initialisation and data order), so the only difference inside a group is the axis' value.
         */
        PAIRED,
        /** The measure and the target are first averaged over the seeds of each configuration; one network each. */
        MEAN;

        /** The value of {@code s} ("paired" or "mean", any case). */
        public static Seeds parse(String s) {
            for (Seeds v : values()) {
                if (v.name().equalsIgnoreCase(s)) {
                    return v;
                }
            }
            throw new UserException("unknown seed handling '" + s + "': use paired or mean");
        }
    }

    private final String target;
    private final Long step;
    private final Seeds seeds;
    private final int resamples;
    private final double level;
    private final long seed;

    private RankOptions(Builder b) {
        this.target = b.target;
        this.step = b.step;
        this.seeds = b.seeds;
        this.resamples = b.resamples;
        this.level = b.level;
        this.seed = b.seed;
    }

    /** The defaults: against gap_accuracy, last checkpoint, paired seeds, 1,000 resamples, 95%, seed 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** The generalisation target column (default gap_accuracy). */
    public String target() {
        return target;
    }

    /**
     * +1 when a larger value of the target means worse generalisation (a gap, a test loss), -1 when it means better
     * (test accuracy): the measures' expected signs are multiplied by it.
     */
    public int targetOrientation() {
        return target.equals("test_accuracy") ? -1 : 1;
    }

    /** The checkpoint step every network is taken at, or null for each run's last checkpoint. */
    public Long step() {
        return step;
    }

    /** How seeds enter the granulated coefficient. */
    public Seeds seeds() {
        return seeds;
    }

    /** Bootstrap resamples. */
    public int resamples() {
        return resamples;
    }

    /** Confidence level of the percentile intervals. */
    public double level() {
        return level;
    }

    /** Seed of the bootstrap's random numbers. */
    public long seed() {
        return seed;
    }

    /** Builder of {@link RankOptions}; {@link #build()} checks the values. */
    public static final class Builder {
        private String target = "gap_accuracy";
        private Long step;
        private Seeds seeds = Seeds.PAIRED;
        private int resamples = 1000;
        private double level = 0.95;
        private long seed;

        private Builder() {
        }

        /** The target column, one of {@link #TARGETS}. */
        public Builder target(String target) {
            this.target = target;
            return this;
        }

        /** Take every network at checkpoint {@code step} (null: each run's last checkpoint). */
        public Builder step(Long step) {
            this.step = step;
            return this;
        }

        /** How seeds enter the granulated coefficient. */
        public Builder seeds(Seeds seeds) {
            this.seeds = seeds;
            return this;
        }

        /** Bootstrap resamples (at least 1). */
        public Builder resamples(int resamples) {
            this.resamples = resamples;
            return this;
        }

        /** Confidence level, in (0, 1). */
        public Builder level(double level) {
            this.level = level;
            return this;
        }

        /** Seed of the bootstrap. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The options; a bad value is a {@link UserException} naming it. */
        public RankOptions build() {
            if (!TARGETS.contains(target)) {
                throw new UserException("unknown target '" + target + "': use one of " + String.join(", ", TARGETS));
            }
            if (step != null && step < 0) {
                throw new UserException("step must be >= 0, got " + step);
            }
            if (seeds == null) {
                throw new UserException("seed handling must be paired or mean");
            }
            if (resamples < 1) {
                throw new UserException("resamples must be >= 1, got " + resamples);
            }
            if (!(level > 0 && level < 1)) {
                throw new UserException(String.format(Locale.ROOT, "level must be in (0, 1), got %s", level));
            }
            return new RankOptions(this);
        }
    }
}
