package org.flatminima.cli;

import org.flatminima.experiments.UserException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.DirectoryLock;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.CheckpointFiles;
import org.flatminima.experiments.train.GracefulStop;
import org.flatminima.experiments.train.RunDirectory;
import org.flatminima.experiments.train.StepMemory;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.TrainingData;
import org.flatminima.experiments.train.Trainer;
import org.flatminima.kernels.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flatminima train}: trains a model given by a spec on a data set, writing into {@code --out} (a
 * {@link RunDirectory}): {@code config.json}, {@code metrics.csv} (one row per log step), {@code checkpoints/} and
 * the final {@code model.safetensors} (PyTorch state_dict names). Every option is validated before anything is
 * written. {@code --resume} continues from the newest intact checkpoint and ends with the same weights as an
 * uninterrupted run (same backend and threads); SIGINT/SIGTERM stop at a step boundary ({@link GracefulStop}).
 * docs/runs.md says what a user can rely on.
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
            description = "embedded (the MNIST subset in the repository), mnist, fashion-mnist or cifar10 "
                    + "(default: ${DEFAULT-VALUE}; 'flatminima data list' shows what is here)")
    String data;

    @Option(names = "--cifar-dir", paramLabel = "DIR",
            description = "CIFAR-10: the cifar-10-batches-bin directory or cifar-10-binary.tar.gz (default: "
                    + "$FLATMINIMA_CIFAR10_DIR, else the cache's cifar-10, from 'flatminima data fetch cifar10')")
    Path cifarDir;

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

    @Option(names = "--resume", description = "continue the run in --out from its newest intact checkpoint "
            + "(options that change the result must equal the run's; see docs/runs.md)")
    boolean resume;

    @Option(names = "--force", description = "replace the run in --out (its config, metrics, checkpoints and model)")
    boolean force;

    @Override
    public Integer call() throws IOException {
        DType t = DType.parse(dtype);
        if (threads != null && threads < 1) {
            throw new UserException("--threads must be at least 1, got " + threads);
        }
        if (checkpointEvery < 1) {
            throw new UserException("--checkpoint-every must be at least 1, got " + checkpointEvery);
        }
        if (resume && force) {
            throw new UserException("--resume continues the run in --out and --force replaces it: give one of them");
        }
        if (limit != null && limit < 1) {
            throw new UserException("--limit must be at least 1, got " + limit);
        }
        TrainConfig cfg = TrainConfig.builder().optimizer(optimizer).lr(lr).momentum(momentum).nesterov(nesterov)
                .weightDecay(weightDecay).batchSize(batchSize).epochs(epochs).schedule(schedule)
                .milestones(milestones).gamma(gamma).seed(seed).logEvery(logEvery).checkpointEvery(checkpointEvery)
                .build();
        ModelSpec model = ModelSpec.parse(arch);
        Network net = model.network();
        if (threads != null) {
            Engine.backend().setThreads(threads);
        }
        PrintWriter err = spec.commandLine().getErr();
        Consumer<String> note = line -> {
            err.println(line);
            err.flush();
        };
        RunDirectory run = new RunDirectory(out);
        Map<String, Object> config = config(model, t);
        if (resume) {
            run.checkResume(config, note);
        } else {
            run.checkNew(force);
        }
        DataSets sets = new DataSets(DataSets.Locations.fromEnvironment().withCifarDir(cifarDir));
        TrainingData points = new TrainingData(
                TrainingData.split(sets, data, DataSets.Split.TRAIN, t, limit, "--limit"),
                TrainingData.split(sets, data, DataSets.Split.TEST, t, null, null));
        if (standardize) {
            points = points.standardized();
        }
        TrainingData.checkInputs(model, net, points.trainSet());
        Batch train = points.train();
        Batch test = points.test();
        long total = cfg.totalSteps(train.size());
        warnAboutCheckpointVolume(net, t, total, checkpointEvery, note);
        // a batch the machine cannot hold is refused before --out is touched, so that a rerun needs no --force
        StepMemory.require(net, net.initParams(t, seed), train, batchSize);

        try (DirectoryLock lock = DirectoryLock.acquire(out, "train", "--out");
             GracefulStop stop = new GracefulStop()) {
            Trainer.Checkpoint from = null;
            if (resume) {
                from = run.resume(net, t, note);
                long step = from == null ? 0 : from.step();
                if (step == total) {
                    return finish(run, model, net, from.params(), total, "completed");
                }
                if (from == null) {
                    note.accept("note: no intact checkpoint in " + run.checkpoints() + "; starting from step 0");
                }
            } else {
                run.create(config, force);
            }
            return train(run, model, net, t, cfg, train, test, total, from, stop);
        }
    }

    private int train(RunDirectory run, ModelSpec model, Network net, DType t, TrainConfig cfg, Batch train,
                      Batch test, long total, Trainer.Checkpoint from, GracefulStop stop) {
        PrintWriter o = spec.commandLine().getOut();
        o.printf("training %s on %s (%d points, %d test), %d steps of %d on %s%s%n", model, data, train.size(),
                test.size(), total, batchSize, Engine.backend().name(),
                from == null ? "" : ", resuming after step " + from.step());
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
                    run.appendMetrics(m);
                    if (bar == null) {
                        o.printf("step %d  epoch %.2f  loss %.4f  train acc %.4f  test acc %.4f%n", m.step(),
                                m.epoch(), m.batchLoss(), m.trainAccuracy(), m.testAccuracy());
                        o.flush();
                    }
                }

                @Override
                public void onCheckpoint(Trainer.Checkpoint c) {
                    CheckpointFiles.write(run.checkpoints(), net, c);
                }

                @Override
                public boolean stopRequested() {
                    return stop.requested();
                }
            });
        } catch (Trainer.DivergedException e) {
            Trainer.Checkpoint last = CheckpointFiles.newestIntact(run.checkpoints(), net, t, line -> { });
            throw new UserException(e.getMessage() + " and start again with --force; " + (last == null
                    ? "no checkpoint was written before it"
                    : "the last finite checkpoint is step " + last.step() + " in " + run.checkpoints()));
        } catch (Trainer.StoppedException e) {
            spec.commandLine().getErr().println("flatminima: stopped by a signal after step " + e.step()
                    + " (checkpoint written); continue with --resume");
            spec.commandLine().getErr().flush();
            return stop.exitStatus();
        }
        r.buffers().forEach(net.buffers()::set);
        int status = finish(run, model, net, r.params(), r.steps(), "done");
        Trainer.Metrics last = r.metrics().getLast();
        double chance = chanceAccuracy(train.labels(), net.classes());
        if (last.trainAccuracy() <= chance + 0.02) {
            spec.commandLine().getErr().printf(Locale.ROOT, "flatminima: warning: the run ended at chance accuracy "
                    + "(train accuracy %.4f; always answering the most frequent class gives %.4f): the learning rate "
                    + "%s is probably too high or too low%n", last.trainAccuracy(), chance, lr);
            spec.commandLine().getErr().flush();
        }
        return status;
    }

    /**
     * Writes the final model and says so; {@code what} is "done", or "completed" for a resumed run that had stopped
     * between its last checkpoint and the model (a finished run, whose model exists, is only reported).
     */
    private int finish(RunDirectory run, ModelSpec model, Network net, Tensor params, long steps, String what) {
        boolean finished = what.equals("completed") && Files.isRegularFile(run.model());
        if (!finished) {
            run.saveModel(model, net, params);
        }
        String[] last = run.lastMetrics();
        String acc = last == null ? "" : String.format(Locale.ROOT,
                "; train accuracy %.4f (on up to %d points), test accuracy %.4f", Double.parseDouble(last[5]),
                Trainer.TRAIN_EVAL_POINTS, Double.parseDouble(last[7]));
        PrintWriter o = spec.commandLine().getOut();
        o.printf("%s: %d steps%s; model in %s%n", finished ? "the run in " + run.dir() + " is already finished"
                : what, steps, acc, run.model());
        o.flush();
        return 0;
    }

    /** The accuracy of always answering the most frequent class of {@code labels}. */
    static double chanceAccuracy(int[] labels, int classes) {
        int[] count = new int[classes];
        int max = 0;
        for (int y : labels) {
            max = Math.max(max, ++count[y]);
        }
        return max / (double) labels.length;
    }

    /** One line when the checkpoints of this run would fill a disk (a checkpoint holds the model twice, or so). */
    private static void warnAboutCheckpointVolume(Network net, DType t, long total, long every,
                                                  Consumer<String> note) {
        double bytes = 3.0 * net.layout().size() * t.byteSize() * (total / every);
        if (bytes > 10e9) {
            note.accept(String.format(Locale.ROOT, "flatminima: warning: --checkpoint-every %d writes %d checkpoints"
                    + " (about %.3g GB): raise --checkpoint-every", every, total / every, bytes / 1e9));
        }
    }

    /** The options of this command as config.json records them (compared on --resume). */
    private Map<String, Object> config(ModelSpec model, DType t) {
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
        c.put("log_every", logEvery);
        c.put("checkpoint_every", checkpointEvery);
        c.put("backend", Engine.backend().name());
        c.put("threads", Engine.backend().threads());
        return c;
    }
}
