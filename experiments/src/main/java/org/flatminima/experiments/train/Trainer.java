package org.flatminima.experiments.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.optim.LrSchedule;
import org.flatminima.engine.optim.Optimizer;
import org.flatminima.engine.optim.OptimizerState;
import org.flatminima.experiments.measures.Margins;

/**
 * Mini-batch training of a {@link Network} on a flat parameter vector.
 *
 * <p>Reproducibility: the batch order of epoch e is a permutation drawn from a generator seeded by
 * {@code (seed, e)} alone, so a run resumed from a checkpoint at step s recomputes exactly the batches an
 * uninterrupted run would have used after step s, and (same backend and threads) ends with the same weights;
 * the dropout masks of step s are drawn from {@link #noiseSeed}{@code (seed, s)} alone, for the same reason.
 * Training steps run the model in {@link Mode#TRAIN} (batch statistics, dropout masks); {@link #evaluate} runs it
 * in {@link Mode#EVAL} (running statistics, no dropout), as PyTorch's {@code model.eval()}.
 * Every step runs in a {@link Scope}; parameters and optimiser state are updated in place, so memory stays
 * bounded however long the run.
 *
 * <p>Before the first step, a batch whose step would need more memory than the machine has available is refused
 * ({@link StepMemory}).
 *
 * <p>A non-finite loss stops the run with a {@link DivergedException} that names the step; what was last
 * checkpointed stays as it was. {@link Callbacks#stopRequested()} (a signal) stops it between two steps with a
 * {@link StoppedException}, after checkpointing the last finished step.
 */
public final class Trainer {
    private Trainer() {
    }

    /** Points of the training set evaluated at each log step (a fixed, seeded subset when larger). */
    public static final int TRAIN_EVAL_POINTS = 2000;

    /**
     * One row of the training log.
     *
     * @param step optimiser steps done
     * @param epoch epochs completed, fractional
     * @param lr learning rate in use
     * @param batchLoss mean mini-batch loss since the previous row
     * @param trainLoss loss on the training-evaluation subset
     * @param trainAccuracy accuracy on the training-evaluation subset (fraction in [0, 1])
     * @param testLoss loss on the test set (NaN without one)
     * @param testAccuracy accuracy on the test set (NaN without one)
     */
    public record Metrics(long step, double epoch, double lr, double batchLoss, double trainLoss, double trainAccuracy,
                          double testLoss, double testAccuracy) {
        /** The CSV header matching {@link #csv()}. */
        public static final String CSV_HEADER = "step,epoch,lr,batch_loss,train_loss,train_accuracy,test_loss,test_accuracy";

        public String csv() {
            return step + "," + epoch + "," + lr + "," + batchLoss + "," + trainLoss + "," + trainAccuracy + ","
                    + testLoss + "," + testAccuracy;
        }
    }

    /**
     * What is needed to continue a run: the step, the parameters, the optimiser and the model's buffers, and the
     * sum and count of the mini-batch losses since the last metric row (so that a resumed run logs the same
     * {@code batch_loss} as an uninterrupted one).
     */
    public record Checkpoint(long step, Tensor params, OptimizerState optimizer, Map<String, Tensor> buffers,
                             double lossSum, int lossCount) {
        /** A checkpoint taken at a metric row (no losses pending). */
        public Checkpoint(long step, Tensor params, OptimizerState optimizer, Map<String, Tensor> buffers) {
            this(step, params, optimizer, buffers, 0, 0);
        }
    }

    /** Hooks for progress display, logging and checkpoint writing (all optional). */
    public interface Callbacks {
        /** After every step. */
        default void onStep(long step, long totalSteps, double loss) {
        }

        /** After each log step. */
        default void onMetrics(Metrics m) {
        }

        /** At each checkpoint step: persist it (atomically). */
        default void onCheckpoint(Checkpoint c) {
        }

        /** Polled after every step: true stops the run (after a checkpoint of that step) with a StoppedException. */
        default boolean stopRequested() {
            return false;
        }
    }

    /** The run was stopped on request (a signal) after {@link #step()}, which was checkpointed. */
    public static final class StoppedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long step;

        StoppedException(long step) {
            super("training stopped after step " + step);
            this.step = step;
        }

        public long step() {
            return step;
        }
    }

    /** The loss became NaN or infinite. */
    public static final class DivergedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final long step;

        DivergedException(long step, double loss) {
            super("the training loss became " + loss + " at step " + step + "; lower the learning rate");
            this.step = step;
        }

        public long step() {
            return step;
        }
    }

    /** The outcome of a run: the parameters, the log, the steps done and the model's final buffers. */
    public record Result(Tensor params, List<Metrics> metrics, long steps, Map<String, Tensor> buffers) {
    }

    /** Loss and accuracy of a model on a data set. */
    public record Evaluation(double loss, double accuracy) {
    }

    /**
     * Mean loss and accuracy on {@code data}, in chunks of {@code chunk} points (eval mode, no buffer update): the
     * loss is summed chunk by chunk. Each chunk's logits come from forward passes of at most
     * {@link Passes#pointsPerPass(Network, Tensor, int)} points, so a model with large activations does not hold
     * a whole chunk's at once; the value does not depend on that split.
     */
    public static Evaluation evaluate(Network net, Tensor params, Batch data, int chunk) {
        return evaluate(net, params, data, chunk, Passes.pointsPerPass(net, params, chunk));
    }

    /** {@link #evaluate(Network, Tensor, Batch, int)} with forward passes of {@code pointsPerPass} points. */
    static Evaluation evaluate(Network net, Tensor params, Batch data, int chunk, int pointsPerPass) {
        Network eval = net.withMode(Mode.EVAL);
        double lossSum = 0;
        int correct = 0;
        for (int from = 0; from < data.size(); from += chunk) {
            int to = Math.min(data.size(), from + chunk);
            try (Scope s = Scope.open()) {
                Batch b = data.range(from, to);
                Tensor z = Passes.logits(eval, params, b.x(), pointsPerPass);
                lossSum += Var.of(z).crossEntropy(b.labels()).value().item() * (to - from);
                Margins.Columns m = Margins.of(z, b.labels());
                for (int i = 0; i < b.size(); i++) {
                    correct += m.predicted()[i] == b.labels()[i] ? 1 : 0;
                }
            }
        }
        return new Evaluation(lossSum / data.size(), correct / (double) data.size());
    }

    /**
     * The seed of the randomness inside the model (dropout masks) at optimiser step {@code step} (0-based): a
     * function of the run's seed and the step alone, so a resumed run draws the masks an uninterrupted run would
     * have drawn.
     */
    static long noiseSeed(long seed, long step) {
        return new SplittableRandom(seed ^ 0xD1B54A32D192ED03L).split().nextLong() + step * 0x9E3779B97F4A7C15L;
    }

    /** The permutation of {@code n} points used in {@code epoch}. */
    static int[] order(long seed, long epoch, int n) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * Trains {@code params} (updated in place and returned) on {@code train}; {@code test} may be null.
     * {@code resume}, when not null, continues a run from its checkpoint (its parameters are copied into
     * {@code params}).
     */
    public static Result train(Network net, Tensor params, Batch train, Batch test, TrainConfig cfg,
                               Checkpoint resume, Callbacks cb) {
        Callbacks callbacks = cb == null ? new Callbacks() { } : cb;
        Network model = net.withMode(Mode.TRAIN);
        Optimizer opt = cfg.newOptimizer();
        LrSchedule schedule = cfg.newSchedule();
        int spe = cfg.stepsPerEpoch(train.size());
        long total = cfg.totalSteps(train.size());
        long step = 0;
        double lossSum = 0;
        int lossCount = 0;
        if (resume != null) {
            org.flatminima.engine.TensorOps.assign(params, resume.params());
            opt.loadState(resume.optimizer());
            if (resume.buffers() != null) {
                resume.buffers().forEach(model.buffers()::set);
            }
            step = resume.step();
            lossSum = resume.lossSum();
            lossCount = resume.lossCount();
        }
        Batch trainEval = train.size() <= TRAIN_EVAL_POINTS ? train
                : train.take(java.util.Arrays.copyOf(order(cfg.seed() ^ 0x5EEDL, -1, train.size()), TRAIN_EVAL_POINTS));
        List<Metrics> log = new ArrayList<>();
        if (step < total) {
            StepMemory.require(net, params, train, cfg.batchSize());
        }
        while (step < total) {
            long epoch = step / spe;
            int[] perm = order(cfg.seed(), epoch, train.size());
            double lr = schedule.lr(epoch);
            opt.setLearningRate(lr);
            for (int b = (int) (step % spe); b < spe; b++) {
                int from = b * cfg.batchSize();
                int to = Math.min(train.size(), from + cfg.batchSize());
                double loss;
                try (Scope s = Scope.open()) {
                    Batch batch = train.take(java.util.Arrays.copyOfRange(perm, from, to));
                    long noise = noiseSeed(cfg.seed(), step);
                    Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(
                            th -> model.lossUpdatingBuffers(th, batch.x(), batch.labels(), noise), Var.of(params));
                    loss = vg.value().value().item();
                    if (!Double.isFinite(loss)) {
                        throw new DivergedException(step + 1, loss);
                    }
                    opt.stepInPlace(params, vg.grad().value());
                    // batch norm's running statistics were computed in this scope: move them out of it
                    for (Map.Entry<String, Tensor> e : model.buffers().toMap().entrySet()) {
                        model.buffers().set(e.getKey(), s.keep(e.getValue()));
                    }
                }
                step++;
                lossSum += loss;
                lossCount++;
                callbacks.onStep(step, total, loss);
                if (step % cfg.logEvery() == 0 || step == total) {
                    Evaluation tr = evaluate(model, params, trainEval, 1000);
                    Evaluation te = test == null ? new Evaluation(Double.NaN, Double.NaN)
                            : evaluate(model, params, test, 1000);
                    Metrics m = new Metrics(step, step / (double) spe, lr, lossSum / lossCount, tr.loss(),
                            tr.accuracy(), te.loss(), te.accuracy());
                    log.add(m);
                    callbacks.onMetrics(m);
                    lossSum = 0;
                    lossCount = 0;
                }
                boolean stop = callbacks.stopRequested();
                if (stop || cfg.isCheckpoint(step, total)) {
                    callbacks.onCheckpoint(new Checkpoint(step, params.copy(), opt.state(),
                            new java.util.LinkedHashMap<>(model.buffers().toMap()), lossSum, lossCount));
                }
                if (stop && step < total) {
                    throw new StoppedException(step);
                }
            }
        }
        return new Result(params, log, step, new java.util.LinkedHashMap<>(model.buffers().toMap()));
    }
}
