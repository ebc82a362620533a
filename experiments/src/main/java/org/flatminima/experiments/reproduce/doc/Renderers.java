package org.flatminima.experiments.reproduce.doc;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.flatminima.experiments.EditDistance;

/** The table renderers that exist, by id: what a marker's {@code table:} may name. */
public final class Renderers {
    private static final Map<String, TableRenderer> BY_ID = byId(List.of(new E1TracesTable(),
            new E1SeedsTable(), new E2PearsonSeedsTable(), new E2AuthorsEstimatorTable(), new E3RunsTable(),
            new E4ScalingTable(), new E4SeedsTable(), new E5ReparametrisationTable(), new SweepConfigurationsTable(),
            new SweepRankingTable()));

    private Renderers() {
    }

    private static Map<String, TableRenderer> byId(List<TableRenderer> all) {
        Map<String, TableRenderer> m = new LinkedHashMap<>();
        for (TableRenderer r : all) {
            if (m.put(r.id(), r) != null) {
                throw new IllegalStateException("two renderers with id " + r.id());
            }
        }
        return m;
    }

    /** Every renderer, in a fixed order. */
    public static List<TableRenderer> all() {
        return List.copyOf(BY_ID.values());
    }

    /** The renderer with id {@code id}, if there is one. */
    public static Optional<TableRenderer> find(String id) {
        return Optional.ofNullable(BY_ID.get(id));
    }

    /** The ids, comma-separated, and the closest one to {@code id} as a hint when it is near: for error lines. */
    static String known(String id) {
        String closest = BY_ID.keySet().stream()
                .min(Comparator.comparingInt(k -> EditDistance.between(k, id))).orElseThrow();
        String hint = EditDistance.between(closest, id) <= 3 ? "did you mean '" + closest + "'? " : "";
        return hint + "known tables: " + String.join(", ", BY_ID.keySet());
    }
}
