package org.flatminima.engine.autodiff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Perturbation confusion (Siskind and Pearlmutter): d/dx [x * d/dy (x*y)] = 2x. An implementation that lets the
 * inner differentiation see the outer perturbation of x returns something else (3 at x = 1 in the classic
 * failure, d/dy (x*y) wrongly including dx/dy).
 */
@Tag("backends")
class NestingTest {

    private static Var s(double v) {
        return Var.scalar(Numeric.F64, v);
    }

    private static final Var ONE = s(1);

    @Test
    void jvpOfJvp() {
        Function<Var, Var> outer = x -> x.mul(Autodiff.jvp(y -> x.mul(y), ONE, ONE).tangent());
        assertThat(Autodiff.jvp(outer, ONE, ONE).tangent().item()).isEqualTo(2.0);
        assertThat(Autodiff.jvp(outer, s(3), ONE).tangent().item()).isEqualTo(6.0);
    }

    @Test
    void gradOfGrad() {
        Function<Var, Var> outer = x -> x.mul(Autodiff.grad(y -> x.mul(y), ONE));
        assertThat(Autodiff.grad(outer, ONE).item()).isEqualTo(2.0);
    }

    @Test
    void forwardOverReverse() {
        // outer forward level, inner reverse level: the hvp configuration
        Function<Var, Var> outer = x -> x.mul(Autodiff.grad(y -> x.mul(y), ONE));
        assertThat(Autodiff.jvp(outer, ONE, ONE).tangent().item()).isEqualTo(2.0);
        // the same perturbation inside: d/dx d/dy (x^2 y^2 / 2)|y=x = d/dx x^3 = 3x^2, 12 at x = 2
        Function<Var, Var> inner = x -> Autodiff.grad(y -> x.square().mul(y.square()).scale(0.5), x);
        assertThat(Autodiff.jvp(inner, s(2), ONE).tangent().item()).isCloseTo(12.0, within(1e-14));
    }

    @Test
    void reverseOverForward() {
        Function<Var, Var> outer = x -> x.mul(Autodiff.jvp(y -> x.mul(y), ONE, ONE).tangent());
        assertThat(Autodiff.grad(outer, ONE).item()).isEqualTo(2.0);
    }

    @Test
    void aTracerThatEscapesItsTransformationIsRejected() {
        Var[] leak = new Var[1];
        Autodiff.grad(x -> {
            leak[0] = x;
            return x.square();
        }, ONE);
        assertThatThrownBy(() -> leak[0].add(ONE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("add").hasMessageContaining("already returned");
    }
}
