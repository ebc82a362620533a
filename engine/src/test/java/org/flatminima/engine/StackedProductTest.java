package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/**
 * One matrix times a batch of matrices with few columns ({@code x @ W^T} of a batch of directions' weights,
 * {@code x^T @ g} of a batch of directions' cotangents): one GEMM over the batch's matrices side by side instead of
 * one GEMM per matrix, on every backend and dtype, for every way the batch can be laid out, against a naive product
 * in double; with an addend of every broadcast kind; the same bits at 1, 2 and 3 threads.
 */
class StackedProductTest {
    private static final int M = 37;
    private static final int K = 23;

    private static double tolerance(DType t) {
        return t == DType.F64 ? 1e-12 : 1e-4;
    }

    /** Entry (i, j) of {@code a @ b} in double. */
    private static double expected(Tensor a, Tensor b, int i, int j) {
        double s = 0;
        for (int p = 0; p < a.dim(-1); p++) {
            s += a.get(i, p) * b.get(p, j);
        }
        return s;
    }

    /** The stacks of {@code count = 6} matrices {@code [K, n]} as a product may meet them. */
    private static List<Tensor> stacks(DType t, SplittableRandom rnd, int n) {
        List<Tensor> bs = new ArrayList<>();
        bs.add(Tensor.uniform(t, rnd, -1, 1, 6, n, K).transpose(1, 2)); // W^T of stacked W: read in place
        bs.add(Tensor.uniform(t, rnd, -1, 1, 6, K, n)); // a stack of cotangents: copied side by side
        bs.add(Tensor.uniform(t, rnd, -1, 1, 2, 3, K, n)); // two batch axes
        bs.add(Tensor.uniform(t, rnd, -1, 1, 2, 1, K, n).expand(2, 3, K, n)); // a broadcast batch axis
        return bs;
    }

    /** The shared left operand: row-major, a transposed view ({@code x^T}), with batch axes of size 1. */
    private static List<Tensor> shared(DType t, SplittableRandom rnd) {
        return List.of(Tensor.uniform(t, rnd, -1, 1, M, K), Tensor.uniform(t, rnd, -1, 1, K, M).transpose(0, 1),
                Tensor.uniform(t, rnd, -1, 1, 1, 1, M, K));
    }

    private static void assertProduct(String what, Tensor y, Tensor a, Tensor b, Tensor c, DType t) {
        Tensor a2 = a;
        while (a2.rank() > 2) {
            a2 = a2.select(0, 0);
        }
        int[] shape = y.shape();
        int batchRank = shape.length - 2;
        int[] idx = new int[batchRank];
        Tensor ce = c == null ? null : c.expand(shape);
        for (long q = 0; q < y.size() / ((long) shape[batchRank] * shape[batchRank + 1]); q++) {
            Tensor yq = y;
            Tensor cq = ce;
            for (int d = 0; d < batchRank; d++) {
                yq = yq.select(0, idx[d]);
                cq = cq == null ? null : cq.select(0, idx[d]);
            }
            Tensor bq = b;
            for (int d = batchRank - (b.rank() - 2); d < batchRank; d++) {
                bq = bq.select(0, bq.dim(0) == 1 ? 0 : idx[d]);
            }
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < shape[batchRank + 1]; j++) {
                    double want = expected(a2, bq, i, j) + (cq == null ? 0 : cq.get(i, j));
                    assertThat(yq.get(i, j)).as("%s batch %s (%d,%d)", what, Arrays.toString(idx), i, j)
                            .isCloseTo(want, within(tolerance(t)));
                }
            }
            for (int d = batchRank - 1; d >= 0 && ++idx[d] == shape[d]; d--) {
                idx[d] = 0;
            }
        }
    }

    @Test
    void aSharedMatrixTimesAStackWithFewColumnsIsOneGemm() {
        EveryBackend.forEach((name, be) -> {
            for (DType t : DType.values()) {
                SplittableRandom rnd = new SplittableRandom(7);
                for (int n : new int[] {1, 10, Gemms.STACK_MAX_COLUMNS}) {
                    for (Tensor b : stacks(t, rnd, n)) {
                        for (Tensor a : shared(t, rnd)) {
                            Tensor[] y = new Tensor[1];
                            CountingBackend calls = Engine.with(be,
                                    () -> CountingBackend.counted(() -> y[0] = TensorOps.matmul(a, b)));
                            String what = String.format("%s %s n=%d a%s b%s", name, t, n,
                                    Arrays.toString(a.shape()), Arrays.toString(b.shape()));
                            assertThat(calls.count("gemm")).as(what).isEqualTo(1);
                            int[] batch = TensorOps.broadcastShapes(Arrays.copyOf(a.shape(), a.rank() - 2),
                                    Arrays.copyOf(b.shape(), b.rank() - 2));
                            assertThat(y[0].shape()).as(what).containsExactly(TensorOps.concat(batch, M, n));
                            assertProduct(what, y[0], a, b, null, t);
                        }
                    }
                }
            }
        });
    }

    /** Wider matrices keep one GEMM per matrix (each already wide enough), with the same values. */
    @Test
    void widerMatricesKeepOneGemmEach() {
        SplittableRandom rnd = new SplittableRandom(8);
        int n = Gemms.STACK_MAX_COLUMNS + 1;
        Tensor a = Tensor.uniform(DType.F64, rnd, -1, 1, M, K);
        Tensor b = Tensor.uniform(DType.F64, rnd, -1, 1, 3, K, n);
        Tensor[] y = new Tensor[1];
        CountingBackend calls = CountingBackend.counted(() -> y[0] = TensorOps.matmul(a, b));
        assertThat(calls.count("gemm")).isEqualTo(3);
        assertProduct("n=" + n, y[0], a, b, null, DType.F64);
    }

    /** {@code a @ b + c} on the stacked path: the addend of every broadcast kind, one and two batch axes. */
    @Test
    void theAddendOfEveryBroadcastKindIsAddedOnce() {
        EveryBackend.forEach((name, be) -> {
            for (DType t : DType.values()) {
                SplittableRandom rnd = new SplittableRandom(9);
                int n = 10;
                Tensor a = Tensor.uniform(t, rnd, -1, 1, M, K);
                Tensor one = Tensor.uniform(t, rnd, -1, 1, 6, n, K).transpose(1, 2);
                Tensor two = Tensor.uniform(t, rnd, -1, 1, 2, 3, K, n);
                Tensor[][] addends = {
                    {Tensor.uniform(t, rnd, -1, 1, n), Tensor.uniform(t, rnd, -1, 1, M, 1),
                        Tensor.uniform(t, rnd, -1, 1, 6, 1, n), Tensor.uniform(t, rnd, -1, 1, 6, M, n)},
                    {Tensor.uniform(t, rnd, -1, 1, n), Tensor.uniform(t, rnd, -1, 1, M, 1),
                        Tensor.uniform(t, rnd, -1, 1, 3, 1, n), Tensor.uniform(t, rnd, -1, 1, 2, 3, M, n)}};
                Tensor[] stacks = {one, two};
                for (int s = 0; s < 2; s++) {
                    Tensor b = stacks[s];
                    for (Tensor c : addends[s]) {
                        Tensor cc = c;
                        Tensor[] y = new Tensor[1];
                        CountingBackend calls = Engine.with(be,
                                () -> CountingBackend.counted(() -> y[0] = TensorOps.matmulAdd(a, b, cc)));
                        String what = String.format("%s %s b%s c%s", name, t, Arrays.toString(b.shape()),
                                Arrays.toString(c.shape()));
                        assertThat(calls.count("gemm")).as(what).isEqualTo(1);
                        assertProduct(what, y[0], a, b, c, t);
                    }
                }
            }
        });
    }

    /** The stacked GEMM is split among threads by whole entries: 2 and 3 threads give the bits of 1. */
    @Test
    void threadsGiveTheBitsOfOne() {
        TensorTest.matmulGivesTheBitsOfOneThread(10, (t, rnd) -> new Tensor[] {
            Tensor.uniform(t, rnd, -1, 1, 300, 200).transpose(0, 1), Tensor.uniform(t, rnd, -1, 1, 10, 300, 10)});
    }
}
