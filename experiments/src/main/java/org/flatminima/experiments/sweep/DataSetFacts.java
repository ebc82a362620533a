package org.flatminima.experiments.sweep;

import java.util.Map;
import org.flatminima.experiments.data.DataSets;

/**
 * What a sweep specification needs to know about a named data set without loading it: the points in each split
 * of the standard release and the shape of an image. A run that uses all the training points ({@code train_points:
 * 0}) resolves its checkpoint epochs to steps with {@link #train()}; {@link SweepSpec#requireData} checks these
 * numbers against the files found on the machine.
 *
 * @param train training points of the standard release
 * @param test test points of the standard release
 * @param channels image channels
 * @param rows image rows
 * @param cols image columns
 * @param classes label classes
 */
record DataSetFacts(int train, int test, int channels, int rows, int cols, int classes) {

    private static final Map<String, DataSetFacts> FACTS = Map.of(
            DataSets.EMBEDDED, new DataSetFacts(10_000, 2_000, 1, 28, 28, 10),
            DataSets.MNIST, new DataSetFacts(60_000, 10_000, 1, 28, 28, 10),
            DataSets.FASHION, new DataSetFacts(60_000, 10_000, 1, 28, 28, 10),
            DataSets.CIFAR, new DataSetFacts(50_000, 10_000, 3, 32, 32, 10));

    /** The facts of a name in {@link DataSets#NAMES}. */
    static DataSetFacts of(String name) {
        DataSetFacts f = FACTS.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no facts for data set " + name);
        }
        return f;
    }

    /** Values per image. */
    int features() {
        return channels * rows * cols;
    }
}
