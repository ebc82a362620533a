package org.flatminima.experiments.reproduce;

import java.nio.file.Path;
import java.util.List;

/** E3's per-run CSV files (written atomically by {@link Results}). */
final class E3Files {
    private E3Files() {
    }

    /** The columns of {@code seed-<s>/run-<name>.csv}, one row per checkpoint. */
    static final String[] RUN_COLUMNS = {"epoch", "step", "lr", "train_acc", "test_acc", "gap", "trace",
        "top_eigenvalue", "output_margin_median", "output_margin_mean", "output_margin_q1", "output_margin_skewness",
        "output_margin_m3", "authors_margin_m3", "spectral_norm_product", "frobenius_norm_product",
        "normalised_margin_spectral_median", "normalised_margin_frobenius_median", "diverged_at_step"};

    /** Writes every checkpoint of a run. */
    static void writeRunCsv(Path file, List<E3Measure.Point> points) {
        Results t = new Results(RUN_COLUMNS);
        for (E3Measure.Point p : points) {
            t.row(p.epoch(), p.step(), p.lr(), p.trainAcc(), p.testAcc(), p.gap(), p.trace(), p.top(), p.outMedian(),
                    p.outMean(), p.outQ1(), p.outSkew(), p.outM3(), p.authorsM3(), p.spectral(), p.frobenius(),
                    p.normSpectralMedian(), p.normFrobeniusMedian(), p.divergedAt());
        }
        t.writeCsv(file);
    }

    /**
     * Writes the per-point margins of the last checkpoint {@code last}: the point's index and label, the output
     * margin, and the margin divided by the spectral-norm and the Frobenius-norm products.
     */
    static void writeMarginsCsv(Path file, int[] labels, E3Measure.Point last) {
        Results t = new Results("point", "label", "output_margin", "normalised_spectral", "normalised_frobenius");
        double[] m = last.margins();
        for (int i = 0; i < m.length; i++) {
            t.row(i, labels[i], m[i], m[i] / last.spectral(), m[i] / last.frobenius());
        }
        t.writeCsv(file);
    }
}
