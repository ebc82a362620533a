package org.flatminima.experiments.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.AtomicFiles;

/**
 * The directory of one run of a sweep ({@code DIR/runs/<id>/}): {@code config.json} (the {@link RunConfig},
 * written first), {@code metrics.csv} and {@code checkpoints/} (as {@code flatminima train} writes them),
 * {@code measures/step-<N>.json} (the {@link SweepTable#CHECKPOINT_COLUMNS} of checkpoint N),
 * {@code model.safetensors} and {@code done.json} (written last). Every file is written atomically. The table rows
 * of a run are made from these files only ({@link #rows()}), so a run's rows are the same whether it has just
 * been computed or is read back later.
 */
public final class SweepRunDirectory {
    /** The status of a run without {@code done.json} in {@link SweepTable} rows. */
    public static final String UNFINISHED = "unfinished";

    private static final Pattern MEASURES = Pattern.compile("step-(\\d+)\\.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * What {@code done.json} holds.
     *
     * @param status "finished" or "diverged"
     * @param step the last step (finished), or the step whose loss was not finite (diverged)
     * @param epoch that step in epochs
     * @param reason a line for people (the divergence message), or null
     */
    public record Done(String status, long step, double epoch, String reason) {
        /** The status of a run that completed its steps. */
        public static final String FINISHED = "finished";
        /** The status of a run whose loss became NaN or infinite. */
        public static final String DIVERGED = "diverged";
    }

    private final Path dir;

    public SweepRunDirectory(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path config() {
        return dir.resolve("config.json");
    }

    public Path measures() {
        return dir.resolve("measures");
    }

    public Path measuresFile(long step) {
        return measures().resolve("step-" + step + ".json");
    }

    public Path done() {
        return dir.resolve("done.json");
    }

    public Path checkpoints() {
        return dir.resolve("checkpoints");
    }

    public Path model() {
        return dir.resolve("model.safetensors");
    }

    /**
     * Makes this directory the run of {@code cfg}: writes {@code config.json} when there is none; refuses (a
     * {@link UserException} naming both ids) a directory whose {@code config.json} holds another run. Only
     * {@code threads}, which does not change what a run computes, may differ (the saved file is kept).
     */
    public void claim(RunConfig cfg) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserException("run directory " + dir + " exists and is not a directory: remove it");
        }
        if (Files.isRegularFile(config())) {
            RunConfig saved = readConfig();
            if (!saved.toBuilder().threads(cfg.threads()).build().equals(cfg)) {
                throw new UserException("run directory " + dir + " holds run " + saved.id() + " (its config.json), "
                        + "not run " + cfg.id() + ": give each run its own directory, or delete " + dir);
            }
            return;
        }
        write(config(), (cfg.canonicalJson() + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The configuration in {@code config.json}. */
    public RunConfig readConfig() {
        try {
            return RunConfig.fromJson(Files.readString(config(), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new UserException(config() + " is not a run configuration (" + e.getMessage()
                    + "): delete " + dir + " to run it again");
        }
    }

    /** {@code done.json}, or null when the run is not done. */
    public Done readDone() {
        if (!Files.isRegularFile(done())) {
            return null;
        }
        JsonNode n = readJson(done());
        JsonNode reason = n.get("reason");
        return new Done(n.get("status").asText(), n.get("step").asLong(), n.get("epoch").asDouble(),
                reason == null || reason.isNull() ? null : reason.asText());
    }

    /** Writes {@code done.json} (last: the run is done once it exists). */
    public void writeDone(Done d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("status", d.status());
        n.put("step", d.step());
        n.put("epoch", d.epoch());
        n.put("reason", d.reason());
        write(done(), json(n));
    }

    /** Whether checkpoint {@code step} has been measured. */
    public boolean hasMeasures(long step) {
        return Files.isRegularFile(measuresFile(step));
    }

    /** The measured steps, ascending. */
    public List<Long> measuredSteps() {
        if (!Files.isDirectory(measures())) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(measures())) {
            return files.map(p -> MEASURES.matcher(p.getFileName().toString())).filter(Matcher::matches)
                    .map(m -> Long.parseLong(m.group(1))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + measures() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the {@link SweepTable#CHECKPOINT_COLUMNS} of {@code row} to {@code measures/step-<N>.json} (N its
     * step): numbers as JSON numbers (their shortest exact decimal), non-finite ones as the strings
     * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, empty cells left out.
     */
    public void writeMeasures(SweepTable.Row row) {
        ObjectNode n = JSON.createObjectNode();
        for (String c : SweepTable.CHECKPOINT_COLUMNS) {
            String cell = row.cell(c);
            if (cell.isEmpty()) {
                continue;
            }
            switch (SweepTable.kind(c)) {
                case TEXT -> n.put(c, cell);
                case INTEGER -> n.put(c, Long.parseLong(cell));
                case REAL -> {
                    double v = Double.parseDouble(cell);
                    if (Double.isFinite(v)) {
                        n.put(c, v);
                    } else {
                        n.put(c, cell);
                    }
                }
            }
        }
        write(measuresFile(row.step()), json(n));
    }

    /** The checkpoint columns of {@code measures/step-<N>.json} in a row whose run columns are empty. */
    public SweepTable.Row readMeasures(long step) {
        Path f = measuresFile(step);
        JsonNode n = readJson(f);
        SweepTable.Builder b = SweepTable.Row.builder();
        for (String c : SweepTable.CHECKPOINT_COLUMNS) {
            JsonNode v = n.get(c);
            if (v == null || v.isNull()) {
                continue;
            }
            String cell = switch (SweepTable.kind(c)) {
                case TEXT -> v.asText();
                case INTEGER -> Long.toString(v.asLong());
                case REAL -> v.isNumber() ? Double.toString(v.doubleValue()) : v.asText();
            };
            try {
                b.cell(c, cell);
            } catch (IllegalArgumentException e) {
                throw new UserException(f + ": " + e.getMessage() + "; delete the file to measure again");
            }
        }
        return b.build();
    }

    /**
     * The table rows of this run, by step: one per measured checkpoint and, for a diverged run, one at the step
     * whose loss was not finite (its measures empty). The status is done.json's, or {@link #UNFINISHED}.
     */
    public List<SweepTable.Row> rows() {
        RunConfig cfg = readConfig();
        Done d = readDone();
        SweepTable.Builder run = runColumns(cfg, d == null ? UNFINISHED : d.status());
        List<SweepTable.Row> rows = new ArrayList<>();
        for (long s : measuredSteps()) {
            SweepTable.Builder b = readMeasures(s).toBuilder();
            for (String c : SweepTable.RUN_COLUMNS) {
                b.cell(c, run.build().cell(c));
            }
            rows.add(b.build());
        }
        if (d != null && d.status().equals(Done.DIVERGED)) {
            rows.add(run.integer("step", d.step()).real("epoch", d.epoch()).build());
        }
        return rows;
    }

    /** The run columns of {@code cfg} with {@code status}. */
    static SweepTable.Builder runColumns(RunConfig cfg, String status) {
        return SweepTable.Row.builder().text("run_id", cfg.id()).text("status", status)
                .text("dataset", cfg.dataset()).text("arch", cfg.arch()).text("dtype", cfg.dtype())
                .text("optimizer", cfg.train().optimizer()).real("lr", cfg.train().lr())
                .real("momentum", cfg.train().momentum()).real("weight_decay", cfg.train().weightDecay())
                .integer("batch_size", cfg.train().batchSize()).integer("epochs", cfg.train().epochs())
                .text("schedule", cfg.train().schedule()).integer("seed", cfg.train().seed());
    }

    private static byte[] json(ObjectNode n) {
        try {
            return (JSON.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode readJson(Path f) {
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new UserException(f + " cannot be read (" + e.getMessage() + "): delete " + dir
                    + " to run it again");
        }
    }

    private static void write(Path f, byte[] bytes) {
        try {
            AtomicFiles.write(f, out -> out.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }
}
