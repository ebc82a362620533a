package org.flatminima.experiments.sweep.rank;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.reproduce.Plots;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A scatter plot saved as PNG with XChart (the size of {@link Plots}, written atomically by {@link AtomicFiles}):
 * named series of points, one colour each. The x axis is logarithmic when every x is positive and they span at least
 * two decades; points that are not finite are left out.
 */
final class ScatterPlot {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();

    ScatterPlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Adds point (x, y) to series {@code name} (created on first use; series keep the order of first use). */
    ScatterPlot point(String name, double x, double y) {
        if (Double.isFinite(x) && Double.isFinite(y)) {
            series.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {x, y});
        }
        return this;
    }

    /** Whether the x axis is logarithmic: every x positive, max / min at least 100. */
    boolean logX() {
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (List<double[]> s : series.values()) {
            for (double[] p : s) {
                if (p[0] <= 0) {
                    return false;
                }
                min = Math.min(min, p[0]);
                max = Math.max(max, p[0]);
            }
        }
        return max > 0 && max / min >= 100;
    }

    /** Writes the plot to {@code file} (a .png path). */
    void save(Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(Plots.WIDTH).height(Plots.HEIGHT).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(8);
        chart.getStyler().setXAxisLogarithmic(logX());
        chart.getStyler().setLegendVisible(series.size() > 1);
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(p -> p[1]).toArray();
            chart.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        if (chart.getSeriesMap().isEmpty()) {
            chart.addSeries("(no plottable values)", new double[] {1}, new double[] {1});
        }
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
