package org.flatminima.experiments.sweep;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.sweep.SpecResolver.Setting;

/**
 * A sweep specification: a YAML file that names the runs of a sweep, read and expanded into {@link RunConfig}s.
 * The format is described in docs/SWEEPS.md ("The specification file"); in short:
 *
 * <pre>{@code
 * name: quick                      # optional; default: the file name without .yaml
 * dataset: embedded                # every key of RunConfig's JSON may be written here: the base of every run
 * train_points: 2000
 * epochs: 5
 * checkpoint_epochs: [1, 3]        # resolved to steps per run (the last step is always a checkpoint)
 * threads: 1                       # per run, the same for all runs (top only)
 * runs:                            # optional: explicit runs, each overriding the keys above
 *   - {arch: affine:784-10}
 *   - {arch: mlp:784-64-10, lr: 0.05}
 * grid:                            # optional: axes, crossed with every entry of runs
 *   batch_size: [32, 256]
 * seeds: [0, 1]                    # optional: the same as a last grid axis seed: [0, 1]
 * }</pre>
 *
 * <p><b>Expansion.</b> The runs are: for each entry of {@code runs} in the order written (one empty entry when
 * there is no {@code runs}), for each combination of the {@code grid} axes (keys in the order written, the last
 * key changing fastest, {@code seeds} after all of them), the top-level keys overridden by the entry's keys and
 * then by the combination's values. So {@code runs} and {@code grid} are crossed: {@code R} entries and a grid of
 * {@code G} combinations give {@code R x G} runs. A key may not be both a grid axis and set at the top or in a
 * {@code runs} entry (one would silently replace the other); {@code seeds} counts as the axis {@code seed}.
 *
 * <p><b>Duplicates are refused</b>: two runs with the same {@link RunConfig#id()} (the same computation, e.g.
 * a grid value listed twice) are an error naming both, so that the number of runs is the number the file
 * describes.
 *
 * <p><b>Errors</b> are {@link UserException}s of one line: {@code SOURCE line N: PATH: problem and fix}. An
 * unknown key names the nearest allowed key or lists them; a value of the wrong type names the key, the
 * expected type and what was found; an empty grid axis, {@code runs} or {@code seeds} names the key; a missing
 * {@code arch} or {@code dataset} names it; a value a builder refuses names the run by its label (the values
 * that vary, e.g. {@code {lr: -0.1, seed: 0}}). Whether the data set exists on this machine is a separate check,
 * {@link #requireData()}, since the driver of a cluster sweep may not hold the data.
 */
public final class SweepSpec {

    private final String name;
    private final String source;
    private final String text;
    private final int threads;
    private final List<RunConfig> runs;
    private final Map<String, String> labels;

    private SweepSpec(String name, String source, String text, int threads, List<RunConfig> runs,
                      Map<String, String> labels) {
        this.name = name;
        this.source = source;
        this.text = text;
        this.threads = threads;
        this.runs = List.copyOf(runs);
        this.labels = Collections.unmodifiableMap(labels);
    }

    /** Reads and expands the specification in {@code file} (UTF-8); errors name the file as given. */
    public static SweepSpec read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserException("sweep specification " + file + " does not exist: give the path of a YAML "
                    + "file, e.g. specs/quick.yaml", e);
        } catch (IOException e) {
            throw new UserException("cannot read the sweep specification " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /**
     * Parses and expands a specification; every run is resolved and checked here (so a bad value is reported
     * before anything runs). {@code sourceName} starts every error message (a file name, say).
     */
    public static SweepSpec parse(String yaml, String sourceName) {
        SpecYaml y = SpecYaml.parse(yaml, sourceName);
        return new Expansion(y).spec(yaml);
    }

    /** The sweep's name: the {@code name} key, else the source's file name without its extension. */
    public String name() {
        return name;
    }

    /** The name the specification was read under (a path, or what {@link #parse} was given). */
    public String source() {
        return source;
    }

    /** The YAML text as given. */
    public String text() {
        return text;
    }

    /** Compute threads of each run (the top-level {@code threads}, default 1). */
    public int threads() {
        return threads;
    }

    /** The runs in expansion order (see the class comment); their ids are distinct. */
    public List<RunConfig> runs() {
        return runs;
    }

    /**
     * How the run {@code id} is named in messages: the values that vary between runs as a YAML flow map, e.g.
     * {@code {arch: mlp:784-64-10, lr: 0.1, seed: 0}} ({@code {}} for the only run of a file without runs or
     * grid); null for an id that is not one of {@link #runs()}.
     */
    public String label(String id) {
        return labels.get(id);
    }

    /** {@link #requireData(DataSets)} with the data sets of this process's environment. */
    public void requireData() {
        requireData(new DataSets(DataSets.Locations.fromEnvironment()));
    }

    /**
     * Checks that every data set the runs use is on this machine and holds the points they ask for: a missing
     * one is a {@link UserException} naming how to get it (e.g. {@code flatminima data fetch mnist}). Separate
     * from {@link #parse}, because the driver of a cluster sweep may not hold the data.
     */
    public void requireData(DataSets sets) {
        Map<String, DataSets.Status> found = new LinkedHashMap<>();
        for (RunConfig r : runs) {
            DataSets.Status st = found.get(r.dataset());
            if (st == null) {
                st = status(sets, r.dataset());
                found.put(r.dataset(), st);
                if (!st.available()) {
                    throw new UserException(source + ": dataset " + r.dataset() + " is not available on this machine"
                            + (st.problem() == null ? "" : " (" + st.problem() + ")") + ": " + st.howToGet());
                }
            }
            DataSetFacts facts = DataSetFacts.of(r.dataset());
            int needTrain = r.trainPoints() > 0 ? r.trainPoints() : facts.train();
            int needTest = r.testPoints() > 0 ? r.testPoints() : facts.test();
            if (st.train() >= 0 && needTrain > st.train() || st.test() >= 0 && needTest > st.test()) {
                throw new UserException(source + ": dataset " + r.dataset() + " in " + st.location() + " has "
                        + st.train() + " training and " + st.test() + " test points, but the run " + label(r.id())
                        + " needs " + needTrain + " and " + needTest + " (the standard release has " + facts.train()
                        + " and " + facts.test() + "): give train_points and test_points within what is there");
            }
        }
    }

    private static DataSets.Status status(DataSets sets, String name) {
        for (DataSets.Status s : sets.list()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalStateException("DataSets.list() has no entry for " + name);
    }

    @Override
    public String toString() {
        return "SweepSpec " + name + " (" + source + "): " + runs.size() + " runs";
    }

    /** One grid axis: a key and its values, in the order written. */
    private record Axis(SpecKey key, List<Setting> values, JsonPointer at) {
    }

    /** Reads the document's structure (top keys, grid, runs, seeds) and expands it. */
    private static final class Expansion {
        private final SpecYaml y;
        private final Map<SpecKey, Setting> base = new EnumMap<>(SpecKey.class);
        private final List<Axis> axes = new ArrayList<>();
        private final List<Map<SpecKey, Setting>> entries = new ArrayList<>();
        private String name;
        private int threads = 1;

        Expansion(SpecYaml y) {
            this.y = y;
        }

        SweepSpec spec(String text) {
            JsonNode root = y.root();
            JsonNode seeds = null;
            for (Map.Entry<String, JsonNode> f : root.properties()) {
                JsonPointer at = JsonPointer.empty().appendProperty(f.getKey());
                SpecKey k = SpecKey.of(f.getKey());
                if (k == null) {
                    throw SpecKey.unknown(y, at, f.getKey(), "the top of the file", true);
                }
                switch (k) {
                    case NAME -> name = (String) k.read(y, at, f.getValue());
                    case THREADS -> threads = (Integer) k.read(y, at, f.getValue());
                    case SEEDS -> seeds = f.getValue();
                    case GRID, RUNS -> {
                    }
                    default -> base.put(k, new Setting(k, k.read(y, at, f.getValue()), at));
                }
            }
            if (threads < 1) {
                throw y.lineError(JsonPointer.compile("/threads"), "threads must be at least 1, got " + threads);
            }
            if (root.has("grid")) {
                readGrid(root.get("grid"));
            }
            if (seeds != null) {
                readSeeds(seeds);
            }
            if (root.has("runs")) {
                readRuns(root.get("runs"));
            } else {
                entries.add(Map.of());
            }
            if (name == null) {
                String file = Path.of(y.source()).getFileName() == null ? y.source()
                        : Path.of(y.source()).getFileName().toString();
                name = file.replaceFirst("\\.(yaml|yml)$", "");
            }
            return expand(text);
        }

        private void readGrid(JsonNode grid) {
            JsonPointer at = JsonPointer.compile("/grid");
            if (!grid.isObject()) {
                throw y.error(at, "expected " + SpecKey.Type.MAP.expected() + ", e.g. {lr: [0.05, 0.1]}, found "
                        + SpecYaml.describe(grid));
            }
            if (grid.isEmpty()) {
                throw y.lineError(at, "grid is empty: give at least one axis, e.g. lr: [0.05, 0.1], or remove grid");
            }
            for (Map.Entry<String, JsonNode> f : grid.properties()) {
                JsonPointer kat = at.appendProperty(f.getKey());
                SpecKey k = SpecKey.of(f.getKey());
                if (k == null || k.scope() != SpecKey.Scope.RUN) {
                    throw SpecKey.unknown(y, kat, f.getKey(), "grid", false);
                }
                Setting top = base.get(k);
                if (top != null) {
                    throw y.lineError(kat, k.yaml() + " is set both in grid and at the top of the file (line "
                            + y.line(top.at()) + "): remove one (a grid axis gives every run its value)");
                }
                axes.add(new Axis(k, values(k, kat, f.getValue(), "grid." + k.yaml()), kat));
            }
        }

        /** {@code seeds: [...]}: the axis seed, after the grid's axes. */
        private void readSeeds(JsonNode seeds) {
            JsonPointer at = JsonPointer.compile("/seeds");
            for (Axis a : axes) {
                if (a.key() == SpecKey.SEED) {
                    throw y.lineError(at, "seeds and grid.seed (line " + y.line(a.at()) + ") both give the seeds: "
                            + "keep one");
                }
            }
            Setting top = base.get(SpecKey.SEED);
            if (top != null) {
                throw y.lineError(at, "seeds and seed (line " + y.line(top.at()) + ") are both given: keep one "
                        + "(seed: N for one seed, seeds: [N, ...] for several)");
            }
            if (seeds.isArray() && seeds.isEmpty()) {
                throw y.lineError(at, "seeds is empty: give at least one seed, e.g. seeds: [0, 1, 2], or remove it");
            }
            long[] values = (long[]) SpecKey.SEEDS.read(y, at, seeds);
            List<Setting> settings = new ArrayList<>();
            for (int i = 0; i < values.length; i++) {
                settings.add(new Setting(SpecKey.SEED, values[i], at.appendIndex(i)));
            }
            axes.add(new Axis(SpecKey.SEED, settings, at));
        }

        private List<Setting> values(SpecKey k, JsonPointer at, JsonNode list, String path) {
            if (!list.isArray()) {
                String example = k.type() == SpecKey.Type.LONG_LIST || k.type() == SpecKey.Type.NUMBER_LIST
                        || k.type() == SpecKey.Type.MEASURES ? " (a list of lists here, e.g. [[1, 2], [3]])" : "";
                throw y.error(at, "expected a list of values" + example + ", found " + SpecYaml.describe(list));
            }
            if (list.isEmpty()) {
                throw y.lineError(at, path + " is empty: give at least one value, or remove it");
            }
            List<Setting> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                JsonPointer vat = at.appendIndex(i);
                out.add(new Setting(k, k.read(y, vat, list.get(i)), vat));
            }
            return out;
        }

        private void readRuns(JsonNode runs) {
            JsonPointer at = JsonPointer.compile("/runs");
            if (!runs.isArray()) {
                throw y.error(at, "expected " + SpecKey.Type.LIST_OF_MAPS.expected() + ", found "
                        + SpecYaml.describe(runs));
            }
            if (runs.isEmpty()) {
                throw y.lineError(at, "runs is empty: give at least one run, e.g. - {arch: affine:784-10}, "
                        + "or remove it");
            }
            for (int i = 0; i < runs.size(); i++) {
                JsonPointer eat = at.appendIndex(i);
                JsonNode e = runs.get(i);
                if (!e.isObject()) {
                    throw y.error(eat, "expected a map of keys, e.g. {arch: affine:784-10, lr: 0.1}, found "
                            + SpecYaml.describe(e));
                }
                Map<SpecKey, Setting> entry = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> f : e.properties()) {
                    JsonPointer kat = eat.appendProperty(f.getKey());
                    SpecKey k = SpecKey.of(f.getKey());
                    if (k == null || k.scope() != SpecKey.Scope.RUN) {
                        throw SpecKey.unknown(y, kat, f.getKey(), "runs[" + i + "]", false);
                    }
                    for (Axis a : axes) {
                        if (a.key() == k) {
                            throw y.lineError(kat, SpecYaml.path(kat) + " is also the axis " + SpecYaml.path(a.at())
                                    + " (line " + y.line(a.at()) + "): remove one (the axis would replace this value)");
                        }
                    }
                    entry.put(k, new Setting(k, k.read(y, kat, f.getValue()), kat));
                }
                entries.add(entry);
            }
        }

        /** Every entry crossed with every combination of the axes (last axis fastest); duplicates refused. */
        private SweepSpec expand(String text) {
            SpecResolver resolver = new SpecResolver(y, threads);
            List<RunConfig> runs = new ArrayList<>();
            Map<String, String> labels = new LinkedHashMap<>();
            int[] index = new int[axes.size()];
            for (Map<SpecKey, Setting> entry : entries) {
                java.util.Arrays.fill(index, 0);
                do {
                    Map<SpecKey, Setting> s = new EnumMap<>(SpecKey.class);
                    s.putAll(base);
                    s.putAll(entry);
                    List<String> label = new ArrayList<>();
                    entry.values().forEach(v -> label.add(v.key().yaml() + ": " + SpecKey.show(v.value())));
                    for (int a = 0; a < axes.size(); a++) {
                        Setting v = axes.get(a).values().get(index[a]);
                        s.put(v.key(), v);
                        label.add(v.key().yaml() + ": " + SpecKey.show(v.value()));
                    }
                    String l = label.isEmpty() ? "" : "{" + String.join(", ", label) + "}";
                    RunConfig r = resolver.resolve(s, l);
                    String previous = labels.putIfAbsent(r.id(), l.isEmpty() ? "{}" : l);
                    if (previous != null) {
                        throw new UserException(y.source() + ": the runs " + previous + " and " + l + " are the same "
                                + "run (id " + r.id() + "): remove one (a value listed twice, or runs that differ "
                                + "only in how their checkpoints are written)");
                    }
                    runs.add(r);
                } while (next(index));
            }
            return new SweepSpec(name, y.source(), text, threads, runs, labels);
        }

        /** Advances the odometer (last axis fastest); false after the last combination. */
        private boolean next(int[] index) {
            for (int a = axes.size() - 1; a >= 0; a--) {
                if (++index[a] < axes.get(a).values().size()) {
                    return true;
                }
                index[a] = 0;
            }
            return false;
        }
    }
}
