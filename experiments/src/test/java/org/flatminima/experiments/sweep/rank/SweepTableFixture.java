package org.flatminima.experiments.sweep.rank;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sweep tables for the ranking tests, with the header of the sweep design (docs: the sweep table's columns), built
 * row by row: a run's hyperparameters default to one value each, so a test names only what it varies.
 */
final class SweepTableFixture {
    /** The sweep table's columns, in the design's order. */
    static final List<String> HEADER = List.of("run_id", "status", "dataset", "arch", "dtype", "optimizer", "lr",
            "momentum", "weight_decay", "batch_size", "epochs", "schedule", "seed", "step", "epoch", "train_loss",
            "train_accuracy", "test_loss", "test_accuracy", "gap_accuracy", "gap_loss", "trace", "trace_method",
            "pp_trace_mean", "pp_trace_median", "pp_trace_q1", "pp_trace_q3", "top_eigenvalue", "output_margin_mean",
            "output_margin_median", "softmax_margin_mean", "softmax_margin_median", "input_margin_mean",
            "input_margin_median", "spectral_norm_product", "output_margin_norm_median", "input_margin_norm_median",
            "one_minus_m2_mean", "affine_trace_expr_mean");

    private static final Map<String, String> DEFAULTS = Map.of("dataset", "mnist", "arch", "mlp:784-100-10",
            "dtype", "f64", "optimizer", "sgd", "lr", "0.1", "momentum", "0.0", "weight_decay", "0.0", "batch_size",
            "32", "epochs", "1", "schedule", "constant");

    private final List<Map<String, String>> rows = new ArrayList<>();

    /**
     * Adds a row: {@code cells} alternate column name and value ({@code "lr", "0.5", "trace", "3.0"}); columns not
     * named are the defaults (hyperparameters) or empty (measures).
     */
    SweepTableFixture row(String runId, String status, long step, String... cells) {
        Map<String, String> r = new LinkedHashMap<>();
        for (String h : HEADER) {
            r.put(h, DEFAULTS.getOrDefault(h, ""));
        }
        r.put("run_id", runId);
        r.put("status", status);
        r.put("step", Long.toString(step));
        r.put("seed", "0");
        for (int i = 0; i < cells.length; i += 2) {
            if (!r.containsKey(cells[i])) {
                throw new IllegalArgumentException("no column " + cells[i]);
            }
            r.put(cells[i], cells[i + 1]);
        }
        rows.add(r);
        return this;
    }

    List<Map<String, String>> rows() {
        return List.copyOf(rows);
    }

    /** The table as CSV (fields with a comma or quote quoted). */
    String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", HEADER)).append('\n');
        for (Map<String, String> r : rows) {
            sb.append(String.join(",", HEADER.stream().map(h -> RankFiles.quote(r.get(h))).toList())).append('\n');
        }
        return sb.toString();
    }
}
