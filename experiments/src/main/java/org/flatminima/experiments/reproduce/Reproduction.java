package org.flatminima.experiments.reproduce;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.flatminima.experiments.UserException;
import org.flatminima.engine.Engine;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.DirectoryLock;

/**
 * Runs experiments and assembles {@code report.md}. An experiment that finished writes a marker
 * {@code <out>/<id>/done.json} (atomically) holding its configuration, wall time and report section; a later
 * run with the same scale, seed and configuration reuses it instead of recomputing, unless forced.
 */
public final class Reproduction {

    /** The marker file's name inside an experiment's directory. */
    public static final String MARKER = "done.json";

    /** The experiments that exist, in report order. */
    public static List<Experiment> implemented() {
        return List.of(new E1AffineClosedForm(), new E2FlatnessVsMargins(), new E3BatchSize(), new E4LastLayerScaling(),
                new E5Reparametrisation());
    }

    /**
     * An experiment whose data sets depend on the scale. Before any experiment of a run starts, every required
     * data set of every selected experiment is checked; the optional ones present are part of the recorded
     * configuration (installing one later makes the experiment run again).
     */
    public interface DataNeeds {
        /** The data sets ({@link DataSets#NAMES}) that must be present at {@code scale}. */
        List<String> requiredData(Scale scale);

        /** The data sets used at {@code scale} when they are present (none by default). */
        default List<String> optionalData(Scale scale) {
            return List.of();
        }
    }

    /** What happened to one experiment in a run. */
    public record Outcome(String id, String title, Map<String, Object> config, double wallSeconds, boolean reused,
                          String finishedAt, Experiment.Section section) {
    }

    private Reproduction() {
    }

    /**
     * The experiments named by {@code ids} (case-insensitive, in report order), or all implemented ones when
     * {@code ids} is empty. An unknown id, or one not implemented yet, is an {@link IllegalArgumentException}.
     */
    public static List<Experiment> select(List<String> ids) {
        List<Experiment> all = implemented();
        if (ids.isEmpty()) {
            return all;
        }
        List<String> want = new ArrayList<>();
        for (String raw : ids) {
            String id = raw.trim().toUpperCase(Locale.ROOT);
            if (all.stream().noneMatch(e -> e.id().equals(id))) {
                throw new IllegalArgumentException("unknown experiment '" + raw.trim() + "': use one of "
                        + String.join(",", ids(all)));
            }
            want.add(id);
        }
        return all.stream().filter(e -> want.contains(e.id())).toList();
    }

    private static List<String> ids(List<Experiment> es) {
        return es.stream().map(Experiment::id).toList();
    }

    /**
     * Runs {@code experiments} (reusing finished ones unless {@code force}), then writes {@code report.md} with
     * every experiment whose marker exists in the output directory. Returns this run's outcomes.
     */
    public static List<Outcome> run(List<Experiment> experiments, ReproduceContext ctx, boolean force)
            throws Exception {
        checkData(experiments, ctx);
        try (DirectoryLock lock = DirectoryLock.acquire(ctx.outDir(), "reproduce", "--out")) {
            return runLocked(experiments, ctx, force);
        }
    }

    private static List<Outcome> runLocked(List<Experiment> experiments, ReproduceContext ctx, boolean force)
            throws Exception {
        removeStaleTemporaries(ctx.outDir());
        repairReport(ctx.outDir());
        List<Outcome> outcomes = new ArrayList<>();
        for (Experiment e : experiments) {
            Map<String, Object> config = config(e, ctx);
            Outcome previous = force ? null : readMarker(ctx.outDir(), e.id());
            if (previous != null && previous.config().equals(config)) {
                outcomes.add(new Outcome(previous.id(), previous.title(), previous.config(), previous.wallSeconds(),
                        true, previous.finishedAt(), previous.section()));
                continue;
            }
            if (force) {
                CheckpointStore.clear(ctx.outDir().resolve(e.id())); // per-checkpoint state (E2, E3) too
            }
            long t0 = System.nanoTime();
            Experiment.Section s = e.run(ctx);
            double wall = (System.nanoTime() - t0) / 1e9;
            Outcome o = new Outcome(e.id(), e.title(ctx.scale()), config, wall, false, Instant.now().toString(), s);
            writeMarker(ctx.outDir(), o);
            outcomes.add(o);
        }
        writeReport(ctx, outcomes);
        return outcomes;
    }

    /** Removes the temporary files that crashed writes left anywhere in the output tree (see {@link AtomicFiles}). */
    static void removeStaleTemporaries(Path outDir) throws IOException {
        try (Stream<Path> dirs = Files.walk(outDir, 3)) {
            dirs.filter(Files::isDirectory).forEach(AtomicFiles::removeStaleTemporaries);
        } catch (java.io.UncheckedIOException e) {
            // a directory we cannot read holds nothing we could remove; cleaning is best effort
        }
    }

    /**
     * Makes {@code report.html} agree with {@code report.md} again after a crash between their two writes:
     * {@link #writeReport} writes the Markdown first and the page, a pure function of it, second; a page that
     * differs from the rendering of the Markdown is rewritten. Returns whether it was.
     */
    static boolean repairReport(Path outDir) throws IOException {
        Path md = outDir.resolve("report.md");
        Path html = outDir.resolve("report.html");
        if (!Files.isRegularFile(md)) {
            return false;
        }
        String page = ReportHtml.render(TITLE, Files.readString(md));
        if (Files.isRegularFile(html) && Files.readString(html).equals(page)) {
            return false;
        }
        Results.write(html, w -> w.write(page));
        return true;
    }

    /**
     * Fails with one line naming how to get the first missing data set that {@code experiments} require at
     * {@code ctx.scale()} (a {@link UserException}), before anything runs.
     */
    public static void checkData(List<Experiment> experiments, ReproduceContext ctx) {
        applyDataOverride(experiments, ctx);
        for (Experiment e : experiments) {
            if (e instanceof ScaledExperiment<?> s && !s.archOverride().isEmpty()) {
                s.cfg(ctx.scale()); // a wrong number of models, or models that do not fit the data, fail here
            }
            if (e instanceof ScaledExperiment<?> s && !s.dataOverride().isEmpty()) {
                s.cfg(ctx.scale()); // mixed image shapes, or models that cannot take the data, fail here
                for (String name : s.dataOverride()) { // named by the user: every one is required
                    DataSets.Status st = status(ctx.dataSets(), name);
                    if (!st.available()) {
                        throw new UserException(e.id() + " with --data needs " + name + " (" + st.problem() + "): "
                                + st.howToGet());
                    }
                }
            } else if (e instanceof DataNeeds d) {
                for (String name : d.requiredData(ctx.scale())) {
                    DataSets.Status st = status(ctx.dataSets(), name);
                    if (!st.available()) {
                        throw new UserException(e.id() + " at " + ctx.scale().label() + " scale needs " + name
                                + " (" + st.problem() + "): " + st.howToGet());
                    }
                }
            }
        }
    }

    /**
     * Gives {@code ctx.data()} ({@code reproduce --data}) to the experiments of {@link DataOverride#EXPERIMENTS}
     * and {@code ctx.archs()} ({@code reproduce --arch}) to those of {@link ArchOverride#EXPERIMENTS}, and
     * {@code --standardize}, {@code --epochs} and {@code --seeds} ({@link Overrides}) to those they apply to, among
     * {@code experiments} (the others keep their own data sets and models); called by {@link #checkData} and
     * {@link #run}, so repeating it changes nothing.
     */
    public static void applyDataOverride(List<Experiment> experiments, ReproduceContext ctx) {
        for (Experiment e : experiments) {
            if (e instanceof ScaledExperiment<?> s && DataOverride.EXPERIMENTS.contains(e.id())) {
                s.overrideData(ctx.data());
            }
            if (e instanceof ScaledExperiment<?> s && ArchOverride.EXPERIMENTS.contains(e.id())) {
                s.overrideArchs(ctx.archs());
            }
            if (e instanceof ScaledExperiment<?> s) {
                s.overrideTraining(ctx.overrides()); // each experiment takes what applies to it
            }
        }
    }

    /** Whether data set {@code name} is present (headers read, sizes checked; nothing loaded). */
    public static boolean available(DataSets dataSets, String name) {
        return status(dataSets, name).available();
    }

    private static DataSets.Status status(DataSets dataSets, String name) {
        return dataSets.list().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown data set '" + name + "'"));
    }

    /**
     * The configuration recorded for {@code e}: its own plus scale, seed and dtype (and, for {@link DataNeeds},
     * the optional data sets present), as read back from JSON.
     */
    static Map<String, Object> config(Experiment e, ReproduceContext ctx) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("scale", ctx.scale().label());
        c.put("seed", ctx.seed());
        c.put("dtype", ctx.dtype().name());
        c.putAll(e.config(ctx.scale()));
        if (e instanceof DataNeeds d && !d.optionalData(ctx.scale()).isEmpty()) {
            c.put("optionalDataPresent", d.optionalData(ctx.scale()).stream()
                    .filter(n -> available(ctx.dataSets(), n)).toList());
        }
        try {
            // through text, exactly as a marker is read back (numbers get the same Java types)
            return Results.JSON.readValue(Results.JSON.writeValueAsString(c),
                    new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The marker of experiment {@code id} in {@code outDir}, or null when there is none, or it is unreadable or
     * lacks a field (id, title, config, wallSeconds, markdown).
     */
    public static Outcome readMarker(Path outDir, String id) {
        Path f = outDir.resolve(id).resolve(MARKER);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            Map<String, Object> m = Results.JSON.readValue(f.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
            @SuppressWarnings("unchecked")
            Map<String, Object> config = (Map<String, Object>) m.get("config");
            @SuppressWarnings("unchecked")
            Map<String, Object> summary = (Map<String, Object>) m.get("summary");
            @SuppressWarnings("unchecked")
            List<String> plots = (List<String>) m.get("plots");
            if (!(m.get("markdown") instanceof String) || !(m.get("id") instanceof String)
                    || !(m.get("title") instanceof String) || config == null) {
                return null; // written by something else, or damaged: the experiment runs again
            }
            return new Outcome((String) m.get("id"), (String) m.get("title"), config,
                    ((Number) m.get("wallSeconds")).doubleValue(), true, (String) m.get("finishedAt"),
                    new Experiment.Section((String) m.get("markdown"), summary, plots,
                            m.get("heading") instanceof String h ? h : null));
        } catch (IOException | RuntimeException ex) {
            return null;
        }
    }

    /** The summary key under which {@link #noteResumed} records resumed checkpoints. */
    static final String RESUMED = "resumedCheckpoints";

    /**
     * Records in an experiment's summary that it resumed {@code checkpoints} checkpoints saved by an earlier,
     * interrupted run (nothing when 0, so an uninterrupted run's summary is unchanged): the report then says that
     * its wall time covers only the run that finished it.
     */
    static void noteResumed(Map<String, Object> summary, int checkpoints) {
        if (checkpoints > 0) {
            summary.put(RESUMED, checkpoints);
        }
    }

    private static String resumedNote(Map<String, Object> summary) {
        return summary != null && summary.get(RESUMED) instanceof Number n
                ? "; resumed " + n + " checkpoints saved by an earlier run, whose time is not in this wall time" : "";
    }

    static void writeMarker(Path outDir, Outcome o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", o.id());
        m.put("title", o.title());
        m.put("finishedAt", o.finishedAt());
        m.put("wallSeconds", o.wallSeconds());
        m.put("backend", Engine.backend().name());
        m.put("threads", Engine.backend().threads());
        m.put("config", o.config());
        m.put("summary", o.section().summary());
        m.put("plots", o.section().plots());
        m.put("markdown", o.section().markdown());
        if (o.section().heading() != null) {
            m.put("heading", o.section().heading());
        }
        Results.writeJson(outDir.resolve(o.id()).resolve(MARKER), m);
    }

    /** The title of the report (its first heading, and the HTML page's title). */
    static final String TITLE = "Reproduction report: On Flat Minima, Large Margins and Generalizability";

    /**
     * Writes {@code report.md} and then {@code report.html} (the same Markdown rendered by {@link ReportHtml}),
     * each atomically (a crash between the two is repaired by the next run's {@link #repairReport}): a header (date, backend, threads, seed, scale, wall time per experiment, what is
     * not implemented), then every experiment's section, for this run's outcomes and any other finished
     * experiment found in the output directory.
     */
    static void writeReport(ReproduceContext ctx, List<Outcome> ran) {
        List<Outcome> all = new ArrayList<>();
        for (Experiment e : implemented()) {
            Outcome o = ran.stream().filter(r -> r.id().equals(e.id())).findFirst()
                    .orElseGet(() -> readMarker(ctx.outDir(), e.id()));
            if (o != null) {
                all.add(o);
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("# ").append(TITLE).append("\n\n");
        b.append("Written by `flatminima reproduce` on ").append(Instant.now()).append(".\n\n");
        b.append("| setting | value |\n|---|---|\n");
        b.append("| backend | ").append(Engine.backend().name()).append(" |\n");
        b.append("| threads | ").append(Engine.backend().threads()).append(" |\n");
        b.append("| seed | ").append(ctx.seed()).append(" |\n");
        b.append("| scale | ").append(ctx.scale().label()).append(" |\n");
        b.append("| dtype | ").append(ctx.dtype().name()).append(" |\n");
        b.append("| Java | ").append(Runtime.version()).append(" |\n\n");
        b.append("| experiment | title | wall time (s) | computed |\n|---|---|---|---|\n");
        double total = 0;
        for (Outcome o : all) {
            b.append("| ").append(o.id()).append(" | ").append(o.title()).append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f", o.wallSeconds())).append(" | ")
                    .append(o.reused() ? "earlier (" + o.finishedAt() + "), reused" : "in this run")
                    .append(resumedNote(o.section().summary())).append(" |\n");
            total += o.wallSeconds();
        }
        boolean resumed = all.stream().anyMatch(o -> !resumedNote(o.section().summary()).isEmpty());
        b.append(String.format(Locale.ROOT, "%nTotal compute time of the experiments above: %.1f s%s.%n", total,
                resumed ? " (without the earlier runs whose checkpoints were resumed)" : ""));
        for (Outcome o : all) {
            b.append("\n## ").append(o.id()).append(": ")
                    .append(o.section().heading() != null ? o.section().heading() : o.title()).append("\n\n");
            b.append("Configuration: `").append(compactJson(o.config())).append("`\n\n");
            b.append(o.section().markdown().strip()).append('\n');
        }
        String md = b.toString();
        Results.write(ctx.outDir().resolve("report.md"), w -> w.write(md));
        Results.write(ctx.outDir().resolve("report.html"), w -> w.write(ReportHtml.render(TITLE, md)));
    }

    private static String compactJson(Object v) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
