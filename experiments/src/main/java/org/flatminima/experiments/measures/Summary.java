package org.flatminima.experiments.measures;

import java.util.Arrays;

/**
 * Distribution statistics of one column of per-point values (e.g. a margin): quantiles by linear interpolation
 * between order statistics (NumPy's default, so the median of an even count is the mean of the two middle
 * values), Tukey's fences at 1.5 interquartile ranges, and the number of points outside them.
 *
 * @param count number of values
 * @param mean arithmetic mean
 * @param std sample standard deviation (n - 1 in the denominator; 0 for one value)
 * @param min smallest value
 * @param q1 first quartile
 * @param median second quartile
 * @param q3 third quartile
 * @param max largest value
 * @param lowerFence {@code q1 - 1.5 (q3 - q1)}
 * @param upperFence {@code q3 + 1.5 (q3 - q1)}
 * @param outliers values outside the fences
 */
public record Summary(int count, double mean, double std, double min, double q1, double median, double q3,
                      double max, double lowerFence, double upperFence, int outliers) {

    /** Summarises {@code values} (not modified). NaN values are an error: they have no place in a margin column. */
    public static Summary of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("cannot summarise an empty column");
        }
        double[] s = values.clone();
        for (double v : s) {
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("the column contains NaN");
            }
        }
        Arrays.sort(s);
        double mean = 0;
        for (double v : s) {
            mean += v;
        }
        mean /= s.length;
        double ss = 0;
        for (double v : s) {
            ss += (v - mean) * (v - mean);
        }
        double std = s.length > 1 ? Math.sqrt(ss / (s.length - 1)) : 0;
        double q1 = quantileSorted(s, 0.25);
        double q3 = quantileSorted(s, 0.75);
        double lo = q1 - 1.5 * (q3 - q1);
        double hi = q3 + 1.5 * (q3 - q1);
        int out = 0;
        for (double v : s) {
            if (v < lo || v > hi) {
                out++;
            }
        }
        return new Summary(s.length, mean, std, s[0], q1, quantileSorted(s, 0.5), q3, s[s.length - 1], lo, hi, out);
    }

    /**
     * {@link #of}, except that a column holding a NaN gives NaN statistics (count kept, no outliers) instead of an
     * error: for measures where NaN means "measured, not finite".
     */
    public static Summary ofOrNaN(double[] values) {
        for (double v : values) {
            if (Double.isNaN(v)) {
                double nan = Double.NaN;
                return new Summary(values.length, nan, nan, nan, nan, nan, nan, nan, nan, nan, 0);
            }
        }
        return of(values);
    }

    /** The q-quantile (0 <= q <= 1) of sorted values, linear interpolation between order statistics. */
    public static double quantileSorted(double[] sorted, double q) {
        if (q < 0 || q > 1) {
            throw new IllegalArgumentException("quantile " + q + " outside [0, 1]");
        }
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
