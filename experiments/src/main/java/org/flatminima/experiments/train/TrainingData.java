package org.flatminima.experiments.train;

import java.util.Arrays;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.kernels.DType;

/**
 * The training and test points of a run, loaded the way {@code flatminima train} and a sweep's runs load them:
 * the first points of each split in the run's dtype, image layout, optionally standardised by the training
 * points' per-pixel mean and deviation (the test points with the same statistics).
 *
 * @param trainSet the training points
 * @param testSet the test points
 */
public record TrainingData(Dataset trainSet, Dataset testSet) {

    /**
     * The first {@code limit} points of a split of data set {@code name} (all when {@code limit} is null), in
     * {@code dtype} and {@link Dataset.Layout#IMAGES}; a limit above the split's size is refused naming
     * {@code option} (the command-line option or specification key that gave it).
     */
    public static Dataset split(DataSets sets, String name, DataSets.Split split, DType dtype, Integer limit,
                                String option) {
        Dataset d = sets.load(name, split, limit).as(dtype).as(Dataset.Layout.IMAGES);
        if (limit != null) {
            if (limit > d.size()) {
                throw new UserException(option + " must be in [1, " + d.size() + "], got " + limit);
            }
            d = d.first(limit);
        }
        return d;
    }

    /** Both splits standardised by the training points' statistics (as {@code train --standardize}). */
    public TrainingData standardized() {
        Dataset.Standardization st = Dataset.Standardization.of(trainSet);
        return new TrainingData(trainSet.standardized(st), testSet.standardized(st));
    }

    /** The training points as a batch. */
    public Batch train() {
        return new Batch(trainSet.images(), trainSet.labels());
    }

    /** The test points as a batch. */
    public Batch test() {
        return new Batch(testSet.images(), testSet.labels());
    }

    /** The model must take the data's images (same number of values per point) and have as many classes. */
    public static void checkInputs(ModelSpec model, Network net, Dataset d) {
        long want = 1;
        for (int s : net.sampleShape()) {
            want *= s;
        }
        if (want != d.features() || (net.sampleShape().length == 3 && (net.sampleShape()[0] != d.channels()
                || net.sampleShape()[1] != d.rows() || net.sampleShape()[2] != d.cols()))) {
            throw new UserException("model " + model + " takes inputs of shape "
                    + Arrays.toString(net.sampleShape()) + " but " + d.name() + " has " + d.channels()
                    + "x" + d.rows() + "x" + d.cols() + " images (" + d.features() + " values)");
        }
        if (net.classes() != d.classes()) {
            throw new UserException("model " + model + " has " + net.classes() + " outputs but " + d.name() + " has "
                    + d.classes() + " classes");
        }
    }
}
