package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.flatminima.experiments.measures.Moments;

/**
 * E3's tables and report section: the final state of every run per seed ({@code runs.csv}), mean and sample
 * standard deviation across seeds ({@code summary.csv}, the headline), and verdicts computed from those numbers
 * ({@link E3Verdicts}).
 */
final class E3Report {
    private E3Report() {
    }

    /** A measure of a run's final state. */
    record Measure(String column, String header, int digits, ToDoubleFunction<E3Measure.Point> f) {
    }

    /** The measures of the tables, in column order. */
    static final List<Measure> MEASURES = List.of(
            new Measure("train_acc", "train acc", 4, E3Measure.Point::trainAcc),
            new Measure("test_acc", "test acc", 4, E3Measure.Point::testAcc),
            new Measure("gap", "gap", 3, E3Measure.Point::gap),
            new Measure("trace", "trace", 4, E3Measure.Point::trace),
            new Measure("top_eigenvalue", "top eig.", 3, E3Measure.Point::top),
            new Measure("output_margin_median", "output margin (median)", 4, E3Measure.Point::outMedian),
            new Measure("normalised_margin_spectral_median", "margin / spectral prod. (median)", 3,
                    E3Measure.Point::normSpectralMedian),
            new Measure("normalised_margin_frobenius_median", "margin / Frobenius prod. (median)", 3,
                    E3Measure.Point::normFrobeniusMedian),
            new Measure("output_margin_skewness", "skewness g1", 3, E3Measure.Point::outSkew),
            new Measure("authors_margin_m3", "authors' m3", 3, E3Measure.Point::authorsM3));

    /** The measures of the tables for {@code c}: without the top eigenvalue when it is not measured. */
    static List<Measure> measures(E3Config c) {
        return MEASURES.stream().filter(m -> c.topEigenvalue() || !m.column().equals("top_eigenvalue")).toList();
    }

    /** The values of {@code m} at the final checkpoint of {@code run}, one per seed in seed order. */
    static double[] perSeed(E3BatchSize.Outcome o, String run, ToDoubleFunction<E3Measure.Point> m) {
        double[] v = new double[o.seeds().size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = m.applyAsDouble(o.last(o.seeds().get(i), run));
        }
        return v;
    }

    /** "mean ± sd" with {@code digits} significant digits (only the mean for one seed). */
    static String pm(double[] v, int digits) {
        double sd = Moments.sd(v);
        String mean = Results.format(Moments.mean(v), digits);
        return v.length < 2 ? mean : mean + " ± " + Results.format(sd, 2);
    }

    /** Writes runs.csv and summary.csv into {@code dir} and returns the report section. */
    static Experiment.Section section(E3Config c, Scale scale, E3BatchSize.Outcome o, Path dir) {
        List<Measure> ms = measures(c);
        List<String> perSeedCols = new ArrayList<>(List.of("run", "name", "seed", "batch", "epochs", "lr", "momentum",
                "schedule", "steps"));
        ms.forEach(m -> perSeedCols.add(m.column()));
        perSeedCols.add("output_margin_m3");
        perSeedCols.add("diverged_at_step");
        Results runsCsv = new Results(perSeedCols.toArray(String[]::new));
        Results summaryCsv = new Results("run", "name", "measure", "mean", "sd", "seeds");
        List<String> mdCols = new ArrayList<>(List.of("run", "steps"));
        ms.forEach(m -> mdCols.add(m.header()));
        Results headline = new Results(mdCols.toArray(String[]::new));
        Results perSeedMd = new Results(mdCols.toArray(String[]::new));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("seeds", o.seeds());
        for (E3Plan.Run r : o.runs()) {
            long steps = r.steps(o.trainSize());
            Object[] hl = new Object[mdCols.size()];
            hl[0] = r.label();
            hl[1] = steps;
            Map<String, Object> runSummary = new LinkedHashMap<>();
            for (int j = 0; j < ms.size(); j++) {
                Measure m = ms.get(j);
                double[] v = perSeed(o, r.name(), m.f());
                hl[2 + j] = pm(v, m.digits());
                summaryCsv.row(r.id(), r.name(), m.column(), Moments.mean(v), Moments.sd(v), v.length);
                runSummary.put(m.column(), Moments.mean(v));
                runSummary.put(m.column() + "_sd", Moments.sd(v));
            }
            headline.row(hl);
            summary.put(r.name(), runSummary);
            for (long seed : o.seeds()) {
                E3Measure.Point p = o.last(seed, r.name());
                List<Object> row = new ArrayList<>(List.of(r.id(), r.name(), seed, r.batchSize(), r.epochs(), r.lr(),
                        r.momentum(), r.schedule(), steps));
                Object[] md = new Object[mdCols.size()];
                md[0] = r.id() + " seed " + seed;
                md[1] = steps;
                for (int j = 0; j < ms.size(); j++) {
                    double v = ms.get(j).f().applyAsDouble(p);
                    row.add(v);
                    md[2 + j] = Results.format(v, ms.get(j).digits());
                }
                row.add(p.outM3());
                row.add(p.divergedAt());
                runsCsv.row(row.toArray());
                perSeedMd.row(md);
            }
        }
        runsCsv.writeCsv(dir.resolve("runs.csv"));
        summaryCsv.writeCsv(dir.resolve("summary.csv"));
        E3Verdicts v = new E3Verdicts(o);
        List<String> authors = v.authors();
        List<String> current = v.current();
        summary.put("verdictAuthors", v.authorsHeadline());
        summary.put("verdictCurrent", v.currentHeadline());
        String md = intro(c, scale, o) + (o.seeds().size() == 1
                ? "\n**Final state, one seed** (the headline; `E3/summary.csv`):\n\n"
                : "\n**Final state, mean ± sample standard deviation across the " + o.seeds().size()
                        + " seeds** (the headline; `E3/summary.csv`):\n\n") + headline.markdown(4)
                + "\n<details><summary>Each seed (`E3/runs.csv`)</summary>\n\n" + perSeedMd.markdown(4)
                + "\n</details>\n\n**The authors' regime, in numbers.**\n\n" + bullets(authors)
                + "\n**The current regime, in numbers.**\n\n" + bullets(current) + "\n" + plotsAndFiles(o);
        return new Experiment.Section(md, summary, List.of());
    }

    private static String bullets(List<String> lines) {
        return lines.stream().map(l -> "- " + l + "\n").collect(Collectors.joining());
    }

    private static String intro(E3Config c, Scale scale, E3BatchSize.Outcome o) {
        E3Plan.Run a1 = E3Plan.find(o.runs(), "authors", E3Plan.Role.SMALL);
        E3Plan.Run a3 = E3Plan.find(o.runs(), "authors", E3Plan.Role.STEPS);
        E3Plan.Run c3 = E3Plan.find(o.runs(), "current", E3Plan.Role.HOFFER);
        int n = o.trainSize();
        String seeds = o.seeds().stream().map(String::valueOf).collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, """
                **%s scale, %s, %d seed%s (%s).** `%s` in %s on the first %d training points of `%s`, tested on %d \
                test points; batch %d against %d (ratio %s; %d and %d steps per epoch). Every run of a seed starts \
                from the seed's initialisation and shuffles with the seed.

                - **The authors' regime** (their batch-size comparison: plain SGD, lr %s, no momentum, no schedule; \
                `deep_generalizability/experiment.py` at their commit "Submission"): A1 batch %d and A2 batch %d for \
                %d epochs; **A3, the control**: batch %d at the same lr for %d epochs = %d steps, as many as A1's %d%s \
                (the authors' own loop stops after a fixed number of steps for every batch size, so A3 is their \
                comparison; A2 is Keskar et al.'s equal-epoch one).
                - **The current regime** (this project's earlier E3): SGD with momentum %s, multistep x%s at %s of \
                each run's epochs. C1 batch %d and C2 batch %d for %d epochs at lr %s; C3 Hoffer et al.: batch %d \
                for %d epochs (x%d%s) at lr x sqrt(%s) = %s; **C4, the control**: the same epochs as C3 at C2's lr. \
                C3 and C4 differ only in the learning rate; C2 and C4 only in the number of steps.
                - **Measured** at log-spaced epochs of every run: train and test accuracy (all points), gap = train \
                - test accuracy, the Hessian trace of the mean loss over the first %d training points (`%s`, exact), \
                %sand the output margins `z_y - max_{j != y} z_j` of \
                every training point: median, Fisher-Pearson skewness g1 = m3 / m2^(3/2) (biased moments, \
                `scipy.stats.skew`'s default; scale-free, so the normalised margins have the same g1), and the \
                authors' "Skewness", which is the third central moment m3 = mean((x - mean)^3) \
                (`scipy.stats.moment(x, moment=3)` in their notebook) of their margin, the absolute value of ours \
                (−4.75 for batch 256 and 2.60 for batch 4096 in their figure); normalised margins: the output margin \
                divided by the product of the layers' spectral norms (Bartlett, Foster and Telgarsky 2017) and by \
                the product of their Frobenius norms (Neyshabur, Tomioka and Srebro 2015), weights only.
                """, scale.label(), E3BatchSize.dataName(c.data()), o.seeds().size(), o.seeds().size() == 1 ? "" : "s",
                seeds, c.arch(), c.dtype(), n, c.data(), o.testSize(), c.smallBatch(), c.largeBatch(),
                Results.format(c.ratio(), 4), a1.stepsPerEpoch(n), E3Plan.find(o.runs(), "authors",
                        E3Plan.Role.LARGE).stepsPerEpoch(n),
                Results.format(c.authorsLr(), 3), c.smallBatch(), c.largeBatch(), c.authorsEpochs(), c.largeBatch(),
                a3.epochs(), a3.steps(n), a1.steps(n),
                a3.epochs() == c.controlMaxEpochs() && a3.steps(n) < a1.steps(n)
                        ? " (capped at " + c.controlMaxEpochs() + " epochs)" : "",
                Results.format(c.currentMomentum(), 2), Results.format(c.gamma(), 2),
                Arrays.toString(c.milestoneFractions()), c.smallBatch(), c.largeBatch(), c.currentEpochs(),
                Results.format(c.currentLr(), 3), c.largeBatch(), c3.epochs(), E3Plan.multiplier(c),
                E3Plan.multiplier(c) < Math.round(c.ratio()) ? ", capped at " + c.maxMultiplier() : "",
                Results.format(c.ratio(), 4), Results.format(c3.lr(), 4), o.traceSize(), o.traceMethod(),
                c.topEigenvalue() ? "the top eigenvalue (Lanczos, last checkpoint), " : "");
    }

    private static String plotsAndFiles(E3BatchSize.Outcome o) {
        StringBuilder b = new StringBuilder();
        for (String p : E3Plots.FILES) {
            b.append("![").append(p.replace('-', ' ').replace(".png", "")).append("](E3/").append(p).append(")\n\n");
        }
        b.append("Margin histograms are of seed ").append(o.seeds().get(0)).append(" at the last checkpoint; curves ")
                .append("are means across seeds. Files: `E3/runs.csv`, `E3/summary.csv`, and per seed ")
                .append("`E3/seed-<s>/run-<name>.csv` (every checkpoint), `margins-<name>.csv` (per-point margins, ")
                .append("raw and normalised, last checkpoint), `<name>-final.safetensors` (final parameters).\n");
        return b.toString();
    }
}
