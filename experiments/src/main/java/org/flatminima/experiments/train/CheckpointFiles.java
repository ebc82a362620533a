package org.flatminima.experiments.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.optim.OptimizerState;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.models.Safetensors;
import org.flatminima.experiments.models.SafetensorsException;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;

/**
 * Checkpoints on disk, in a run directory's {@code checkpoints/}. For step s, in this order:
 * {@code step-<s>.optim.safetensors} (the optimiser's buffers; its step count, learning rate and the pending
 * mini-batch loss in the metadata), {@code step-<s>.safetensors} (the model's state_dict, loadable by PyTorch) and
 * last {@code step-<s>.sha256} (the SHA-256 of both, in {@code sha256sum} format, so {@code sha256sum -c} checks
 * them too). Each file is written atomically (temporary file, then rename) and a checkpoint counts only when both
 * safetensors files exist, so a crash at any moment leaves either a complete checkpoint or none. Reading verifies
 * the checksums (when the sidecar exists: checkpoints written before it had none) and refuses non-finite values.
 */
public final class CheckpointFiles {
    private static final Pattern MODEL = Pattern.compile("step-(\\d+)\\.safetensors");
    private static final Pattern OURS = Pattern.compile("step-(\\d+)\\.(safetensors|optim\\.safetensors|sha256)");
    /** Temporary files of an interrupted atomic write of one of our files (see {@link AtomicFiles}). */
    private static final Pattern TEMPORARY = Pattern.compile("\\.step-\\d+\\.(safetensors|optim\\.safetensors|sha256)\\.[^/]*\\.tmp");

    /** Test hook: milliseconds to pause in the middle of each checkpoint write (crash tests kill the JVM there). */
    static final String PAUSE_PROPERTY = "flatminima.test.checkpointPauseMillis";

    private CheckpointFiles() {
    }

    static Path modelFile(Path dir, long step) {
        return dir.resolve(String.format("step-%08d.safetensors", step));
    }

    static Path optimFile(Path dir, long step) {
        return dir.resolve(String.format("step-%08d.optim.safetensors", step));
    }

    static Path sumFile(Path dir, long step) {
        return dir.resolve(String.format("step-%08d.sha256", step));
    }

    /** Writes checkpoint {@code c} of a run of {@code net} into {@code dir} ({@code net} is not changed). */
    public static void write(Path dir, Network net, Trainer.Checkpoint c) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", Long.toString(c.step()));
        meta.put("optimizer_step", Long.toString(c.optimizer().step()));
        meta.put("lr", Double.toString(c.optimizer().learningRate()));
        meta.put("loss_sum", Double.toString(c.lossSum()));
        meta.put("loss_count", Integer.toString(c.lossCount()));
        Safetensors.write(optimFile(dir, c.step()), new LinkedHashMap<>(c.optimizer().buffers()), meta);
        pauseForTests();
        Network withBuffers = net.withMode(net.mode());
        c.buffers().forEach(withBuffers.buffers()::set);
        Map<String, String> modelMeta = new LinkedHashMap<>();
        modelMeta.put("format", "pt");
        modelMeta.put("step", Long.toString(c.step()));
        Weights.save(modelFile(dir, c.step()), withBuffers, c.params(), modelMeta);
        writeSums(dir, c.step());
    }

    /** Writes the sidecar of checkpoint {@code step} (the SHA-256 of both files), last, atomically. */
    private static void writeSums(Path dir, long step) {
        String sums = sha256(optimFile(dir, step)) + "  " + optimFile(dir, step).getFileName() + "\n"
                + sha256(modelFile(dir, step)) + "  " + modelFile(dir, step).getFileName() + "\n";
        try {
            AtomicFiles.write(sumFile(dir, step), out -> {
                out.write(sums.getBytes(StandardCharsets.US_ASCII));
                pauseForTests();
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + sumFile(dir, step) + ": " + e.getMessage(), e);
        }
    }

    private static void pauseForTests() {
        long ms = Long.getLong(PAUSE_PROPERTY, 0);
        if (ms > 0) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The steps of the complete checkpoints in {@code dir} (both safetensors files present), newest first. */
    public static List<Long> steps(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> MODEL.matcher(p.getFileName().toString()))
                    .filter(Matcher::matches)
                    .map(m -> Long.parseLong(m.group(1)))
                    .filter(s -> Files.isRegularFile(optimFile(dir, s)))
                    .sorted(java.util.Comparator.reverseOrder())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The step of the newest complete checkpoint in {@code dir}, or -1. */
    public static long latest(Path dir) {
        List<Long> s = steps(dir);
        return s.isEmpty() ? -1 : s.getFirst();
    }

    /**
     * Reads checkpoint {@code step} of {@code dir} for {@code net} (whose buffers it also sets), after checking
     * its checksums.
     *
     * @throws SafetensorsException if a file is damaged (checksum, format) or holds a non-finite value
     */
    public static Trainer.Checkpoint read(Path dir, Network net, long step, DType dtype) {
        verify(dir, step);
        Tensor params = Weights.load(modelFile(dir, step), net, dtype);
        Path of = optimFile(dir, step);
        Safetensors.Contents optim = Safetensors.read(of, dtype);
        Weights.requireFinite(of, optim.tensors());
        Map<String, String> meta = optim.metadata();
        try {
            OptimizerState state = new OptimizerState(Long.parseLong(meta.get("optimizer_step")),
                    Double.parseDouble(meta.get("lr")), new LinkedHashMap<>(optim.tensors()));
            double lossSum = meta.containsKey("loss_sum") ? Double.parseDouble(meta.get("loss_sum")) : 0;
            int lossCount = meta.containsKey("loss_count") ? Integer.parseInt(meta.get("loss_count")) : 0;
            return new Trainer.Checkpoint(step, params, state, new LinkedHashMap<>(net.buffers().toMap()), lossSum,
                    lossCount);
        } catch (NullPointerException | NumberFormatException e) {
            throw new SafetensorsException(of, "has no valid optimizer_step/lr metadata");
        }
    }

    /**
     * The newest intact checkpoint of {@code dir} (null when there is none), skipping damaged newer ones with a
     * one-line note each on {@code notes}.
     */
    public static Trainer.Checkpoint newestIntact(Path dir, Network net, DType dtype, Consumer<String> notes) {
        List<Long> all = steps(dir);
        for (int i = 0; i < all.size(); i++) {
            long s = all.get(i);
            try {
                Trainer.Checkpoint c = read(dir, net, s, dtype);
                if (!Files.isRegularFile(sumFile(dir, s))) {
                    // both files were renamed into place whole and have just been read and checked (a crash
                    // before the sidecar, or a checkpoint older than sidecars): give it its sidecar now
                    writeSums(dir, s);
                }
                return c;
            } catch (SafetensorsException e) {
                notes.accept("checkpoint " + s + " is damaged (" + e.getMessage() + "); "
                        + (i + 1 < all.size() ? "using checkpoint " + all.get(i + 1) + " instead" : "no older one"));
            }
        }
        return null;
    }

    /** Checks the sidecar checksums of checkpoint {@code step}, if it has a sidecar. */
    private static void verify(Path dir, long step) {
        Path sums = sumFile(dir, step);
        if (!Files.isRegularFile(sums)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(sums, StandardCharsets.US_ASCII)) {
                int sep = line.indexOf("  ");
                if (line.isBlank()) {
                    continue;
                }
                if (sep < 0) {
                    throw new SafetensorsException(sums, "is not a sha256sum file");
                }
                Path f = dir.resolve(line.substring(sep + 2));
                if (!OURS.matcher(f.getFileName().toString()).matches() || !Files.isRegularFile(f)) {
                    throw new SafetensorsException(sums, "names a missing file " + f.getFileName());
                }
                if (!sha256(f).equals(line.substring(0, sep))) {
                    throw new SafetensorsException(f, "does not match its SHA-256 in " + sums.getFileName());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + sums + ": " + e.getMessage(), e);
        }
    }

    /** Deletes every checkpoint file of a step after {@code step} (incomplete or damaged ones a resume replaces). */
    public static void deleteAfter(Path dir, long step) {
        forEachOurs(dir, (p, s) -> {
            if (s > step) {
                Files.deleteIfExists(p);
            }
        });
    }

    /** Deletes the temporary files left in {@code dir} by a checkpoint write that was interrupted; returns how many. */
    public static int deleteTemporaries(Path dir) {
        return deleteMatching(dir, TEMPORARY);
    }

    /**
     * Deletes the regular files of {@code dir} whose names match {@code ours} (a pattern of our own temporary
     * names, never a user's file); returns how many. A missing directory holds none.
     */
    static int deleteMatching(Path dir, Pattern ours) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                if (ours.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
                    Files.delete(p);
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + dir + ": " + e.getMessage(), e);
        }
        return n;
    }

    private interface FileAction {
        void apply(Path file, long step) throws IOException;
    }

    private static void forEachOurs(Path dir, FileAction action) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Matcher m = OURS.matcher(p.getFileName().toString());
                if (m.matches()) {
                    action.apply(p, Long.parseLong(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
