package org.flatminima.experiments.reproduce;

import java.util.List;
import java.util.Locale;
import org.flatminima.experiments.measures.Moments;

/** E4's report across seeds: how many seeds show each part of claim (4), and the curvature's spread per alpha. */
final class E4Seeds {
    private E4Seeds() {
    }

    /**
     * The lines and table E4 writes for one data set with several seeds: in how many seeds the trace and the top
     * eigenvalue fall strictly from each alpha to the next and no prediction changes, each seed's epochs to 100%
     * training accuracy, and per alpha the mean ± sample standard deviation of the trace and the top eigenvalue.
     */
    static String markdown(double[] alphas, List<double[]> traces, List<double[]> tops, List<Integer> epochs,
                           List<Boolean> capHit, List<Integer> changed) {
        int n = traces.size();
        long traceFalls = traces.stream().filter(E4Seeds::falls).count();
        long topFalls = tops.stream().filter(E4Seeds::falls).count();
        long unchanged = changed.stream().filter(c -> c == 0).count();
        long caps = capHit.stream().filter(b -> b).count();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, """

                **Over the %d seeds** (each in `E4/scaling.csv`): the trace falls strictly from each alpha to the \
                next in %d of %d seeds, the top eigenvalue in %d of %d; no prediction changes at any alpha in %d of \
                %d; epochs to 100%% training accuracy %s%s.

                | alpha | trace (mean ± sd) | top eigenvalue (mean ± sd) |
                |---|---|---|
                """, n, traceFalls, n, topFalls, n, unchanged, n, epochs,
                caps == 0 ? "" : String.format(Locale.ROOT, " (the cap was hit in %d)", caps)));
        for (int i = 0; i < alphas.length; i++) {
            b.append("| ").append(Results.format(alphas[i], 5)).append(" | ").append(meanSd(traces, i)).append(" | ")
                    .append(meanSd(tops, i)).append(" |\n");
        }
        return b.toString();
    }

    /** Whether every value is strictly below the one before it. */
    static boolean falls(double[] v) {
        for (int i = 1; i < v.length; i++) {
            if (!(v[i] < v[i - 1])) {
                return false;
            }
        }
        return true;
    }

    private static String meanSd(List<double[]> series, int i) {
        double[] v = series.stream().mapToDouble(s -> s[i]).toArray();
        return Results.format(Moments.mean(v), 5) + " ± " + Results.format(Moments.sd(v), 2);
    }
}
