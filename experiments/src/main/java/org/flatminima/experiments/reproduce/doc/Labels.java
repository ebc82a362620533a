package org.flatminima.experiments.reproduce.doc;

import org.flatminima.experiments.data.DataSets;

/**
 * How the generated tables name what the result files name by id: data sets ({@code embedded} is "MNIST subset") and
 * E2's models (its files name them {@code affine}, {@code cnn} or by their spec).
 */
final class Labels {
    private Labels() {
    }

    /** A data set's name in tables: "MNIST subset", "MNIST", "Fashion-MNIST", "CIFAR-10", otherwise the id. */
    static String dataSet(String id) {
        return switch (id) {
            case DataSets.EMBEDDED -> "MNIST subset";
            case DataSets.MNIST -> "MNIST";
            case DataSets.FASHION -> "Fashion-MNIST";
            case DataSets.CIFAR -> "CIFAR-10";
            default -> id;
        };
    }

    /**
     * An E2 model's name in tables: "affine" and "CNN" for E2's labels {@code affine} and {@code cnn}, "MLP" for an
     * {@code mlp:} spec (the configuration in {@code done.json} gives its widths), any other spec in backticks.
     */
    static String e2Model(String name) {
        if (name.equals("affine")) {
            return "affine";
        }
        if (name.equals("cnn")) {
            return "CNN";
        }
        return name.startsWith("mlp:") ? "MLP" : "`" + name + "`";
    }
}
