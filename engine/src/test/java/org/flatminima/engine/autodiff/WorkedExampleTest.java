package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The worked example of docs/autodiff.md, step by step: the numbers there are asserted here. */
@Tag("backends")
class WorkedExampleTest {

    /** f(theta) = (a b)^2 / 2 with a = theta[0], b = theta[1] taken as views of the flat vector. */
    static final Function<Var, Var> F = theta -> {
        Var a = theta.view(0);
        Var b = theta.view(1);
        return a.mul(b).square().scale(0.5);
    };

    static Var vec(double... v) {
        return Var.of(Tensor.of(Numeric.F64, v, v.length));
    }

    @Test
    void gradientAndHessianVectorProductByHand() {
        Var theta = vec(2, 3);
        // value (ab)^2/2 = 18; gradient (q b, q a) with q = ab = 6: (18, 12)
        Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(F, theta);
        assertThat(vg.value().item()).isEqualTo(18.0);
        assertThat(vg.grad().value().toDoubleArray()).containsExactly(18.0, 12.0);
        // H = [[b^2, 2ab], [2ab, a^2]] = [[9, 12], [12, 4]]; H (1, 0) = (9, 12)
        assertThat(Autodiff.hvp(F, theta, vec(1, 0)).value().toDoubleArray()).containsExactly(9.0, 12.0);
        assertThat(Autodiff.hessian(F, theta).toDoubleArray()).containsExactly(9.0, 12.0, 12.0, 4.0);
    }

    @Test
    void theTapeOfTheInnerReverseLevel() {
        // the reverse level records: leaf theta, flat_view, flat_view, mul, square, scale
        Level[] seen = new Level[1];
        Autodiff.grad(theta -> {
            seen[0] = theta.level();
            return F.apply(theta);
        }, vec(2, 3));
        assertThat(seen[0].tape.stream().map(n -> n.primitive == null ? "leaf" : n.primitive.name()))
                .containsExactly("leaf", "flat_view", "flat_view", "mul", "square", "scale");
    }
}
