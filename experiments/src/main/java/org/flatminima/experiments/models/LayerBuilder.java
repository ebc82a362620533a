package org.flatminima.experiments.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.nn.AvgPool2d;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Dropout;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.MaxPool2d;
import org.flatminima.engine.nn.Module;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sigmoid;
import org.flatminima.engine.nn.Softplus;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.engine.nn.ZeroPad2d;
import org.flatminima.experiments.MemoryBudget;

/**
 * The shape side of {@link ModelSpec}: maps each written layer onto its engine {@code nn} module, given the shape
 * of its input (input channels and features are inferred by propagating the shape), and checks that every layer
 * fits, that no layer's output or the parameters exceed the memory budget, and that the model ends in
 * {@code [N, classes]}.
 */
final class LayerBuilder {
    private LayerBuilder() {
    }

    /** The modules and each layer's per-sample output shape (no batch axis), in module-index order. */
    record Built(List<Module> modules, List<int[]> shapes) {
    }

    /**
     * Builds {@code layers} for samples of shape {@code sample}.
     *
     * @param tokens the layers as written (for error messages); empty when the layers were generated (mlp,
     *     whose outputs are never larger than its parameters, so only the parameters are checked against the
     *     budget)
     */
    static Built build(String spec, int[] sample, List<ModelSpec.Layer> layers, List<String> tokens, long budget) {
        List<Module> modules = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        int[] shape = SpecParser.batched(sample);
        for (int i = 0; i < layers.size(); i++) {
            ModelSpec.Layer layer = layers.get(i);
            String where = SpecParser.where(i, tokens.isEmpty() ? layer.toString() : tokens.get(i));
            Module m = module(spec, where, layer, shape);
            long values = ModelSizes.perSample(shape);
            if (layer instanceof ModelSpec.Layer.Flatten && values > Integer.MAX_VALUE) {
                throw new SpecException(spec, where + ": gives " + MemoryBudget.count(values) + " features per "
                        + "sample, more than one dimension holds (" + MemoryBudget.count(Integer.MAX_VALUE) + ")");
            }
            shape = SpecParser.apply(spec, where, m, shape);
            if (!tokens.isEmpty()) {
                ModelSizes.checkOutput(spec, where, shape, budget);
            }
            modules.add(m);
            shapes.add(Arrays.copyOfRange(shape, 1, shape.length));
        }
        if (shape.length != 2) {
            throw new SpecException(spec, "the last layer gives " + SpecParser.show(shape) + "; a classifier must end "
                    + "in [N, classes], e.g. with flatten,linear(10)");
        }
        ModelSizes.checkParameters(spec, modules, budget);
        return new Built(modules, shapes);
    }

    /** The nn module for {@code layer} given the shape of its input (batch axis first). */
    private static Module module(String spec, String where, ModelSpec.Layer layer, int[] in) {
        return switch (layer) {
            case ModelSpec.Layer.Conv c -> {
                image(spec, where, "conv", in);
                yield new Conv2d(in[1], c.out(), c.kernel(), c.stride(), c.pad(), true);
            }
            case ModelSpec.Layer.MaxPool p -> {
                image(spec, where, "maxpool", in);
                yield new MaxPool2d(p.kernel(), p.stride(), 0);
            }
            case ModelSpec.Layer.AvgPool p -> {
                image(spec, where, "avgpool", in);
                yield new AvgPool2d(p.kernel(), p.stride(), 0);
            }
            case ModelSpec.Layer.ZeroPad p -> {
                image(spec, where, "zeropad", in);
                yield new ZeroPad2d(p.pad());
            }
            case ModelSpec.Layer.Linear l -> {
                if (in.length != 2) {
                    throw new SpecException(spec, where + ": linear needs a flat input [N, F], got "
                            + SpecParser.show(in) + "; put flatten before it");
                }
                yield new Linear(in[1], l.out());
            }
            case ModelSpec.Layer.BatchNorm b -> in.length == 4 ? BatchNorm.batchNorm2d(in[1])
                    : BatchNorm.batchNorm1d(in[1]);
            case ModelSpec.Layer.Dropout d -> new Dropout(d.p());
            case ModelSpec.Layer.Relu r -> new ReLU();
            case ModelSpec.Layer.Tanh t -> new Tanh();
            case ModelSpec.Layer.Sigmoid t -> new Sigmoid();
            case ModelSpec.Layer.Softplus t -> new Softplus();
            case ModelSpec.Layer.Flatten f -> new Flatten();
        };
    }

    private static void image(String spec, String where, String name, int[] in) {
        if (in.length != 4) {
            throw new SpecException(spec, where + ": " + name + " needs an image input [N, C, H, W], got "
                    + SpecParser.show(in) + " (after a flatten or linear layer)");
        }
    }
}
