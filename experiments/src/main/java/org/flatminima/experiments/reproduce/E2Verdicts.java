package org.flatminima.experiments.reproduce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.reproduce.E2Seeds.Verdict;

/**
 * E2's verdicts on claim (2): per measure, data set and model, the {@link Verdict} of the Pearson coefficients of
 * every seed at the last checkpoint, and the words derived from them (the section's heading, a list in its
 * body). Nothing is written by hand: a measure "holds" on a data set only when it holds for every model and seed.
 */
final class E2Verdicts {
    /** measure -> data set -> model -> verdict, in the order they were put. */
    private final Map<String, Map<String, Map<String, Verdict>>> byMeasure = new LinkedHashMap<>();
    /** measure -> the models it does not apply to, in the order they were noted. */
    private final Map<String, java.util.Set<String>> notApplicable = new LinkedHashMap<>();

    /** Records the verdict of {@code measure} for {@code model} on {@code data}. */
    void put(String data, String model, String measure, Verdict v) {
        byMeasure.computeIfAbsent(measure, x -> new LinkedHashMap<>()).computeIfAbsent(data, x -> new LinkedHashMap<>())
                .put(model, v);
    }

    /**
     * Notes that {@code measure} does not apply to {@code model} (our affine expression on a model whose last layer
     * is not Linear): it gets no verdict, and {@link #markdown} says so.
     */
    void notApplicable(String model, String measure) {
        notApplicable.computeIfAbsent(measure, x -> new java.util.LinkedHashSet<>()).add(model);
    }

    /** The weakest verdict of {@code measure} on {@code data} over its models, or null when none was put. */
    Verdict worst(String measure, String data) {
        Map<String, Verdict> m = byMeasure.getOrDefault(measure, Map.of()).get(data);
        if (m == null || m.isEmpty()) {
            return null;
        }
        Verdict w = Verdict.HOLDS;
        for (Verdict v : m.values()) {
            w = v.ordinal() > w.ordinal() ? v : w;
        }
        return w;
    }

    /** measure -> data set -> model -> verdict word (for the summary). */
    Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        byMeasure.forEach((meas, byData) -> {
            Map<String, Object> d = new LinkedHashMap<>();
            byData.forEach((data, byModel) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                byModel.forEach((model, v) -> m.put(model, v.word));
                d.put(data, m);
            });
            s.put(meas, d);
        });
        return s;
    }

    /**
     * One phrase per measure, e.g. "`1-m^2` holds on MNIST subset and Fashion-MNIST" or "output margin weak on
     * MNIST subset, does not hold on Fashion-MNIST": the data sets grouped by the measure's weakest verdict there.
     */
    List<String> phrases() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Map<String, Verdict>>> e : byMeasure.entrySet()) {
            Map<Verdict, List<String>> groups = new LinkedHashMap<>();
            for (Verdict v : Verdict.values()) {
                for (String data : e.getValue().keySet()) {
                    if (worst(e.getKey(), data) == v) {
                        groups.computeIfAbsent(v, x -> new ArrayList<>()).add(shortTitle(data));
                    }
                }
            }
            List<String> parts = new ArrayList<>();
            groups.forEach((v, ds) -> parts.add(v.word + " on " + and(ds)));
            out.add(measureName(e.getKey()) + " " + String.join(", ", parts));
        }
        return out;
    }

    /**
     * The section's heading: scale, data sets, number of models and of seeds, and the verdicts at the last
     * checkpoint.
     */
    String heading(Scale scale, List<String> data, int models, int seeds) {
        return String.format(Locale.ROOT, "flatness vs margins during training, %s scale, %s, %d models, %d %s: at "
                        + "the last checkpoint %s", scale.label(), and(data.stream().map(E2Verdicts::shortTitle)
                        .toList()), models, seeds, seeds == 1 ? "seed" : "seeds", String.join("; ", phrases()));
    }

    /** The verdicts as a Markdown paragraph with their definition. */
    String markdown(int seeds) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, """
                **Verdicts at the last checkpoint, computed from the numbers below.** A measure *holds* for a model
                when for each of the %d %s the Pearson coefficient has the expected sign, is at least %.1f in
                absolute value, and its bootstrap 95%% interval lies on the expected side of 0; it is *weak* when
                the sign and the interval are right for every seed but some coefficient is under %.1f; otherwise it
                *does not hold*. On a data set a measure gets its weakest verdict over the models:

                """, seeds, seeds == 1 ? "seed" : "seeds", Verdict.STRONG, Verdict.STRONG));
        for (String p : phrases()) {
            b.append("- ").append(p).append('\n');
        }
        notApplicable.forEach((meas, models) -> b.append("- ").append(measureName(meas)).append(": n/a for ")
                .append(and(models.stream().map(m -> "`" + m + "`").toList()))
                .append(" (the last layer is not Linear), whose verdicts above leave it out\n"));
        return b.toString();
    }

    /** The report's name of a measure. */
    static String measureName(String measure) {
        return switch (measure) {
            case "one_minus_m2" -> "`1-m^2`";
            case "affine_trace_expr" -> "the affine expression";
            case "output_margin" -> "the output margin";
            case "input_margin" -> "the input margin";
            case E2Authors.RAW -> "the authors' affine expression (raw input)";
            default -> "`" + measure + "`";
        };
    }

    /** A data set's short name in headings. */
    static String shortTitle(String data) {
        return switch (data) {
            case DataSets.EMBEDDED -> "the MNIST subset";
            case DataSets.MNIST -> "MNIST";
            case DataSets.FASHION -> "Fashion-MNIST";
            default -> data;
        };
    }

    /** "a", "a and b", "a, b and c". */
    static String and(List<String> xs) {
        if (xs.size() <= 1) {
            return xs.isEmpty() ? "" : xs.get(0);
        }
        return String.join(", ", xs.subList(0, xs.size() - 1)) + " and " + xs.get(xs.size() - 1);
    }
}
