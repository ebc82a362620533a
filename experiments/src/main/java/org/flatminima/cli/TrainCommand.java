package org.flatminima.cli;

import org.flatminima.experiments.UserException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.CheckpointFiles;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;
import org.flatminima.kernels.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flatminima train}: trains a model given by a spec on a data set, writing into {@code --out}:
 * {@code config.json}, {@code metrics.csv} (one row per log step), {@code checkpoints/} and the final
 * {@code model.safetensors} (PyTorch state_dict names). {@code --resume} continues from the newest complete
 * checkpoint and ends with the same weights as an uninterrupted run (same backend and threads).
 */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Trains a model on a data set, with checkpoints, a metrics log and a resumable state.")
public final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--arch", required = true, paramLabel = "SPEC",
            description = "the model, e.g. mlp:784-512-512-10, affine:784-10 or seq:1x28x28:conv(32,3,pad=1),relu,...")
    String arch;

    @Option(names = "--data", defaultValue = "embedded", paramLabel = "NAME",
            description = "embedded (the MNIST subset in the repository), mnist or fashion-mnist (default: ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--limit", paramLabel = "N", description = "use the first N training points only")
    Integer limit;

    @Option(names = "--standardize",
            description = "standardise each pixel by the training split's mean and standard deviation")
    boolean standardize;

    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd or adam (default: ${DEFAULT-VALUE})")
    String optimizer;

    @Option(names = "--lr", defaultValue = "0.05", description = "learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--nesterov", description = "Nesterov momentum")
    boolean nesterov;

    @Option(names = "--weight-decay", defaultValue = "0", description = "L2 weight decay (default: ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--batch-size", defaultValue = "64", description = "points per step (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--epochs", defaultValue = "5", description = "passes over the training set (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--schedule", defaultValue = "constant",
            description = "constant, step, multistep or cosine, per epoch (default: ${DEFAULT-VALUE})")
    String schedule;

    @Option(names = "--milestones", split = ",", paramLabel = "E1,E2,...",
            description = "epochs for step/multistep schedules")
    long[] milestones = new long[0];

    @Option(names = "--gamma", defaultValue = "0.1", description = "decay of step/multistep (default: ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--seed", defaultValue = "0", description = "seed of initialisation and batch order (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--log-every", defaultValue = "100", paramLabel = "STEPS",
            description = "steps between metric rows (default: ${DEFAULT-VALUE})")
    int logEvery;

    @Option(names = "--checkpoint-every", defaultValue = "500", paramLabel = "STEPS",
            description = "steps between checkpoints; the last step is always saved (default: ${DEFAULT-VALUE})")
    int checkpointEvery;

    @Option(names = "--threads", paramLabel = "N", description = "kernel threads (default: all cores)")
    Integer threads;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the run directory")
    Path out;

    @Option(names = "--resume", description = "continue from the newest checkpoint in --out")
    boolean resume;

    @Override
    public Integer call() throws IOException {
        DType t = DType.parse(dtype);
        if (threads != null) {
            if (threads < 1) {
                throw new UserException("--threads must be at least 1, got " + threads);
            }
            Engine.backend().setThreads(threads);
        }
        if (checkpointEvery < 1) {
            throw new UserException("--checkpoint-every must be at least 1, got " + checkpointEvery);
        }
        ModelSpec model = ModelSpec.parse(arch);
        Network net = model.network();
        DataSets sets = new DataSets(DataSets.Locations.fromEnvironment());
        Dataset trainSet = sets.load(data, DataSets.Split.TRAIN, limit).as(t).as(Dataset.Layout.IMAGES);
        Dataset testSet = sets.load(data, DataSets.Split.TEST).as(t).as(Dataset.Layout.IMAGES);
        if (limit != null) {
            if (limit < 1 || limit > trainSet.size()) {
                throw new UserException("--limit must be in [1, " + trainSet.size() + "], got " + limit);
            }
            trainSet = trainSet.first(limit);
        }
        if (standardize) {
            Dataset.Standardization st = Dataset.Standardization.of(trainSet);
            trainSet = trainSet.standardized(st);
            testSet = testSet.standardized(st);
        }
        checkInputs(model, net, trainSet);
        Batch train = new Batch(trainSet.images(), trainSet.labels());
        Batch test = new Batch(testSet.images(), testSet.labels());
        int spe = (train.size() + batchSize - 1) / Math.max(1, batchSize);
        long total = (long) spe * epochs;
        List<Long> ckpts = new ArrayList<>();
        for (long s = checkpointEvery; s < total; s += checkpointEvery) {
            ckpts.add(s);
        }
        TrainConfig cfg = new TrainConfig(optimizer, lr, momentum, nesterov, weightDecay, batchSize, epochs, schedule,
                milestones, gamma, seed, logEvery, ckpts.stream().mapToLong(Long::longValue).toArray());

        Files.createDirectories(out);
        Path ckptDir = out.resolve("checkpoints");
        Path metricsFile = out.resolve("metrics.csv");
        Trainer.Checkpoint from = null;
        if (resume) {
            long step = CheckpointFiles.latest(ckptDir);
            if (step < 0) {
                throw new UserException("nothing to resume: no complete checkpoint in " + ckptDir);
            }
            from = CheckpointFiles.read(ckptDir, net, step, t);
            truncateMetrics(metricsFile, step);
        } else {
            writeConfig(out.resolve("config.json"), model, t);
            Files.writeString(metricsFile, Trainer.Metrics.CSV_HEADER + "\n", StandardCharsets.UTF_8);
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf("training %s on %s (%d points, %d test), %d steps of %d on %s%n", model, data, train.size(),
                test.size(), total, batchSize, Engine.backend().name());
        o.flush();
        Tensor params = from != null ? from.params().copy() : net.initParams(t, seed);
        Trainer.Result r;
        try (ProgressBar bar = System.console() == null ? null : new ProgressBarBuilder()
                .setTaskName("train").setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .continuousUpdate().build()) {
            r = Trainer.train(net, params, train, test, cfg, from, new Trainer.Callbacks() {
                @Override
                public void onStep(long step, long totalSteps, double loss) {
                    if (bar != null) {
                        bar.stepTo(step);
                        bar.setExtraMessage(String.format(" loss %.4f", loss));
                    }
                }

                @Override
                public void onMetrics(Trainer.Metrics m) {
                    try {
                        Files.writeString(metricsFile, m.csv() + "\n", StandardCharsets.UTF_8,
                                java.nio.file.StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    if (bar == null) {
                        o.printf("step %d  epoch %.2f  loss %.4f  train acc %.4f  test acc %.4f%n", m.step(),
                                m.epoch(), m.batchLoss(), m.trainAccuracy(), m.testAccuracy());
                        o.flush();
                    }
                }

                @Override
                public void onCheckpoint(Trainer.Checkpoint c) {
                    CheckpointFiles.write(ckptDir, net, c);
                }
            });
        } catch (Trainer.DivergedException e) {
            throw new UserException(e.getMessage() + " (checkpoints in " + ckptDir + ")");
        }
        r.buffers().forEach(net.buffers()::set);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("arch", model.toString());
        Weights.save(out.resolve("model.safetensors"), net, r.params(), meta);
        Trainer.Metrics last = r.metrics().get(r.metrics().size() - 1);
        o.printf("done: %d steps; train accuracy %.4f (on up to %d points), test accuracy %.4f; model in %s%n",
                r.steps(), last.trainAccuracy(), Trainer.TRAIN_EVAL_POINTS, last.testAccuracy(),
                out.resolve("model.safetensors"));
        return 0;
    }

    /** The model must take the data's images (same number of values per point) and have as many classes. */
    static void checkInputs(ModelSpec model, Network net, Dataset d) {
        long want = 1;
        for (int s : net.sampleShape()) {
            want *= s;
        }
        if (want != d.features() || (net.sampleShape().length == 3 && (net.sampleShape()[0] != d.channels()
                || net.sampleShape()[1] != d.rows() || net.sampleShape()[2] != d.cols()))) {
            throw new UserException("model " + model + " takes inputs of shape "
                    + java.util.Arrays.toString(net.sampleShape()) + " but " + d.name() + " has " + d.channels()
                    + "x" + d.rows() + "x" + d.cols() + " images (" + d.features() + " values)");
        }
        if (net.classes() != d.classes()) {
            throw new UserException("model " + model + " has " + net.classes() + " outputs but " + d.name() + " has "
                    + d.classes() + " classes");
        }
    }

    private void writeConfig(Path file, ModelSpec model, DType t) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("arch", model.toString());
        c.put("data", data);
        c.put("limit", limit);
        c.put("standardize", standardize);
        c.put("optimizer", optimizer);
        c.put("lr", lr);
        c.put("momentum", momentum);
        c.put("nesterov", nesterov);
        c.put("weight_decay", weightDecay);
        c.put("batch_size", batchSize);
        c.put("epochs", epochs);
        c.put("schedule", schedule);
        c.put("milestones", milestones);
        c.put("gamma", gamma);
        c.put("seed", seed);
        c.put("dtype", t.longName());
        c.put("backend", Engine.backend().name());
        c.put("threads", Engine.backend().threads());
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(c);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, json);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Drops metric rows logged after {@code step} (they are recomputed by the resumed run). */
    private static void truncateMetrics(Path file, long step) throws IOException {
        if (!Files.exists(file)) {
            Files.writeString(file, Trainer.Metrics.CSV_HEADER + "\n", StandardCharsets.UTF_8);
            return;
        }
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (keep.isEmpty() || Long.parseLong(line.substring(0, line.indexOf(','))) <= step) {
                keep.add(line);
            }
        }
        Files.write(file, keep, StandardCharsets.UTF_8);
    }
}
