package org.flatminima.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Checkpoints: 3 steps, save, restore into a fresh optimiser, 3 more steps equals 6 steps bit for bit. */
@Tag("backends")
class StateRoundTripTest {

    private static final int P = 1000;

    private static Tensor[] gradients(DType t) {
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor[] g = new Tensor[6];
        for (int i = 0; i < g.length; i++) {
            g[i] = Tensor.normal(t, rnd, P);
        }
        return g;
    }

    private static void roundTrip(Supplier<Optimizer> make, DType t) {
        Tensor p0 = Tensor.normal(t, new SplittableRandom(9), P);
        Tensor[] g = gradients(t);

        Optimizer straight = make.get();
        Tensor p = p0;
        for (int i = 0; i < 6; i++) {
            straight.setLearningRate(0.1 / (i + 1));
            p = straight.step(p, g[i]);
        }

        Optimizer first = make.get();
        Tensor q = p0;
        OptimizerState saved;
        for (int i = 0; i < 3; i++) {
            first.setLearningRate(0.1 / (i + 1));
            try (Scope s = Scope.open()) { // steps, and the state snapshot, made inside scopes
                q = s.keep(first.step(q, g[i]));
            }
        }
        try (Scope s = Scope.open()) {
            saved = first.state();
        }
        assertThat(saved.step()).isEqualTo(3);
        Optimizer second = make.get();
        second.loadState(saved); // the snapshot survived its scope
        assertThat(second.stepCount()).isEqualTo(3);
        assertThat(second.learningRate()).isEqualTo(0.1 / 3);
        for (int i = 3; i < 6; i++) {
            second.setLearningRate(0.1 / (i + 1));
            q = second.step(q, g[i]);
        }
        assertThat(q.toDoubleArray()).containsExactly(p.toDoubleArray());
        OptimizerState a = straight.state();
        OptimizerState b = second.state();
        assertThat(b.step()).isEqualTo(6);
        assertThat(b.buffers().keySet()).containsExactlyElementsOf(a.buffers().keySet());
        for (String name : a.buffers().keySet()) {
            assertThat(b.buffers().get(name).toDoubleArray()).as(name)
                    .containsExactly(a.buffers().get(name).toDoubleArray());
        }
    }

    @Test
    void sgdWithNesterovAndWeightDecay() {
        for (DType t : new DType[] {DType.F64, DType.F32}) {
            roundTrip(() -> new Sgd(0.1, 0.9, 1e-3, true), t);
        }
    }

    @Test
    void adamAndAdamW() {
        for (DType t : new DType[] {DType.F64, DType.F32}) {
            roundTrip(() -> new Adam(0.1, 0.9, 0.999, 1e-8, 1e-2), t);
            roundTrip(() -> Adam.adamW(0.1), t);
        }
    }

    @Test
    void savedStateIsACopyAndForeignNamesAreRejected() {
        Sgd opt = new Sgd(0.1, 0.9, 0, false);
        Tensor p = Tensor.zeros(DType.F64, 3);
        opt.step(p, Tensor.full(DType.F64, 1.0, 3));
        OptimizerState saved = opt.state();
        opt.step(p, Tensor.full(DType.F64, 1.0, 3)); // buffer becomes 1.9; the snapshot must stay at 1
        assertThat(saved.buffers().get(Sgd.MOMENTUM_BUFFER).toDoubleArray()).containsExactly(1, 1, 1);
        assertThat(opt.state().buffers().get(Sgd.MOMENTUM_BUFFER).toDoubleArray()).containsExactly(1.9, 1.9, 1.9);
        assertThatThrownBy(() -> new Adam(0.1).loadState(saved)).hasMessageContaining("momentum_buffer");
    }
}
