package org.flatminima.experiments.measures;

/**
 * Shape statistics of a column of per-point values (a margin distribution) and of a few runs' results.
 *
 * <ul>
 *   <li>{@link #thirdCentralMoment}: {@code m3 = (1/n) sum (x_i - mean)^3}, the biased sample third central
 *       moment. This is what the authors' margin figure labels "Skewness": their notebook computes
 *       {@code scipy.stats.moment(x, moment=3)} (deep_generalizability, {@code notebooks/Margin Analysis.ipynb};
 *       the same call in {@code postprocessing/stats_plotting.py}), whose default is the central moment with
 *       denominator n. It has the units of the values cubed, so it grows with the margins' scale.</li>
 *   <li>{@link #skewness}: the Fisher-Pearson coefficient of skewness {@code g1 = m3 / m2^(3/2)} with
 *       {@code m2 = (1/n) sum (x_i - mean)^2} (the default, {@code bias=True}, of {@code scipy.stats.skew});
 *       scale-free, so dividing the values by a positive normaliser leaves it unchanged.</li>
 *   <li>{@link #histogram}: counts over equal-width bins.</li>
 *   <li>{@link #mean} and {@link #sd}: the mean and the sample standard deviation (n - 1) of a few numbers, e.g.
 *       one measure over seeds.</li>
 * </ul>
 * A column holding a NaN gives NaN (a diverged run); an empty column is an error.
 */
public final class Moments {
    private Moments() {
    }

    private static void check(double[] x) {
        if (x.length == 0) {
            throw new IllegalArgumentException("a moment of an empty column is undefined");
        }
    }

    /** The arithmetic mean (NaN if any value is NaN). */
    public static double mean(double[] x) {
        check(x);
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** The sample standard deviation, n - 1 in the denominator; NaN for one value. */
    public static double sd(double[] x) {
        check(x);
        if (x.length < 2) {
            return Double.NaN;
        }
        double m = mean(x);
        double ss = 0;
        for (double v : x) {
            ss += (v - m) * (v - m);
        }
        return Math.sqrt(ss / (x.length - 1));
    }

    /** The k-th central moment with denominator n (k = 2 or 3). */
    private static double central(double[] x, int k) {
        check(x);
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            double d = v - m;
            s += k == 2 ? d * d : d * d * d;
        }
        return s / x.length;
    }

    /** The biased sample third central moment {@code (1/n) sum (x - mean)^3} ({@code scipy.stats.moment(x, 3)}). */
    public static double thirdCentralMoment(double[] x) {
        return central(x, 3);
    }

    /**
     * The Fisher-Pearson coefficient of skewness {@code g1 = m3 / m2^(3/2)} (biased moments, as
     * {@code scipy.stats.skew(x)}); NaN when every value is the same (m2 = 0).
     */
    public static double skewness(double[] x) {
        double m2 = central(x, 2);
        if (m2 == 0) {
            return Double.NaN;
        }
        return central(x, 3) / Math.pow(m2, 1.5);
    }

    /**
     * Counts of {@code x} in {@code bins} equal-width bins over {@code [lo, hi]}: bin k holds
     * {@code lo + k w <= v < lo + (k + 1) w} with {@code w = (hi - lo) / bins}, the last bin also {@code v = hi}.
     * Values outside {@code [lo, hi]} and NaN are not counted.
     */
    public static int[] histogram(double[] x, double lo, double hi, int bins) {
        if (bins < 1 || !(hi > lo)) {
            throw new IllegalArgumentException("a histogram needs bins >= 1 and hi > lo; got " + bins + " bins over ["
                    + lo + ", " + hi + "]");
        }
        int[] c = new int[bins];
        double w = (hi - lo) / bins;
        for (double v : x) {
            if (!(v >= lo && v <= hi)) {
                continue;
            }
            int k = (int) Math.floor((v - lo) / w);
            c[Math.min(k, bins - 1)]++;
        }
        return c;
    }
}
