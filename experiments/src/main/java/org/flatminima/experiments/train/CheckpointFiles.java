package org.flatminima.experiments.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.optim.OptimizerState;
import org.flatminima.experiments.models.Safetensors;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;

/**
 * Checkpoints on disk, in a run directory's {@code checkpoints/}: for step s, {@code step-<s>.optim.safetensors}
 * (the optimiser's buffers, its step count and learning rate in the metadata) is written first, then
 * {@code step-<s>.safetensors} (the model's state_dict, loadable by PyTorch). Each file is written atomically
 * (temporary file, then rename) and a checkpoint counts only when both exist, so a crash at any moment leaves
 * either a complete checkpoint or none.
 */
public final class CheckpointFiles {
    private static final Pattern MODEL = Pattern.compile("step-(\\d+)\\.safetensors");

    private CheckpointFiles() {
    }

    static Path modelFile(Path dir, long step) {
        return dir.resolve(String.format("step-%08d.safetensors", step));
    }

    static Path optimFile(Path dir, long step) {
        return dir.resolve(String.format("step-%08d.optim.safetensors", step));
    }

    /** Writes checkpoint {@code c} of a run of {@code net} into {@code dir}. */
    public static void write(Path dir, Network net, Trainer.Checkpoint c) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", Long.toString(c.step()));
        meta.put("optimizer_step", Long.toString(c.optimizer().step()));
        meta.put("lr", Double.toString(c.optimizer().learningRate()));
        Map<String, Tensor> buffers = new LinkedHashMap<>(c.optimizer().buffers());
        Safetensors.write(optimFile(dir, c.step()), buffers, meta);
        c.buffers().forEach(net.buffers()::set);
        Map<String, String> modelMeta = new LinkedHashMap<>();
        modelMeta.put("format", "pt");
        modelMeta.put("step", Long.toString(c.step()));
        Weights.save(modelFile(dir, c.step()), net, c.params(), modelMeta);
    }

    /** The step of the newest complete checkpoint in {@code dir}, or -1. */
    public static long latest(Path dir) {
        if (!Files.isDirectory(dir)) {
            return -1;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> MODEL.matcher(p.getFileName().toString()))
                    .filter(Matcher::matches)
                    .mapToLong(m -> Long.parseLong(m.group(1)))
                    .filter(s -> Files.isRegularFile(optimFile(dir, s)))
                    .max().orElse(-1);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Reads checkpoint {@code step} of {@code dir} for {@code net} (whose buffers it also sets). */
    public static Trainer.Checkpoint read(Path dir, Network net, long step, DType dtype) {
        Tensor params = Weights.load(modelFile(dir, step), net, dtype);
        Safetensors.Contents optim = Safetensors.read(optimFile(dir, step), dtype);
        Map<String, String> meta = optim.metadata();
        OptimizerState state = new OptimizerState(Long.parseLong(meta.get("optimizer_step")),
                Double.parseDouble(meta.get("lr")), new LinkedHashMap<>(optim.tensors()));
        return new Trainer.Checkpoint(step, params, state, new LinkedHashMap<>(net.buffers().toMap()));
    }
}
