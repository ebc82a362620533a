package org.flatminima.experiments.sweep.rank;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.sweep.rank.Networks.Network;

/**
 * The ranking of a sweep's flatness and margin measures by how well they order the networks' generalisation: for each
 * measure column of the sweep table, Kendall's tau-b with the target (the generalisation gap by default) across the
 * networks, with a percentile bootstrap interval over networks, and the granulated coefficient of Jiang et al.
 * ({@link Granulated}). Made by {@link #of}; written by {@link RankFiles} and {@link SweepReport}.
 *
 * <p>The bootstrap resamples networks (one row per run, see {@link Networks}) with replacement; every measure uses
 * the same seed, so the measures are compared on the same resamples.
 *
 * @param options  how the ranking was made
 * @param networks the networks and the run counts
 * @param rows     one row per measure the sweep took, sorted by |tau| (largest first; undefined last; ties in
 *                 {@link #MEASURES} order)
 * @param notMeasured measure columns that are absent or empty for every network (none when there is no network)
 */
public record MeasureRanking(RankOptions options, Networks networks, List<Row> rows, List<String> notMeasured) {

    /**
     * A measure column and the sign its tau with the generalisation gap should have if the measure predicts
     * generalisation the way its authors propose: +1 for sharpness and complexity (sharper, larger norm: larger gap;
     * Keskar et al. 2017, Bartlett, Foster and Telgarsky 2017), -1 for margins (larger margin: smaller gap, the
     * recommendation of the paper "On Flat Minima, Large Margins and Generalizability").
     */
    public record Measure(String column, int expectedSign) {
    }

    /** The measure columns of the sweep table, in the table's order. */
    public static final List<Measure> MEASURES = List.of(
            new Measure("trace", 1), new Measure("pp_trace_mean", 1), new Measure("pp_trace_median", 1),
            new Measure("pp_trace_q1", 1), new Measure("pp_trace_q3", 1), new Measure("top_eigenvalue", 1),
            new Measure("output_margin_mean", -1), new Measure("output_margin_median", -1),
            new Measure("softmax_margin_mean", -1), new Measure("softmax_margin_median", -1),
            new Measure("input_margin_mean", -1), new Measure("input_margin_median", -1),
            new Measure("spectral_norm_product", 1), new Measure("output_margin_norm_median", -1),
            new Measure("input_margin_norm_median", -1), new Measure("one_minus_m2_mean", 1),
            new Measure("affine_trace_expr_mean", 1));

    /** What a measure's interval says about its expected sign. */
    public enum Verdict {
        /** The whole interval has the expected sign. */
        AS_EXPECTED("as expected"),
        /** The whole interval has the opposite sign. */
        OPPOSITE("opposite"),
        /** The interval contains 0 (or could not be computed). */
        INCONCLUSIVE("inconclusive"),
        /** Tau is undefined (see the row's reason). */
        UNDEFINED("undefined");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        /** The verdict as written in the tables. */
        public String label() {
            return label;
        }

        static Verdict of(double tau, double low, double high, int expectedSign) {
            if (Double.isNaN(tau)) {
                return UNDEFINED;
            }
            if (Double.isNaN(low) || Double.isNaN(high) || (low <= 0 && high >= 0)) {
                return INCONCLUSIVE;
            }
            return (low > 0) == (expectedSign > 0) ? AS_EXPECTED : OPPOSITE;
        }
    }

    /**
     * One measure's ranking.
     *
     * @param measure      the measure column
     * @param expectedSign the sign tau with the target should have (the measure's expected sign against the gap,
     *                     times {@link RankOptions#targetOrientation()})
     * @param networks     networks with a finite value of the measure and of the target
     * @param tau          Kendall's tau-b across those networks (NaN when undefined)
     * @param low          lower end of the bootstrap interval over networks
     * @param high         upper end
     * @param verdict      the interval against the expected sign
     * @param granulated   the granulated coefficient (Psi and psi per varying axis)
     * @param reason       why tau is undefined, and which networks were left out (empty when neither)
     */
    public record Row(String measure, int expectedSign, int networks, double tau, double low, double high,
                      Verdict verdict, Granulated.Result granulated, String reason) {
    }

    /** The order of {@link #rows}: |tau| descending, undefined last, then the order of {@link #MEASURES}. */
    static final Comparator<Row> ORDER = Comparator
            .comparingDouble((Row r) -> Double.isNaN(r.tau()) ? 1.0 : -Math.abs(r.tau()))
            .thenComparingInt(r -> index(r.measure()));

    private static int index(String column) {
        for (int i = 0; i < MEASURES.size(); i++) {
            if (MEASURES.get(i).column().equals(column)) {
                return i;
            }
        }
        return MEASURES.size();
    }

    /**
     * Ranks the measures of sweep table rows {@code rows} (as read by {@link TableCsv}).
     *
     * @throws UserException when the table has no rows, lacks a required column or the target column
     */
    public static MeasureRanking of(List<Map<String, String>> rows, RankOptions options) {
        if (rows.isEmpty()) {
            throw new UserException("the sweep table has no rows: no run has reached a checkpoint yet; rank the "
                    + "sweep after it has run");
        }
        if (!rows.get(0).containsKey(options.target())) {
            throw new UserException("the sweep table has no column '" + options.target() + "': use a target among "
                    + String.join(", ", RankOptions.TARGETS) + " that the table has");
        }
        Networks nets = Networks.select(rows, options.step());
        List<Row> out = new ArrayList<>();
        List<String> notMeasured = new ArrayList<>();
        for (Measure m : nets.networks().isEmpty() ? List.<Measure>of() : MEASURES) {
            boolean measured = nets.networks().stream().anyMatch(n -> n.value(m.column()) != null);
            if (!measured) {
                notMeasured.add(m.column());
                continue;
            }
            out.add(rank(m, nets, options));
        }
        out.sort(ORDER);
        return new MeasureRanking(options, nets, List.copyOf(out), List.copyOf(notMeasured));
    }

    private static Row rank(Measure m, Networks nets, RankOptions o) {
        List<Network> used = new ArrayList<>();
        List<double[]> xy = new ArrayList<>();
        for (Network n : nets.networks()) {
            Double x = n.value(m.column());
            Double y = n.value(o.target());
            if (x != null && y != null && Double.isFinite(x) && Double.isFinite(y)) {
                used.add(n);
                xy.add(new double[] {x, y});
            }
        }
        double[] x = xy.stream().mapToDouble(v -> v[0]).toArray();
        double[] y = xy.stream().mapToDouble(v -> v[1]).toArray();
        int sign = m.expectedSign() * o.targetOrientation();
        int left = nets.networks().size() - used.size();
        String leftOut = left == 0 ? "" : String.format(Locale.ROOT,
                "%d of %d networks left out (%s or %s empty or not finite)", left, nets.networks().size(),
                m.column(), o.target());
        String undefined = undefinedReason(m.column(), o.target(), x, y);
        Granulated.Result g = Granulated.of(used, x, y, nets.varying(), o.seeds(), o.resamples(), o.level(),
                o.seed());
        if (!undefined.isEmpty()) {
            return new Row(m.column(), sign, used.size(), Double.NaN, Double.NaN, Double.NaN, Verdict.UNDEFINED, g,
                    join(undefined, leftOut));
        }
        Correlation.Estimate e = Correlation.bootstrap("kendall", x, y, o.resamples(), o.level(), o.seed());
        return new Row(m.column(), sign, used.size(), e.value(), e.low(), e.high(),
                Verdict.of(e.value(), e.low(), e.high(), sign), g, leftOut);
    }

    /** Why tau-b of (x, y) is undefined: fewer than two points, or a constant column ("" when it is defined). */
    static String undefinedReason(String measure, String target, double[] x, double[] y) {
        if (x.length < 2) {
            return "only " + x.length + " network" + (x.length == 1 ? "" : "s") + " with finite " + measure + " and "
                    + target + ": tau needs two";
        }
        if (constant(x)) {
            return measure + " is constant (" + x[0] + ") across the " + x.length + " networks";
        }
        if (constant(y)) {
            return target + " is constant (" + y[0] + ") across the " + y.length + " networks";
        }
        return "";
    }

    private static boolean constant(double[] v) {
        for (double d : v) {
            if (d != v[0]) {
                return false;
            }
        }
        return true;
    }

    private static String join(String a, String b) {
        return b.isEmpty() ? a : a + "; " + b;
    }
}
