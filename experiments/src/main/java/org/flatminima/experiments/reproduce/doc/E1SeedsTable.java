package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;

/**
 * {@code e1-seeds}: E1 across its seeds, a row per seed from {@code E1/traces.csv} (written since E1 has seeds): the
 * checkpoints, the final training accuracy (4 significant digits), the closed-form trace at step 0 and at the last
 * checkpoint (6 significant digits), and the largest relative differences of exact-ggn and exact-hvp from the closed
 * form over all of the seed's checkpoints, whole-data / worst point (2 significant digits). Option {@code scale}
 * (required, checked against {@code done.json}).
 */
final class E1SeedsTable extends ExperimentTable {
    private static final List<String> DIFFS = List.of("reldiff_whole_ggn", "reldiff_point_ggn_max",
            "reldiff_whole_hvp", "reldiff_point_hvp_max");

    E1SeedsTable() {
        super("e1-seeds", "E1: per seed, the trace at the first and last checkpoint and the largest relative "
                + "differences of exact-ggn and exact-hvp from the closed form", E1TracesTable.CSV);
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        Map<String, Object> config = ResultFiles.experimentConfig(source, "E1", options.get("scale"));
        Path marker = source.resolve("done.json");
        long hvp = ResultFiles.integer(config, "hvpPoints", marker);
        Path file = source.resolve(E1TracesTable.CSV);
        List<String> columns = new ArrayList<>(List.of("step", "train_acc", "trace_closed_form"));
        columns.addAll(DIFFS);
        List<Map<String, String>> rows = ResultFiles.csv(source, E1TracesTable.CSV, columns.toArray(String[]::new));
        if (rows.isEmpty() || !rows.getFirst().containsKey("seed")) {
            throw new UserException(file + " has no seed column (one seed, written before E1 had seeds): use "
                    + "e1-traces for it");
        }
        Map<String, List<Map<String, String>>> bySeed = new LinkedHashMap<>();
        for (Map<String, String> r : rows) {
            bySeed.computeIfAbsent(r.get("seed"), s -> new ArrayList<>()).add(r);
        }
        StringBuilder b = new StringBuilder("| seed | checkpoints | final train acc | trace at step 0 | final trace "
                + "| largest rel. diff exact-ggn, whole / worst point | largest rel. diff exact-hvp (")
                .append(NumberFormats.count(hvp)).append(" pts), whole / worst point |\n|--:|--:|---|---|---|---|---|\n");
        for (Map.Entry<String, List<Map<String, String>>> e : bySeed.entrySet()) {
            List<Map<String, String>> mine = e.getValue();
            Map<String, String> first = mine.getFirst();
            Map<String, String> last = mine.getLast();
            if (ResultFiles.number(first, "step", file) != 0) {
                throw new UserException(file + ": seed " + e.getKey() + "'s first row is not step 0: the file is "
                        + "not E1's; rerun E1");
            }
            Map<String, String> worst = new LinkedHashMap<>();
            for (String d : DIFFS) {
                double m = 0;
                for (Map<String, String> r : mine) {
                    m = Math.max(m, ResultFiles.number(r, d, file));
                }
                worst.put(d, Double.toString(m));
            }
            b.append("| ").append(e.getKey()).append(" | ").append(mine.size())
                    .append(" | ").append(NumberFormats.significant(ResultFiles.number(last, "train_acc", file), 4))
                    .append(" | ").append(NumberFormats.significant(ResultFiles.number(first, "trace_closed_form", file), 6))
                    .append(" | ").append(NumberFormats.significant(ResultFiles.number(last, "trace_closed_form", file), 6))
                    .append(" | ").append(E1TracesTable.pair(worst, DIFFS.get(0), DIFFS.get(1), file))
                    .append(" | ").append(E1TracesTable.pair(worst, DIFFS.get(2), DIFFS.get(3), file))
                    .append(" |\n");
        }
        return b.toString();
    }
}
