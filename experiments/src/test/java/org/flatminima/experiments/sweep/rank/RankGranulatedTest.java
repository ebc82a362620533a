package org.flatminima.experiments.sweep.rank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.experiments.sweep.rank.MeasureRanking.Row;
import org.hipparchus.stat.correlation.KendallsCorrelation;
import org.junit.jupiter.api.Test;

/**
 * The granulated Kendall coefficient (Jiang et al., ICLR 2020, Section 2.2) on a 2 lr x 2 batch size x 2 seeds table
 * worked out by hand, with both seed treatments, and against a direct computation (explicit loops over the grid,
 * Hipparchus' Kendall) on a larger, incomplete grid.
 */
class RankGranulatedTest {

    /**
     * The hand-made table: (lr, batch_size, seed) -> trace, gap_accuracy (gaps in sixteenths, exact in binary).
     * <pre>
     *  net  lr   bs   seed  trace  gap*16
     *  1    0.1  32   0     1      2
     *  2    0.5  32   0     2      4
     *  3    0.1  128  0     3      3
     *  4    0.5  128  0     4      1
     *  5    0.1  32   1     1.5    6
     *  6    0.5  32   1     1      5
     *  7    0.1  128  1     2      2
     *  8    0.5  128  1     2      4
     * </pre>
     */
    private static final double[][] NETS = {
            {0.1, 32, 0, 1, 2}, {0.5, 32, 0, 2, 4}, {0.1, 128, 0, 3, 3}, {0.5, 128, 0, 4, 1},
            {0.1, 32, 1, 1.5, 6}, {0.5, 32, 1, 1, 5}, {0.1, 128, 1, 2, 2}, {0.5, 128, 1, 2, 4}};

    private static List<Map<String, String>> handTable() {
        SweepTableFixture t = new SweepTableFixture();
        for (int i = 0; i < NETS.length; i++) {
            double[] n = NETS[i];
            t.row("n" + (i + 1), "finished", 50, "lr", Double.toString(n[0]), "batch_size", Integer.toString((int) n[1]),
                    "seed", Integer.toString((int) n[2]), "trace", Double.toString(n[3]),
                    "gap_accuracy", Double.toString(n[4] / 16));
        }
        return t.rows();
    }

    private static Granulated.Result granulated(List<Map<String, String>> rows, RankOptions.Seeds seeds) {
        MeasureRanking r = MeasureRanking.of(rows, RankOptions.builder().seeds(seeds).resamples(300).build());
        Row row = r.rows().stream().filter(x -> x.measure().equals("trace")).findFirst().orElseThrow();
        return row.granulated();
    }

    @Test
    void pairedSeedsByHand() {
        // Seeds paired: a group fixes the other hyperparameter and the seed; each group holds 2 networks, so its
        // tau is +1 (same order), -1 (opposite) or undefined (a tie).
        //   lr groups (bs, seed): (32,0) nets 1,2: trace 1<2, gap 2<4: +1; (128,0) 3,4: 3<4, 3>1: -1;
        //     (32,1) 5,6: 1.5>1, 6>5: +1; (128,1) 7,8: trace tied 2=2: undefined, left out.
        //     psi_lr = (1 - 1 + 1) / 3 = 1/3 over 3 defined of 4 groups.
        //   batch groups (lr, seed): (0.1,0) 1,3: 1<3, 2<3: +1; (0.5,0) 2,4: 2<4, 4>1: -1;
        //     (0.1,1) 5,7: 1.5<2, 6>2: -1; (0.5,1) 6,8: 1<2, 5>4: -1. psi_bs = -2/4 = -1/2.
        //   Psi = (1/3 - 1/2) / 2 = -1/12.
        Granulated.Result g = granulated(handTable(), RankOptions.Seeds.PAIRED);
        assertThat(g.axes()).extracting(Granulated.Axis::axis).containsExactly("lr", "batch_size");
        Granulated.Axis lr = g.axes().get(0);
        Granulated.Axis bs = g.axes().get(1);
        assertThat(lr.psi()).isCloseTo(1.0 / 3, within(1e-15));
        assertThat(List.of(lr.groups(), lr.defined())).containsExactly(4, 3);
        assertThat(bs.psi()).isCloseTo(-0.5, within(1e-15));
        assertThat(List.of(bs.groups(), bs.defined())).containsExactly(4, 4);
        assertThat(g.psi()).isCloseTo(-1.0 / 12, within(1e-15));
        // bootstrap over groups: psi_bs resamples {+1, -1, -1, -1}, so its interval lies in [-1, 1] around -1/2
        assertThat(bs.low()).isBetween(-1.0, -0.5);
        assertThat(bs.high()).isBetween(-0.5, 1.0);
        assertThat(g.low()).isLessThanOrEqualTo(g.psi());
        assertThat(g.high()).isGreaterThanOrEqualTo(g.psi());
    }

    @Test
    void meanOverSeedsByHand() {
        // Seeds averaged first (trace, gap*16):
        //   (0.1,32): (1.25, 4)  (0.5,32): (1.5, 4.5)  (0.1,128): (2.5, 2.5)  (0.5,128): (3, 2.5)
        //   lr: bs 32: 1.25<1.5, 4<4.5: +1; bs 128: gap tied 2.5=2.5: undefined. psi_lr = 1 (1 of 2 groups).
        //   batch: lr 0.1: 1.25<2.5, 4>2.5: -1; lr 0.5: 1.5<3, 4.5>2.5: -1. psi_bs = -1.
        //   Psi = (1 - 1) / 2 = 0.
        Granulated.Result g = granulated(handTable(), RankOptions.Seeds.MEAN);
        assertThat(g.axes().get(0).psi()).isEqualTo(1.0);
        assertThat(List.of(g.axes().get(0).groups(), g.axes().get(0).defined())).containsExactly(2, 1);
        assertThat(g.axes().get(1).psi()).isEqualTo(-1.0);
        assertThat(g.psi()).isEqualTo(0.0);
        // every resample of a single defined tau (+1) is +1, of two -1 is -1
        assertThat(List.of(g.axes().get(0).low(), g.axes().get(0).high())).containsExactly(1.0, 1.0);
        assertThat(List.of(g.axes().get(1).low(), g.axes().get(1).high())).containsExactly(-1.0, -1.0);
    }

    @Test
    void noVaryingHyperparameterGivesNaNWithAReason() {
        SweepTableFixture t = new SweepTableFixture();
        for (int s = 0; s < 4; s++) { // only seeds differ
            t.row("s" + s, "finished", 1, "seed", "" + s, "trace", "" + s, "gap_accuracy", "" + (0.1 * s));
        }
        MeasureRanking r = MeasureRanking.of(t.rows(), RankOptions.builder().resamples(50).build());
        assertThat(r.networks().varying()).isEmpty();
        Granulated.Result g = r.rows().get(0).granulated();
        assertThat(g.psi()).isNaN();
        assertThat(g.reason()).contains("no hyperparameter");
        assertThat(r.rows().get(0).tau()).isEqualTo(1.0);
    }

    @Test
    void agreesWithADirectComputationOnAnIncompleteGrid() {
        String[] lrs = {"0.01", "0.1", "1.0"};
        String[] bss = {"16", "64", "256"};
        String[] wds = {"0.0", "5e-4"};
        int seeds = 3;
        for (long draw = 0; draw < 4; draw++) {
            SplittableRandom rnd = new SplittableRandom(draw);
            SweepTableFixture t = new SweepTableFixture();
            List<double[]> kept = new ArrayList<>(); // lr index, bs index, wd index, seed, measure, gap
            int id = 0;
            for (int a = 0; a < lrs.length; a++) {
                for (int b = 0; b < bss.length; b++) {
                    for (int w = 0; w < wds.length; w++) {
                        for (int s = 0; s < seeds; s++) {
                            double m = rnd.nextInt(5);
                            double gap = Math.round((0.1 * m + 0.3 * rnd.nextDouble()) * 10) / 10.0;
                            boolean diverged = rnd.nextInt(8) == 0;
                            t.row(String.format("run%03d", id++), diverged ? "diverged" : "finished", 7, "lr", lrs[a],
                                    "batch_size", bss[b], "weight_decay", wds[w], "seed", "" + s,
                                    "top_eigenvalue", "" + m, "gap_accuracy", "" + gap);
                            if (!diverged) {
                                kept.add(new double[] {a, b, w, s, m, gap});
                            }
                        }
                    }
                }
            }
            MeasureRanking r = MeasureRanking.of(t.rows(), RankOptions.builder().resamples(20).build());
            Granulated.Result g = r.rows().get(0).granulated();
            // direct: for axis k among (lr, bs, wd), every value of the two others and every seed
            int[] sizes = {lrs.length, bss.length, wds.length};
            double psiSum = 0;
            for (int k = 0; k < 3; k++) {
                int o1 = (k + 1) % 3;
                int o2 = (k + 2) % 3;
                double sum = 0;
                int defined = 0;
                for (int v1 = 0; v1 < sizes[o1]; v1++) {
                    for (int v2 = 0; v2 < sizes[o2]; v2++) {
                        for (int s = 0; s < seeds; s++) {
                            List<double[]> group = new ArrayList<>();
                            for (double[] n : kept) {
                                if (n[o1] == v1 && n[o2] == v2 && n[3] == s) {
                                    group.add(n);
                                }
                            }
                            if (group.size() < 2) {
                                continue;
                            }
                            double tau = new KendallsCorrelation().correlation(
                                    group.stream().mapToDouble(n -> n[4]).toArray(),
                                    group.stream().mapToDouble(n -> n[5]).toArray());
                            if (!Double.isNaN(tau)) {
                                sum += tau;
                                defined++;
                            }
                        }
                    }
                }
                String axis = List.of("lr", "batch_size", "weight_decay").get(k);
                Granulated.Axis ax = g.axes().stream().filter(x -> x.axis().equals(axis)).findFirst().orElseThrow();
                assertThat(ax.defined()).as("draw %d axis %s", draw, axis).isEqualTo(defined);
                assertThat(ax.psi()).as("draw %d axis %s", draw, axis).isCloseTo(sum / defined, within(1e-12));
                psiSum += sum / defined;
            }
            assertThat(g.psi()).as("draw %d", draw).isCloseTo(psiSum / 3, within(1e-12));
        }
    }
}
