package org.flatminima.experiments.sweep.rank;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.sweep.rank.MeasureRanking.Row;
import org.flatminima.experiments.sweep.rank.MeasureRanking.Verdict;
import org.junit.jupiter.api.Test;

/**
 * The bootstrap over networks: deterministic for a seed, an interval around the estimate, resampling the networks
 * (the same numbers as {@link Correlation#bootstrap} on the network columns), degenerate columns as NaN with a reason,
 * and the verdict against the expected sign.
 */
class RankBootstrapTest {

    /** 25 networks: trace rises with the gap (noisy), the output margin falls with it, the input margin is constant. */
    private static List<Map<String, String>> noisy(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        SweepTableFixture t = new SweepTableFixture();
        for (int i = 0; i < 25; i++) {
            double gap = 0.01 * i;
            t.row(String.format("r%02d", i), "finished", 10, "lr", "" + i,
                    "trace", "" + (gap + 0.05 * rnd.nextGaussian()),
                    "output_margin_median", "" + (3 - 10 * gap),
                    "input_margin_median", "0.5",
                    "gap_accuracy", "" + gap);
        }
        return t.rows();
    }

    private static Row row(MeasureRanking r, String measure) {
        return r.rows().stream().filter(x -> x.measure().equals(measure)).findFirst().orElseThrow();
    }

    @Test
    void deterministicForASeedAndDifferentForAnother() {
        List<Map<String, String>> rows = noisy(1);
        RankOptions a = RankOptions.builder().seed(7).build();
        Row first = row(MeasureRanking.of(rows, a), "trace");
        Row again = row(MeasureRanking.of(rows, a), "trace");
        assertThat(again).isEqualTo(first);
        Row other = row(MeasureRanking.of(rows, RankOptions.builder().seed(8).build()), "trace");
        assertThat(other.tau()).isEqualTo(first.tau());
        assertThat(List.of(other.low(), other.high())).isNotEqualTo(List.of(first.low(), first.high()));
    }

    @Test
    void resamplesNetworksAsCorrelationBootstrapDoes() {
        List<Map<String, String>> rows = noisy(2);
        Row trace = row(MeasureRanking.of(rows, RankOptions.builder().seed(3).resamples(1000).build()), "trace");
        double[] x = rows.stream().mapToDouble(r -> Double.parseDouble(r.get("trace"))).toArray();
        double[] y = rows.stream().mapToDouble(r -> Double.parseDouble(r.get("gap_accuracy"))).toArray();
        Correlation.Estimate e = Correlation.bootstrap("kendall", x, y, 1000, 0.95, 3);
        assertThat(List.of(trace.tau(), trace.low(), trace.high())).containsExactly(e.value(), e.low(), e.high());
        assertThat(trace.low()).isLessThanOrEqualTo(trace.tau());
        assertThat(trace.high()).isGreaterThanOrEqualTo(trace.tau());
        assertThat(trace.high() - trace.low()).isGreaterThan(0.05);
    }

    @Test
    void strongMonotoneRelationHasItsEstimateInsideAndTheExpectedVerdict() {
        MeasureRanking r = MeasureRanking.of(noisy(3), RankOptions.builder().build());
        Row margin = row(r, "output_margin_median");
        // a margin falling strictly with the gap: tau = -1 in every resample that is not constant
        assertThat(List.of(margin.tau(), margin.low(), margin.high())).containsExactly(-1.0, -1.0, -1.0);
        assertThat(margin.expectedSign()).isEqualTo(-1);
        assertThat(margin.verdict()).isEqualTo(Verdict.AS_EXPECTED);
        // trace = gap + noise: positive, as a sharpness measure should be
        Row trace = row(r, "trace");
        assertThat(trace.low()).isGreaterThan(0);
        assertThat(trace.verdict()).isEqualTo(Verdict.AS_EXPECTED);
    }

    @Test
    void oppositeAndInconclusiveVerdicts() {
        assertThat(Verdict.of(0.5, 0.2, 0.8, -1)).isEqualTo(Verdict.OPPOSITE);
        assertThat(Verdict.of(-0.5, -0.8, -0.2, 1)).isEqualTo(Verdict.OPPOSITE);
        assertThat(Verdict.of(0.1, -0.2, 0.4, 1)).isEqualTo(Verdict.INCONCLUSIVE);
        assertThat(Verdict.of(0.1, 0.0, 0.4, 1)).isEqualTo(Verdict.INCONCLUSIVE);
        assertThat(Verdict.of(Double.NaN, Double.NaN, Double.NaN, 1)).isEqualTo(Verdict.UNDEFINED);
    }

    @Test
    void testAccuracyTargetFlipsTheExpectedSign() {
        SweepTableFixture t = new SweepTableFixture();
        for (int i = 0; i < 6; i++) {
            t.row("r" + i, "finished", 1, "lr", "" + i, "output_margin_mean", "" + i, "test_accuracy", "" + (0.5 + 0.05 * i),
                    "gap_accuracy", "" + (0.3 - 0.05 * i));
        }
        Row m = row(MeasureRanking.of(t.rows(), RankOptions.builder().target("test_accuracy").build()),
                "output_margin_mean");
        assertThat(m.expectedSign()).isEqualTo(1);
        assertThat(m.tau()).isEqualTo(1.0);
        assertThat(m.verdict()).isEqualTo(Verdict.AS_EXPECTED);
    }

    @Test
    void constantMeasureIsNaNWithAReason() {
        Row c = row(MeasureRanking.of(noisy(4), RankOptions.builder().build()), "input_margin_median");
        assertThat(List.of(c.tau(), c.low(), c.high())).allMatch(v -> Double.isNaN(v));
        assertThat(c.verdict()).isEqualTo(Verdict.UNDEFINED);
        assertThat(c.reason()).isEqualTo("input_margin_median is constant (0.5) across the 25 networks");
        assertThat(c.granulated().psi()).isNaN();
    }

    @Test
    void oneNetworkIsNaNWithAReason() {
        List<Map<String, String>> rows = new SweepTableFixture().row("a", "finished", 1, "trace", "1",
                "gap_accuracy", "0.1").row("b", "diverged", 1, "trace", "2", "gap_accuracy", "0.2").rows();
        Row r = MeasureRanking.of(rows, RankOptions.builder().build()).rows().get(0);
        assertThat(r.tau()).isNaN();
        assertThat(r.reason()).startsWith("only 1 network with finite trace and gap_accuracy");
    }
}
