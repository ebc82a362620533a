package org.flatminima.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.CustomPrimitive;
import org.flatminima.engine.autodiff.Primitive;
import org.flatminima.engine.autodiff.PrimitiveChecker;
import org.flatminima.engine.autodiff.Var;
import org.junit.jupiter.api.Test;

/**
 * The user-defined primitives of {@link CustomPrimitiveExample} pass the generic checker, a wrong rule does not,
 * and the HVP through them equals the closed form {@code H v = -sin(x) * v}.
 */
class CustomPrimitiveExampleTest {

    /** sin with a wrong derivative (sin instead of cos): the checker must refuse it. */
    record WrongSin() implements CustomPrimitive, Primitive.Elementwise {
        @Override
        public String name() {
            return "wrong_sin";
        }

        @Override
        public Tensor forward(Tensor... in) {
            return CustomPrimitiveExample.map(in[0], Math::sin);
        }

        @Override
        public Var derivative(Var x, Var y) {
            return y;
        }
    }

    @Test
    void sineAndCosinePassTheGenericChecker() {
        for (Primitive p : new Primitive[] {new CustomPrimitiveExample.Sin(), new CustomPrimitiveExample.Cos()}) {
            PrimitiveChecker.Report r = CustomPrimitiveExample.check(p, 11);
            assertThat(r.jvp()).as("%s jvp", p.name()).isLessThan(1e-8);
            assertThat(r.vjp()).as("%s vjp", p.name()).isLessThan(1e-8);
            assertThat(r.hvp()).as("%s hvp", p.name()).isLessThan(1e-8);
            assertThat(r.adjoint()).as("%s adjoint", p.name()).isLessThan(1e-13);
        }
    }

    @Test
    void theCheckerRefusesAWrongRule() {
        PrimitiveChecker.Report r = CustomPrimitiveExample.check(new WrongSin(), 11);
        assertThat(r.jvp()).isGreaterThan(0.1);
        assertThatThrownBy(() -> r.requireBelow(1e-6, 1e-12)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("wrong_sin").hasMessageContaining("JVP vs finite differences");
    }

    @Test
    void hvpThroughTheNewPrimitivesIsTheClosedForm() throws Exception {
        double[] x = {-2.5, -0.3, 0.0, 0.7, 1.9, 3.1};
        double[] v = {0.4, -1.0, 2.0, 0.5, -0.25, 1.5};
        double[] hv = CustomPrimitiveExample.hvpOfSumOfSines(x, v);
        for (int i = 0; i < x.length; i++) {
            assertThat(hv[i]).as("H v at %d", i).isCloseTo(-Math.sin(x[i]) * v[i], within(1e-14));
        }
        String out = Stdout.of(() -> CustomPrimitiveExample.main(new String[0]));
        assertThat(out).contains("Report[primitive=sin", "Report[primitive=cos", "hvp of sum(sin(x))");
    }
}
