package org.flatminima.experiments.reproduce;

import java.util.Map;

/**
 * One experiment of the paper's reproduction: a function of its configuration (chosen by the scale) that
 * writes its results (CSV/JSON, PNG plots) into {@code outDir/<id>/} and returns its section of the report.
 */
public interface Experiment {

    /** The identifier, "E1".."E5". */
    String id();

    /** A one-line title. */
    String title();

    /** The title of the report's section at {@code scale} (what was run: scale, data, seeds); {@link #title()} by default. */
    default String title(Scale scale) {
        return title();
    }

    /** The configuration at {@code scale}, as written into the report and the marker (JSON-serialisable values). */
    Map<String, Object> config(Scale scale);

    /** Runs the experiment at {@code ctx.scale()}; writes its files under {@code ctx.dir(id())}. */
    Section run(ReproduceContext ctx) throws Exception;

    /**
     * What an experiment returns.
     *
     * @param markdown the report section's body (tables, plots as relative paths {@code <id>/<file>.png}),
     *     without the section heading
     * @param summary headline numbers (JSON-serialisable), also kept in the experiment's marker
     * @param plots the PNG files written, relative to the reproduction's output directory
     * @param heading the section's heading when it depends on the results (the scale, data sets, seeds and
     *     verdicts it found), else null: the report then heads the section with the experiment's {@link #title()}
     */
    record Section(String markdown, Map<String, Object> summary, java.util.List<String> plots, String heading) {
        /** A section headed by the experiment's title. */
        public Section(String markdown, Map<String, Object> summary, java.util.List<String> plots) {
            this(markdown, summary, plots, null);
        }
    }
}
