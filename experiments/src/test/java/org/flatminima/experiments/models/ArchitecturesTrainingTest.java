package org.flatminima.experiments.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The named architectures train with SGD in training mode (batch statistics, dropout masks drawn from the run's
 * seed and the step) and are evaluated in eval mode; a run with dropout is reproducible and resumes bit for bit.
 */
class ArchitecturesTrainingTest {

    static Batch data(int[] sample, int n, int classes, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] shape = new int[sample.length + 1];
        shape[0] = n;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
        }
        return new Batch(Tensor.normal(DType.F32, rnd, shape), labels);
    }

    /** The full-size architectures on MNIST-shaped inputs: two SGD steps run and update the running statistics. */
    @ParameterizedTest
    @CsvSource({"lenet:1x28x28-10", "keskar-c3:1x28x28-10", "simplenet:1x28x28-10", "simplenet-bn:1x28x28-10"})
    void fullSizeArchitecturesTakeSgdSteps(String spec) {
        ModelSpec s = ModelSpec.parse(spec);
        Network net = s.network();
        Batch train = data(new int[] {1, 28, 28}, 16, 10, 1);
        Tensor theta = net.initParams(DType.F32, 2);
        double[] before = theta.toDoubleArray();
        Trainer.Result r = Trainer.train(net, theta, train, null, TrainConfig.builder().lr(0.01).batchSize(8)
                .epochs(1).seed(3).logEvery(2).build(), null, null);
        assertThat(r.steps()).isEqualTo(2);
        assertThat(r.metrics().getLast().batchLoss()).isFinite();
        assertThat(r.params().toDoubleArray()).isNotEqualTo(before);
        r.buffers().forEach((name, t) -> {
            if (name.endsWith("num_batches_tracked")) {
                assertThat(t.item()).as(name).isEqualTo(2);
            }
        });
        assertThat(r.buffers().isEmpty()).isEqualTo(!spec.contains("keskar") && !spec.contains("-bn"));
    }

    /**
     * Small instances of the authors' layers (narrow, on 1x8x8 images, LeNet on 1x16x16, 3 classes). SimpleNet keeps
     * its 8 hidden layers at width 32 with more steps and a larger rate: from PyTorch's default initialisation the
     * signal shrinks layer by layer, and at width 16 a layer's ReLUs all died here (the loss stayed at the best
     * constant prediction).
     */
    static String small(String name) {
        int[] image = {1, 8, 8};
        return switch (name) {
            case "lenet" -> Architectures.lenet(new int[] {1, 16, 16}, 3, 4, 8, 16, 12);
            case "keskar-c3" -> Architectures.keskarC3(image, 3, 4, 16, 12, 0.5);
            case "simplenet" -> Architectures.simpleNet(image, 3, 32, 8);
            case "simplenet-bn" -> Architectures.simpleNetBn(image, 3, 16, 5);
            default -> "mlp:64-16x2-3,bn,dropout=0.5";
        };
    }

    /** Labels from a fixed random linear map of the inputs (argmax), so that there is something to learn. */
    static Batch teacher(int[] sample, int n, int classes, long seed) {
        Batch b = data(sample, n, classes, seed);
        Tensor x = b.x().to(DType.F64);
        int d = (int) (x.size() / n);
        double[] xv = x.toDoubleArray();
        SplittableRandom rnd = new SplittableRandom(99);
        double[][] w = new double[classes][d];
        for (double[] row : w) {
            for (int i = 0; i < d; i++) {
                row[i] = rnd.nextGaussian();
            }
        }
        int[] labels = new int[n];
        for (int p = 0; p < n; p++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double z = 0;
                for (int i = 0; i < d; i++) {
                    z += w[c][i] * xv[p * d + i];
                }
                if (z > best) {
                    best = z;
                    labels[p] = c;
                }
            }
        }
        return new Batch(x, labels);
    }

    /**
     * Small instances learn a teacher's labelling of 48 points (the loss in eval mode falls below 0.7 of its
     * start); evaluation runs the model in eval mode: the same numbers as the eval-mode network's logits, and no
     * noise seed is needed.
     */
    @ParameterizedTest
    @CsvSource({"lenet, 0.03, 60", "keskar-c3, 0.01, 60", "simplenet, 0.1, 300", "simplenet-bn, 0.01, 60",
        "mlp-bn-dropout, 0.01, 60"})
    void smallInstancesLearnAndAreEvaluatedInEvalMode(String name, double lr, int epochs) {
        ModelSpec s = ModelSpec.parse(small(name));
        Network net = s.network();
        Batch train64 = teacher(s.sampleShape().length == 1 ? new int[] {1, 8, 8} : s.sampleShape(), 48, 3, 5);
        Tensor theta = net.initParams(DType.F64, 4);
        double start = Trainer.evaluate(net, theta, train64, 100).loss();
        Trainer.Result r = Trainer.train(net, theta, train64, null, TrainConfig.builder().lr(lr).momentum(0.9)
                .batchSize(16).epochs(epochs).seed(6).logEvery(120).build(), null, null);
        Network eval = net.withMode(Mode.EVAL);
        r.buffers().forEach(eval.buffers()::set);
        Trainer.Evaluation end = Trainer.evaluate(eval, r.params(), train64, 100);
        assertThat(end.loss()).as("eval loss %s -> %s", start, end.loss()).isLessThan(0.7 * start);
        double manual = eval.logits(Var.of(r.params()), train64.x()).crossEntropy(train64.labels()).item();
        assertThat(end.loss()).isCloseTo(manual, org.assertj.core.api.Assertions.within(1e-12));
    }

    /** Dropout masks come from (seed, step): two runs agree, and a run resumed mid-epoch ends bit for bit equal. */
    @Test
    void aRunWithDropoutIsReproducibleAndResumable() {
        ModelSpec s = ModelSpec.parse(EvalModeCurvatureTest.spec("keskar-c3"));
        Network net = s.network();
        Batch train = data(s.sampleShape(), 20, s.classes(), 7);
        Batch train64 = new Batch(train.x().to(DType.F64), train.labels());
        TrainConfig cfg = TrainConfig.builder().lr(0.05).batchSize(6).epochs(3).seed(8).logEvery(4)
                .checkpointAt(5).build();
        List<Trainer.Checkpoint> saved = new ArrayList<>();
        Trainer.Callbacks keep = new Trainer.Callbacks() {
            @Override
            public void onCheckpoint(Trainer.Checkpoint c) {
                saved.add(c);
            }
        };
        double[] full = Trainer.train(net, net.initParams(DType.F64, 1), train64, null, cfg, null, keep).params()
                .toDoubleArray();
        double[] again = Trainer.train(net, net.initParams(DType.F64, 1), train64, null, cfg, null, null).params()
                .toDoubleArray();
        assertThat(again).containsExactly(full);
        Trainer.Checkpoint at5 = saved.getFirst();
        assertThat(at5.step()).isEqualTo(5); // mid-epoch (4 steps per epoch)
        double[] resumed = Trainer.train(net, net.initParams(DType.F64, 99), train64, null, cfg, at5, null).params()
                .toDoubleArray();
        assertThat(resumed).containsExactly(full);
        // the masks matter: the same run with dropout p = 0 ends elsewhere
        Network noDrop = ModelSpec.parse(EvalModeCurvatureTest.spec("keskar-c3").replace("dropout(0.5)",
                "dropout(0)")).network();
        assertThat(Trainer.train(noDrop, noDrop.initParams(DType.F64, 1), train64, null, cfg, null, null).params()
                .toDoubleArray()).isNotEqualTo(full);
    }
}
