package org.flatminima.experiments.reproduce;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.PointValues;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.MEASURES;
import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.notApplicable;
import static org.flatminima.experiments.reproduce.E2Report.lookup;

/** E2's plots of one data set (PNG, through {@link Plots} and XChart). */
final class E2Plots {
    private E2Plots() {
    }

    /** The plots of data set {@code data}, written into {@code dir/data/}; returns their report-relative paths. */
    static List<String> plots(Path root, String data, Map<String, List<PointValues>> byModel, Results corr,
                               E2Config c) {
        List<String> files = new ArrayList<>();
        Path dir = root.resolve(data);
        String rel = "E2/" + data + "/";
        String dt = " (" + data + ")";
        // Pearson vs training accuracy: one line per model and measure
        Plots.Line pearson = new Plots.Line("E2: Pearson(trace, measure), measured training points" + dt,
                "training accuracy", "Pearson correlation");
        for (Map.Entry<String, List<PointValues>> e : byModel.entrySet()) {
            for (String meas : MEASURES) {
                List<PointValues> l = e.getValue();
                if (notApplicable(l, meas)) {
                    continue;
                }
                double[] x = new double[l.size()];
                double[] y = new double[l.size()];
                for (int i = 0; i < l.size(); i++) {
                    x[i] = l.get(i).trainAcc();
                    y[i] = lookup(corr, e.getKey(), l.get(i).step(), meas, "all", "pearson");
                }
                pearson.series(e.getKey() + ": " + meas, x, y);
            }
        }
        pearson.save(dir.resolve("pearson-vs-train-acc.png"));
        files.add(rel + "pearson-vs-train-acc.png");

        // scatter of trace vs affine expression at first / middle / last checkpoint of one model
        String authorsModel = c.label(c.authorsArch());
        String scatterModel = byModel.containsKey(authorsModel) && !notApplicable(byModel.get(authorsModel))
                ? authorsModel : byModel.entrySet().stream().filter(e -> !notApplicable(e.getValue()))
                .map(Map.Entry::getKey).findFirst().orElse(byModel.keySet().iterator().next());
        List<PointValues> l = byModel.get(scatterModel);
        XYChart chart = new XYChartBuilder().width(Plots.WIDTH).height(Plots.HEIGHT)
                .title("E2" + dt + ": " + scatterModel + ", per-point trace vs (||h||^2+1)(1-||p||^2)")
                .xAxisTitle("affine-trace expression").yAxisTitle("per-point Hessian trace").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(4);
        for (PointValues pv : List.of(l.get(0), l.get(l.size() / 2), l.get(l.size() - 1))) {
            double[] x = pv.measures().get("affine_trace_expr");
            double[] y = pv.trace();
            List<double[]> ok = new ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                if (x[i] > 0 && y[i] > 0 && Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                    ok.add(new double[] {x[i], y[i]});
                }
            }
            if (ok.isEmpty()) {
                continue;
            }
            double[] px = ok.stream().mapToDouble(a -> a[0]).toArray();
            double[] py = ok.stream().mapToDouble(a -> a[1]).toArray();
            String sname = String.format(Locale.ROOT, "step %d (train acc %.2f)", pv.step(), pv.trainAcc());
            if (chart.getSeriesMap().containsKey(sname)) {
                continue;
            }
            chart.addSeries(sname, px, py).setMarker(SeriesMarkers.CIRCLE);
        }
        if (chart.getSeriesMap().isEmpty()) {
            chart.addSeries("(no plottable values)", new double[] {1}, new double[] {1});
        }
        Path scatter = dir.resolve("scatter-trace-vs-affine-expr.png");
        try {
            Path tmp = scatter.resolveSibling(scatter.getFileName() + ".tmp.png");
            BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
            Files.move(tmp, scatter, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        files.add(rel + "scatter-trace-vs-affine-expr.png");

        // quantiles vs step (x: step + 1, log)
        Plots.Line tq = new Plots.Line("E2: per-point trace quantiles vs step" + dt, "step + 1", "per-point trace")
                .log(true, true);
        Plots.Line mq = new Plots.Line("E2: output margin quantiles vs step" + dt, "step + 1", "output margin")
                .log(true, false);
        for (Map.Entry<String, List<PointValues>> e : byModel.entrySet()) {
            List<PointValues> pl = e.getValue();
            double[] x = new double[pl.size()];
            double[][] t = new double[3][pl.size()];
            double[][] mm = new double[3][pl.size()];
            for (int i = 0; i < pl.size(); i++) {
                x[i] = pl.get(i).step() + 1;
                Summary st = Summary.of(pl.get(i).trace());
                Summary sm = Summary.of(pl.get(i).measures().get("output_margin"));
                t[0][i] = st.q1();
                t[1][i] = st.median();
                t[2][i] = st.q3();
                mm[0][i] = sm.q1();
                mm[1][i] = sm.median();
                mm[2][i] = sm.q3();
            }
            String[] q = {"q1", "median", "q3"};
            for (int k = 0; k < 3; k++) {
                tq.series(e.getKey() + " " + q[k], x, t[k]);
                mq.series(e.getKey() + " " + q[k], x, mm[k]);
            }
        }
        tq.save(dir.resolve("trace-quantiles-vs-step.png"));
        mq.save(dir.resolve("margin-quantiles-vs-step.png"));
        files.add(rel + "trace-quantiles-vs-step.png");
        files.add(rel + "margin-quantiles-vs-step.png");
        return files;
    }
}
