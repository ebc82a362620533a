package org.flatminima.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Schedules against values computed by hand from PyTorch's closed forms. */
class LrScheduleTest {

    private static final double TOL = 1e-15;

    @Test
    void constant() {
        LrSchedule s = LrSchedule.constant(0.3);
        assertThat(s.lr(0)).isEqualTo(0.3);
        assertThat(s.lr(1_000_000)).isEqualTo(0.3);
    }

    @Test
    void stepDecayMultipliesByGammaEveryStepSize() {
        LrSchedule s = LrSchedule.step(0.1, 30, 0.1);       // StepLR(step_size=30, gamma=0.1)
        assertThat(s.lr(0)).isEqualTo(0.1);
        assertThat(s.lr(29)).isEqualTo(0.1);
        assertThat(s.lr(30)).isCloseTo(0.01, within(TOL));
        assertThat(s.lr(59)).isCloseTo(0.01, within(TOL));
        assertThat(s.lr(60)).isCloseTo(0.001, within(TOL));
        assertThat(s.lr(95)).isCloseTo(0.0001, within(TOL));
    }

    @Test
    void multiStepDecaysAtEachMilestoneInAnyOrderAndCountsRepeats() {
        LrSchedule s = LrSchedule.multiStep(0.1, new long[] {150, 81}, 0.1); // sorted internally
        assertThat(s.lr(0)).isEqualTo(0.1);
        assertThat(s.lr(80)).isEqualTo(0.1);
        assertThat(s.lr(81)).isCloseTo(0.01, within(TOL));
        assertThat(s.lr(149)).isCloseTo(0.01, within(TOL));
        assertThat(s.lr(150)).isCloseTo(0.001, within(TOL));
        assertThat(s.lr(10_000)).isCloseTo(0.001, within(TOL));
        LrSchedule twice = LrSchedule.multiStep(1.0, new long[] {5, 5}, 0.5); // PyTorch's Counter semantics
        assertThat(twice.lr(4)).isEqualTo(1.0);
        assertThat(twice.lr(5)).isEqualTo(0.25);
    }

    @Test
    void cosineAtZeroQuarterHalfAndEnd() {
        LrSchedule s = LrSchedule.cosine(0.1, 100, 0.001);
        assertThat(s.lr(0)).isCloseTo(0.1, within(TOL));
        // t = T/4: 0.001 + 0.099 * (1 + sqrt(2)/2) / 2 = 0.001 + 0.099 * 0.8535533905932737
        assertThat(s.lr(25)).isCloseTo(0.08550178566873410, within(TOL));
        assertThat(s.lr(50)).isCloseTo(0.0505, within(TOL));  // the midpoint of base and eta_min
        assertThat(s.lr(100)).isCloseTo(0.001, within(TOL));
        assertThat(s.lr(150)).isCloseTo(0.0505, within(TOL)); // PyTorch's formula rises again past T_max
    }

    @Test
    void linearWarmupThenCosine() {
        LrSchedule s = LrSchedule.linearWarmup(5, 0.1, LrSchedule.cosine(0.1, 100, 0));
        assertThat(s.lr(0)).isCloseTo(0.01, within(TOL));                    // 0.1 * 0.1
        assertThat(s.lr(2)).isCloseTo(0.1 * (0.1 + 0.9 * 2 / 5), within(TOL)); // 0.046
        assertThat(s.lr(4)).isCloseTo(0.082, within(TOL));
        assertThat(s.lr(5)).isCloseTo(0.1, within(TOL));                     // cosine restarts at index 0
        assertThat(s.lr(55)).isCloseTo(0.05, within(TOL));
        assertThat(s.lr(105)).isCloseTo(0.0, within(TOL));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> LrSchedule.constant(1).lr(-1)).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> LrSchedule.step(1, 0, 0.1)).hasMessageContaining("step size");
        assertThatThrownBy(() -> LrSchedule.cosine(1, 0, 0)).hasMessageContaining("T_max");
        assertThatThrownBy(() -> LrSchedule.linearWarmup(3, 0, LrSchedule.constant(1)))
                .hasMessageContaining("startFactor");
    }
}
