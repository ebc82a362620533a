package org.flatminima.experiments.sweep.rank;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.flatminima.experiments.UserException;

/**
 * The networks of a sweep: one row of the sweep table per run, the run's last checkpoint (or a given step), from the
 * runs whose status is {@code finished}. Diverged runs are left out and counted; so are finished runs without the
 * requested step and runs of any other status.
 *
 * @param networks    the selected networks, in run-id order
 * @param runs        distinct run ids in the table
 * @param finished    runs with status finished
 * @param diverged    runs with status diverged (any of their rows says so)
 * @param other       runs with another status (left out)
 * @param missingStep finished runs without a row at the requested step (0 when taking the last checkpoint)
 * @param varying     the hyperparameters of {@link #HYPERPARAMETERS} that take more than one value among the networks
 */
public record Networks(List<Network> networks, int runs, int finished, int diverged, int other, int missingStep,
                       List<String> varying) {

    /** The hyperparameter columns of the sweep table that can be axes of the granulated coefficient (not seed). */
    public static final List<String> HYPERPARAMETERS = List.of("dataset", "arch", "dtype", "optimizer", "lr",
            "momentum", "weight_decay", "batch_size", "epochs", "schedule");

    /** Columns every sweep table must have. */
    static final List<String> REQUIRED = List.of("run_id", "status", "step");

    /**
     * One network: a run at one checkpoint.
     *
     * @param runId           the run's id
     * @param hyperparameters the run's value of each of {@link #HYPERPARAMETERS} (empty when the table lacks the
     *                        column), in that order
     * @param seed            the run's seed ("" when the table has no seed column)
     * @param step            the checkpoint's step
     * @param row             the table row
     */
    public record Network(String runId, Map<String, String> hyperparameters, String seed, long step,
                          Map<String, String> row) {
        /**
         * The value of numeric column {@code column}: null when the cell is empty or the column absent (not measured),
         * NaN when it was measured and is not finite.
         *
         * @throws UserException when the cell is not a number
         */
        public Double value(String column) {
            String s = row.get(column);
            if (s == null || s.isEmpty()) {
                return null;
            }
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new UserException("sweep table: run " + runId + " step " + step + " has '" + s + "' in column "
                        + column + ", which is not a number: the table is damaged; rerun the sweep to rewrite it");
            }
        }
    }

    /**
     * Selects the networks of table rows {@code rows}: for each finished run, its row with the largest step, or its
     * row at {@code step} when that is not null.
     *
     * @throws UserException when a required column is missing or a step is not an integer
     */
    public static Networks select(List<Map<String, String>> rows, Long step) {
        if (!rows.isEmpty()) {
            for (String c : REQUIRED) {
                if (!rows.get(0).containsKey(c)) {
                    throw new UserException("sweep table: no column '" + c + "'; expected the header of the sweep "
                            + "table (run_id,status,dataset,...), is this a table.csv written by 'flatminima sweep'?");
                }
            }
        }
        Map<String, List<Map<String, String>>> byRun = new TreeMap<>();
        for (Map<String, String> r : rows) {
            byRun.computeIfAbsent(r.get("run_id"), k -> new ArrayList<>()).add(r);
        }
        List<Network> networks = new ArrayList<>();
        int finished = 0;
        int diverged = 0;
        int other = 0;
        int missing = 0;
        for (Map.Entry<String, List<Map<String, String>>> e : byRun.entrySet()) {
            List<Map<String, String>> runRows = e.getValue();
            Set<String> statuses = new LinkedHashSet<>();
            runRows.forEach(r -> statuses.add(r.get("status")));
            if (statuses.contains("diverged")) {
                diverged++;
                continue;
            }
            if (!statuses.equals(Set.of("finished"))) {
                other++;
                continue;
            }
            finished++;
            Map<String, String> chosen = null;
            long chosenStep = -1;
            for (Map<String, String> r : runRows) {
                long s = step(e.getKey(), r.get("step"));
                if (step == null ? s > chosenStep : s == step) {
                    chosen = r;
                    chosenStep = s;
                }
            }
            if (chosen == null) {
                missing++;
                continue;
            }
            Map<String, String> hyper = new LinkedHashMap<>();
            for (String h : HYPERPARAMETERS) {
                hyper.put(h, chosen.getOrDefault(h, ""));
            }
            networks.add(new Network(e.getKey(), Collections.unmodifiableMap(hyper), chosen.getOrDefault("seed", ""),
                    chosenStep, chosen));
        }
        List<String> varying = new ArrayList<>();
        for (String h : HYPERPARAMETERS) {
            if (networks.stream().map(n -> n.hyperparameters().get(h)).distinct().count() > 1) {
                varying.add(h);
            }
        }
        return new Networks(List.copyOf(networks), byRun.size(), finished, diverged, other, missing,
                List.copyOf(varying));
    }

    private static long step(String run, String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new UserException("sweep table: run " + run + " has step '" + s + "', not an integer: the table is "
                    + "damaged; rerun the sweep to rewrite it");
        }
    }
}
