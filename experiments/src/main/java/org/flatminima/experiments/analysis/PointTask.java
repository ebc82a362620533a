package org.flatminima.experiments.analysis;

import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;

/**
 * The per-point work of one shard of {@code flatminima analyze}, as a task that finds its own inputs: the model
 * (architecture and weights file), the IDX files and the options travel, not tensors. A task reads the first
 * {@code range.to()} points (IDX is read from its start), loads the weights once, and runs
 * {@link Analysis#analyzePoints} on its points, so its shard is the one a single process computes for them.
 * On a cluster the paths must name files every node reaches (a shared file system).
 *
 * @param arch the model's {@code ModelSpec}
 * @param weights the safetensors file
 * @param images the IDX images
 * @param labels the IDX labels
 * @param dtype "f32" or "f64"
 * @param options what to compute
 */
public record PointTask(String arch, String weights, String images, String labels, String dtype,
                        Analysis.Options options) implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The shard of the points {@code range}. */
    public Analysis.Shard analyze(Analysis.Range range) {
        DType t = DType.parse(dtype);
        Network net = ModelSpec.parse(arch).network();
        try (Scope s = Scope.open()) {
            Dataset data = Dataset.readIdx("data", Path.of(images), Path.of(labels), net.classes(), range.to())
                    .as(t).as(Dataset.Layout.IMAGES);
            Tensor theta = Weights.load(Path.of(weights), net, t);
            Tensor x = data.images().slice(0, range.from(), range.to());
            int[] y = Arrays.copyOfRange(data.labels(), range.from(), range.to());
            return Analysis.analyzePoints(net, theta, x, y, range.from(), options);
        }
    }
}
