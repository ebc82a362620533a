package org.flatminima.experiments.reproduce;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.measures.Moments;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * E3's plots: margin histograms of the training points at the last checkpoint (the small batch against the
 * large one, overlaid, as the authors' figure; densities over shared equal-width bins, drawn as steps), and
 * measures against SGD steps (means across seeds at each checkpoint, log-scaled steps).
 */
final class E3Plots {
    private E3Plots() {
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** The plot files, in report order. */
    static final List<String> FILES = List.of("margin-histogram-authors.png", "normalised-margin-histogram-authors.png",
            "margin-histogram-current.png", "test-accuracy-vs-step.png", "trace-vs-step.png",
            "output-margin-vs-step.png", "normalised-margin-vs-step.png");

    /** Draws every plot into {@code dir}; returns their paths relative to the reproduction's directory. */
    static List<String> draw(E3Config c, E3BatchSize.Outcome o, Path dir) {
        long seed = o.seeds().get(0);
        List<E3Plan.Run> authors = o.runs().stream().filter(r -> r.regime().equals("authors")).toList();
        List<E3Plan.Run> current = o.runs().stream().filter(r -> r.regime().equals("current")).toList();
        histogram(o, seed, authors, false, c.histogramBins(), "E3, authors' regime: output margins (seed " + seed + ")", "output margin", dir.resolve(FILES.get(0)));
        histogram(o, seed, authors, true, c.histogramBins(), "E3, authors' regime: margin / spectral-norm product (seed "
                + seed + ")", "normalised margin", dir.resolve(FILES.get(1)));
        histogram(o, seed, current, false, c.histogramBins(), "E3, current regime: output margins (seed " + seed + ")", "output margin", dir.resolve(FILES.get(2)));
        curves(o, "E3: test accuracy (mean over seeds)", "test accuracy", E3Measure.Point::testAcc, false,
                dir.resolve(FILES.get(3)));
        curves(o, "E3: Hessian trace (mean over seeds)", "trace", E3Measure.Point::trace, true,
                dir.resolve(FILES.get(4)));
        curves(o, "E3: median output margin (mean over seeds)", "output margin", E3Measure.Point::outMedian, false,
                dir.resolve(FILES.get(5)));
        curves(o, "E3: median margin / spectral-norm product (seed mean)", "normalised margin",
                E3Measure.Point::normSpectralMedian, false, dir.resolve(FILES.get(6)));
        return FILES.stream().map(f -> "E3/" + f).toList();
    }

    /** The values to histogram for {@code run} at {@code seed}: raw or normalised margins, or null if diverged. */
    private static double[] values(E3BatchSize.Outcome o, long seed, E3Plan.Run r, boolean normalised) {
        E3Measure.Point p = o.last(seed, r.name());
        if (p.margins() == null) {
            return null;
        }
        return normalised ? org.flatminima.experiments.measures.ModelMargins.normalised(p.margins(), p.spectral())
                : p.margins().clone();
    }

    private static void histogram(E3BatchSize.Outcome o, long seed, List<E3Plan.Run> runs, boolean normalised,
                                  int bins, String title, String xLabel, Path file) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        List<double[]> all = new ArrayList<>();
        for (E3Plan.Run r : runs) {
            double[] v = values(o, seed, r, normalised);
            all.add(v);
            if (v != null) {
                for (double x : v) {
                    if (Double.isFinite(x)) {
                        lo = Math.min(lo, x);
                        hi = Math.max(hi, x);
                    }
                }
            }
        }
        XYChart chart = chart(title, xLabel, "density");
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        if (hi > lo) {
            double w = (hi - lo) / bins;
            for (int k = 0; k < runs.size(); k++) {
                double[] v = all.get(k);
                if (v == null) {
                    continue;
                }
                int[] counts = Moments.histogram(v, lo, hi, bins);
                double[] x = new double[2 * bins];
                double[] y = new double[2 * bins];
                for (int b = 0; b < bins; b++) {
                    x[2 * b] = lo + b * w;
                    x[2 * b + 1] = lo + (b + 1) * w;
                    y[2 * b] = counts[b] / (v.length * w);
                    y[2 * b + 1] = y[2 * b];
                }
                E3Plan.Run r = runs.get(k);
                String name = String.format(Locale.ROOT, "%s B=%d: g1 %s, m3(|m|) %s", r.id(), r.batchSize(),
                        Results.format(Moments.skewness(v), 3),
                        Results.format(o.last(seed, r.name()).authorsM3(), 3));
                XYSeries s = chart.addSeries(name, x, y);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineStyle(new BasicStroke(2f));
            }
        }
        save(chart, file);
    }

    private static void curves(E3BatchSize.Outcome o, String title, String yLabel,
                               ToDoubleFunction<E3Measure.Point> m, boolean logY, Path file) {
        XYChart chart = chart(title, "SGD steps", yLabel);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(logY);
        for (E3Plan.Run r : o.runs()) {
            List<E3Measure.Point> first = o.points().get(o.seeds().get(0)).get(r.name());
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (E3Measure.Point p : first) {
                double sum = 0;
                int cnt = 0;
                for (long seed : o.seeds()) {
                    for (E3Measure.Point q : o.points().get(seed).get(r.name())) {
                        if (q.step() == p.step()) {
                            sum += m.applyAsDouble(q);
                            cnt++;
                        }
                    }
                }
                double y = sum / cnt;
                if (p.step() > 0 && Double.isFinite(y) && (!logY || y > 0)) {
                    xs.add((double) p.step());
                    ys.add(y);
                }
            }
            if (xs.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(r.id() + " B=" + r.batchSize() + " lr " + Results.format(r.lr(), 3),
                    xs.stream().mapToDouble(Double::doubleValue).toArray(),
                    ys.stream().mapToDouble(Double::doubleValue).toArray());
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineStyle(new BasicStroke(2f));
        }
        save(chart, file);
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart chart = new XYChartBuilder().width(Plots.WIDTH).height(Plots.HEIGHT).title(title).xAxisTitle(x)
                .yAxisTitle(y).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(6);
        chart.getStyler().setXAxisDecimalPattern("#,##0.###");
        chart.getStyler().setYAxisDecimalPattern("#,##0.###");
        return chart;
    }

    private static void save(XYChart chart, Path file) {
        if (chart.getSeriesMap().isEmpty()) {
            chart.addSeries("(no plottable values)", new double[] {1}, new double[] {1});
        }
        try {
            AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
