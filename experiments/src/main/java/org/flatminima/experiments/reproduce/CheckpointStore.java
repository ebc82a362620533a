package org.flatminima.experiments.reproduce;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.train.CheckpointFiles;
import org.flatminima.experiments.train.Trainer;
import org.flatminima.kernels.DType;

/**
 * Per-checkpoint resumability of one training run inside an experiment (E2, E3): a checkpoint whose results were
 * saved is never recomputed, and training continues from the latest saved checkpoint.
 *
 * <p>Layout of the run's directory: {@code config.json} (the run's configuration, seed included);
 * {@code step-<s>.json} (the results of checkpoint s: its presence marks checkpoint s finished); and
 * {@code training/} with what training needs to continue from the latest finished checkpoint (parameters,
 * optimiser state with its step count and learning rate, model buffers: {@link CheckpointFiles}). The batch
 * order of an epoch depends only on (seed, epoch) ({@link Trainer}), so parameters, optimiser state and the step
 * are the whole training state. Every file is written atomically (temporary file, then rename). At checkpoint s
 * the training state is written first, then the results (the commit), then older training states are deleted:
 * a crash at any moment leaves the previous finished checkpoint resumable.
 *
 * <p>A directory whose {@code config.json} differs from the run's configuration (another seed, another
 * configuration) is cleared and the run starts fresh, saying so on stderr.
 *
 * @param <T> the type of one checkpoint's results (a JSON-serialisable record)
 */
final class CheckpointStore<T> {

    /** The name of the directory holding the experiment's resumable runs, inside its output directory. */
    static final String DIR = "checkpoints";

    /** Observes what a store does (tests count computations and inject crashes through it). */
    interface Hook {
        /** After checkpoint {@code step} of {@code run} was saved (it had been computed in this process). */
        default void saved(String run, long step) {
        }

        /** A run found finished checkpoints up to {@code step > 0} and continues after it (or is finished). */
        default void resumed(String run, long step) {
        }

        /** A run's saved state was discarded because its configuration differs. */
        default void discarded(String run) {
        }
    }

    /** A hook that does nothing. */
    static final Hook NONE = new Hook() { };

    /**
     * JSON of result files: doubles are written in their shortest round-tripping form and read back bit for
     * bit; NaN and infinities are written as strings and read back as numbers.
     */
    static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private static final Pattern RESULT = Pattern.compile("step-(\\d+)\\.json");

    private final Path dir;
    private final String run;
    private final Class<T> type;
    private final Hook hook;

    private CheckpointStore(Path dir, String run, Class<T> type, Hook hook) {
        this.dir = dir;
        this.run = run;
        this.type = type;
        this.hook = hook;
    }

    /**
     * The store of run {@code run} in {@code dir} for {@code config}: what was saved there is kept when the
     * configuration recorded with it equals {@code config} (compared as JSON), else discarded.
     */
    static <T> CheckpointStore<T> open(Path dir, String run, Map<String, Object> config, Class<T> type, Hook hook) {
        CheckpointStore<T> s = new CheckpointStore<>(dir, run, type, hook);
        try {
            JsonNode want = JSON.readTree(JSON.writeValueAsString(config));
            Path cf = dir.resolve("config.json");
            if (Files.isRegularFile(cf)) {
                JsonNode had;
                try {
                    had = JSON.readTree(cf.toFile());
                } catch (IOException e) {
                    had = null;
                }
                if (want.equals(had)) {
                    return s;
                }
                System.err.println(run + ": the saved checkpoints in " + dir
                        + " were made with another configuration or seed; starting fresh");
                hook.discarded(run);
            }
            deleteTree(dir);
            Files.createDirectories(dir);
            byte[] text = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(want);
            AtomicFiles.write(cf, out -> out.write(text));
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The saved results of the finished checkpoints, by step. */
    SortedMap<Long, T> finished() {
        SortedMap<Long, T> r = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Matcher m = RESULT.matcher(p.getFileName().toString());
                if (m.matches()) {
                    r.put(Long.parseLong(m.group(1)), JSON.readValue(p.toFile(), type));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return r;
    }

    /**
     * The training state to continue from: that of the latest finished checkpoint when its step is after 0 and
     * {@code last} (the run's final step) is not finished yet, else null (train from the start, or not at all).
     * Reports a resumption after a step above 0 to the hook.
     */
    Trainer.Checkpoint resumeFrom(Network net, DType dtype, long last) {
        SortedMap<Long, T> done = finished();
        if (done.isEmpty()) {
            return null;
        }
        long s = done.lastKey();
        if (s == 0) {
            return null;
        }
        hook.resumed(run, s);
        if (done.containsKey(last)) {
            return null;
        }
        Path t = dir.resolve("training");
        if (CheckpointFiles.latest(t) != s) {
            throw new IllegalStateException(run + ": checkpoint " + s + " is finished but its training state is "
                    + "missing from " + t + "; delete " + dir + " to start this run afresh");
        }
        return CheckpointFiles.read(t, net, s, dtype);
    }

    /**
     * Saves checkpoint {@code step}: the training state {@code training} (null at step 0, whose parameters are
     * the seeded initialisation) and then {@code results}; then deletes older training states.
     */
    void save(long step, T results, Network net, Trainer.Checkpoint training) {
        try {
            Path t = dir.resolve("training");
            if (training != null) {
                CheckpointFiles.write(t, net, training);
                // E2 and E3 measure the next checkpoint with net's buffers; a resumed run reads them from the
                // checkpoint into net (CheckpointFiles.read), so an uninterrupted one must hold the same
                training.buffers().forEach(net.buffers()::set);
            }
            byte[] text = JSON.writeValueAsString(results).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(dir.resolve(String.format("step-%08d.json", step)), out -> out.write(text));
            if (training != null) {
                deleteTrainingExcept(step);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        hook.saved(run, step);
    }

    /** The run is finished: its training state is no longer needed (the results stay). */
    void complete() {
        deleteTrainingExcept(-1);
    }

    private void deleteTrainingExcept(long keep) {
        Path t = dir.resolve("training");
        if (!Files.isDirectory(t)) {
            return;
        }
        String prefix = String.format("step-%08d.", keep);
        try (Stream<Path> files = Files.list(t)) {
            for (Path p : files.toList()) {
                if (!p.getFileName().toString().startsWith(prefix)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes every saved run of the experiment whose output directory is {@code experimentDir} (--force). */
    static void clear(Path experimentDir) {
        deleteTree(experimentDir.resolve(DIR));
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
