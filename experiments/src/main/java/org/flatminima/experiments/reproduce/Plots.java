package org.flatminima.experiments.reproduce;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flatminima.experiments.data.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line plots saved as PNG with XChart (atomically, by {@link AtomicFiles}), headless (sets {@code java.awt.headless=true}). */
public final class Plots {
    private Plots() {
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Width of every plot, pixels. */
    public static final int WIDTH = 720;
    /** Height of every plot, pixels. */
    public static final int HEIGHT = 460;

    /** One plot: a title, axis labels, log axes, and named series (x, y) drawn as lines with
     * markers; points that cannot be drawn (not finite, or not positive on a log axis) are left out. */
    public static final class Line {
        private final String title;
        private final String xLabel;
        private final String yLabel;
        private boolean logX;
        private boolean logY;
        private final Map<String, double[][]> series = new LinkedHashMap<>();

        /** A plot titled {@code title} with the given axis labels. */
        public Line(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        /** Logarithmic axes (values must be positive). */
        public Line log(boolean x, boolean y) {
            this.logX = x;
            this.logY = y;
            return this;
        }

        /** Adds series {@code name}. */
        public Line series(String name, double[] x, double[] y) {
            if (x.length != y.length) {
                throw new IllegalArgumentException(x.length + " x values for " + y.length + " y values");
            }
            series.put(name, new double[][] {x.clone(), y.clone()});
            return this;
        }

        /** Writes the plot to {@code file} (a .png path) and returns it. */
        public Path save(Path file) {
            XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel)
                    .yAxisTitle(yLabel).build();
            chart.getStyler().setXAxisLogarithmic(logX);
            chart.getStyler().setYAxisLogarithmic(logY);
            chart.getStyler().setChartBackgroundColor(Color.WHITE);
            chart.getStyler().setPlotBackgroundColor(Color.WHITE);
            chart.getStyler().setLegendVisible(series.size() > 1);
            chart.getStyler().setMarkerSize(7);
            for (Map.Entry<String, double[][]> e : series.entrySet()) {
                double[][] xy = plottable(e.getValue()[0], e.getValue()[1]);
                if (xy[0].length == 0) {
                    continue;
                }
                XYSeries s = chart.addSeries(e.getKey(), xy[0], xy[1]);
                s.setMarker(SeriesMarkers.CIRCLE);
                s.setLineStyle(new BasicStroke(2f));
            }
            if (chart.getSeriesMap().isEmpty()) {
                chart.addSeries("(no plottable values)", new double[] {1}, new double[] {1});
            }
            try {
                AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return file;
        }

        /** The points that can be drawn: finite, and positive on a log axis. */
        private double[][] plottable(double[] x, double[] y) {
            int n = 0;
            double[] px = new double[x.length];
            double[] py = new double[y.length];
            for (int i = 0; i < x.length; i++) {
                boolean ok = Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!logX || x[i] > 0)
                        && (!logY || y[i] > 0);
                if (ok) {
                    px[n] = x[i];
                    py[n] = y[i];
                    n++;
                }
            }
            return new double[][] {java.util.Arrays.copyOf(px, n), java.util.Arrays.copyOf(py, n)};
        }
    }
}
