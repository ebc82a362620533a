package org.flatminima.experiments.reproduce;

import java.util.Arrays;
import java.util.Map;
import org.flatminima.experiments.data.DataSets;

/**
 * E3's configuration, made with {@link #builder()}; {@link #quick()} and {@link #full()} are the two scales.
 *
 * <p>Two regimes share the model, the data, the two batch sizes and, within a seed, the initialisation:
 * <ul>
 *   <li>the authors' regime: plain SGD, constant learning rate {@link #authorsLr()}, no momentum, for
 *       {@link #authorsEpochs()} epochs (the settings of the authors' batch-size comparison in
 *       {@code deep_generalizability/experiment.py} at their commit "Submission", 5a7acad: SGD, lr 0.36,
 *       momentum 0, batch {256, 4096}, cross-entropy, MNIST);</li>
 *   <li>the current regime (this project's earlier E3): SGD with momentum {@link #currentMomentum()}, a multistep
 *       schedule (x{@link #gamma()} at {@link #milestoneFractions()} of each run's epochs), {@link #currentEpochs()}
 *       epochs at {@link #currentLr()}, and Hoffer et al.'s longer run.</li>
 * </ul>
 */
public final class E3Config implements DataOverride.Adaptable<E3Config>, ArchOverride.Archable<E3Config>,
        Overrides.Trainable<E3Config>, Overrides.Seeded<E3Config> {
    private final String arch;
    private final String data;
    private final String dtype;
    private final int trainPoints;
    private final int testPoints;
    private final int tracePoints;
    private final int seeds;
    private final int checkpoints;
    private final int smallBatch;
    private final int largeBatch;
    private final double authorsLr;
    private final int authorsEpochs;
    private final int controlMaxEpochs;
    private final double currentLr;
    private final double currentMomentum;
    private final int currentEpochs;
    private final double[] milestoneFractions;
    private final double gamma;
    private final int maxMultiplier;
    private final int histogramBins;
    private final boolean topEigenvalue;
    private final Standardize standardize;

    private E3Config(Builder b) {
        arch = b.arch;
        data = b.data;
        dtype = b.dtype;
        trainPoints = b.trainPoints;
        testPoints = b.testPoints;
        tracePoints = b.tracePoints;
        seeds = b.seeds;
        checkpoints = b.checkpoints;
        smallBatch = b.smallBatch;
        largeBatch = b.largeBatch;
        authorsLr = b.authorsLr;
        authorsEpochs = b.authorsEpochs;
        controlMaxEpochs = b.controlMaxEpochs;
        currentLr = b.currentLr;
        currentMomentum = b.currentMomentum;
        currentEpochs = b.currentEpochs;
        milestoneFractions = b.milestoneFractions.clone();
        gamma = b.gamma;
        maxMultiplier = b.maxMultiplier;
        histogramBins = b.histogramBins;
        topEigenvalue = b.topEigenvalue;
        standardize = b.standardize;
    }

    /**
     * The quick configuration: {@code mlp:784-128-10} in float32 on 8,192 of the embedded subset's 10,000 MNIST
     * training points (so that the large batch is exactly 2 steps per epoch and the small one 32), tested on its
     * 2,000 test points; the authors' batch sizes 256 and 4096 (the embedded subset is large enough for them);
     * 4 epochs in the authors' regime (control: 64), 4 in the current regime (multiplier capped at 8); 2 seeds; no
     * top eigenvalue.
     */
    public static E3Config quick() {
        return builder().arch("mlp:784-128-10").data(DataSets.EMBEDDED).dtype("F32").trainPoints(8192)
                .testPoints(0).tracePoints(2048).seeds(2).checkpoints(6).smallBatch(256).largeBatch(4096)
                .authorsLr(0.36).authorsEpochs(4).controlMaxEpochs(64).currentLr(0.05).currentMomentum(0.9)
                .currentEpochs(4).milestoneFractions(0.5, 0.75).gamma(0.1).maxMultiplier(8).histogramBins(40)
                .topEigenvalue(false).build();
    }

    /**
     * The full configuration: the authors' SimpleNet depth (4 hidden ReLU layers) at width 100 on the full MNIST
     * (60,000 / 10,000 points; a missing MNIST fails before anything runs), batch 256 against 4096, 15 epochs in
     * the authors' regime (control: the small batch's 3,525 steps, 235 epochs), 15 in the current regime
     * (multiplier capped at 8), the trace on the first 10,000 training points, the top eigenvalue at each run's end; 3 seeds.
     */
    public static E3Config full() {
        return builder().arch("mlp:784-100-100-100-100-10").data(DataSets.MNIST).dtype("F32").trainPoints(0)
                .testPoints(0).tracePoints(10000).seeds(3).checkpoints(7).smallBatch(256).largeBatch(4096)
                .authorsLr(0.36).authorsEpochs(15).controlMaxEpochs(240).currentLr(0.05).currentMomentum(0.9)
                .currentEpochs(15).milestoneFractions(0.5, 0.75).gamma(0.1).maxMultiplier(8).histogramBins(50)
                .topEigenvalue(true).build();
    }

    /** A builder with the quick configuration's values. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * This configuration on the first of {@code names} ({@code reproduce --data}) with its model passed through
     * {@code adapt} ({@link DataOverride}); everything else unchanged.
     */
    @Override
    public E3Config withData(java.util.List<String> names, java.util.function.UnaryOperator<String> adapt) {
        return toBuilder().data(names.getFirst()).arch(adapt.apply(arch)).build();
    }

    /**
     * This configuration training the one spec of {@code specs} ({@code reproduce --arch}) in every run; more than
     * one is a {@link org.flatminima.experiments.UserException}.
     */
    @Override
    public E3Config withArchs(java.util.List<String> specs) {
        if (specs.size() != 1) {
            throw new org.flatminima.experiments.UserException(
                    "E3 trains one model: give one --arch, or --only E2");
        }
        return toBuilder().arch(specs.getFirst()).build();
    }

    @Override
    public java.util.List<String> models() {
        return java.util.List.of(arch);
    }

    @Override
    public java.util.List<String> dataSets() {
        return java.util.List.of(data);
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder().arch(arch).data(data).dtype(dtype).trainPoints(trainPoints).testPoints(testPoints)
                .tracePoints(tracePoints).seeds(seeds).checkpoints(checkpoints).smallBatch(smallBatch)
                .largeBatch(largeBatch).authorsLr(authorsLr).authorsEpochs(authorsEpochs)
                .controlMaxEpochs(controlMaxEpochs).currentLr(currentLr).currentMomentum(currentMomentum)
                .currentEpochs(currentEpochs).milestoneFractions(milestoneFractions).gamma(gamma)
                .maxMultiplier(maxMultiplier).histogramBins(histogramBins).topEigenvalue(topEigenvalue)
                .standardize(standardize);
    }

    /** The model spec. */
    public String arch() {
        return arch;
    }

    /** The data set's name. */
    public String data() {
        return data;
    }

    /** "F32" or "F64": the type of E3's computations. */
    public String dtype() {
        return dtype;
    }

    /** Training points (the first ones of the split; 0: all). */
    public int trainPoints() {
        return trainPoints;
    }

    /** Test points (the first ones of the split; 0: all). */
    public int testPoints() {
        return testPoints;
    }

    /** The Hessian trace is of the mean loss over the first this many training points (0: all). */
    public int tracePoints() {
        return tracePoints;
    }

    /** Seeds: {@code seed, seed + 1, ...} of the reproduction's master seed. */
    public int seeds() {
        return seeds;
    }

    /** Log-spaced checkpoint epochs per run (epoch 0 and the last are always in). */
    public int checkpoints() {
        return checkpoints;
    }

    /** The small batch size. */
    public int smallBatch() {
        return smallBatch;
    }

    /** The large batch size. */
    public int largeBatch() {
        return largeBatch;
    }

    /** The authors' regime's constant learning rate. */
    public double authorsLr() {
        return authorsLr;
    }

    /** Epochs of the authors' regime's small- and large-batch runs. */
    public int authorsEpochs() {
        return authorsEpochs;
    }

    /** Cap on the epochs of the authors' regime's control (the large batch trained as many steps as the small). */
    public int controlMaxEpochs() {
        return controlMaxEpochs;
    }

    /** The current regime's base learning rate. */
    public double currentLr() {
        return currentLr;
    }

    /** The current regime's momentum. */
    public double currentMomentum() {
        return currentMomentum;
    }

    /** Epochs of the current regime's small- and large-batch runs. */
    public int currentEpochs() {
        return currentEpochs;
    }

    /** The current regime's milestones as fractions of each run's epochs. */
    public double[] milestoneFractions() {
        return milestoneFractions.clone();
    }

    /** The factor applied to the learning rate at each milestone. */
    public double gamma() {
        return gamma;
    }

    /** Cap on the current regime's epoch multiplier for the longer runs. */
    public int maxMultiplier() {
        return maxMultiplier;
    }

    /** Bins of the margin histograms. */
    public int histogramBins() {
        return histogramBins;
    }

    /** Whether the top Hessian eigenvalue (Lanczos) is measured at each run's last checkpoint. */
    public boolean topEigenvalue() {
        return topEigenvalue;
    }

    /** How the inputs are scaled ({@link Standardize#NONE}: pixels / 255, the configurations' own). */
    public Standardize standardize() {
        return standardize;
    }

    /** This configuration with its inputs scaled by {@code s} ({@code reproduce --standardize}). */
    @Override
    public E3Config withStandardize(Standardize s) {
        return toBuilder().standardize(s).build();
    }

    /**
     * This configuration training for {@code n} epochs ({@code reproduce --epochs}): the authors' regime's and the
     * current regime's equal-epoch runs (A1, A2, C1, C2) for {@code n}, the cap on the authors' control scaled by
     * {@code n / authorsEpochs} (rounded up), so that A3 still trains A1's steps (in whole epochs) wherever it did; the
     * current regime's longer runs keep their multiplier of {@code n}.
     */
    @Override
    public E3Config withSeeds(int n) {
        return toBuilder().seeds(n).build();
    }

    @Override
    public E3Config withEpochs(int n) {
        int cap = (int) Math.min(Integer.MAX_VALUE,
                ((long) controlMaxEpochs * n + authorsEpochs - 1) / authorsEpochs);
        return toBuilder().authorsEpochs(n).currentEpochs(n).controlMaxEpochs(cap).build();
    }

    /** The batch-size ratio {@code B_large / B_small}. */
    public double ratio() {
        return largeBatch / (double) smallBatch;
    }

    /** Puts the configuration into {@code m} in report order (what a finished run is matched against). */
    void describe(Map<String, Object> m) {
        m.put("arch", arch);
        m.put("data", data);
        m.put("e3dtype", dtype);
        m.put("trainPoints", trainPoints);
        m.put("testPoints", testPoints);
        m.put("tracePoints", tracePoints);
        m.put("seeds", seeds);
        m.put("checkpoints", checkpoints);
        m.put("smallBatch", smallBatch);
        m.put("largeBatch", largeBatch);
        m.put("authorsLr", authorsLr);
        m.put("authorsEpochs", authorsEpochs);
        m.put("controlMaxEpochs", controlMaxEpochs);
        m.put("currentLr", currentLr);
        m.put("currentMomentum", currentMomentum);
        m.put("currentEpochs", currentEpochs);
        m.put("milestoneFractions", milestoneFractions.clone());
        m.put("gamma", gamma);
        m.put("maxMultiplier", maxMultiplier);
        m.put("histogramBins", histogramBins);
        m.put("topEigenvalue", topEigenvalue);
        if (standardize != Standardize.NONE) {
            // only when set, so that the run directories made before the option keep matching their configuration
            m.put("standardize", standardize.label());
        }
    }

    @Override
    public String toString() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        describe(m);
        m.put("milestoneFractions", Arrays.toString(milestoneFractions));
        return m.toString();
    }

    /** Builds an {@link E3Config}; {@link #build()} checks every value. */
    public static final class Builder {
        private String arch = "mlp:784-128-10";
        private String data = DataSets.EMBEDDED;
        private String dtype = "F32";
        private int trainPoints = 8192;
        private int testPoints;
        private int tracePoints = 2048;
        private int seeds = 2;
        private int checkpoints = 6;
        private int smallBatch = 256;
        private int largeBatch = 4096;
        private double authorsLr = 0.36;
        private int authorsEpochs = 4;
        private int controlMaxEpochs = 64;
        private double currentLr = 0.05;
        private double currentMomentum = 0.9;
        private int currentEpochs = 4;
        private double[] milestoneFractions = {0.5, 0.75};
        private double gamma = 0.1;
        private int maxMultiplier = 8;
        private int histogramBins = 40;
        private boolean topEigenvalue;
        private Standardize standardize = Standardize.NONE;

        private Builder() {
        }

        /** The model spec. */
        public Builder arch(String v) {
            arch = v;
            return this;
        }

        /** The data set's name. */
        public Builder data(String v) {
            data = v;
            return this;
        }

        /** "F32" or "F64". */
        public Builder dtype(String v) {
            dtype = v;
            return this;
        }

        /** Training points (0: all). */
        public Builder trainPoints(int v) {
            trainPoints = v;
            return this;
        }

        /** Test points (0: all). */
        public Builder testPoints(int v) {
            testPoints = v;
            return this;
        }

        /** Points of the Hessian trace (0: all training points). */
        public Builder tracePoints(int v) {
            tracePoints = v;
            return this;
        }

        /** Number of seeds. */
        public Builder seeds(int v) {
            seeds = v;
            return this;
        }

        /** Log-spaced checkpoints per run. */
        public Builder checkpoints(int v) {
            checkpoints = v;
            return this;
        }

        /** The small batch size. */
        public Builder smallBatch(int v) {
            smallBatch = v;
            return this;
        }

        /** The large batch size. */
        public Builder largeBatch(int v) {
            largeBatch = v;
            return this;
        }

        /** The authors' regime's learning rate. */
        public Builder authorsLr(double v) {
            authorsLr = v;
            return this;
        }

        /** The authors' regime's epochs. */
        public Builder authorsEpochs(int v) {
            authorsEpochs = v;
            return this;
        }

        /** Cap on the control's epochs. */
        public Builder controlMaxEpochs(int v) {
            controlMaxEpochs = v;
            return this;
        }

        /** The current regime's base learning rate. */
        public Builder currentLr(double v) {
            currentLr = v;
            return this;
        }

        /** The current regime's momentum. */
        public Builder currentMomentum(double v) {
            currentMomentum = v;
            return this;
        }

        /** The current regime's epochs. */
        public Builder currentEpochs(int v) {
            currentEpochs = v;
            return this;
        }

        /** Milestones as fractions of a run's epochs. */
        public Builder milestoneFractions(double... v) {
            milestoneFractions = v.clone();
            return this;
        }

        /** The multistep factor. */
        public Builder gamma(double v) {
            gamma = v;
            return this;
        }

        /** Cap on the current regime's epoch multiplier. */
        public Builder maxMultiplier(int v) {
            maxMultiplier = v;
            return this;
        }

        /** Histogram bins. */
        public Builder histogramBins(int v) {
            histogramBins = v;
            return this;
        }

        /** Whether the top eigenvalue is measured at each run's last checkpoint. */
        public Builder topEigenvalue(boolean v) {
            topEigenvalue = v;
            return this;
        }

        /** How the inputs are scaled (default {@link Standardize#NONE}). */
        public Builder standardize(Standardize v) {
            standardize = java.util.Objects.requireNonNull(v);
            return this;
        }

        /** The configuration; an {@link IllegalArgumentException} names the first bad value. */
        public E3Config build() {
            require(trainPoints >= 0 && testPoints >= 0 && tracePoints >= 0, "point counts must be >= 0");
            require(seeds >= 1, "seeds must be >= 1");
            require(checkpoints >= 2, "checkpoints must be >= 2");
            require(smallBatch >= 1 && largeBatch > smallBatch, "need 1 <= smallBatch < largeBatch");
            require(authorsLr > 0 && currentLr > 0, "learning rates must be > 0");
            require(authorsEpochs >= 1 && currentEpochs >= 1, "epochs must be >= 1");
            require(controlMaxEpochs >= authorsEpochs, "controlMaxEpochs must be >= authorsEpochs");
            require(currentMomentum >= 0 && currentMomentum < 1, "momentum must be in [0, 1)");
            require(gamma > 0 && gamma <= 1, "gamma must be in (0, 1]");
            require(maxMultiplier >= 1, "maxMultiplier must be >= 1");
            require(histogramBins >= 2, "histogramBins must be >= 2");
            for (double f : milestoneFractions) {
                require(f > 0 && f < 1, "milestone fractions must be in (0, 1)");
            }
            org.flatminima.kernels.DType.valueOf(dtype);
            return new E3Config(this);
        }

        private static void require(boolean ok, String what) {
            if (!ok) {
                throw new IllegalArgumentException("E3 configuration: " + what);
            }
        }
    }
}
