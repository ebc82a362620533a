package org.flatminima.experiments.sweep.rank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.sweep.rank.MeasureRanking.Row;
import org.hipparchus.stat.correlation.KendallsCorrelation;
import org.junit.jupiter.api.Test;

/**
 * Kendall's tau-b of a measure with the generalisation gap across a sweep's networks: against values worked out by
 * hand on small tables with ties, against Hipparchus' KendallsCorrelation on larger tables, and the choice of networks
 * (last checkpoint of each finished run, or a given step; diverged runs left out and counted).
 */
class KendallRankTest {

    private static RankOptions options() {
        return RankOptions.builder().resamples(200).build();
    }

    private static Row row(MeasureRanking r, String measure) {
        return r.rows().stream().filter(x -> x.measure().equals(measure)).findFirst().orElseThrow();
    }

    /** A table of finished runs r0, r1, ... with trace = x[i] and gap_accuracy = y[i]. */
    private static List<Map<String, String>> table(double[] x, double[] y) {
        SweepTableFixture t = new SweepTableFixture();
        for (int i = 0; i < x.length; i++) {
            t.row("r" + i, "finished", 100, "lr", Integer.toString(i), "trace", Double.toString(x[i]),
                    "gap_accuracy", Double.toString(y[i]));
        }
        return t.rows();
    }

    @Test
    void tauBWithTiesInBothColumnsByHand() {
        // points (1,1) (2,3) (2,2) (3,3). Of the 6 pairs: 4 concordant, 0 discordant, one tied in x only
        // ((2,3),(2,2)), one tied in y only ((2,3),(3,3)). tau-b = (4 - 0) / sqrt((6 - 1)(6 - 1)) = 0.8.
        MeasureRanking r = MeasureRanking.of(table(new double[] {1, 2, 2, 3}, new double[] {1, 3, 2, 3}), options());
        assertThat(row(r, "trace").tau()).isCloseTo(0.8, within(1e-15));
        assertThat(row(r, "trace").networks()).isEqualTo(4);
    }

    @Test
    void negativeTauBByHand() {
        // A(1,3) B(1,2) C(2,2) D(2,1) E(3,1): 10 pairs; tied in x: AB, CD; tied in y: BC, DE; discordant: AC, AD, AE,
        // BD, BE, CE (6); concordant: none. tau-b = (0 - 6) / sqrt((10 - 2)(10 - 2)) = -0.75.
        MeasureRanking r = MeasureRanking.of(table(new double[] {1, 1, 2, 2, 3}, new double[] {3, 2, 2, 1, 1}),
                options());
        assertThat(row(r, "trace").tau()).isCloseTo(-0.75, within(1e-15));
    }

    @Test
    void agreesWithHipparchusOnTiedAndContinuousTables() {
        for (long seed = 0; seed < 6; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int n = 5 + rnd.nextInt(40);
            SweepTableFixture t = new SweepTableFixture();
            double[] trace = new double[n];
            double[] margin = new double[n];
            double[] gap = new double[n];
            for (int i = 0; i < n; i++) {
                trace[i] = rnd.nextInt(4); // heavily tied
                margin[i] = rnd.nextGaussian();
                gap[i] = Math.round((0.3 * trace[i] - margin[i] + rnd.nextGaussian()) * 4) / 4.0; // tied too
                t.row(String.format("run%03d", i), "finished", 10, "seed", Integer.toString(i),
                        "trace", Double.toString(trace[i]), "output_margin_median", Double.toString(margin[i]),
                        "gap_accuracy", Double.toString(gap[i]));
            }
            MeasureRanking r = MeasureRanking.of(t.rows(), options());
            KendallsCorrelation hipparchus = new KendallsCorrelation();
            assertThat(row(r, "trace").tau()).as("seed %d", seed)
                    .isCloseTo(hipparchus.correlation(trace, gap), within(1e-12));
            assertThat(row(r, "output_margin_median").tau()).as("seed %d", seed)
                    .isCloseTo(hipparchus.correlation(margin, gap), within(1e-12));
        }
    }

    @Test
    void lastCheckpointOfFinishedRunsOnlyAndDivergedCounted() {
        SweepTableFixture t = new SweepTableFixture();
        // three finished runs with two checkpoints each: at step 10 trace and gap agree in order, at step 20 they
        // are reversed; one diverged run whose values would break the order; one run still running.
        double[][] step10 = {{1, 0.1}, {2, 0.2}, {3, 0.3}};
        double[][] step20 = {{1, 0.3}, {2, 0.2}, {3, 0.1}};
        for (int i = 0; i < 3; i++) {
            // the table's order must not matter: run f1 lists its last checkpoint first, f0 and f2 last
            String[] late = {"lr", "" + i, "trace", "" + step20[i][0], "gap_accuracy", "" + step20[i][1]};
            String[] early = {"lr", "" + i, "trace", "" + step10[i][0], "gap_accuracy", "" + step10[i][1]};
            if (i == 1) {
                t.row("f" + i, "finished", 20, late).row("f" + i, "finished", 10, early);
            } else {
                t.row("f" + i, "finished", 10, early).row("f" + i, "finished", 20, late);
            }
        }
        t.row("d", "diverged", 10, "lr", "9", "trace", "100", "gap_accuracy", "0.9");
        t.row("d", "diverged", 15, "lr", "9", "trace", "NaN", "gap_accuracy", "NaN");
        t.row("u", "running", 10, "lr", "8", "trace", "0", "gap_accuracy", "0.9");
        MeasureRanking last = MeasureRanking.of(t.rows(), options());
        assertThat(row(last, "trace").tau()).isEqualTo(-1.0);
        Networks n = last.networks();
        assertThat(List.of(n.runs(), n.finished(), n.diverged(), n.other(), n.networks().size()))
                .containsExactly(5, 3, 1, 1, 3);
        assertThat(n.networks()).extracting(Networks.Network::step).containsOnly(20L);

        MeasureRanking at10 = MeasureRanking.of(t.rows(), RankOptions.builder().step(10L).resamples(50).build());
        assertThat(row(at10, "trace").tau()).isEqualTo(1.0);

        t.row("f3", "finished", 20, "lr", "3", "trace", "4", "gap_accuracy", "0.0");
        MeasureRanking missing = MeasureRanking.of(t.rows(), RankOptions.builder().step(10L).resamples(50).build());
        assertThat(missing.networks().missingStep()).isEqualTo(1);
        assertThat(row(missing, "trace").tau()).isEqualTo(1.0);
    }

    @Test
    void nonFiniteAndEmptyCellsLeaveTheNetworkOutOfThatMeasureOnly() {
        SweepTableFixture t = new SweepTableFixture();
        t.row("a", "finished", 1, "lr", "1", "trace", "1", "top_eigenvalue", "3", "gap_accuracy", "0.1");
        t.row("b", "finished", 1, "lr", "2", "trace", "2", "top_eigenvalue", "2", "gap_accuracy", "0.2");
        t.row("c", "finished", 1, "lr", "3", "trace", "NaN", "top_eigenvalue", "1", "gap_accuracy", "0.3");
        t.row("d", "finished", 1, "lr", "4", "trace", "", "top_eigenvalue", "0", "gap_accuracy", "0.4");
        MeasureRanking r = MeasureRanking.of(t.rows(), options());
        assertThat(row(r, "trace").networks()).isEqualTo(2);
        assertThat(row(r, "trace").reason()).contains("2 of 4 networks left out");
        assertThat(row(r, "top_eigenvalue").networks()).isEqualTo(4);
        assertThat(row(r, "top_eigenvalue").tau()).isEqualTo(-1.0);
        assertThat(r.notMeasured()).contains("pp_trace_mean", "input_margin_norm_median").doesNotContain("trace");
        // sorted by |tau|, both 1 here: table order breaks the tie
        assertThat(r.rows()).extracting(Row::measure).containsExactly("trace", "top_eigenvalue");
    }

    @Test
    void sortedByAbsoluteTauUndefinedLast() {
        SweepTableFixture t = new SweepTableFixture();
        double[][] v = {{1, 4, 2, 5, 0.1}, {2, 3, 2, 1, 0.2}, {3, 2, 2, 3, 0.3}, {4, 1, 2, 2, 0.4}};
        for (int i = 0; i < v.length; i++) {
            t.row("r" + i, "finished", 1, "lr", "" + i, "trace", "" + v[i][0], "output_margin_mean", "" + v[i][1],
                    "top_eigenvalue", "" + v[i][2], "spectral_norm_product", "" + v[i][3],
                    "gap_accuracy", "" + v[i][4]);
        }
        MeasureRanking r = MeasureRanking.of(t.rows(), options());
        // trace tau 1, output_margin_mean -1, spectral_norm_product (5,1,3,2): pairs C: (1,3)? by hand: orders
        // 5>1 D, 5>3 D, 5>2 D, 1<3 C, 1<2 C, 3>2 D: (2 - 4) / 6 = -1/3; top_eigenvalue constant: undefined.
        assertThat(r.rows()).extracting(Row::measure)
                .containsExactly("trace", "output_margin_mean", "spectral_norm_product", "top_eigenvalue");
        assertThat(row(r, "spectral_norm_product").tau()).isCloseTo(-1.0 / 3, within(1e-15));
        assertThat(row(r, "top_eigenvalue").reason()).contains("top_eigenvalue is constant");
    }

    @Test
    void userErrors() {
        assertThatThrownBy(() -> MeasureRanking.of(List.of(), options())).isInstanceOf(UserException.class)
                .hasMessageContaining("no rows");
        List<Map<String, String>> noStatus = new ArrayList<>();
        noStatus.add(Map.of("run_id", "a", "step", "1", "gap_accuracy", "0.1"));
        assertThatThrownBy(() -> MeasureRanking.of(noStatus, options())).isInstanceOf(UserException.class)
                .hasMessageContaining("no column 'status'");
        assertThatThrownBy(() -> RankOptions.builder().target("accuracy").build()).isInstanceOf(UserException.class)
                .hasMessageContaining("unknown target 'accuracy'");
        List<Map<String, String>> bad = new SweepTableFixture().row("a", "finished", 1, "trace", "x1",
                "gap_accuracy", "0.1").rows();
        assertThatThrownBy(() -> MeasureRanking.of(bad, options())).isInstanceOf(UserException.class)
                .hasMessageContaining("'x1' in column trace");
    }
}
