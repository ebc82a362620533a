package org.flatminima.experiments.sweep;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.CheckpointFiles;
import org.flatminima.experiments.train.RunDirectory;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;
import org.flatminima.experiments.train.TrainingData;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;

/**
 * One run of a sweep, a pure function of its {@link RunConfig}: loads the data (the first
 * {@code train_points}/{@code test_points} of each split, standardised as {@code train --standardize} when asked),
 * builds the model, trains it with checkpoints and measures every checkpoint ({@link SweepRunMeasures}), in a
 * {@link SweepRunDirectory}. Returns the run's {@link SweepTable} rows, always read back from the directory's
 * files, so that they are the same however the run got there.
 *
 * <ul>
 *   <li>Resume: a directory holding part of the run continues from its newest intact checkpoint (as
 *       {@code train --resume}); a checkpoint whose measures are on disk is never measured again, and one written
 *       just before a crash is measured on resume. On one backend the rows equal an uninterrupted run's.</li>
 *   <li>A finished run ({@code done.json} exists) is not trained again: its rows are read back.</li>
 *   <li>Divergence (a NaN or infinite training loss) is not an error: {@code done.json} says "diverged" with the
 *       step, the rows hold the checkpoints reached and one row at that step with empty measures.</li>
 *   <li>Step 0 (the initial weights) is measured when {@code checkpoint_at} lists it.</li>
 *   <li>Threads: the run computes on a backend of its own (a new instance of this thread's backend, so of the one
 *       {@code -Dflatminima.backend} or {@link Engine#with} chose) set to {@link RunConfig#threads()}; two runs
 *       on two threads of one JVM do not change each other's count. OpenBLAS's thread count (native backend) is
 *       process-wide, though: runs that share a JVM should ask for the same threads (a sweep's runs do, and the
 *       Spark runner gives each executor slot {@code threads} cores).</li>
 * </ul>
 */
public final class SweepRun {
    private SweepRun() {
    }

    /** Hears about a run's progress (all optional). */
    public interface Listener {
        /** After every training step. */
        default void step(long step, long totalSteps, double loss) {
        }

        /** After checkpoint {@code step} has been measured (its measures are on disk). */
        default void checkpoint(long step, long totalSteps) {
        }
    }

    /** A listener that does nothing. */
    public static final Listener QUIET = new Listener() {
    };

    /** {@link #execute(RunConfig, Path, Listener)} without a listener. */
    public static List<SweepTable.Row> execute(RunConfig cfg, Path runDir) {
        return execute(cfg, runDir, QUIET);
    }

    /**
     * Runs {@code cfg} in {@code runDir} (created when absent; see the class comment) and returns its rows, by
     * step. A {@code runDir} holding another run is refused with a {@link org.flatminima.experiments.UserException}
     * naming both ids; so is an unknown data set or a model that does not fit the data (before anything is
     * written).
     */
    public static List<SweepTable.Row> execute(RunConfig cfg, Path runDir, Listener listener) {
        return execute(cfg, runDir, listener, DataSets.Locations.fromEnvironment());
    }

    /**
     * {@link #execute(RunConfig, Path, Listener)} with the data found through {@code data} (e.g. the environment's
     * locations with {@code sweep --cifar-dir}); where the data is read from is not part of the run's id.
     */
    public static List<SweepTable.Row> execute(RunConfig cfg, Path runDir, Listener listener,
                                               DataSets.Locations data) {
        Listener l = listener == null ? QUIET : listener;
        ModelSpec model = ModelSpec.parse(cfg.arch());
        DType t = DType.parse(cfg.dtype());
        SweepRunDirectory dir = new SweepRunDirectory(runDir);
        if (java.nio.file.Files.exists(dir.config())) {
            dir.claim(cfg);
            if (dir.readDone() != null) {
                return dir.rows();
            }
        }
        Backend backend = Backends.get(Engine.backend().name());
        backend.setThreads(cfg.threads());
        Engine.with(backend, () -> train(cfg, model, t, dir, l, data));
        return dir.rows();
    }

    private static Integer limit(int points) {
        return points == 0 ? null : points;
    }

    private static void train(RunConfig cfg, ModelSpec model, DType t, SweepRunDirectory dir, Listener l,
                              DataSets.Locations locations) {
        DataSets sets = new DataSets(locations);
        TrainingData data = new TrainingData(
                TrainingData.split(sets, cfg.dataset(), DataSets.Split.TRAIN, t, limit(cfg.trainPoints()),
                        "train_points"),
                TrainingData.split(sets, cfg.dataset(), DataSets.Split.TEST, t, limit(cfg.testPoints()),
                        "test_points"));
        if (cfg.standardize()) {
            data = data.standardized();
        }
        Network net = model.network();
        TrainingData.checkInputs(model, net, data.trainSet());
        dir.claim(cfg);
        Batch train = data.train();
        Batch test = data.test();
        int m = cfg.measureTrainPoints() == 0 ? train.size() : Math.min(cfg.measureTrainPoints(), train.size());
        Batch measured = m == train.size() ? train : train.range(0, m);
        TrainConfig tc = cfg.train();
        long total = tc.totalSteps(train.size());
        int perEpoch = tc.stepsPerEpoch(train.size());
        Measurer measurer = (step, theta, buffers) -> {
            if (!dir.hasMeasures(step)) {
                try (Scope s = Scope.open()) {
                    Network eval = net.withMode(Mode.EVAL);
                    buffers.forEach(eval.buffers()::set);
                    dir.writeMeasures(SweepRunMeasures.measure(cfg, eval, theta, step, step / (double) perEpoch,
                            train, test, measured));
                }
            }
            l.checkpoint(step, total);
        };
        RunDirectory run = new RunDirectory(dir.dir());
        Trainer.Checkpoint from = run.resume(net, t, line -> { });
        if (java.util.Arrays.binarySearch(tc.checkpointAt(), 0L) >= 0 && !dir.hasMeasures(0)) {
            Network fresh = model.network();
            measurer.measure(0, fresh.initParams(t, tc.seed()), fresh.buffers().toMap());
        }
        long resumed = from == null ? 0 : from.step();
        for (long s : CheckpointFiles.steps(run.checkpoints()).reversed()) {
            if (s <= resumed && !dir.hasMeasures(s)) {
                Network at = model.network();
                Trainer.Checkpoint c = s == resumed ? from : CheckpointFiles.read(run.checkpoints(), at, s, t);
                measurer.measure(s, c.params(), c.buffers());
            }
        }
        Tensor params;
        if (resumed < total) {
            Tensor start = from != null ? from.params().copy() : net.initParams(t, tc.seed());
            try {
                Trainer.Result r = Trainer.train(net, start, train, test, tc, from, new Trainer.Callbacks() {
                    @Override
                    public void onStep(long step, long totalSteps, double loss) {
                        l.step(step, totalSteps, loss);
                    }

                    @Override
                    public void onMetrics(Trainer.Metrics metrics) {
                        run.appendMetrics(metrics);
                    }

                    @Override
                    public void onCheckpoint(Trainer.Checkpoint c) {
                        CheckpointFiles.write(run.checkpoints(), net, c);
                        measurer.measure(c.step(), c.params(), c.buffers());
                    }
                });
                r.buffers().forEach(net.buffers()::set);
                params = r.params();
            } catch (Trainer.DivergedException e) {
                dir.writeDone(new SweepRunDirectory.Done(SweepRunDirectory.Done.DIVERGED, e.step(),
                        e.step() / (double) perEpoch, e.getMessage()));
                return;
            }
        } else {
            params = from.params();
        }
        run.saveModel(model, net, params);
        dir.writeDone(new SweepRunDirectory.Done(SweepRunDirectory.Done.FINISHED, total, total / (double) perEpoch,
                null));
    }

    /** Measures one checkpoint unless its measures are on disk, then tells the listener. */
    private interface Measurer {
        void measure(long step, Tensor theta, Map<String, Tensor> buffers);
    }
}
