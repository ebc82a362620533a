package org.flatminima.experiments.reproduce;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.flatminima.experiments.measures.Moments;

/**
 * E3's verdicts, computed from the final states of the runs: each statement says in how many seeds it holds and
 * gives the mean and standard deviation across seeds; nothing is decided in advance. A comparison involving a
 * diverged run (NaN) counts as not holding.
 */
final class E3Verdicts {
    private final E3BatchSize.Outcome o;
    private final int n;

    E3Verdicts(E3BatchSize.Outcome o) {
        this.o = o;
        this.n = o.seeds().size();
    }

    private E3Plan.Run run(String regime, E3Plan.Role role) {
        return E3Plan.find(o.runs(), regime, role);
    }

    private double[] v(E3Plan.Run r, ToDoubleFunction<E3Measure.Point> m) {
        return E3Report.perSeed(o, r.name(), m);
    }

    /** Seeds in which {@code a < b}. */
    static int below(double[] a, double[] b) {
        int k = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] < b[i]) {
                k++;
            }
        }
        return k;
    }

    /** Seeds in which {@code v >= t}. */
    static int atLeast(double[] v, double t) {
        int k = 0;
        for (double x : v) {
            if (x >= t) {
                k++;
            }
        }
        return k;
    }

    /** {@code (c - b) / (a - b)} per seed: the fraction of b's deficit against a that c recovers (NaN if none). */
    static double[] recovery(double[] a, double[] b, double[] c) {
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            double deficit = a[i] - b[i];
            r[i] = deficit > 0 ? (c[i] - b[i]) / deficit : Double.NaN;
        }
        return r;
    }

    static double[] minus(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = a[i] - b[i];
        }
        return r;
    }

    private String of(int k) {
        return k + " of " + n + " seed" + (n == 1 ? "" : "s");
    }

    private static String pm(double[] v, int d) {
        return E3Report.pm(v, d);
    }

    /** "mean% ± sd%" of fractions. */
    private static String pmPct(double[] v) {
        double m = Moments.mean(v);
        String mean = Double.isNaN(m) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", 100 * m);
        double sd = Moments.sd(v);
        return v.length < 2 || Double.isNaN(sd) ? mean : mean + String.format(Locale.ROOT, " ± %.0f%%", 100 * sd);
    }

    private static String pct(double[] v) {
        double[] p = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            p[i] = 100 * v[i];
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < p.length; i++) {
            b.append(i == 0 ? "" : ", ").append(Double.isNaN(p[i]) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", p[i]));
        }
        return b.toString();
    }

    /** The comparisons shared by both regimes: small, large, and a longer large-batch run {@code longer}. */
    private void common(List<String> out, E3Plan.Run small, E3Plan.Run large, E3Plan.Run longer) {
        double[] ts = v(small, E3Measure.Point::trace);
        double[] tl = v(large, E3Measure.Point::trace);
        double[] tc = v(longer, E3Measure.Point::trace);
        out.add(String.format(Locale.ROOT, "Sharpness: %s's trace is above %s's in %s (%s against %s); %s's is below "
                + "%s's in %s (%s).", large.id(), small.id(), of(below(ts, tl)), pm(tl, 4), pm(ts, 4), longer.id(),
                small.id(), of(below(tc, ts)), pm(tc, 4)));
        double[] ms = v(small, E3Measure.Point::outMedian);
        double[] ml = v(large, E3Measure.Point::outMedian);
        double[] mc = v(longer, E3Measure.Point::outMedian);
        out.add(String.format(Locale.ROOT, "Raw output margin (median): %s's is below %s's in %s (%s against %s); "
                + "%s's is above %s's in %s and above %s's in %s (%s).", large.id(), small.id(), of(below(ml, ms)),
                pm(ml, 4), pm(ms, 4), longer.id(), large.id(), of(below(ml, mc)), small.id(), of(below(ms, mc)),
                pm(mc, 4)));
        double[] ns = v(small, E3Measure.Point::normSpectralMedian);
        double[] nl = v(large, E3Measure.Point::normSpectralMedian);
        double[] nc = v(longer, E3Measure.Point::normSpectralMedian);
        double[] fs = v(small, E3Measure.Point::normFrobeniusMedian);
        double[] fl = v(large, E3Measure.Point::normFrobeniusMedian);
        double[] fc = v(longer, E3Measure.Point::normFrobeniusMedian);
        out.add(String.format(Locale.ROOT, "Normalised margin (median, by the spectral-norm product): %s's is below "
                + "%s's in %s (%s against %s); %s's is above %s's in %s (%s). By the Frobenius-norm product: %s below "
                + "%s in %s (%s against %s); %s above %s in %s (%s).", large.id(), small.id(), of(below(nl, ns)),
                pm(nl, 3), pm(ns, 3), longer.id(), large.id(), of(below(nl, nc)), pm(nc, 3), large.id(), small.id(),
                of(below(fl, fs)), pm(fl, 3), pm(fs, 3), longer.id(), large.id(), of(below(fl, fc)), pm(fc, 3)));
    }

    /** The premise and the control's recovery: returns {deficit, recovery} per seed. */
    private double[][] premise(List<String> out, E3Plan.Run small, E3Plan.Run large, E3Plan.Run longer, String how) {
        double[] as = v(small, E3Measure.Point::testAcc);
        double[] al = v(large, E3Measure.Point::testAcc);
        double[] ac = v(longer, E3Measure.Point::testAcc);
        double[] deficit = minus(as, al);
        double[] rec = recovery(as, al, ac);
        int n1 = o.trainSize();
        out.add(String.format(Locale.ROOT, "At equal epochs %s (batch %d, %d steps) tests worse than %s (batch %d, %d "
                + "steps) in %s: test accuracy %s against %s, a deficit of %s.", large.id(), large.batchSize(),
                large.steps(n1), small.id(), small.batchSize(), small.steps(n1), of(below(al, as)), pm(al, 4),
                pm(as, 4), pm(deficit, 3)));
        out.add(String.format(Locale.ROOT, "%s (%s, %d steps) tests at %s and recovers %s of that deficit (per seed: "
                + "%s); at least half in %s. Its train accuracy is %s, against %s for %s.", longer.id(), how,
                longer.steps(n1), pm(ac, 4), pmPct(rec), pct(rec), of(atLeast(rec, 0.5)),
                pm(v(longer, E3Measure.Point::trainAcc), 4), pm(v(large, E3Measure.Point::trainAcc), 4), large.id()));
        return new double[][] {deficit, rec};
    }

    private String diverged() {
        List<String> d = new ArrayList<>();
        for (long seed : o.seeds()) {
            for (E3Plan.Run r : o.runs()) {
                long at = o.last(seed, r.name()).divergedAt();
                if (at >= 0) {
                    d.add(r.id() + " seed " + seed + " (step " + at + ")");
                }
            }
        }
        return d.isEmpty() ? null : "Diverged (non-finite loss; final measures NaN, counted as not holding): "
                + String.join(", ", d) + ".";
    }

    /** The authors' regime's statements. */
    List<String> authors() {
        List<String> out = new ArrayList<>();
        E3Plan.Run a1 = run("authors", E3Plan.Role.SMALL);
        E3Plan.Run a2 = run("authors", E3Plan.Role.LARGE);
        E3Plan.Run a3 = run("authors", E3Plan.Role.STEPS);
        premise(out, a1, a2, a3, "the large batch at the same lr for as many steps as " + a1.id());
        common(out, a1, a2, a3);
        double[] g1 = v(a1, E3Measure.Point::outSkew);
        double[] g2 = v(a2, E3Measure.Point::outSkew);
        double[] m1 = v(a1, E3Measure.Point::authorsM3);
        double[] m2 = v(a2, E3Measure.Point::authorsM3);
        int signs = 0;
        int signsM3 = 0;
        for (int i = 0; i < n; i++) {
            signs += g1[i] < 0 && g2[i] > 0 ? 1 : 0;
            signsM3 += m1[i] < 0 && m2[i] > 0 ? 1 : 0;
        }
        out.add(String.format(Locale.ROOT, "Skewness of the training points' output margins: g1 %s for %s against %s "
                + "for %s; %s's is the lower in %s; the authors' signs (small batch negative, large batch positive) "
                + "in %s. Their quantity, m3 of |margin|: %s against %s (their figure: −4.75 against 2.60), the "
                + "authors' signs in %s; m3 is in margin units cubed, so it also grows with the margins' scale.",
                pm(g1, 3), a1.id(), pm(g2, 3), a2.id(), a1.id(), of(below(g1, g2)), of(signs), pm(m1, 3), pm(m2, 3),
                of(signsM3)));
        String d = diverged();
        if (d != null) {
            out.add(d);
        }
        out.add(authorsHeadline());
        return out;
    }

    /** The current regime's statements. */
    List<String> current() {
        List<String> out = new ArrayList<>();
        E3Plan.Run c1 = run("current", E3Plan.Role.SMALL);
        E3Plan.Run c2 = run("current", E3Plan.Role.LARGE);
        E3Plan.Run c3 = run("current", E3Plan.Role.HOFFER);
        E3Plan.Run c4 = run("current", E3Plan.Role.STEPS);
        double[][] p4 = premise(out, c1, c2, c4, "more epochs at " + c2.id() + "'s lr");
        double[] rec3 = recovery(v(c1, E3Measure.Point::testAcc), v(c2, E3Measure.Point::testAcc),
                v(c3, E3Measure.Point::testAcc));
        double[] lrEffect = minus(rec3, p4[1]);
        out.add(String.format(Locale.ROOT, "%s (Hoffer et al.: %s's epochs at lr x%s) recovers %s (per seed: %s): "
                + "the larger learning rate adds %s of the deficit to what the extra steps alone recover.", c3.id(),
                c4.id(), Results.format(c3.lr() / c2.lr(), 4), pmPct(rec3), pct(rec3), pmPct(lrEffect)));
        common(out, c1, c2, c4);
        double[] t3 = v(c3, E3Measure.Point::trace);
        double[] m3 = v(c3, E3Measure.Point::outMedian);
        double[] n3 = v(c3, E3Measure.Point::normSpectralMedian);
        out.add(String.format(Locale.ROOT, "%s: trace %s, output margin (median) %s, normalised by the spectral-norm "
                + "product %s.", c3.id(), pm(t3, 4), pm(m3, 4), pm(n3, 3)));
        out.add(currentHeadline());
        return out;
    }

    /** One line: whether the authors' account holds in their regime, from the numbers. */
    String authorsHeadline() {
        return headline(run("authors", E3Plan.Role.SMALL), run("authors", E3Plan.Role.LARGE),
                run("authors", E3Plan.Role.STEPS), "the authors' regime");
    }

    /** One line: whether more steps alone (C4) close the gap in the current regime. */
    String currentHeadline() {
        return headline(run("current", E3Plan.Role.SMALL), run("current", E3Plan.Role.LARGE),
                run("current", E3Plan.Role.STEPS), "the current regime");
    }

    private String headline(E3Plan.Run small, E3Plan.Run large, E3Plan.Run longer, String regime) {
        double[] as = v(small, E3Measure.Point::testAcc);
        double[] al = v(large, E3Measure.Point::testAcc);
        double[] ac = v(longer, E3Measure.Point::testAcc);
        int worse = below(al, as);
        int closes = atLeast(recovery(as, al, ac), 0.5);
        int rawGrows = below(v(large, E3Measure.Point::outMedian), v(longer, E3Measure.Point::outMedian));
        int normGrows = below(v(large, E3Measure.Point::normSpectralMedian),
                v(longer, E3Measure.Point::normSpectralMedian));
        StringBuilder b = new StringBuilder("**Verdict for " + regime + ".** ");
        if (worse < n) {
            b.append(String.format(Locale.ROOT, "The premise holds in %s only: at equal epochs the large batch does "
                    + "not always test worse. ", of(worse)));
        }
        if (worse == n && closes == n && rawGrows == n) {
            b.append(String.format(Locale.ROOT, "Claim (3)'s account holds in %s: the large batch tests "
                    + "worse at equal epochs, and trained longer at the same learning rate (%s) it recovers at least "
                    + "half of the deficit while its raw output margin grows. ",
                    n == 1 ? "its one seed" : "all " + n + " seeds", longer.id()));
        } else {
            b.append(String.format(Locale.ROOT, "Claim (3)'s account does not hold in every seed: deficit in %s, "
                    + "at least half recovered by %s in %s, raw margin growing in %s. ", of(worse), longer.id(),
                    of(closes), of(rawGrows)));
        }
        b.append(normGrows == n
                ? "The spectrally normalised margin grows too (in every seed)."
                : String.format(Locale.ROOT, "The spectrally normalised margin grows in %s only, so the growth is "
                        + "partly or wholly one of scale.", of(normGrows)));
        return b.toString();
    }
}
