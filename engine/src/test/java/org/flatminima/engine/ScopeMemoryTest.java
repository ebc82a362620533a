package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.ReduceOp;
import org.flatminima.kernels.UnaryOp;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The pooled scope memory: reuse, safety after close, and kernels writing every element of their outputs. */
@Tag("backends")
class ScopeMemoryTest {

    @Test
    void sizeClassesWasteAtMostAnEighth() {
        assertThat(BufferPool.sizeClass(1)).isEqualTo(64);
        assertThat(BufferPool.sizeClass(64)).isEqualTo(64);
        assertThat(BufferPool.sizeClass(65)).isEqualTo(128);
        for (long n = 1; n < 1L << 34; n = n * 3 + 7) {
            long c = BufferPool.sizeClass(n);
            assertThat(c).isGreaterThanOrEqualTo(n).isLessThanOrEqualTo(Math.max(64, n + n / 8 + 1));
            assertThat(c % 64).isZero();
            assertThat(BufferPool.sizeClass(c)).isEqualTo(c);
        }
    }

    @Test
    void aClosedScopesBlocksAreReusedAndItsSegmentsAreDead() {
        long bytes = 3 << 20;
        MemorySegment first;
        Tensor dead;
        try (Scope s = Scope.open()) {
            first = s.allocateRaw(bytes);
            first.set(ValueLayout.JAVA_FLOAT, 0, 1f);
            dead = Tensor.zeros(DType.F32, 3).slice(0, 1, 3);
            assertThat(s.isClosed()).isFalse();
            assertThat(dead.get(0)).isZero();
        }
        assertThatThrownBy(dead::segment).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("used after the Scope it was made in closed");
        assertThatThrownBy(() -> dead.get(0)).isInstanceOf(IllegalStateException.class);
        long hits = BufferPool.stats()[0];
        try (Scope s = Scope.open()) {
            MemorySegment again = s.allocateRaw(bytes);
            assertThat(again.address()).isEqualTo(first.address());
            assertThat(again.byteSize()).isEqualTo(bytes);
            assertThat(again.address() % BufferPool.ALIGN).isZero();
        }
        assertThat(BufferPool.stats()[0]).isEqualTo(hits + 1);
    }

    @Test
    void zerosAreZeroEvenOnReusedMemory() {
        try (Scope s = Scope.open()) {
            Tensor.uniform(DType.F64, new SplittableRandom(1), 1, 2, 1000); // dirties a block
        }
        try (Scope s = Scope.open()) {
            assertThat(Tensor.zeros(DType.F64, 1000).toDoubleArray()).containsOnly(0.0);
        }
    }

    @Test
    void uninitialisedMemoryIsPoisonedInTests() {
        assertThat(Boolean.getBoolean("flatminima.poisonUninitialised")).as("set by the surefire config").isTrue();
        try (Scope s = Scope.open()) {
            assertThat(java.util.Arrays.stream(Tensor.uninitialised(DType.F32, 16).toDoubleArray()).allMatch(Double::isNaN)).isTrue();
        }
        // outside a scope it is zeroed GC-managed memory
        assertThat(Tensor.uninitialised(DType.F32, 16).toDoubleArray()).containsOnly(0.0);
    }

    /** Every op whose output is allocated uninitialised gives the same values inside a scope as outside. */
    @Test
    void opsWriteTheirWholeOutput() {
        for (DType t : DType.values()) {
            Map<String, Supplier<Tensor>> ops = ops(t);
            for (Map.Entry<String, Supplier<Tensor>> e : ops.entrySet()) {
                double[] outside = e.getValue().get().toDoubleArray();
                double[] inside;
                try (Scope s = Scope.open()) {
                    inside = e.getValue().get().toDoubleArray();
                }
                assertThat(inside).as(e.getKey() + " " + t).containsExactly(outside);
                assertThat(java.util.Arrays.stream(outside).noneMatch(Double::isNaN)).as(e.getKey() + " " + t).isTrue();
            }
        }
    }

    private static Map<String, Supplier<Tensor>> ops(DType t) {
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor a = Tensor.uniform(t, rnd, -1, 1, 3, 4, 5);
        Tensor b = Tensor.uniform(t, rnd, 0.5, 1, 4, 1);
        Tensor img = Tensor.uniform(t, rnd, -1, 1, 2, 3, 9, 7);
        Tensor w = Tensor.uniform(t, rnd, -1, 1, 4, 3, 3, 3);
        Tensor z = Tensor.uniform(t, rnd, -3, 3, 6, 5);
        Tensor gy = Tensor.uniform(t, rnd, -1, 1, 2, 4, 9, 7);
        int[] labels = {0, 4, 2, 1, 3, 3};
        Map<String, Supplier<Tensor>> m = new LinkedHashMap<>();
        m.put("binary", () -> TensorOps.binary(BinaryOp.MUL, a, b));
        m.put("unary", () -> TensorOps.unary(UnaryOp.EXP, a));
        m.put("reduce", () -> TensorOps.reduce(ReduceOp.MAX, a, 1, false));
        m.put("softmax", () -> TensorOps.softmax(z));
        m.put("logSoftmax", () -> TensorOps.logSoftmax(z));
        m.put("xent loss", () -> TensorOps.softmaxCrossEntropy(z, labels)[0]);
        m.put("xent probs", () -> TensorOps.softmaxCrossEntropy(z, labels)[1]);
        m.put("conv2d", () -> ImageOps.conv2d(img, w, 1, 1));
        m.put("conv2d strided", () -> ImageOps.conv2d(img, w, 2, 0));
        m.put("conv2dInputGrad", () -> ImageOps.conv2dInputGrad(gy, w, 9, 7, 1, 1));
        m.put("conv2dWeightGrad", () -> ImageOps.conv2dWeightGrad(img, gy, 3, 3, 1, 1));
        m.put("maxPool2d", () -> PoolOps.maxPool2d(img, 2, 2, 0));
        m.put("maxPool2d padded", () -> PoolOps.maxPool2d(img, 3, 2, 1));
        m.put("avgPool2d", () -> PoolOps.avgPool2d(img, 2, 2, 0));
        Tensor pooled = Tensor.uniform(t, rnd, -1, 1, 2, 3, 4, 3);
        m.put("maxPool2dScatter", () -> PoolOps.maxPool2dScatter(pooled, PoolOps.maxPool2dRouting(img, 2, 2, 0)));
        m.put("avgPool2dBackward", () -> PoolOps.avgPool2dBackward(pooled, 9, 7, 2, 2, 0));
        return m;
    }
}
