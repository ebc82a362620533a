package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** E3's verdicts on made-up final states: the counts and the wording follow the numbers. */
class E3VerdictsTest {

    /**
     * An outcome of {@code seeds} seeds whose final test accuracies are {@code acc} = {small, large, longer} (plus
     * 0.001 per seed), with raw margins 8, 4, 10, normalised margins 0.4, 0.6, 0.3 and traces 2, 40, 1 for the
     * small, the large and the longer large-batch runs of both regimes.
     */
    static E3BatchSize.Outcome outcome(E3Config c, double[] acc, int seeds) {
        List<E3Plan.Run> runs = E3Plan.runs(c, 64);
        Map<Long, Map<String, List<E3Measure.Point>>> all = new LinkedHashMap<>();
        List<Long> ids = new ArrayList<>();
        for (int s = 0; s < seeds; s++) {
            ids.add((long) s);
            Map<String, List<E3Measure.Point>> by = new LinkedHashMap<>();
            for (E3Plan.Run r : runs) {
                int k = switch (r.role()) {
                    case SMALL -> 0;
                    case LARGE -> 1;
                    default -> 2;
                };
                double[] margin = {8, 4, 10};
                double[] norm = {0.4, 0.6, 0.3};
                double[] trace = {2, 40, 1};
                E3Measure.Point p = new E3Measure.Point(r.epochs(), r.steps(64), r.lr(), 1, acc[k] + 0.001 * s,
                        trace[k], 1, margin[k], margin[k], margin[k] / 2, -0.1 + k * 0.1, -1 + k, -1 + k, 10, 20,
                        norm[k], norm[k] / 2, -1, null);
                by.put(r.name(), List.of(p));
            }
            all.put((long) s, by);
        }
        return new E3BatchSize.Outcome(ids, runs, all, 64, 64, 32, "exact-ggn");
    }

    @Test
    void countsAndRecoveriesComeFromTheNumbers() {
        E3BatchSize.Outcome o = outcome(E3Test.TINY, new double[] {0.90, 0.80, 0.86}, 3);
        List<String> a = new E3Verdicts(o).authors();
        // deficit 0.10 in every seed, recovery 0.06 / 0.10 = 60%
        assertThat(a.get(0)).contains("tests worse than A1", "in 3 of 3 seeds", "a deficit of 0.1 ± 0");
        assertThat(a.get(1)).contains("recovers 60% ± 0%", "per seed: 60%, 60%, 60%", "at least half in 3 of 3 seeds");
        assertThat(a.get(2)).contains("A2's trace is above A1's in 3 of 3 seeds", "A3's is below A1's in 3 of 3");
        assertThat(a.get(4)).contains("spectral-norm product): A2's is below A1's in 0 of 3 seeds");
        assertThat(new E3Verdicts(o).authorsHeadline()).contains("holds in all 3 seeds",
                "spectrally normalised margin grows in 0 of 3 seeds only");
        // the premise fails when the large batch tests better
        E3BatchSize.Outcome flipped = outcome(E3Test.TINY, new double[] {0.80, 0.90, 0.95}, 3);
        assertThat(new E3Verdicts(flipped).authorsHeadline()).contains("The premise holds in 0 of 3 seeds only");
    }

    @Test
    void recoveryIsTheFractionOfTheDeficitAndUndefinedWithoutOne() {
        double[] r = E3Verdicts.recovery(new double[] {0.9, 0.8}, new double[] {0.8, 0.85}, new double[] {0.88, 0.9});
        assertThat(r[0]).isCloseTo(0.8, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(r[1]).isNaN();
        assertThat(E3Verdicts.atLeast(r, 0.5)).isEqualTo(1);
        assertThat(E3Verdicts.below(new double[] {1, Double.NaN}, new double[] {2, 3})).isEqualTo(1);
    }
}
