package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The same loss, gradient and Hessian-vector products (single and batched) on every backend that runs here,
 * against the scalar oracle: float64 to 1e-12 relative, float32 within a size-aware tolerance.
 */
class BackendsAgreeTest {

    private record Result(double loss, double[] grad, double[] hv, double[] hvBatch) {
    }

    private static Result compute(Backend b, DType t) {
        return Engine.with(b, () -> {
            SplittableRandom rnd = new SplittableRandom(11);
            int n = 16;
            int d = 12;
            int h = 9;
            int c = 5;
            Var x = Var.of(Tensor.normal(t, rnd, n, d));
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = rnd.nextInt(c);
            }
            int p = h * d + h + c * h + c;
            Var theta = Var.of(Tensor.normal(t, rnd, p).to(t));
            Function<Var, Var> loss = th -> {
                Var w1 = th.view(0, h, d);
                Var b1 = th.view(h * d, h);
                Var w2 = th.view(h * d + h, c, h);
                Var b2 = th.view(h * d + h + c * h, c);
                Var a = x.matmul(w1.mT()).add(b1).relu();
                Var a2 = a.matmul(w2.mT()).add(b2);
                return a2.crossEntropy(labels).add(a2.tanh().square().mean().scale(0.1));
            };
            Var v = Var.of(Tensor.normal(t, rnd, p));
            Var vs = Var.of(Tensor.normal(t, rnd, 4, p));
            Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(loss, theta);
            return new Result(vg.value().value().item(), vg.grad().value().toDoubleArray(),
                    Autodiff.hvp(loss, theta, v).value().toDoubleArray(),
                    Autodiff.hvpBatch(loss, theta, vs).value().toDoubleArray());
        });
    }

    private static void close(String what, double[] a, double[] b, double tol) {
        double scale = 0;
        for (double v : b) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= tol * (1 + scale))) {
                fail(what + " differs at " + i + ": " + a[i] + " vs oracle " + b[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void gradientsAndHvpsAgreeAcrossBackends(DType t) {
        Result oracle = compute(Backends.get("scalar"), t);
        double tol = t == DType.F64 ? 1e-12 : 2e-4;
        List<String> ran = new ArrayList<>();
        for (String name : List.of("vector", "native")) {
            Backends.Status s = Backends.probe(name);
            if (!s.available()) {
                continue; // the kernels module's parity tests fail under CI when a backend is missing
            }
            Result r = compute(s.backend(), t);
            assertThat(Math.abs(r.loss() - oracle.loss())).as(name + " loss").isLessThan(tol * (1 + Math.abs(oracle.loss())));
            close(name + " gradient", r.grad(), oracle.grad(), tol);
            close(name + " hvp", r.hv(), oracle.hv(), tol);
            close(name + " batched hvp", r.hvBatch(), oracle.hvBatch(), tol);
            ran.add(name);
        }
        assertThat(ran).as("at least one non-oracle backend compared").isNotEmpty();
    }
}
