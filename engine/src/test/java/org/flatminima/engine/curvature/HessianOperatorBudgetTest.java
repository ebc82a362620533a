package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Sequential;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/** The memory budget of batched Hessian-vector products: passes split by rows give the one-pass products. */
class HessianOperatorBudgetTest {

    @Test
    void rowsPerPassFollowTheBudget() {
        assertThat(HessianOperator.rowsPerPass(4L << 30, 1 << 20, 16)).isEqualTo(16);   // 5 MB a row: all 16
        assertThat(HessianOperator.rowsPerPass(50L << 20, 1 << 20, 16)).isEqualTo(10);  // 50 MB: 10 rows
        assertThat(HessianOperator.rowsPerPass(1, 1 << 20, 16)).isEqualTo(1);           // never below one row
        assertThat(HessianOperator.rowsPerPass(4L << 30, 0, 3)).isEqualTo(3);
    }

    @Test
    void splitPassesEqualOnePass() {
        Network net = new Network(Sequential.mlp(6, 5, 4, 3), 6);
        SplittableRandom rnd = new SplittableRandom(8);
        Tensor x = Tensor.uniform(DType.F64, rnd, -1, 1, 9, 6);
        int[] y = {0, 1, 2, 0, 1, 2, 2, 1, 0};
        HessianOperator op = new HessianOperator(net.lossFunction(x, y), net.initParams(DType.F64, 3));
        Tensor vs = Tensor.normal(DType.F64, rnd, 7, op.dim());
        double[] one = op.applyBatch(vs, Long.MAX_VALUE).toDoubleArray();
        double[] split = op.applyBatch(vs, 1).toDoubleArray(); // one row per pass
        double[] bySingle = new double[one.length];
        for (int i = 0; i < 7; i++) {
            System.arraycopy(op.apply(vs.select(0, i).contiguous()).toDoubleArray(), 0, bySingle, i * op.dim(),
                    op.dim());
        }
        double scale = java.util.Arrays.stream(one).map(Math::abs).max().orElse(1);
        for (int i = 0; i < one.length; i++) {
            assertThat(split[i]).isCloseTo(one[i], within(1e-12 * scale));
            assertThat(split[i]).isCloseTo(bySingle[i], within(1e-12 * scale));
        }
        assertThat(scale).isGreaterThan(1e-3); // the products are not trivially zero
    }
}
