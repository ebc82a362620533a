package org.flatminima.examples;

import java.nio.file.Path;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.ExactTraces;
import org.flatminima.engine.curvature.TraceBreakdown;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;

/**
 * Each point's own Hessian trace, exactly, for a model trained elsewhere: an architecture spec plus a
 * safetensors file (for instance a PyTorch {@code state_dict} saved with {@code safetensors.torch.save_file},
 * or the {@code model.safetensors} that {@code flatminima train} writes).
 *
 * <p>Usage: {@code PerPointTraces SPEC WEIGHTS [POINTS]}, e.g. {@code mlp:784-32-10 out/mlp/model.safetensors 10}:
 * the first POINTS images of the MNIST test subset that ships with the project, with their label, the loss's
 * Hessian trace {@code tr H_n} of each point, and the mean.
 *
 * <p>What it teaches: {@link ModelSpec} builds the {@link Network} (PyTorch's layer names), {@link Weights#load}
 * checks the file against it and returns the flat parameter vector, and {@link ExactTraces#exactGgn} gives every
 * point's exact trace from C - 1 backward passes per batch (C = classes), valid for networks piecewise linear in
 * each weight (ReLU MLPs and CNNs; it refuses others with the reason). The computation runs in float64 here.
 */
public final class PerPointTraces {
    private PerPointTraces() {
    }

    /** The first {@code points} images of the embedded MNIST test subset, pixels in [0, 1], in float64. */
    public static Dataset testPoints(int points) {
        return DataSets.embedded(DataSets.Split.TEST).first(points).as(DType.F64);
    }

    /** {@code tr H_n} of the model's loss on each of {@code data}'s points. */
    public static double[] perPointTraces(String spec, Path weights, Dataset data) {
        Network net = ModelSpec.parse(spec).network();
        Tensor theta = Weights.load(weights, net, DType.F64);
        Tensor x = data.images();
        TraceBreakdown t = ExactTraces.exactGgn(net, theta, x, data.labels());
        return t.perPoint();
    }

    /** Prints each point's label and exact trace, and their mean. */
    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: PerPointTraces SPEC WEIGHTS [POINTS]   e.g. mlp:784-32-10 model.safetensors 10");
            System.exit(2);
        }
        int points = args.length == 3 ? Integer.parseInt(args[2]) : 10;
        Dataset data = testPoints(points);
        double[] tr = perPointTraces(args[0], Path.of(args[1]), data);
        double mean = 0;
        System.out.println("point  label  trace");
        for (int n = 0; n < tr.length; n++) {
            System.out.printf("%5d  %5d  %.6g%n", n, data.label(n), tr[n]);
            mean += tr[n] / tr.length;
        }
        System.out.printf("mean of %d points: %.6g%n", tr.length, mean);
    }
}
