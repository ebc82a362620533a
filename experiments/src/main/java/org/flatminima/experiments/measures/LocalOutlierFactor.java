package org.flatminima.experiments.measures;

import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * The Local Outlier Factor (Breunig, Kriegel, Ng and Sander, "LOF: identifying density-based local outliers",
 * SIGMOD 2000) with the semantics of scikit-learn's {@code LocalOutlierFactor.fit_predict} (1.2), which the
 * authors use to drop outliers before a correlation ({@link #authorsFilter}).
 *
 * <p>For points {@code p_1 .. p_n} and k neighbours (lowered to {@code n - 1} when {@code k >= n}, as sklearn):
 * <ul>
 *   <li>the neighbours {@code N(p)} of p are exactly k other points, nearest first (Euclidean distance); the point
 *       itself is excluded, its duplicates are not. Ties are broken by index here; sklearn's order among tied
 *       points depends on its tree, which changes the result only when tied neighbours at the k-th distance
 *       have different k-distances (exact duplicates do not: they have the same neighbours);</li>
 *   <li>{@code kdist(o)} is the distance from o to its k-th neighbour;
 *       {@code reach(p, o) = max(kdist(o), d(p, o))};</li>
 *   <li>{@code lrd(p) = 1 / (mean_{o in N(p)} reach(p, o) + 1e-10)} (sklearn's 1e-10 keeps it finite when a point
 *       has more than k duplicates);</li>
 *   <li>{@code negative_outlier_factor(p) = -mean_{o in N(p)} lrd(o) / lrd(p)};</li>
 *   <li>the threshold is numpy's {@code percentile(scores, 100 * contamination)} (linear interpolation), and a
 *       point is an outlier when its score is strictly below it.</li>
 * </ul>
 * The neighbour search sorts the points by the coordinate with the larger interquartile range and scans outwards
 * from each point, stopping on a side once the gap in that coordinate exceeds the current k-th distance; the
 * result is the brute-force one (the distance is symmetric in the two coordinates).
 */
public final class LocalOutlierFactor {
    private LocalOutlierFactor() {
    }

    /** The authors' {@code n_neighbors} ({@code margin_flatness/postprocessing/correlation.py}, get_outlier_filter). */
    public static final int AUTHORS_NEIGHBORS = 10;
    /** The authors' {@code contamination} (same function). */
    public static final double AUTHORS_CONTAMINATION = 0.2;
    /** Below this many points the authors keep every point (same function). */
    public static final int AUTHORS_MIN_POINTS = 5;

    /**
     * The result of one fit.
     *
     * @param negativeOutlierFactor sklearn's {@code negative_outlier_factor_} per point (about -1 for inliers,
     *     lower for outliers)
     * @param offset the threshold (sklearn's {@code offset_})
     * @param inlier whether each point is kept ({@code fit_predict == 1})
     * @param neighbors the number of neighbours used (sklearn's {@code n_neighbors_})
     */
    public record Result(double[] negativeOutlierFactor, double offset, boolean[] inlier, int neighbors) {

        /** The number of points kept. */
        public int kept() {
            int c = 0;
            for (boolean b : inlier) {
                c += b ? 1 : 0;
            }
            return c;
        }
    }

    /**
     * Fits LOF to the points {@code (x[i], y[i])}.
     *
     * @param k the number of neighbours (sklearn's {@code n_neighbors}, at least 1)
     * @param contamination the fraction of points flagged, in (0, 0.5] as sklearn requires
     */
    public static Result fit(double[] x, double[] y, int k, double contamination) {
        int n = x.length;
        if (y.length != n) {
            throw new IllegalArgumentException(x.length + " x values for " + y.length + " y values");
        }
        if (n < 2) {
            throw new IllegalArgumentException("LOF needs at least 2 points, got " + n);
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        if (!(contamination > 0 && contamination <= 0.5)) {
            throw new IllegalArgumentException("contamination must be in (0, 0.5], got " + contamination);
        }
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                throw new IllegalArgumentException("point " + i + " is not finite: (" + x[i] + ", " + y[i] + ")");
            }
        }
        int kk = Math.max(1, Math.min(k, n - 1));
        int[][] nbr = new int[n][];
        double[][] dist = new double[n][];
        // scan along the coordinate with the wider spread (fewer points per unit of it): same neighbours
        if (spread(y) > spread(x)) {
            neighbours(y, x, kk, nbr, dist);
        } else {
            neighbours(x, y, kk, nbr, dist);
        }
        double[] kdist = new double[n];
        for (int i = 0; i < n; i++) {
            kdist[i] = dist[i][kk - 1];
        }
        double[] lrd = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < kk; j++) {
                s += Math.max(dist[i][j], kdist[nbr[i][j]]);
            }
            lrd[i] = 1.0 / (s / kk + 1e-10);
        }
        double[] score = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < kk; j++) {
                s += lrd[nbr[i][j]] / lrd[i];
            }
            score[i] = -(s / kk);
        }
        double offset = percentile(score, 100.0 * contamination);
        boolean[] inlier = new boolean[n];
        for (int i = 0; i < n; i++) {
            inlier[i] = !(score[i] < offset);
        }
        return new Result(score, offset, inlier, kk);
    }

    /**
     * The authors' filter ({@code get_outlier_filter}): every point when there are fewer than
     * {@link #AUTHORS_MIN_POINTS}, else the inliers of LOF with {@link #AUTHORS_NEIGHBORS} neighbours and
     * contamination {@link #AUTHORS_CONTAMINATION} on the raw pairs {@code (x, y)}. (Their {@code try/except}, which
     * also keeps every point, catches sklearn's errors; non-finite values are such an error here too.)
     */
    public static boolean[] authorsFilter(double[] x, double[] y) {
        boolean[] all = new boolean[x.length];
        Arrays.fill(all, true);
        if (x.length < AUTHORS_MIN_POINTS) {
            return all;
        }
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                return all;
            }
        }
        return fit(x, y, AUTHORS_NEIGHBORS, AUTHORS_CONTAMINATION).inlier();
    }

    /** The values of {@code v} where {@code keep} is true, in order. */
    public static double[] keep(double[] v, boolean[] keep) {
        int c = 0;
        for (boolean b : keep) {
            c += b ? 1 : 0;
        }
        double[] r = new double[c];
        int j = 0;
        for (int i = 0; i < v.length; i++) {
            if (keep[i]) {
                r[j++] = v[i];
            }
        }
        return r;
    }

    /**
     * numpy's {@code percentile(v, q)} with its default linear method: at the virtual index
     * {@code (q / 100) (n - 1)} of the sorted values, interpolated as numpy's {@code _lerp} does.
     */
    static double percentile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        double virtual = (q / 100.0) * (n - 1);
        int lo = (int) Math.floor(virtual);
        lo = Math.max(0, Math.min(lo, n - 1));
        int hi = Math.min(lo + 1, n - 1);
        double t = virtual - lo;
        double a = s[lo];
        double b = s[hi];
        double diff = b - a;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /** The interquartile range of v. */
    private static double spread(double[] v) {
        return percentile(v, 75) - percentile(v, 25);
    }

    /** One candidate neighbour: ordered by distance, then index (the worst first in the max-heap). */
    private record Cand(double d, int j) {
    }

    /** The k nearest other points of every point, nearest first, ties by index. */
    private static void neighbours(double[] x, double[] y, int k, int[][] nbr, double[][] dist) {
        int n = x.length;
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = i;
        }
        Arrays.sort(boxed, (a, b) -> Double.compare(x[a], x[b]));
        int[] order = new int[n];
        int[] pos = new int[n];
        for (int r = 0; r < n; r++) {
            order[r] = boxed[r];
            pos[boxed[r]] = r;
        }
        java.util.Comparator<Cand> worstFirst = (a, b) -> a.d() != b.d() ? Double.compare(b.d(), a.d())
                : Integer.compare(b.j(), a.j());
        for (int i = 0; i < n; i++) {
            PriorityQueue<Cand> heap = new PriorityQueue<>(k + 1, worstFirst);
            int left = pos[i] - 1;
            int right = pos[i] + 1;
            boolean goLeft = true;
            boolean goRight = true;
            while (goLeft || goRight) {
                if (goLeft) {
                    goLeft = left >= 0 && offer(heap, k, x, y, i, order[left--], worstFirst);
                }
                if (goRight) {
                    goRight = right < n && offer(heap, k, x, y, i, order[right++], worstFirst);
                }
            }
            Cand[] c = heap.toArray(new Cand[0]);
            Arrays.sort(c, worstFirst.reversed());
            nbr[i] = new int[k];
            dist[i] = new double[k];
            for (int m = 0; m < k; m++) {
                nbr[i][m] = c[m].j();
                dist[i][m] = c[m].d();
            }
        }
    }

    /**
     * Offers point j as a neighbour of i; returns whether the scan should go on in j's direction (false once the
     * heap is full and the gap in x alone exceeds the current k-th distance, so no further point can enter).
     */
    private static boolean offer(PriorityQueue<Cand> heap, int k, double[] x, double[] y, int i, int j,
                                 java.util.Comparator<Cand> worstFirst) {
        double dx = x[j] - x[i];
        double dy = y[j] - y[i];
        if (heap.size() == k && Math.abs(dx) > heap.peek().d() * (1 + 1e-12)) {
            return false;
        }
        Cand c = new Cand(Math.sqrt(dx * dx + dy * dy), j);
        if (heap.size() < k) {
            heap.add(c);
        } else if (worstFirst.compare(c, heap.peek()) > 0) {
            heap.poll();
            heap.add(c);
        }
        return true;
    }
}
