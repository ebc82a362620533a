package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;

/**
 * {@code e3-runs}: E3's final state per run, mean ± sample sd across seeds, from {@code E3/summary.csv} (the means and
 * standard deviations E3 computed) and {@code E3/runs.csv} (each seed's row). The row label, e.g.
 * "A1 B=256, 4 ep, lr 0.36" (", mom 0.9" added when the run used momentum), and the number of steps come from
 * {@code runs.csv}, which records every run's batch size, epochs, learning rate, momentum and steps as E3 trained it
 * (so they follow the scale of the run, nothing is derived from E3's plan here); the seeds of a run must agree on
 * them. A run that diverged in some seed says so in its label. Columns after the steps: training and test accuracy,
 * the trace, the median output margin, the median margin divided by the product of the layers' spectral and Frobenius
 * norms, the skewness g1 of the output margins and the authors' m3, each with the mean rounded to 3 significant digits
 * and the sd at the same decimal place ({@link NumberFormats#meanSdSignificant}). Option {@code scale} (required,
 * checked against {@code done.json}).
 */
final class E3RunsTable extends ExperimentTable {
    static final String SUMMARY = "summary.csv";
    static final String RUNS = "runs.csv";
    /** The measures of the columns after the steps, in order (E3's column names). */
    static final List<String> MEASURES = List.of("train_acc", "test_acc", "trace", "output_margin_median",
            "normalised_margin_spectral_median", "normalised_margin_frobenius_median", "output_margin_skewness",
            "authors_margin_m3");
    /** What the seeds of one run must agree on: the label's parts and the steps. */
    static final List<String> SETTINGS = List.of("batch", "epochs", "lr", "momentum", "steps");

    E3RunsTable() {
        super("e3-runs", "E3: final state of every run, mean ± sd across seeds, labelled by batch, epochs and lr",
                SUMMARY, RUNS);
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        ResultFiles.experimentConfig(source, "E3", options.get("scale"));
        Path summaryFile = source.resolve(SUMMARY);
        List<Map<String, String>> summary = ResultFiles.csv(source, SUMMARY, "run", "measure", "mean", "sd");
        List<Map<String, String>> runs = ResultFiles.csv(source, RUNS, "run", "seed", "batch", "epochs", "lr",
                "momentum", "steps", "diverged_at_step");
        Map<String, Map<String, Map<String, String>>> byRun = new LinkedHashMap<>(); // run -> measure -> row
        for (Map<String, String> r : summary) {
            byRun.computeIfAbsent(r.get("run"), x -> new LinkedHashMap<>()).put(r.get("measure"), r);
        }
        StringBuilder b = new StringBuilder("| run | steps | train acc | test acc | trace | output margin (median) "
                + "| / spectral prod. | / Frobenius prod. | g1 | authors' m3 |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (Map.Entry<String, Map<String, Map<String, String>>> run : byRun.entrySet()) {
            List<Map<String, String>> seeds = ResultFiles.where(runs, "run", run.getKey());
            Map<String, String> settings = settings(run.getKey(), seeds, source.resolve(RUNS));
            b.append("| ").append(label(run.getKey(), settings, seeds, source.resolve(RUNS)))
                    .append(" | ").append(settings.get("steps"));
            for (String m : MEASURES) {
                Map<String, String> row = run.getValue().get(m);
                if (row == null) {
                    throw new UserException(summaryFile + " has no row of run " + run.getKey() + " for measure '" + m
                            + "': the renderer needs it; the file's format changed, so update the renderer or the file");
                }
                b.append(" | ").append(NumberFormats.meanSdSignificant(ResultFiles.number(row, "mean", summaryFile),
                        ResultFiles.number(row, "sd", summaryFile), 3));
            }
            b.append(" |\n");
        }
        return b.toString();
    }

    /**
     * The settings of run {@code run} (batch, epochs, lr, momentum as written by {@link NumberFormats#compact}, and
     * steps) from its rows in {@code runs.csv}, the same for every seed.
     */
    static Map<String, String> settings(String run, List<Map<String, String>> rows, Path file) {
        if (rows.isEmpty()) {
            throw new UserException(file + " has no row of run " + run + ", which summary.csv has: copy both files "
                    + "from the same run");
        }
        Map<String, String> s = new LinkedHashMap<>();
        for (String k : SETTINGS) {
            for (Map<String, String> r : rows) {
                String v = NumberFormats.compact(ResultFiles.number(r, k, file));
                String before = s.putIfAbsent(k, v);
                if (before != null && !before.equals(v)) {
                    throw new UserException(file + ": run " + run + " has " + k + " " + before + " in one seed and "
                            + v + " in another: the seeds of a run must share its settings");
                }
            }
        }
        return s;
    }

    /** "A1 B=256, 4 ep, lr 0.36" (", mom 0.9" with momentum), and the seeds that diverged, if any. */
    static String label(String run, Map<String, String> s, List<Map<String, String>> rows, Path file) {
        StringBuilder b = new StringBuilder(run).append(" B=").append(s.get("batch")).append(", ")
                .append(s.get("epochs")).append(" ep, lr ").append(s.get("lr"));
        if (!s.get("momentum").equals("0")) {
            b.append(", mom ").append(s.get("momentum"));
        }
        List<String> diverged = new ArrayList<>();
        for (Map<String, String> r : rows) {
            double at = ResultFiles.number(r, "diverged_at_step", file);
            if (at >= 0) {
                diverged.add("seed " + r.get("seed") + " at step " + NumberFormats.compact(at));
            }
        }
        return diverged.isEmpty() ? b.toString() : b + " (diverged: " + String.join(", ", diverged) + ")";
    }
}
