package org.flatminima.experiments.measures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LOF against scikit-learn 1.2.1's {@code LocalOutlierFactor(n_neighbors=k, contamination=0.2).fit_predict} on the
 * committed fixture ({@code src/test/resources/lof/}, made by {@code make_lof_fixture.py}): a Gaussian blob with
 * far points, exact duplicates (one point repeated more than k times), skewed (trace, measure)-like pairs, and a
 * set smaller than k; k = 10 (the authors') and 20 (sklearn's default).
 */
class LocalOutlierFactorTest {

    /** One data set and k of the fixture: points, sklearn's scores and labels. */
    private record Case(List<double[]> xy, List<Double> score, List<Integer> label) {
    }

    private static Map<String, Case> fixture() throws IOException {
        Map<String, Case> cases = new LinkedHashMap<>();
        try (var in = LocalOutlierFactorTest.class.getResourceAsStream("/lof/lof_fixture.csv");
             var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#") || line.startsWith("data,")) {
                    continue;
                }
                String[] f = line.split(",");
                Case c = cases.computeIfAbsent(f[0] + "," + f[1],
                        key -> new Case(new ArrayList<>(), new ArrayList<>(), new ArrayList<>()));
                assertThat(Integer.parseInt(f[3])).isEqualTo(c.xy().size());
                c.xy().add(new double[] {Double.parseDouble(f[4]), Double.parseDouble(f[5])});
                c.score().add(Double.parseDouble(f[6]));
                c.label().add(Integer.parseInt(f[7]));
            }
        }
        return cases;
    }

    @Test
    void matchesScikitLearnScoresAndLabels() throws IOException {
        Map<String, Case> cases = fixture();
        assertThat(cases).hasSize(8);
        for (var e : cases.entrySet()) {
            Case c = e.getValue();
            int n = c.xy().size();
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = c.xy().get(i)[0];
                y[i] = c.xy().get(i)[1];
            }
            int k = Integer.parseInt(e.getKey().split(",")[1]);
            LocalOutlierFactor.Result r = LocalOutlierFactor.fit(x, y, k, 0.2);
            assertThat(r.neighbors()).isEqualTo(Math.min(k, n - 1));
            int flagged = 0;
            for (int i = 0; i < n; i++) {
                double want = c.score().get(i);
                assertThat(r.negativeOutlierFactor()[i]).as("%s point %d", e.getKey(), i)
                        .isCloseTo(want, within(1e-10 * Math.max(1, Math.abs(want))));
                assertThat(r.inlier()[i] ? 1 : -1).as("%s point %d label", e.getKey(), i).isEqualTo(c.label().get(i));
                flagged += r.inlier()[i] ? 0 : 1;
            }
            System.out.printf("LOF %s: n %d, flagged %d, offset %.6f%n", e.getKey(), n, flagged, r.offset());
        }
    }

    @Test
    void theAuthorsFilterKeepsSmallSetsAndUsesTheirSettings() throws IOException {
        // fewer than 5 points: all kept, as get_outlier_filter does
        assertThat(LocalOutlierFactor.authorsFilter(new double[] {0, 1, 2, 50}, new double[] {0, 1, 2, 50}))
                .containsExactly(true, true, true, true);
        // non-finite values: all kept (their try/except)
        assertThat(LocalOutlierFactor.authorsFilter(new double[] {0, 1, 2, 3, Double.NaN},
                new double[] {0, 1, 2, 3, 4})).containsOnly(true);
        // otherwise LOF with k = 10 and contamination 0.2: the fixture's k = 10 labels
        Case c = fixture().get("blob,10");
        int n = c.xy().size();
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = c.xy().get(i)[0];
            y[i] = c.xy().get(i)[1];
        }
        boolean[] keep = LocalOutlierFactor.authorsFilter(x, y);
        for (int i = 0; i < n; i++) {
            assertThat(keep[i]).isEqualTo(c.label().get(i) == 1);
        }
        assertThat(LocalOutlierFactor.keep(new double[] {1, 2, 3}, new boolean[] {true, false, true}))
                .containsExactly(1, 3);
    }

    @Test
    void percentileIsNumpysLinear() {
        // numpy.percentile([4, 1, 3, 2, 10], 20) = 1.8 (virtual index 0.8 between 1 and 2)
        assertThat(LocalOutlierFactor.percentile(new double[] {4, 1, 3, 2, 10}, 20)).isCloseTo(1.8, within(1e-15));
        // numpy.percentile([4, 1, 3, 2, 10], 90) = 7.6 (virtual index 3.6 between 4 and 10)
        assertThat(LocalOutlierFactor.percentile(new double[] {4, 1, 3, 2, 10}, 90)).isCloseTo(7.6, within(1e-14));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> LocalOutlierFactor.fit(new double[] {1, 2}, new double[] {1}, 1, 0.2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalOutlierFactor.fit(new double[] {1, 2}, new double[] {1, 2}, 1, 0.7))
                .hasMessageContaining("contamination");
    }
}
