package org.flatminima.experiments.reproduce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.ModelRun;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.PointValues;
import org.flatminima.experiments.reproduce.E2Seeds.Across;
import org.flatminima.experiments.reproduce.E2Seeds.Verdict;

import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.CORRELATED;

/**
 * E2's headline for one data set: at the last checkpoint, per model and measure, the Pearson coefficient over
 * all measured points as mean ± standard deviation across seeds, each seed's value with its bootstrap interval,
 * the verdict ({@link E2Seeds#verdict}), and the same mean ± sd for correctly classified and misclassified points.
 */
final class E2Headline {
    private E2Headline() {
    }

    /** The Markdown of the headline and its numbers for the summary. */
    record Table(String markdown, Map<String, Object> summary) {
    }

    /**
     * The headline of data set {@code data} from its runs ({@code bySeed.get(k)}: seed k's, models in the same
     * order) and their correlations across seeds; records each verdict in {@code verdicts}.
     */
    static Table of(String data, List<List<ModelRun>> bySeed, List<Across> across, E2Verdicts verdicts) {
        int seeds = bySeed.size();
        Results acc = new Results("model", "last step", "train acc. (mean ± sd)", "test acc. (mean ± sd)",
                "train acc. per seed", "test acc. per seed");
        Results t = new Results("model", "measure", "sign", "Pearson, mean ± sd over seeds",
                "each seed [bootstrap 95% over points]", "verdict", "correct: mean ± sd", "misclassified: mean ± sd");
        Map<String, Object> summary = new LinkedHashMap<>();
        for (int m = 0; m < bySeed.get(0).size(); m++) {
            String model = bySeed.get(0).get(m).name();
            double[] train = new double[seeds];
            double[] test = new double[seeds];
            long last = -1;
            for (int k = 0; k < seeds; k++) {
                List<PointValues> l = bySeed.get(k).get(m).values();
                PointValues pv = l.get(l.size() - 1);
                train[k] = pv.trainAcc();
                test[k] = pv.testAcc();
                last = pv.step();
            }
            acc.row(model, last, pm(train), pm(test), list(train), list(test));
            Map<String, Object> ms = new LinkedHashMap<>();
            ms.put("lastStep", last);
            ms.put("trainAccuracyMean", Across.mean(train));
            ms.put("testAccuracyMean", Across.mean(test));
            for (String meas : CORRELATED) {
                if (E2FlatnessVsMargins.notApplicable(bySeed.get(0).get(m).values(), meas)) {
                    String na = E2FlatnessVsMargins.NOT_APPLICABLE;
                    verdicts.notApplicable(model, meas);
                    t.row(model, E2Verdicts.measureName(meas), E2Seeds.expectedSign(meas) > 0 ? "+" : "−", na, na, na,
                            na, na);
                    ms.put("pearson_" + meas, Map.of("verdict", na));
                    continue;
                }
                Across all = E2Seeds.find(across, model, last, meas, "all", "pearson");
                Across ok = E2Seeds.find(across, model, last, meas, "correct", "pearson");
                Across bad = E2Seeds.find(across, model, last, meas, "incorrect", "pearson");
                Verdict v = E2Seeds.verdict(all);
                verdicts.put(data, model, meas, v);
                t.row(model, E2Verdicts.measureName(meas), E2Seeds.expectedSign(meas) > 0 ? "+" : "−",
                        E2Seeds.meanSd(all), E2Seeds.perSeed(all), v.word, E2Seeds.meanSd(ok), E2Seeds.meanSd(bad));
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("mean", all == null ? Double.NaN : all.mean());
                p.put("sd", all == null ? Double.NaN : all.sd());
                p.put("seeds", all == null ? List.of() : Arrays.stream(all.values()).boxed().toList());
                p.put("correctMean", ok == null ? Double.NaN : ok.mean());
                p.put("misclassifiedMean", bad == null ? Double.NaN : bad.mean());
                p.put("verdict", v.word);
                ms.put("pearson_" + meas, p);
            }
            summary.put(model, ms);
        }
        String md = String.format(Locale.ROOT, """
                Accuracy at the last checkpoint, over the %d %s (training accuracy over the measured points):

                %s
                Pearson(per-point trace, measure) over all measured points at the last checkpoint: mean ± sample
                standard deviation across seeds (the headline), then each seed's coefficient with its bootstrap
                interval across points, and mean ± sd over the correctly classified and the misclassified points
                ("–" where a group had fewer than %d points):

                %s""", seeds, seeds == 1 ? "seed" : "seeds", acc.markdown(3),
                E2FlatnessVsMargins.MIN_GROUP, t.markdown(3));
        return new Table(md, summary);
    }

    private static String pm(double[] v) {
        double sd = Across.sd(v);
        return Double.isNaN(sd) ? String.format(Locale.ROOT, "%.3f", Across.mean(v))
                : String.format(Locale.ROOT, "%.3f ± %.3f", Across.mean(v), sd);
    }

    private static String list(double[] v) {
        List<String> s = new ArrayList<>();
        for (double x : v) {
            s.add(String.format(Locale.ROOT, "%.3f", x));
        }
        return String.join(", ", s);
    }
}
