package org.flatminima.experiments.train;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;

/** Random MNIST-shaped batches for the tests of this package: pixels uniform in [0, 1), labels over 10 classes. */
final class TestImages {
    private TestImages() {
    }

    /** {@code n} images {@code [1, 28, 28]} in dtype {@code t}, drawn from {@code seed}. */
    static Batch random(DType t, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextDouble();
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(10);
        }
        return new Batch(Tensor.of(DType.F64, x, n, 1, 28, 28).to(t), y);
    }
}
