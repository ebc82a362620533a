package org.flatminima.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Optimizer#stepInPlace} against the functional {@link Optimizer#step} (the same bits) and SGD with
 * momentum against a hand-written loop; {@link TensorOps#assignBinary}, which the in-place step uses.
 */
class InPlaceStepTest {

    private static final int N = 1003;
    private static final int STEPS = 6;

    private static Tensor random(DType t, SplittableRandom rnd) {
        double[] v = new double[N];
        for (int i = 0; i < N; i++) {
            v[i] = rnd.nextDouble(-2, 2);
        }
        return Tensor.of(t, v, N);
    }

    /** Runs both ways from the same start on the same gradients; asserts equal bits after every step. */
    private static void sameBits(DType t, Supplier<Optimizer> make) {
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor p0 = random(t, rnd);
        Tensor inPlace = p0.copy();
        Tensor functional = p0.copy();
        Optimizer a = make.get();
        Optimizer b = make.get();
        for (int s = 0; s < STEPS; s++) {
            Tensor g = random(t, rnd);
            try (Scope sc = Scope.open()) {
                a.stepInPlace(inPlace, g);
                TensorOps.assign(functional, b.step(functional, g));
            }
            assertThat(inPlace.toDoubleArray()).as("step " + (s + 1)).containsExactly(functional.toDoubleArray());
            assertThat(a.stepCount()).isEqualTo(s + 1);
        }
        assertThat(a.state().buffers().keySet()).isEqualTo(b.state().buffers().keySet());
        for (String k : a.state().buffers().keySet()) {
            assertThat(a.state().buffers().get(k).toDoubleArray()).as(k)
                    .containsExactly(b.state().buffers().get(k).toDoubleArray());
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void everySgdVariantInPlaceEqualsTheFunctionalStep(DType t) {
        sameBits(t, () -> new Sgd(0.05));
        sameBits(t, () -> new Sgd(0.05, 0.9, 0, false));
        sameBits(t, () -> new Sgd(0.05, 0.9, 0.1, 0.01, false));
        sameBits(t, () -> new Sgd(0.05, 0.9, 0.01, true));
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void adamInPlaceEqualsTheFunctionalStep(DType t) {
        sameBits(t, () -> new Adam(1e-3));
    }

    /**
     * {@code b = mu b + g; p = p - lr b} (b = g at the first step), written out element by element: each update in
     * double, rounded once to the element type.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void sgdWithMomentumInPlaceEqualsAHandWrittenLoop(DType t) {
        double lr = 0.05;
        double mu = 0.9;
        SplittableRandom rnd = new SplittableRandom(9);
        Tensor params = random(t, rnd);
        double[] p = params.toDoubleArray();
        double[] buf = new double[N];
        Sgd opt = new Sgd(lr, mu, 0, false);
        for (int s = 0; s < STEPS; s++) {
            Tensor gt = random(t, rnd);
            double[] g = gt.toDoubleArray();
            try (Scope sc = Scope.open()) {
                opt.stepInPlace(params, gt);
            }
            for (int i = 0; i < N; i++) {
                if (t == DType.F64) {
                    buf[i] = s == 0 ? g[i] : mu * buf[i] + g[i];
                    p[i] = p[i] - lr * buf[i];
                } else {
                    buf[i] = s == 0 ? g[i] : (float) (g[i] + mu * buf[i]);
                    p[i] = (float) (-lr * buf[i] + p[i]);
                }
            }
        }
        double[] got = params.toDoubleArray();
        for (int i = 0; i < N; i++) {
            assertThat(got[i]).as("element " + i).isEqualTo(p[i]);
        }
    }

    /**
     * An optimiser made inside a scope keeps its momentum buffer in that scope, across the scopes of its steps:
     * the same values as one made outside every scope (GC-managed state), the buffer's bytes counted in the
     * outer scope, and one made inside a step's scope fails at its next step with a message that names the fix.
     */
    @Test
    void anOptimiserKeepsItsStateInTheScopeItWasMadeIn() {
        SplittableRandom rnd = new SplittableRandom(11);
        Tensor p0 = random(DType.F64, rnd);
        Tensor[] grads = {random(DType.F64, rnd), random(DType.F64, rnd), random(DType.F64, rnd)};
        Tensor free = p0.copy();
        Sgd gcManaged = new Sgd(0.05, 0.9, 0, false);
        for (Tensor g : grads) {
            try (Scope step = Scope.open()) {
                gcManaged.stepInPlace(free, g);
            }
        }
        Tensor scoped = p0.copy();
        try (Scope outer = Scope.open()) {
            Sgd opt = new Sgd(0.05, 0.9, 0, false);
            long before = outer.bytes();
            for (Tensor g : grads) {
                try (Scope step = Scope.open()) {
                    opt.stepInPlace(scoped, g);
                }
            }
            assertThat(outer.bytes() - before).isGreaterThanOrEqualTo(N * 8L);
        }
        assertThat(scoped.toDoubleArray()).containsExactly(free.toDoubleArray());
        Sgd[] made = new Sgd[1];
        try (Scope step = Scope.open()) {
            made[0] = new Sgd(0.05, 0.9, 0, false);
        }
        assertThatThrownBy(() -> made[0].stepInPlace(scoped, grads[0])).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("make the optimiser outside the scope of one step");
    }

    @Test
    void stepInPlaceRejectsStridedParameters() {
        Tensor p = Tensor.zeros(DType.F64, 2, 3).transpose(0, 1);
        Tensor g = Tensor.zeros(DType.F64, 3, 2);
        assertThatThrownBy(() -> new Sgd(0.1, 0.9, 0, false).stepInPlace(p, g)).hasMessageContaining("contiguous");
    }

    @Test
    void assignBinaryWritesInPlaceAndRejectsOverlaps() {
        Tensor a = Tensor.of(DType.F64, new double[] {1, 2, 3, 4}, 4);
        Tensor b = Tensor.of(DType.F64, new double[] {10, 20, 30, 40}, 4);
        Tensor y = Tensor.zeros(DType.F64, 4);
        TensorOps.assignBinary(y, BinaryOp.SUB, b, a);
        assertThat(y.toDoubleArray()).containsExactly(9, 18, 27, 36);
        TensorOps.assignBinary(a, BinaryOp.MUL, a, Tensor.of(DType.F64, new double[] {3}, 1));
        assertThat(a.toDoubleArray()).containsExactly(3, 6, 9, 12);
        assertThatThrownBy(() -> TensorOps.assignBinary(a, BinaryOp.ADD, b, a)).hasMessageContaining("overlaps");
        assertThatThrownBy(() -> TensorOps.assignBinary(a.slice(0, 1, 4), BinaryOp.ADD, a.slice(0, 0, 3),
                b.slice(0, 0, 3))).hasMessageContaining("overlaps");
        assertThatThrownBy(() -> TensorOps.assignBinary(y, BinaryOp.ADD, a, Tensor.zeros(DType.F64, 3)))
                .hasMessageContaining("broadcast");
        assertThatThrownBy(() -> TensorOps.assignBinary(y, BinaryOp.ADD, a, Tensor.zeros(DType.F32, 4)))
                .hasMessageContaining("dtypes differ");
    }
}
