package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins;
import org.flatminima.experiments.reproduce.Reproduction;

/**
 * {@code e2-pearson-seeds}: E2's headline, Pearson(per-point trace, measure) at the last checkpoint, one row per data set
 * and model, from the summary in {@code E2/done.json} ({@code summary.<data>.acrossSeeds.<model>}: what E2's report
 * prints as its headline, for any number of seeds and the last step of any scale). Columns: data set, model, mean
 * training accuracy over the seeds (on the measured points), then for {@code 1-m^2}, the output margin, our affine
 * expression and the authors' (from the raw input) the coefficient as mean ± sample sd across seeds (3 decimals; the
 * mean alone for one seed), {@code 1-m^2} with the means over the correctly classified / misclassified points in
 * brackets.
 *
 * <p>A coefficient whose verdict is not "holds" carries it in brackets, "(weak)" or "(does not hold)". The verdict is
 * read, not recomputed: E2 decided it when it ran ({@code E2Seeds.verdict}, gathered by {@code E2Verdicts} and written
 * by {@code E2Headline} into the summary) from every seed's coefficient <em>and its bootstrap interval</em>, and the
 * intervals are only in the per-seed {@code correlations.csv} files, too large to commit (about 170 KB each per seed and
 * data set). Data sets named in the configuration but missing from the run ({@code summary.missingDataSets}) are left
 * out. Option {@code scale} (required, checked against {@code done.json}).
 */
final class E2PearsonSeedsTable extends ExperimentTable {
    /** The measures of the columns after the training accuracy, in order (E2's measure ids). */
    static final List<String> MEASURES = List.of("one_minus_m2", "output_margin", "affine_trace_expr",
            "affine_trace_expr_raw");
    /** The words E2 writes for its verdicts; only the first is unmarked. */
    static final List<String> VERDICTS = List.of("holds", "weak", "does not hold");

    E2PearsonSeedsTable() {
        super("e2-pearson-seeds", "E2: Pearson(trace, measure) at the last checkpoint, mean ± sd across seeds, "
                + "with the computed verdicts");
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        Map<String, Object> marker = ResultFiles.experimentMarker(source, "E2", options.get("scale"));
        Path file = source.resolve(Reproduction.MARKER);
        Map<String, Object> summary = ResultFiles.object(marker, "summary", file);
        List<String> missing = summary.get("missingDataSets") instanceof List<?>
                ? ResultFiles.strings(summary, "missingDataSets", file) : List.of();
        StringBuilder b = new StringBuilder("| data | model | train acc. | `1-m^2` | output margin | affine expr. (ours) "
                + "| affine expr. (authors', raw input) |\n|---|---|--:|---|---|---|---|\n");
        for (String data : ResultFiles.strings(ResultFiles.object(marker, "config", file), "data", file)) {
            if (!summary.containsKey(data) && missing.contains(data)) {
                continue;
            }
            Map<String, Object> models = ResultFiles.object(ResultFiles.object(summary, data, file), "acrossSeeds", file);
            for (Map.Entry<String, Object> model : models.entrySet()) {
                Map<String, Object> m = ResultFiles.object(models, model.getKey(), file);
                b.append("| ").append(Labels.dataSet(data)).append(" | ").append(Labels.e2Model(model.getKey()))
                        .append(" | ").append(NumberFormats.fixed(ResultFiles.jsonNumber(m, "trainAccuracyMean", file), 3));
                for (String measure : MEASURES) {
                    b.append(" | ").append(cell(m, measure, file));
                }
                b.append(" |\n");
            }
        }
        return b.toString();
    }

    /** One coefficient: mean ± sd, the group means for {@code 1-m^2}, and the verdict unless it holds. */
    private static String cell(Map<String, Object> model, String measure, Path file) {
        Map<String, Object> p = ResultFiles.object(model, "pearson_" + measure, file);
        if (E2FlatnessVsMargins.NOT_APPLICABLE.equals(p.get("verdict"))) {
            return E2FlatnessVsMargins.NOT_APPLICABLE; // our affine expression for a model not ending in Linear
        }
        String s = NumberFormats.meanSd(ResultFiles.jsonNumber(p, "mean", file), ResultFiles.jsonNumber(p, "sd", file), 3);
        if (measure.equals("one_minus_m2")) {
            s += " (" + NumberFormats.meanSd(ResultFiles.jsonNumber(p, "correctMean", file), Double.NaN, 3) + " / "
                    + NumberFormats.meanSd(ResultFiles.jsonNumber(p, "misclassifiedMean", file), Double.NaN, 3) + ")";
        }
        String verdict = ResultFiles.jsonString(p, "verdict", file);
        if (!VERDICTS.contains(verdict)) {
            throw new UserException(file + ": verdict '" + verdict + "' of pearson_" + measure + " is none of "
                    + VERDICTS + ": E2's verdict words changed, so update the renderer");
        }
        return verdict.equals(VERDICTS.get(0)) ? s : s + " (" + verdict + ")";
    }
}
