package org.flatminima.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;

/**
 * The run directory of {@code flatminima train}: {@code config.json} (the options of the run), {@code metrics.csv}
 * (one row per log step), {@code checkpoints/} ({@link CheckpointFiles}) and the final {@code model.safetensors}.
 * A run directory belongs to one configuration: a new run refuses a directory that holds another run (unless
 * told to replace it), and a resumed run refuses options that would change its result. Nothing here writes
 * before the caller has validated every option; see docs/runs.md for what a user can rely on.
 */
public final class RunDirectory {
    /** The files (and the directory) a run owns. */
    public static final List<String> OURS = List.of("config.json", "metrics.csv", "model.safetensors", "checkpoints");

    /**
     * Options that may differ between a run and its resumption: they do not change the weights (backend and
     * threads may change the last bits of a floating-point sum; docs/runs.md says so), or only which rows and
     * checkpoints are written.
     */
    public static final Set<String> MAY_DIFFER = Set.of("log_every", "checkpoint_every", "threads", "backend");

    /** Temporary files of our interrupted atomic writes in the run directory (see {@link AtomicFiles}). */
    private static final Pattern TEMPORARY =
            Pattern.compile("\\.(config\\.json|metrics\\.csv|model\\.safetensors)\\.[^/]*\\.tmp|config\\.json\\.tmp");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;

    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path config() {
        return dir.resolve("config.json");
    }

    public Path metrics() {
        return dir.resolve("metrics.csv");
    }

    public Path checkpoints() {
        return dir.resolve("checkpoints");
    }

    public Path model() {
        return dir.resolve("model.safetensors");
    }

    /** Which of {@link #OURS} exist in the directory. */
    public List<String> present() {
        return OURS.stream().filter(n -> Files.exists(dir.resolve(n))).toList();
    }

    /** Refuses a {@code --out} that is not a directory (a file, a device). */
    private void requireDirectoryOrNew() {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserException("--out " + dir + " exists and is not a directory: choose a directory");
        }
    }

    /**
     * Checks, without writing, that a new run may start here: the directory holds no run, or {@code force} (the
     * user asked to replace it).
     */
    public void checkNew(boolean force) {
        requireDirectoryOrNew();
        List<String> found = present();
        if (!found.isEmpty() && !force) {
            throw new UserException("--out " + dir + " already holds a run (" + String.join(", ", found)
                    + "): continue it with --resume, replace it with --force, or choose another --out");
        }
    }

    /**
     * Checks, without writing, that {@code request} (the options of this command, as in config.json) continues the
     * run saved here: every option outside {@link #MAY_DIFFER} must equal the saved one. Reports options of
     * {@link #MAY_DIFFER} that differ on {@code notes}.
     */
    public void checkResume(Map<String, Object> request, Consumer<String> notes) {
        requireDirectoryOrNew();
        if (!Files.isRegularFile(config())) {
            throw new UserException("nothing to resume in " + dir + ": it has no config.json (start a run there "
                    + "without --resume)");
        }
        JsonNode saved;
        try {
            saved = JSON.readTree(config().toFile());
        } catch (IOException e) {
            throw new UserException(config() + " cannot be read (" + (e instanceof
                    com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage())
                    + "): replace the run with --force, or choose another --out");
        }
        JsonNode want = JSON.valueToTree(request);
        List<String> differ = new ArrayList<>();
        List<String> harmless = new ArrayList<>();
        for (Iterator<String> it = want.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            JsonNode had = saved.get(key);
            if (had == null && MAY_DIFFER.contains(key)) {
                continue;
            }
            if (had == null || !sameValue(had, want.get(key))) {
                String option = key.equals("backend") ? "backend" : "--" + key.replace('_', '-');
                String line = option + " " + text(want.get(key)) + " (the run has "
                        + (had == null ? "none" : text(had)) + ")";
                (MAY_DIFFER.contains(key) ? harmless : differ).add(line);
            }
        }
        if (!differ.isEmpty()) {
            throw new UserException("--resume would change the run in " + dir + ": " + String.join(", ", differ)
                    + "; resume with the run's options (see its config.json), or start a new run with --force or "
                    + "another --out");
        }
        if (harmless.stream().anyMatch(l -> l.startsWith("--threads") || l.startsWith("backend"))) {
            notes.accept("note: resuming with " + String.join(", ", harmless)
                    + "; the final weights may differ in the last bits from an uninterrupted run");
        }
    }

    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.asDouble() == b.asDouble();
        }
        return a.equals(b);
    }

    private static String text(JsonNode n) {
        if (n.isNull()) {
            return "(not given)";
        }
        if (n.isArray()) {
            List<String> parts = new ArrayList<>();
            n.forEach(e -> parts.add(e.asText()));
            return String.join(",", parts);
        }
        return n.asText();
    }

    /**
     * Starts a new run: removes the files of a replaced run ({@code force}), then writes {@code config} and the
     * header of metrics.csv.
     */
    public void create(Map<String, Object> config, boolean force) {
        try {
            Files.createDirectories(dir);
            deleteTemporaries();
            if (force) {
                for (String name : List.of("model.safetensors", "metrics.csv")) {
                    Files.deleteIfExists(dir.resolve(name));
                }
                if (Files.isDirectory(checkpoints())) {
                    CheckpointFiles.deleteAfter(checkpoints(), -1);
                    try (Stream<Path> rest = Files.list(checkpoints())) {
                        if (rest.findAny().isEmpty()) {
                            Files.delete(checkpoints());
                        }
                    }
                }
            }
            byte[] json = JSON.writeValueAsBytes(config);
            AtomicFiles.write(config(), out -> out.write(json));
            writeMetrics(List.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Prepares a resumed run: deletes the temporaries of interrupted writes, finds the newest intact checkpoint
     * (damaged newer ones are noted on {@code notes}), deletes the checkpoint files after it and the metric rows
     * after its step. Returns that checkpoint (its buffers set on {@code net}), or null when there is none (the run
     * starts again from step 0).
     */
    public Trainer.Checkpoint resume(Network net, DType dtype, Consumer<String> notes) {
        deleteTemporaries();
        Trainer.Checkpoint from = CheckpointFiles.newestIntact(checkpoints(), net, dtype, notes);
        long step = from == null ? 0 : from.step();
        CheckpointFiles.deleteAfter(checkpoints(), step);
        truncateMetrics(step, notes);
        return from;
    }

    /** Writes the final weights to {@link #model()}: PyTorch state_dict names, the model spec in the metadata. */
    public void saveModel(ModelSpec spec, Network net, Tensor params) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("arch", spec.toString());
        Weights.save(model(), net, params, meta);
    }

    /** Deletes the temporary files of interrupted writes (ours only, by name); returns how many. */
    public int deleteTemporaries() {
        return CheckpointFiles.deleteTemporaries(checkpoints()) + CheckpointFiles.deleteMatching(dir, TEMPORARY);
    }

    /**
     * Keeps the metric rows up to {@code step} (a resumed run recomputes the later ones). A torn last row (no
     * final newline: an interrupted append), blank lines and unreadable rows are dropped with a note.
     */
    public void truncateMetrics(long step, Consumer<String> notes) {
        List<String> keep = new ArrayList<>();
        try {
            if (Files.exists(metrics())) {
                String text = Files.readString(metrics(), StandardCharsets.UTF_8);
                List<String> lines = new ArrayList<>(text.lines().toList());
                if (!text.isEmpty() && !text.endsWith("\n") && !lines.isEmpty()) {
                    notes.accept("note: dropped the torn last row of " + metrics() + " ('" + lines.getLast()
                            + "'), left by an interrupted write");
                    lines.removeLast();
                }
                int damaged = 0;
                for (int i = 1; i < lines.size(); i++) {
                    long s = rowStep(lines.get(i));
                    if (s < 0) {
                        damaged++;
                    } else if (s <= step) {
                        keep.add(lines.get(i));
                    }
                }
                if (damaged > 0) {
                    notes.accept("note: dropped " + damaged + " blank or damaged row(s) of " + metrics());
                }
            }
            writeMetrics(keep);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + metrics() + ": " + e.getMessage(), e);
        }
    }

    /** The step of a metrics row, or -1 when the row is blank or damaged. */
    private static long rowStep(String row) {
        String[] f = row.split(",", -1);
        if (f.length != Trainer.Metrics.CSV_HEADER.split(",").length) {
            return -1;
        }
        try {
            for (int i = 1; i < f.length; i++) {
                Double.parseDouble(f[i]);
            }
            return Long.parseLong(f[0]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void writeMetrics(List<String> rows) throws IOException {
        StringBuilder sb = new StringBuilder(Trainer.Metrics.CSV_HEADER).append('\n');
        rows.forEach(r -> sb.append(r).append('\n'));
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(metrics(), out -> out.write(bytes));
    }

    /** Appends one row to metrics.csv in a single write (a crash leaves at most a torn last row, dropped on resume). */
    public void appendMetrics(Trainer.Metrics m) {
        try {
            Files.write(metrics(), (m.csv() + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + metrics() + ": " + e.getMessage(), e);
        }
    }

    /** The last row of metrics.csv as fields, or null when it has none. */
    public String[] lastMetrics() {
        try {
            List<String> lines = Files.exists(metrics()) ? Files.readAllLines(metrics(), StandardCharsets.UTF_8)
                    : List.of();
            return lines.size() < 2 || rowStep(lines.getLast()) < 0 ? null : lines.getLast().split(",");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metrics() + ": " + e.getMessage(), e);
        }
    }
}
