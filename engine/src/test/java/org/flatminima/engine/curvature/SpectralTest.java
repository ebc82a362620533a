package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.assertj.core.data.Offset;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Lanczos, power iteration and SLQ against the dense Hessian of small networks (float64), whose spectrum the
 * dense eigensolver gives, and against operators with spectra known by construction.
 */
@Tag("backends")
class SpectralTest {

    /** The loss Hessian of a network on 10 Gaussian points at its initial parameters. */
    static HessianOperator hessian(Sequential module, int in, long seed) {
        Network net = new Network(module, in);
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor x = Tensor.normal(DType.F64, rnd, 10, in);
        int[] y = IntStream.range(0, 10).map(i -> rnd.nextInt(net.classes())).toArray();
        Tensor theta = net.initParams(DType.F64, seed + 1);
        // twice the initial weights: larger logits, a less uniform softmax, a more varied Hessian
        theta = org.flatminima.engine.TensorOps.scale(theta, 2.0);
        return new HessianOperator(net.lossFunction(x, y), theta);
    }

    static HessianOperator tanhMlp() {
        return hessian(Sequential.of(new Linear(5, 7), new Tanh(), new Linear(7, 3)), 5, 21); // P = 66
    }

    static HessianOperator reluMlp() {
        return hessian(Sequential.of(new Linear(6, 8), new ReLU(), new Linear(8, 3)), 6, 33); // P = 83
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Indices of the dense eigenvalues in descending algebraic (or magnitude) order. */
    static int[] ranked(double[] ascending, boolean magnitude) {
        return IntStream.range(0, ascending.length).boxed()
                .sorted((i, j) -> magnitude ? Double.compare(Math.abs(ascending[j]), Math.abs(ascending[i]))
                        : Double.compare(ascending[j], ascending[i]))
                .mapToInt(Integer::intValue).toArray();
    }

    void lanczosMatchesDense(HessianOperator h, Lanczos.Which which) {
        SymmetricEigen.Result dense = SymmetricEigen.decompose(h.dense());
        int[] order = ranked(dense.values(), which == Lanczos.Which.LARGEST_MAGNITUDE);
        double scale = Math.abs(dense.values()[order[0]]);
        Eigenpairs l = Lanczos.topK(h, 3, Lanczos.Options.DEFAULT.withWhich(which).withSeed(4));
        assertThat(l.converged()).isTrue();
        for (int i = 0; i < 3; i++) {
            double want = dense.values()[order[i]];
            assertThat(l.values()[i]).as("eigenvalue %d (%s)", i, which)
                    .isCloseTo(want, Offset.offset(1e-8 * Math.abs(want)));
            assertThat(l.residuals()[i] / scale).as("residual %d", i).isLessThan(1e-8);
            // unit vector, equal to the dense eigenvector up to sign (the top gaps here are well above 1e-3)
            double[] y = l.vector(i).toDoubleArray();
            assertThat(dot(y, y)).isCloseTo(1, Offset.offset(1e-12));
            assertThat(Math.abs(dot(y, dense.vector(order[i])))).as("|<y%d, u%d>|", i, i)
                    .isCloseTo(1, Offset.offset(1e-8));
        }
        assertThat(l.iterations()).isLessThanOrEqualTo(40);
        System.out.printf("Lanczos %s P=%d: %d steps, %d products, residuals %s%n", which, h.dim(), l.iterations(),
                l.products(), Arrays.toString(l.residuals()));
    }

    @Test
    void lanczosTopThreeEqualTheDenseSpectrumOfATanhMlp() {
        lanczosMatchesDense(tanhMlp(), Lanczos.Which.LARGEST_ALGEBRAIC);
        lanczosMatchesDense(tanhMlp(), Lanczos.Which.LARGEST_MAGNITUDE);
    }

    @Test
    void lanczosTopThreeEqualTheDenseSpectrumOfAReluMlp() {
        lanczosMatchesDense(reluMlp(), Lanczos.Which.LARGEST_ALGEBRAIC);
    }

    @Test
    void lanczosInFloat32KeepsItsVectorsInFloat32AndAgreesToSinglePrecision() {
        HessianOperator h = tanhMlp();
        double[] dense = SymmetricEigen.eigenvalues(h.dense());
        HessianOperator h32 = new HessianOperator(h.f(), h.theta().to(DType.F32));
        Eigenpairs l = Lanczos.topK(h32, 3);
        assertThat(l.vectors().dtype()).isEqualTo(DType.F32);
        for (int i = 0; i < 3; i++) {
            double want = dense[dense.length - 1 - i];
            assertThat(l.values()[i]).as("eigenvalue %d", i).isCloseTo(want, Offset.offset(1e-4 * Math.abs(want)));
        }
    }

    @Test
    void powerIterationAgreesWithTheDenseSpectrum() {
        HessianOperator h = tanhMlp();
        SymmetricEigen.Result dense = SymmetricEigen.decompose(h.dense());
        int[] order = ranked(dense.values(), true);
        Eigenpairs pw = PowerIteration.topK(h, 3, PowerIteration.Options.DEFAULT.withTol(1e-7).withSeed(2)
                .withMaxIterations(3000));
        System.out.printf("dense top by magnitude: %.8g %.8g %.8g %.8g; power: %s, %d iterations, residuals %s%n",
                dense.values()[order[0]], dense.values()[order[1]], dense.values()[order[2]], dense.values()[order[3]],
                Arrays.toString(pw.values()), pw.iterations(), Arrays.toString(pw.residuals()));
        assertThat(pw.converged()).isTrue();
        for (int i = 0; i < 3; i++) {
            double want = dense.values()[order[i]];
            assertThat(pw.values()[i]).as("eigenvalue %d", i).isCloseTo(want, Offset.offset(1e-6 * Math.abs(want)));
            assertThat(Math.abs(dot(pw.vector(i).toDoubleArray(), dense.vector(order[i])))).isCloseTo(1,
                    Offset.offset(1e-4));
        }
        System.out.printf("power iteration: %d products for 3 pairs (Lanczos: see lanczos tests)%n", pw.products());
    }

    /** sum_i d_i q_i q_i^T with a random orthogonal Q, as an operator. */
    static SymmetricOperator withSpectrum(double[] d, long seed) {
        double[][] a = SymmetricEigenTest.withSpectrum(d, SymmetricEigenTest.randomOrthogonal(d.length, seed));
        double[] flat = Arrays.stream(a).flatMapToDouble(Arrays::stream).toArray();
        return SymmetricOperator.ofMatrix(Tensor.of(DType.F64, flat, d.length, d.length));
    }

    @Test
    void lanczosRestartsOnAnInvariantSubspaceAndFindsRepeatedEigenvalues() {
        // three distinct eigenvalues: one start vector's Krylov space is invariant after 3 steps and holds one
        // direction of the 5-eigenspace; the restarts find the other two
        double[] d = new double[20];
        Arrays.fill(d, 1);
        d[3] = 5;
        d[7] = 5;
        d[11] = 5;
        d[0] = -2;
        d[1] = -2;
        SymmetricOperator op = withSpectrum(d, 8);
        Eigenpairs l = Lanczos.topK(op, 4, Lanczos.Options.DEFAULT.withSeed(1));
        assertThat(l.values()).containsExactly(new double[] {5, 5, 5, 1}, Offset.offset(1e-10));
        for (double r : l.residuals()) {
            assertThat(r).isLessThan(1e-9);
        }
        double[] y = l.vectors().toDoubleArray();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double g = dot(Arrays.copyOfRange(y, i * 20, i * 20 + 20), Arrays.copyOfRange(y, j * 20, j * 20 + 20));
                assertThat(g).as("<y%d, y%d>", i, j).isCloseTo(i == j ? 1 : 0, Offset.offset(1e-10));
            }
        }
        Eigenpairs mag = Lanczos.topK(op, 3, Lanczos.Options.DEFAULT.withWhich(Lanczos.Which.LARGEST_MAGNITUDE));
        assertThat(mag.values()).containsExactly(new double[] {5, 5, 5}, Offset.offset(1e-10));
        // P steps on a 1x1 and on the whole space are exact
        Eigenpairs one = Lanczos.topK(withSpectrum(new double[] {-3}, 1), 1, Lanczos.Options.DEFAULT);
        assertThat(one.values()).containsExactly(new double[] {-3}, Offset.offset(1e-15));
    }

    @Test
    void slqIsExactForADiagonalOperatorWithRademacherProbes() {
        // diag(1, 1, 2, 3, 3, 3): v's measure puts v_i^2 = 1/6 on each d_i, so nodes {1, 2, 3}, weights {2, 1, 3}/6;
        // the Krylov space is invariant after 3 steps and the run stops (no restart in quadrature)
        double[] d = {1, 3, 2, 3, 1, 3};
        Tensor a = Tensor.zeros(DType.F64, 6, 6);
        double[] flat = new double[36];
        for (int i = 0; i < 6; i++) {
            flat[i * 7] = d[i];
        }
        a = Tensor.of(DType.F64, flat, 6, 6);
        SpectralDensity s = SpectralDensity.estimate(SymmetricOperator.ofMatrix(a),
                SpectralDensity.Options.DEFAULT.withRuns(3).withParallel(2));
        for (int r = 0; r < 3; r++) {
            assertThat(s.nodes(r)).containsExactly(new double[] {1, 2, 3}, Offset.offset(1e-13));
            assertThat(s.weights(r)).containsExactly(new double[] {2 / 6.0, 1 / 6.0, 3 / 6.0}, Offset.offset(1e-13));
        }
        assertThat(s.traceOverP()).isCloseTo(13 / 6.0, Offset.offset(1e-13));
        assertThat(s.traceOverPStderr()).isLessThan(1e-13);
    }

    void slqAgreesWithDense(HessianOperator h, SpectralDensity.Probe probe) {
        SymmetricEigen.Result dense = SymmetricEigen.decompose(h.dense());
        double traceOverP = Arrays.stream(dense.values()).sum() / h.dim();
        SpectralDensity s = SpectralDensity.estimate(h, SpectralDensity.Options.DEFAULT.withRuns(20).withSteps(30)
                .withProbe(probe).withSeed(5));
        assertThat(s.runs()).isEqualTo(20);
        assertThat(s.products()).isEqualTo(20 * 30);
        for (int r = 0; r < s.runs(); r++) {
            assertThat(Arrays.stream(s.weights(r)).sum()).isCloseTo(1, Offset.offset(1e-12));
            // Gauss quadrature: nodes lie inside the spectrum
            assertThat(s.nodes(r)[0]).isGreaterThanOrEqualTo(dense.values()[0] - 1e-10);
            assertThat(s.nodes(r)[s.nodes(r).length - 1]).isLessThanOrEqualTo(
                    dense.values()[h.dim() - 1] + 1e-10);
        }
        assertThat(Arrays.stream(s.allWeights()).sum()).isCloseTo(1, Offset.offset(1e-12));
        double width = dense.values()[h.dim() - 1] - dense.values()[0];
        double sigma = 0.01 * width;
        SpectralDensity.Curve c = s.densityCurve(sigma, 4000);
        assertThat(c.integral()).isCloseTo(1, Offset.offset(1e-6));
        // the mean of the density (by the grid, and by the weights) equals tr(H)/P within 4 standard errors
        double gridMean = 0;
        for (int i = 1; i < c.t().length; i++) {
            gridMean += 0.5 * (c.t()[i] * c.density()[i] + c.t()[i - 1] * c.density()[i - 1])
                    * (c.t()[i] - c.t()[i - 1]);
        }
        assertThat(gridMean).isCloseTo(s.traceOverP(), Offset.offset(1e-6 * width));
        double se = s.traceOverPStderr();
        System.out.printf("SLQ %s P=%d: tr/P = %.6g +- %.2g, dense %.6g (%.2f SE)%n", probe, h.dim(),
                s.traceOverP(), se, traceOverP, (s.traceOverP() - traceOverP) / se);
        assertThat(se).isGreaterThan(0);
        assertThat(Math.abs(s.traceOverP() - traceOverP)).isLessThanOrEqualTo(4 * se);
        assertThat(s.trace()).isCloseTo(h.dim() * s.traceOverP(), Offset.offset(1e-9 * Math.abs(s.trace())));
    }

    @Test
    void slqDensityIntegratesToOneAndItsMeanIsTheTraceOverP() {
        slqAgreesWithDense(tanhMlp(), SpectralDensity.Probe.RADEMACHER);
        slqAgreesWithDense(reluMlp(), SpectralDensity.Probe.GAUSSIAN);
    }
}
