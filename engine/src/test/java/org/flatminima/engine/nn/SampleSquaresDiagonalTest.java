package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.IndexOps;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link SampleSquares#addDiagonal} of every layer with parameters, in float64, against its definition: the unit
 * columns {@code e_u} of the output added one by one with signed weights {@code r[:, u]}; per point and the
 * diagonal, also on top of an ordinary weighted column.
 */
@Tag("backends")
class SampleSquaresDiagonalTest {

    private static void check(LayerCurvature layer, Tensor input, Map<String, Tensor> buffers) {
        Module mod = (Module) layer;
        SplittableRandom rnd = new SplittableRandom(7);
        int[] out = mod.outputShape(input.shape());
        int m = out[0];
        Tensor r = Tensor.uniform(DType.F64, rnd, -1, 1, out);
        Tensor g = Tensor.uniform(DType.F64, rnd, -1, 1, out);
        Tensor w = Tensor.uniform(DType.F64, rnd, -1, 1, m);
        List<Tensor> d1 = new ArrayList<>();
        List<Tensor> d2 = new ArrayList<>();
        for (Module.ParamSpec p : mod.parameters()) {
            d1.add(Tensor.zeros(DType.F64, p.shape()));
            d2.add(Tensor.zeros(DType.F64, p.shape()));
        }
        SampleSquares closed = layer.sampleSquares(new SampleSquares.Batch(input, buffers::get, d1, 1 << 20, 0));
        SampleSquares columns = layer.sampleSquares(new SampleSquares.Batch(input, buffers::get, d2, 0, 0));
        closed.add(g, w);
        closed.addDiagonal(r);
        columns.add(g, w);
        int units = Math.toIntExact(r.size() / m);
        double[] rv = r.toDoubleArray();
        for (int u = 0; u < units; u++) {
            double[] wu = new double[m];
            int[] unit = new int[m];
            for (int i = 0; i < m; i++) {
                wu[i] = rv[i * units + u];
                unit[i] = u;
            }
            columns.add(IndexOps.oneHot(unit, units, DType.F64).reshape(out), Tensor.of(DType.F64, wu, m));
        }
        double[][] a = closed.finish();
        double[][] b = columns.finish();
        for (int k = 0; k < a.length; k++) {
            for (int i = 0; i < m; i++) {
                assertThat(a[k][i]).as("%s parameter %d point %d", mod, k, i).isCloseTo(b[k][i], within(1e-12));
            }
            double[] x = d1.get(k).toDoubleArray();
            double[] y = d2.get(k).toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                assertThat(x[i]).as("%s parameter %d diagonal %d", mod, k, i).isCloseTo(y[i], within(1e-12));
            }
        }
        assertThat(java.util.Arrays.stream(a[0]).map(Math::abs).sum()).isGreaterThan(0);
    }

    @Test
    void linear() {
        check(new Linear(4, 3), Tensor.uniform(DType.F64, new SplittableRandom(1), -1, 1, 5, 4), Map.of());
    }

    @Test
    void convolutionStridedAndPadded() {
        check(new Conv2d(2, 3, 3, 2, 1, true), Tensor.uniform(DType.F64, new SplittableRandom(2), -1, 1, 3, 2, 5, 5),
                Map.of());
    }

    @Test
    void evalBatchNorm() {
        SplittableRandom rnd = new SplittableRandom(3);
        Map<String, Tensor> buf = Map.of("running_mean", Tensor.uniform(DType.F64, rnd, -1, 1, 2),
                "running_var", Tensor.uniform(DType.F64, rnd, 0.5, 2, 2));
        check(BatchNorm.batchNorm2d(2), Tensor.uniform(DType.F64, rnd, -1, 1, 3, 2, 3, 3), buf);
        check(BatchNorm.batchNorm1d(2), Tensor.uniform(DType.F64, rnd, -1, 1, 3, 2), buf);
    }
}
