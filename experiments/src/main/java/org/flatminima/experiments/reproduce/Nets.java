package org.flatminima.experiments.reproduce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.train.Batch;
import org.flatminima.experiments.train.TrainConfig;
import org.flatminima.experiments.train.Trainer;

/** Small helpers the experiments share: batches, training to a target accuracy, parameter scaling, logits. */
final class Nets {
    private Nets() {
    }

    /** The points of {@code d} as a batch. */
    static Batch batch(Dataset d) {
        return new Batch(d.images(), d.labels());
    }

    /** The logits {@code [N, C]} of the network at {@code theta} on {@code x}. */
    static Tensor logits(Network net, Tensor theta, Tensor x) {
        return net.logits(Var.of(theta), x).value();
    }

    /** Accuracy on {@code b} (chunks of 1,000 points). */
    static double accuracy(Network net, Tensor theta, Batch b) {
        return Trainer.evaluate(net, theta, b, 1000).accuracy();
    }

    /** The parameter entries of the Linear/Conv2d weights, in layer order. */
    static List<ParameterLayout.Entry> weights(Network net) {
        List<ParameterLayout.Entry> r = new ArrayList<>();
        for (ParameterLayout.Entry e : net.layout().entries()) {
            if (e.name().endsWith(".weight")) {
                r.add(e);
            }
        }
        return r;
    }

    /** The bias entry belonging to weight entry {@code w}. */
    static ParameterLayout.Entry biasOf(Network net, ParameterLayout.Entry w) {
        String name = w.name().substring(0, w.name().length() - ".weight".length()) + ".bias";
        return net.layout().entry(name);
    }

    /** A copy of {@code theta} with each named parameter tensor multiplied by its factor. */
    static Tensor scaled(Network net, Tensor theta, Map<ParameterLayout.Entry, Double> factors) {
        double[] v = theta.toDoubleArray();
        for (Map.Entry<ParameterLayout.Entry, Double> f : factors.entrySet()) {
            for (int i = f.getKey().offset(); i < f.getKey().end(); i++) {
                v[i] *= f.getValue();
            }
        }
        return Tensor.of(theta.dtype(), v, theta.dim(0));
    }

    /** Result of {@link #trainToFullAccuracy}. */
    record Trained(Tensor params, int epochs, double trainAccuracy, boolean capHit) {
    }

    /**
     * Trains from {@code params} (updated in place) {@code chunk} epochs at a time until every point of
     * {@code train} is classified correctly or {@code maxEpochs} is reached.
     */
    static Trained trainToFullAccuracy(Network net, Tensor params, Batch train, TrainConfig base, int chunk,
                                       int maxEpochs, Progress progress) {
        Trainer.Checkpoint[] last = new Trainer.Checkpoint[1];
        int epochs = 0;
        double acc = accuracy(net, params, train);
        while (acc < 1.0 && epochs < maxEpochs) {
            epochs = Math.min(maxEpochs, epochs + chunk);
            TrainConfig cfg = base.toBuilder().epochs(epochs).logEvery(Integer.MAX_VALUE).checkpointEvery(0)
                    .checkpointAt().build();
            Trainer.train(net, params, train, null, cfg, last[0], new Trainer.Callbacks() {
                @Override
                public void onCheckpoint(Trainer.Checkpoint c) {
                    last[0] = c;
                }
            });
            acc = accuracy(net, params, train);
            progress.step(0, String.format(java.util.Locale.ROOT, "epoch %d train acc %.4f", epochs, acc));
        }
        return new Trained(params, epochs, acc, acc < 1.0);
    }

    /** Median of {@code v}. */
    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    /** {@code 0, then round(total^(k/(count-1)))} for k = 0..count-1, distinct and increasing: log-spaced steps. */
    static long[] logSpacedSteps(long total, int count) {
        java.util.TreeSet<Long> s = new java.util.TreeSet<>();
        s.add(0L);
        for (int k = 0; k < count; k++) {
            s.add(Math.round(Math.pow(total, k / (double) Math.max(1, count - 1))));
        }
        s.add(total);
        return s.stream().mapToLong(Long::longValue).toArray();
    }
}
