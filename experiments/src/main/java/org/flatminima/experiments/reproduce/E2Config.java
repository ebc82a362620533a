package org.flatminima.experiments.reproduce;

import java.util.Arrays;
import java.util.List;
import org.flatminima.experiments.data.DataSets;

/**
 * E2's configuration: the models and their learning rates, the data sets, how many seeds, how many points, how
 * long to train, where to measure, and the authors' estimator's model and points. Immutable; made with
 * {@link #builder()} (or {@link #quick()} / {@link #full()}) and changed with {@link #toBuilder()};
 * {@link Builder#build()} refuses an inconsistent value with an {@link IllegalArgumentException} (the
 * configurations are written in code, not by users).
 */
public final class E2Config implements DataOverride.Adaptable<E2Config>, ArchOverride.Archable<E2Config>,
        Overrides.Trainable<E2Config>, Overrides.Seeded<E2Config> {
    /** The quick CNN. */
    static final String CNN_QUICK = "seq:1x28x28:conv(8,3,pad=1),relu,maxpool(2),conv(16,3,pad=1),relu,maxpool(2),"
            + "flatten,linear(10)";
    /** The full-scale CNN. */
    static final String CNN_FULL = "seq:1x28x28:conv(32,3,pad=1),relu,maxpool(2),conv(64,3,pad=1),relu,maxpool(2),"
            + "flatten,linear(128),relu,linear(10)";

    private final List<String> archs;
    private final double[] lrs;
    private final List<String> data;
    private final int seeds;
    private final int trainPoints;
    private final int measurePoints;
    private final int testPoints;
    private final int epochs;
    private final int batchSize;
    private final int checkpoints;
    private final int resamples;
    private final String authorsArch;
    private final int authorsPoints;
    private final Standardize standardize;

    private E2Config(Builder b) {
        this.archs = List.copyOf(b.archs);
        this.lrs = b.lrs.clone();
        this.data = List.copyOf(b.data);
        this.seeds = b.seeds;
        this.trainPoints = b.trainPoints;
        this.measurePoints = b.measurePoints;
        this.testPoints = b.testPoints;
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.checkpoints = b.checkpoints;
        this.resamples = b.resamples;
        this.authorsArch = b.authorsArch;
        this.authorsPoints = b.authorsPoints;
        this.standardize = b.standardize;
    }

    /**
     * The quick configuration: the embedded MNIST subset and Fashion-MNIST, 2 seeds, trained on 1,500 points per
     * data set and measured on the first 1,000 of them, the small MLP and CNN beside the affine model.
     */
    public static E2Config quick() {
        return builder().archs("affine:784-10", "mlp:784-256-256-10", CNN_QUICK).lrs(0.01, 0.05, 0.05)
                .data(DataSets.EMBEDDED, DataSets.FASHION).seeds(2).trainPoints(1500).measurePoints(1000)
                .testPoints(1000).epochs(4).batchSize(100).checkpoints(6).resamples(200)
                .authorsArch("mlp:784-256-256-10").authorsPoints(20).build();
    }

    /**
     * The full configuration: the paper's MLP and a wider CNN trained on all 60,000 points of MNIST and of
     * Fashion-MNIST, 3 seeds, measured on the first 10,000 (docs/REPRODUCTION.md gives its time).
     */
    public static E2Config full() {
        return builder().archs("affine:784-10", "mlp:784-256-256-256-256-10", CNN_FULL).lrs(0.01, 0.05, 0.05)
                .data(DataSets.MNIST, DataSets.FASHION).seeds(3).trainPoints(0).measurePoints(10000).testPoints(0)
                .epochs(30).batchSize(100).checkpoints(12).resamples(1000).authorsArch("mlp:784-256-256-256-256-10")
                .authorsPoints(200).build();
    }

    /** A builder with no models, the embedded subset, one seed and small defaults (tests set what they need). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder().archs(archs.toArray(String[]::new)).lrs(lrs).data(data.toArray(String[]::new))
                .seeds(seeds).trainPoints(trainPoints).measurePoints(measurePoints).testPoints(testPoints)
                .epochs(epochs).batchSize(batchSize).checkpoints(checkpoints).resamples(resamples)
                .authorsArch(authorsArch).authorsPoints(authorsPoints).standardize(standardize);
    }

    /** The models (ModelSpec strings; our affine expression is n/a for one whose last layer is not Linear). */
    public List<String> archs() {
        return archs;
    }

    /** SGD learning rate of each model, in the order of {@link #archs()} (momentum 0.9). */
    public double[] lrs() {
        return lrs.clone();
    }

    /**
     * The data sets, each run separately: the first is required (an absent one is a user error naming how to get
     * it); the others are skipped, with a line in the report, when they are not installed.
     */
    public List<String> data() {
        return data;
    }

    /**
     * How many seeds every (data set, model) is trained with; seed k's run seed is {@link E2Seeds#seed}(master,
     * k), which sets the initialisation and the batch order.
     */
    public int seeds() {
        return seeds;
    }

    /** Training points (the first ones of the split; 0: all). */
    public int trainPoints() {
        return trainPoints;
    }

    /** The first this many training points are measured at every checkpoint (0: all). */
    public int measurePoints() {
        return measurePoints;
    }

    /** Test points (the first ones of the split; 0: all). */
    public int testPoints() {
        return testPoints;
    }

    /** Training epochs. */
    public int epochs() {
        return epochs;
    }

    /** Mini-batch size. */
    public int batchSize() {
        return batchSize;
    }

    /** Number of log-spaced checkpoints besides step 0. */
    public int checkpoints() {
        return checkpoints;
    }

    /** Bootstrap resamples per correlation (95% percentile intervals across points). */
    public int resamples() {
        return resamples;
    }

    /** The model the authors' estimator runs on (one of {@link #archs()}). */
    public String authorsArch() {
        return authorsArch;
    }

    /** Points of the authors' estimator (the first training points), at every checkpoint; 0: not run. */
    public int authorsPoints() {
        return authorsPoints;
    }

    /** How the inputs are scaled ({@link Standardize#NONE}: pixels / 255, the configurations' own). */
    public Standardize standardize() {
        return standardize;
    }

    /** This configuration with its inputs scaled by {@code s} ({@code reproduce --standardize}). */
    @Override
    public E2Config withStandardize(Standardize s) {
        return toBuilder().standardize(s).build();
    }

    /** This configuration training every model for {@code n} epochs ({@code reproduce --epochs}). */
    @Override
    public E2Config withSeeds(int n) {
        return toBuilder().seeds(n).build();
    }

    @Override
    public E2Config withEpochs(int n) {
        return toBuilder().epochs(n).build();
    }

    /**
     * This configuration on {@code names} ({@code reproduce --data}) with its models and the authors' estimator's
     * model passed through {@code adapt} ({@link DataOverride}); everything else unchanged.
     */
    @Override
    public E2Config withData(List<String> names, java.util.function.UnaryOperator<String> adapt) {
        return toBuilder().data(names.toArray(String[]::new))
                .archs(archs.stream().map(adapt).toArray(String[]::new))
                .authorsArch(authorsArch.isEmpty() ? authorsArch : adapt.apply(authorsArch)).build();
    }

    /**
     * This configuration training its affine models (claim (2)'s closed form, with their learning rates) and then
     * {@code specs} ({@code reproduce --arch}) instead of its other models; each spec gets the learning rate of
     * this configuration's first non-affine model ({@link #nonAffineLr()}), and the authors' estimator runs on the
     * first spec. A spec equal to one of the affine models replaces it.
     */
    @Override
    public E2Config withArchs(List<String> specs) {
        java.util.List<String> a = new java.util.ArrayList<>();
        java.util.List<Double> l = new java.util.ArrayList<>();
        for (int m = 0; m < archs.size(); m++) {
            if (archs.get(m).startsWith("affine:") && !specs.contains(archs.get(m))) {
                a.add(archs.get(m));
                l.add(lrs[m]);
            }
        }
        double lr = nonAffineLr();
        for (String spec : specs) {
            a.add(spec);
            l.add(lr);
        }
        return toBuilder().archs(a.toArray(String[]::new)).lrs(l.stream().mapToDouble(Double::doubleValue).toArray())
                .authorsArch(specs.getFirst()).build();
    }

    /**
     * The learning rate of the first model that is not affine (the one {@link #withArchs} gives the user's
     * models), or the first model's when all are affine.
     */
    public double nonAffineLr() {
        for (int m = 0; m < archs.size(); m++) {
            if (!archs.get(m).startsWith("affine:")) {
                return lrs[m];
            }
        }
        return lrs[0];
    }

    @Override
    public List<String> models() {
        return archs;
    }

    @Override
    public List<String> dataSets() {
        return data;
    }

    /**
     * The label of model {@code arch} in tables, plots and checkpoint directories:
     * {@link E2FlatnessVsMargins#label}, made unique among {@link #archs()} by appending {@code -2}, {@code -3}, ...
     * to later models that would share it (two {@code seq:} models would both be {@code cnn}).
     */
    public String label(String arch) {
        int at = archs.indexOf(arch);
        String base = E2FlatnessVsMargins.label(arch);
        if (at < 0) {
            return base;
        }
        int same = 0;
        for (int m = 0; m < at; m++) {
            same += E2FlatnessVsMargins.label(archs.get(m)).equals(base) ? 1 : 0;
        }
        return same == 0 ? base : base + "-" + (same + 1);
    }

    /** Builds an {@link E2Config}. */
    public static final class Builder {
        private List<String> archs = List.of();
        private double[] lrs = new double[0];
        private List<String> data = List.of(DataSets.EMBEDDED);
        private int seeds = 1;
        private int trainPoints = 200;
        private int measurePoints;
        private int testPoints = 100;
        private int epochs = 1;
        private int batchSize = 50;
        private int checkpoints = 3;
        private int resamples = 20;
        private String authorsArch = "";
        private int authorsPoints;
        private Standardize standardize = Standardize.NONE;

        private Builder() {
        }

        /** The models, as ModelSpec strings. */
        public Builder archs(String... v) {
            archs = List.of(v);
            return this;
        }

        /** One learning rate per model. */
        public Builder lrs(double... v) {
            lrs = v.clone();
            return this;
        }

        /** The data sets (the first required). */
        public Builder data(String... v) {
            data = List.of(v);
            return this;
        }

        /** Number of seeds (at least 1). */
        public Builder seeds(int v) {
            seeds = v;
            return this;
        }

        /** Training points (0: all). */
        public Builder trainPoints(int v) {
            trainPoints = v;
            return this;
        }

        /** Measured training points (0: all). */
        public Builder measurePoints(int v) {
            measurePoints = v;
            return this;
        }

        /** Test points (0: all). */
        public Builder testPoints(int v) {
            testPoints = v;
            return this;
        }

        /** Training epochs. */
        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        /** Mini-batch size. */
        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        /** Log-spaced checkpoints besides step 0. */
        public Builder checkpoints(int v) {
            checkpoints = v;
            return this;
        }

        /** Bootstrap resamples per correlation. */
        public Builder resamples(int v) {
            resamples = v;
            return this;
        }

        /** The authors' estimator's model. */
        public Builder authorsArch(String v) {
            authorsArch = v;
            return this;
        }

        /** The authors' estimator's points (0: not run). */
        public Builder authorsPoints(int v) {
            authorsPoints = v;
            return this;
        }

        /** How the inputs are scaled (default {@link Standardize#NONE}). */
        public Builder standardize(Standardize v) {
            standardize = java.util.Objects.requireNonNull(v);
            return this;
        }

        /** The configuration; refuses inconsistent values. */
        public E2Config build() {
            if (archs.isEmpty() || lrs.length != archs.size()) {
                throw new IllegalArgumentException("E2 needs at least one model and one learning rate per model, got "
                        + archs.size() + " models and " + Arrays.toString(lrs));
            }
            if (data.isEmpty()) {
                throw new IllegalArgumentException("E2 needs at least one data set");
            }
            if (seeds < 1) {
                throw new IllegalArgumentException("E2 needs at least one seed, got " + seeds);
            }
            if (trainPoints < 0 || measurePoints < 0 || testPoints < 0 || authorsPoints < 0) {
                throw new IllegalArgumentException("E2's point counts must be >= 0 (0: all)");
            }
            if (epochs < 1 || batchSize < 1 || checkpoints < 1 || resamples < 1) {
                throw new IllegalArgumentException("E2's epochs, batch size, checkpoints and resamples must be >= 1");
            }
            if (authorsPoints > 0 && !archs.contains(authorsArch)) {
                throw new IllegalArgumentException("E2's authors' estimator model '" + authorsArch
                        + "' is not one of its models " + archs);
            }
            return new E2Config(this);
        }
    }
}
