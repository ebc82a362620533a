package org.flatminima.experiments.reproduce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.CheckpointResult;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.CorrRow;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.ModelRun;

/**
 * E2 over several seeds: how seed k's run seed follows from the master seed, the correlations of every seed
 * side by side with their mean and standard deviation across seeds, and the verdict on each measure computed from
 * them.
 */
final class E2Seeds {
    private E2Seeds() {
    }

    /**
     * The golden-ratio increment of SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
     * generators", OOPSLA 2014).
     */
    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    /**
     * The run seed of seed {@code k} (0-based) under master seed {@code master}: the master seed itself for
     * {@code k = 0} (so a one-seed run is the run E2 made before it had seeds), else the SplitMix64 output
     * function applied to {@code master + k * 0x9E3779B97F4A7C15}. It seeds the initialisation
     * ({@code Network.initParams}), the batch order ({@code TrainConfig.seed}) and the bootstrap resampling.
     */
    static long seed(long master, int k) {
        if (k == 0) {
            return master;
        }
        long z = master + k * GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * One correlation (model, step, measure, group, method) in every seed: {@code values[k]}, {@code lows[k]},
     * {@code highs[k]} are seed k's coefficient and bootstrap interval (NaN where seed k skipped the group), and
     * {@code trainAcc[k]} its training accuracy at that step.
     */
    record Across(String model, long step, String measure, String group, String method, double[] values,
                  double[] lows, double[] highs, double[] trainAcc) {
        /** How many seeds have a value. */
        int n() {
            int n = 0;
            for (double v : values) {
                n += Double.isNaN(v) ? 0 : 1;
            }
            return n;
        }

        /** The mean over the seeds that have a value (NaN when none). */
        double mean() {
            return mean(values);
        }

        /**
         * The sample standard deviation (divisor n - 1) over the seeds that have a value; NaN when fewer than 2
         * have one.
         */
        double sd() {
            return sd(values);
        }

        /** The mean training accuracy over the seeds. */
        double trainAccMean() {
            return mean(trainAcc);
        }

        static double mean(double[] v) {
            double s = 0;
            int n = 0;
            for (double x : v) {
                if (!Double.isNaN(x)) {
                    s += x;
                    n++;
                }
            }
            return n == 0 ? Double.NaN : s / n;
        }

        static double sd(double[] v) {
            double m = mean(v);
            double s = 0;
            int n = 0;
            for (double x : v) {
                if (!Double.isNaN(x)) {
                    s += (x - m) * (x - m);
                    n++;
                }
            }
            return n < 2 ? Double.NaN : Math.sqrt(s / (n - 1));
        }
    }

    /**
     * Every correlation of a data set's runs across seeds: {@code bySeed.get(k)} are seed k's model runs (models in
     * the same order for every seed). The rows follow the first seed's order, then rows only later seeds have.
     */
    static List<Across> aggregate(List<List<ModelRun>> bySeed) {
        int seeds = bySeed.size();
        Map<String, Across> rows = new LinkedHashMap<>();
        for (int k = 0; k < seeds; k++) {
            for (ModelRun r : bySeed.get(k)) {
                for (CheckpointResult cr : r.checkpoints()) {
                    for (CorrRow c : cr.correlations()) {
                        String key = c.model() + "|" + c.step() + "|" + c.measure() + "|" + c.group() + "|"
                                + c.method();
                        Across a = rows.computeIfAbsent(key, x -> new Across(c.model(), c.step(), c.measure(),
                                c.group(), c.method(), nans(seeds), nans(seeds), nans(seeds), nans(seeds)));
                        a.values()[k] = c.value();
                        a.lows()[k] = c.low();
                        a.highs()[k] = c.high();
                        a.trainAcc()[k] = c.trainAcc();
                    }
                }
            }
        }
        return new ArrayList<>(rows.values());
    }

    private static double[] nans(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, Double.NaN);
        return v;
    }

    /** The row of (model, step, measure, group, method), or null. */
    static Across find(List<Across> rows, String model, long step, String measure, String group, String method) {
        for (Across a : rows) {
            if (a.model().equals(model) && a.step() == step && a.measure().equals(measure) && a.group().equals(group)
                    && a.method().equals(method)) {
                return a;
            }
        }
        return null;
    }

    /** The CSV of {@code rows} with one value column per seed ({@code seed_0}, ...). */
    static Results table(List<Across> rows, int seeds) {
        List<String> cols = new ArrayList<>(List.of("model", "step", "measure", "group", "method", "seeds", "mean",
                "sd", "train_acc_mean"));
        for (int k = 0; k < seeds; k++) {
            cols.add("seed_" + k);
        }
        Results t = new Results(cols.toArray(String[]::new));
        for (Across a : rows) {
            Object[] row = new Object[cols.size()];
            row[0] = a.model();
            row[1] = a.step();
            row[2] = a.measure();
            row[3] = a.group();
            row[4] = a.method();
            row[5] = a.n();
            row[6] = a.mean();
            row[7] = a.sd();
            row[8] = a.trainAccMean();
            for (int k = 0; k < seeds; k++) {
                row[9 + k] = a.values()[k];
            }
            t.row(row);
        }
        return t;
    }

    /** A measure's verdict on one (data set, model) at the last checkpoint, over all seeds. */
    enum Verdict {
        /**
         * Every seed: the expected sign, |Pearson| at least {@link #STRONG}, and the bootstrap interval on the
         * expected side of 0.
         */
        HOLDS("holds"),
        /** Every seed: the expected sign with the interval on that side of 0, but some |Pearson| under STRONG. */
        WEAK("weak"),
        /** Some seed has the wrong sign, or an interval that contains 0, or no value. */
        FAILS("does not hold");

        /** The smallest |Pearson| called a strong correlation. */
        static final double STRONG = 0.5;

        final String word;

        Verdict(String word) {
            this.word = word;
        }
    }

    /** The sign a measure is expected to correlate with the trace with: -1 for the margins, else +1. */
    static double expectedSign(String measure) {
        return measure.endsWith("margin") ? -1 : 1;
    }

    /** The verdict of one row of every seed's Pearson coefficients ({@link Verdict}). */
    static Verdict verdict(Across pearson) {
        if (pearson == null || pearson.n() < pearson.values().length) {
            return Verdict.FAILS;
        }
        double sign = expectedSign(pearson.measure());
        boolean strong = true;
        for (int k = 0; k < pearson.values().length; k++) {
            double v = sign * pearson.values()[k];
            double nearZero = sign > 0 ? pearson.lows()[k] : -pearson.highs()[k];
            if (!(v > 0) || !(nearZero > 0)) {
                return Verdict.FAILS;
            }
            strong &= v >= Verdict.STRONG;
        }
        return strong ? Verdict.HOLDS : Verdict.WEAK;
    }

    /**
     * "0.712 ± 0.020" (or "0.712" with one value); "(n of k seeds)" is added when some seeds have no value, "–"
     * when none has.
     */
    static String meanSd(Across a) {
        if (a == null || a.n() == 0) {
            return "–";
        }
        String s = Double.isNaN(a.sd()) ? String.format(Locale.ROOT, "%.3f", a.mean())
                : String.format(Locale.ROOT, "%.3f ± %.3f", a.mean(), a.sd());
        return a.n() < a.values().length ? s + " (" + a.n() + " of " + a.values().length + " seeds)" : s;
    }

    /** Every seed's value with its bootstrap interval: "0.71 [0.68, 0.74]; 0.69 [0.66, 0.72]". */
    static String perSeed(Across a) {
        if (a == null) {
            return "–";
        }
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < a.values().length; k++) {
            b.append(k == 0 ? "" : "; ");
            b.append(Double.isNaN(a.values()[k]) ? "–" : String.format(Locale.ROOT, "%.2f [%.2f, %.2f]",
                    a.values()[k], a.lows()[k], a.highs()[k]));
        }
        return b.toString();
    }
}
