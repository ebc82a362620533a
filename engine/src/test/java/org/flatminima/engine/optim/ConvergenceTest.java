package org.flatminima.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.function.Function;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Training on a convex quadratic {@code f(x) = 1/2 (x - c)^T A (x - c)} in five dimensions, with gradients from
 * {@link Autodiff#grad}: the optimisers must reach the known minimiser {@code c}.
 */
@Tag("backends")
class ConvergenceTest {

    /** A = B^T B + I for a fixed B: symmetric positive definite, eigenvalues roughly in [1, 12]. */
    private static final double[] B = {
        0.9, -0.3, 0.2, 0.0, 0.5,
        0.1, 1.2, -0.4, 0.3, 0.0,
        -0.2, 0.0, 0.8, 0.6, -0.1,
        0.4, 0.2, 0.0, 1.1, 0.3,
        0.0, -0.5, 0.3, 0.2, 1.4,
    };
    private static final double[] C = {1.5, -2.0, 0.25, 3.0, -0.75};

    private static Tensor matrixA() {
        Tensor b = Tensor.of(DType.F64, B, 5, 5);
        double[] a = new double[25];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                double s = i == j ? 1 : 0;
                for (int k = 0; k < 5; k++) {
                    s += b.get(k, i) * b.get(k, j);
                }
                a[i * 5 + j] = s;
            }
        }
        return Tensor.of(DType.F64, a, 5, 5);
    }

    private static Tensor train(Optimizer opt, LrSchedule schedule, int steps) {
        Var a = Var.of(matrixA());
        Var c = Var.of(Tensor.of(DType.F64, C, 5));
        Function<Var, Var> f = x -> {
            Var r = x.sub(c).reshape(5, 1);
            return r.mT().matmul(a.matmul(r)).scale(0.5).sum();
        };
        Tensor x = Tensor.zeros(DType.F64, 5);
        for (int t = 0; t < steps; t++) {
            opt.setLearningRate(schedule.lr(t));
            try (Scope s = Scope.open()) {
                Tensor g = Autodiff.grad(f, Var.of(x)).value();
                x = s.keep(opt.step(x, g));
            }
        }
        return x;
    }

    @Test
    void gradientDescentWithMomentumReachesTheMinimiser() {
        Tensor x = train(new Sgd(0.05, 0.9, 0, false), LrSchedule.constant(0.05), 600);
        assertThat(x.toDoubleArray()).containsExactly(C, within(1e-9));
    }

    @Test
    void nesterovWithStepDecayReachesTheMinimiser() {
        Tensor x = train(new Sgd(0.05, 0.9, 0, true), LrSchedule.multiStep(0.05, new long[] {200, 400}, 0.5), 600);
        assertThat(x.toDoubleArray()).containsExactly(C, within(1e-9));
    }

    @Test
    void adamWithCosineAnnealingReachesTheMinimiser() {
        int steps = 3000;
        Tensor x = train(new Adam(0.1), LrSchedule.linearWarmup(50, 0.1, LrSchedule.cosine(0.1, steps - 50, 0)),
                steps);
        assertThat(x.toDoubleArray()).containsExactly(C, within(1e-4));
    }

    @Test
    void weightDecayMovesTheMinimiserToTheRidgeSolution() {
        // With L2 weight decay wd, the fixed point solves (A + wd I) x = A c.
        double wd = 0.5;
        Tensor x = train(new Sgd(0.05, 0.9, wd, false), LrSchedule.constant(0.05), 800);
        Tensor a = matrixA();
        double[] xs = x.toDoubleArray();
        for (int i = 0; i < 5; i++) {
            double lhs = wd * xs[i];
            double rhs = 0;
            for (int j = 0; j < 5; j++) {
                lhs += a.get(i, j) * xs[j];
                rhs += a.get(i, j) * C[j];
            }
            assertThat(lhs).as("row %d of (A + wd I) x = A c", i).isCloseTo(rhs, within(1e-9));
        }
    }
}
