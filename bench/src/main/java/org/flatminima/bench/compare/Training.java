package org.flatminima.bench.compare;

import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.optim.Optimizer;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.kernels.DType;

/**
 * Op {@code train} of the comparison: one timed unit is {@code steps} SGD steps (momentum 0.9) of a workload's
 * model on one fixed batch of the {@link SharedInstance} (weights, inputs, labels), each step a forward pass,
 * the mean cross-entropy, the gradient and the parameter update.
 *
 * <p>The model is built from the experiments' architecture string ({@link ModelSpec}, the {@code --arch} of
 * {@code flatminima train}): W3 is E2's full-scale CNN {@value #CNN_SPEC} and M4 E2's full-scale MLP (the
 * paper's 4-hidden-layer MLP) {@value #MLP_SPEC}; the learning rate is E2's for that model (0.05). The optimiser
 * is the one {@link TrainConfig#newOptimizer()} makes for the {@code train} command (engine {@code Sgd}), and
 * one step makes the calls of the step of {@code Trainer.train}: in a {@link Scope}, {@link Autodiff#valueAndGrad}
 * of {@link Network#lossUpdatingBuffers(Var, Tensor, int[], long)} in training mode, the loss read and checked
 * finite, {@link Optimizer#stepInPlace}. What {@code Trainer.train} does besides and this unit does not: gather
 * the batch from a shuffled data set, and evaluate or checkpoint at log steps.
 *
 * <p>Every unit starts from the same state: the shared weights are copied into the parameter vector and a
 * fresh optimiser (no momentum buffer yet) is made, inside the timed unit, as the PyTorch worker does; so every
 * unit does the same work, and the unit's value (the loss of its last step) is the same on both sides up to
 * rounding.
 */
final class Training {

    /** E2's full-scale CNN, W3's architecture. */
    static final String CNN_SPEC = "seq:1x28x28:conv(32,3,pad=1),relu,maxpool(2),conv(64,3,pad=1),relu,maxpool(2),"
            + "flatten,linear(128),relu,linear(10)";
    /** E2's full-scale MLP, M4's architecture. */
    static final String MLP_SPEC = "mlp:784-256-256-256-256-10";
    /** E2's learning rate of both models. */
    static final double LR = 0.05;
    /** SGD momentum of E2 (and of the paper). */
    static final double MOMENTUM = 0.9;

    private final Network model;
    private final Tensor initial;
    private final Tensor params;
    private final Tensor x;
    private final int[] labels;
    private final TrainConfig config;

    /** The setup of {@code workload} (W3 or M4) in {@code dtype} with a batch of {@code batch} shared points. */
    Training(String workload, DType dtype, int batch) {
        this.model = ModelSpec.parse(spec(workload)).network().withMode(Mode.TRAIN);
        this.initial = SharedInstance.parameters(model, dtype);
        this.params = initial.copy();
        this.x = SharedInstance.inputs(model, dtype, batch);
        this.labels = SharedInstance.labels(batch);
        this.config = TrainConfig.builder().optimizer("sgd").lr(LR).momentum(MOMENTUM).batchSize(batch).build();
    }

    /** The architecture string of a workload that has op train. */
    static String spec(String workload) {
        return switch (workload) {
            case "W3" -> CNN_SPEC;
            case "M4" -> MLP_SPEC;
            default -> throw new IllegalArgumentException("op train is offered for W3 (E2's CNN) and M4 (E2's "
                    + "MLP), not " + workload);
        };
    }

    /** The model (training mode). */
    Network model() {
        return model;
    }

    /**
     * One unit: {@code steps} steps from the shared weights with a fresh optimiser; the last step's loss. The
     * optimiser is made in the unit's scope, so its state is freed when the unit ends, as PyTorch's is when its
     * optimiser goes.
     */
    double run(int steps) {
        try (Scope unit = Scope.open()) {
            return steps(steps);
        }
    }

    private double steps(int steps) {
        TensorOps.assign(params, initial);
        Optimizer opt = config.newOptimizer();
        double loss = Double.NaN;
        for (int step = 0; step < steps; step++) {
            try (Scope s = Scope.open()) {
                long noise = step;
                Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(
                        th -> model.lossUpdatingBuffers(th, x, labels, noise), Var.of(params));
                loss = vg.value().value().item();
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("the training loss became " + loss + " at step " + (step + 1));
                }
                opt.stepInPlace(params, vg.grad().value());
            }
        }
        return loss;
    }

    /** The parameters after the last unit (a view of the worker's vector; tests). */
    Tensor params() {
        return params;
    }

    /** The shared batch's inputs (tests). */
    Tensor x() {
        return x;
    }

    /** The shared batch's labels (tests). */
    int[] labels() {
        return labels.clone();
    }
}
