package org.flatminima.experiments.measures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.kernels.DType;
import org.hipparchus.linear.MatrixUtils;
import org.hipparchus.linear.SingularValueDecomposition;
import org.junit.jupiter.api.Test;

/** Skewness, third moment and histogram against hand computations; the norm products against a dense SVD. */
class MomentsTest {

    @Test
    void skewnessAndThirdMomentOfASmallColumnByHand() {
        // x = 1, 2, 3, 10: mean 4, deviations -3, -2, -1, 6; m2 = 50/4 = 12.5, m3 = (-27 - 8 - 1 + 216)/4 = 45
        double[] x = {1, 2, 3, 10};
        assertThat(Moments.thirdCentralMoment(x)).isCloseTo(45, within(1e-12));
        assertThat(Moments.skewness(x)).isCloseTo(45 / Math.pow(12.5, 1.5), within(1e-14));
        // scipy.stats.skew([1, 2, 3, 10]) prints 1.0182337649086284
        assertThat(Moments.skewness(x)).isCloseTo(1.0182337649086284, within(1e-14));
        // mirrored values: the sign flips; scaled values: g1 unchanged, m3 scales by the cube
        assertThat(Moments.skewness(new double[] {-1, -2, -3, -10})).isCloseTo(-1.0182337649086284, within(1e-14));
        assertThat(Moments.skewness(new double[] {0.5, 1, 1.5, 5})).isCloseTo(1.0182337649086284, within(1e-14));
        assertThat(Moments.thirdCentralMoment(new double[] {0.5, 1, 1.5, 5})).isCloseTo(45 / 8.0, within(1e-13));
        assertThat(Moments.skewness(new double[] {2, 2, 2})).isNaN();
        assertThat(Moments.skewness(new double[] {1, Double.NaN})).isNaN();
    }

    @Test
    void meanAndSampleStandardDeviation() {
        double[] v = {0.9, 0.95, 0.7};
        double m = (0.9 + 0.95 + 0.7) / 3;
        double ss = (0.9 - m) * (0.9 - m) + (0.95 - m) * (0.95 - m) + (0.7 - m) * (0.7 - m);
        assertThat(Moments.mean(v)).isCloseTo(m, within(1e-15));
        assertThat(Moments.sd(v)).isCloseTo(Math.sqrt(ss / 2), within(1e-15));
        assertThat(Moments.sd(new double[] {3})).isNaN();
    }

    @Test
    void histogramCountsEachValueOnceWithTheTopEdgeInTheLastBin() {
        double[] x = {0, 0.1, 0.25, 0.5, 0.99, 1.0, -0.1, 1.1, Double.NaN};
        // bins [0, .25), [.25, .5), [.5, .75), [.75, 1]
        assertThat(Moments.histogram(x, 0, 1, 4)).containsExactly(2, 1, 1, 2);
    }

    @Test
    void normProductsEqualADenseSvdAndTheFrobeniusNormsByHand() {
        Network net = new Network(Sequential.mlp(7, 9, 5, 3), 7);
        Tensor theta = net.initParams(DType.F64, 11);
        double[] v = theta.toDoubleArray();
        SplittableRandom rnd = new SplittableRandom(4);
        for (int i = 0; i < v.length; i++) {
            v[i] += 0.3 * (rnd.nextDouble() - 0.5); // away from the initialisation's near-equal singular values
        }
        theta = Tensor.of(DType.F64, v, v.length);
        // layout of mlp(7, 9, 5, 3): 0.weight [9, 7], 0.bias [9], 2.weight [5, 9], 2.bias [5], 4.weight [3, 5], ...
        int[][] shapes = {{9, 7}, {5, 9}, {3, 5}};
        int offset = 0;
        double spectral = 1;
        double frobenius = 1;
        for (int[] s : shapes) {
            double[][] w = new double[s[0]][s[1]];
            double fro = 0;
            for (int i = 0; i < s[0]; i++) {
                for (int j = 0; j < s[1]; j++) {
                    w[i][j] = v[offset + i * s[1] + j];
                    fro += w[i][j] * w[i][j];
                }
            }
            spectral *= new SingularValueDecomposition(MatrixUtils.createRealMatrix(w)).getNorm();
            frobenius *= Math.sqrt(fro);
            offset += s[0] * s[1] + s[0];
        }
        assertThat(offset).isEqualTo(v.length);
        assertThat(ModelMargins.spectralNormProduct(net, theta)).isCloseTo(spectral, within(1e-9 * spectral));
        assertThat(ModelMargins.frobeniusNormProduct(net, theta)).isCloseTo(frobenius, within(1e-12 * frobenius));
    }
}
