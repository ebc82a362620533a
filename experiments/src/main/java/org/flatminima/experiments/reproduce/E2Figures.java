package org.flatminima.experiments.reproduce;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.ModelRun;
import org.flatminima.experiments.reproduce.E2FlatnessVsMargins.PointValues;
import org.flatminima.experiments.reproduce.E2Seeds.Across;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import static org.flatminima.experiments.reproduce.E2FlatnessVsMargins.CORRELATED;

/**
 * The paper's E2 figures redrawn for one data set (PNG, XChart panels composed into one image):
 * Pearson(per-point trace, measure) against the training step for correctly classified and misclassified points
 * (mean across seeds with a ± sd band), and the affine expression against the exact per-point trace at the last
 * checkpoint of the first seed. Each comes with a one-line description of the authors' corresponding figure.
 */
final class E2Figures {
    private E2Figures() {
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Width of one panel, pixels. */
    static final int PANEL_W = 560;
    /** Height of one panel, pixels. */
    static final int PANEL_H = 380;

    /** Line colours, one per measure (cycled). */
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
        new Color(148, 103, 189), new Color(255, 127, 14), new Color(140, 86, 75)};

    /** The authors' figure of the split correlations against step (their code; see docs/REPRODUCTION.md). */
    static final String AUTHORS_SPLIT = "The authors' corresponding figure: their `correlation.py` "
            + "(`get_pearson_corr_array`) computes, for every network and saved step, Pearson's r (scipy `linregress`) "
            + "between a per-point measure (in its example the linearised-loss trace on 1,000 training points) and the "
            + "per-point Hessian trace, separately for correctly and incorrectly classified points, with the training "
            + "accuracy, one value per network and step (no spread across seeds).";

    /** The authors' scatter figure (their code). */
    static final String AUTHORS_SCATTER = "The authors' corresponding figure: their `stats_plotting.py` "
            + "(`margin_trace_correct_incorrect_plot`) scatters a per-point quantity (x) against the per-point trace "
            + "(y), correct and incorrect points in two colours, optionally with a regression line fitted after "
            + "LocalOutlierFactor filtering and its r value in the legend.";

    /** The files written (relative to the reproduction's output directory) and their Markdown with descriptions. */
    record Drawn(List<String> files, String markdown) {
    }

    /**
     * Draws both figures of data set {@code data} into {@code root/data/} from its runs ({@code bySeed.get(k)}:
     * seed k's) and their correlations across seeds.
     */
    static Drawn draw(Path root, String data, List<List<ModelRun>> bySeed, List<Across> across) {
        String split = "fig-pearson-vs-step-correct-misclassified.png";
        String scatter = "fig-affine-expr-vs-trace.png";
        compose(splitPanels(bySeed, across), 2, root.resolve(data).resolve(split));
        compose(scatterPanels(bySeed.get(0)), bySeed.get(0).size(), root.resolve(data).resolve(scatter));
        String rel = "E2/" + data + "/";
        String md = String.format(Locale.ROOT, """
                ![Pearson vs step, correct and misclassified, %s](%s%s)

                *Pearson(per-point trace, measure) against the training step (log axis, step + 1), one row per model;
                left the correctly classified points, right the misclassified ones; the line is the mean over the
                %d %s, the shaded band ± one standard deviation (a point is missing where a group had fewer than %d
                points).* %s

                ![affine expression vs exact per-point trace, %s](%s%s)

                *The affine expression `(||h||^2+1)(1-||p||^2)` against the exact per-point trace at the last
                checkpoint, first seed, one panel per model (log-log; the line is y = x; the legend gives Pearson
                over each group, on all its points).* %s
                """, data, rel, split, bySeed.size(), bySeed.size() == 1 ? "seed" : "seeds",
                E2FlatnessVsMargins.MIN_GROUP, AUTHORS_SPLIT, data, rel, scatter, AUTHORS_SCATTER);
        return new Drawn(List.of(rel + split, rel + scatter), md);
    }

    /** Two panels per model (correct, misclassified): every measure's mean line and ± sd band. */
    static List<XYChart> splitPanels(List<List<ModelRun>> bySeed, List<Across> across) {
        List<XYChart> panels = new ArrayList<>();
        for (ModelRun r : bySeed.get(0)) {
            for (String group : List.of("correct", "incorrect")) {
                XYChart ch = chart(r.name() + ": " + (group.equals("correct") ? "correctly classified"
                        : "misclassified") + " points", "step + 1", "Pearson(trace, measure)");
                ch.getStyler().setXAxisLogarithmic(true);
                ch.getStyler().setYAxisMin(-1.0);
                ch.getStyler().setYAxisMax(1.0);
                int ci = 0;
                for (String meas : CORRELATED) {
                    Color col = COLORS[ci++ % COLORS.length];
                    List<double[]> pts = new ArrayList<>();
                    for (PointValues pv : r.values()) {
                        Across a = E2Seeds.find(across, r.name(), pv.step(), meas, group, "pearson");
                        if (a != null && a.n() > 0) {
                            pts.add(new double[] {pv.step() + 1, a.mean(), Double.isNaN(a.sd()) ? 0 : a.sd()});
                        }
                    }
                    if (pts.isEmpty()) {
                        continue;
                    }
                    int n = pts.size();
                    double[] x = new double[n];
                    double[] y = new double[n];
                    double[] bx = new double[2 * n];
                    double[] by = new double[2 * n];
                    for (int i = 0; i < n; i++) {
                        double[] p = pts.get(i);
                        x[i] = p[0];
                        y[i] = p[1];
                        bx[i] = p[0];
                        by[i] = Math.min(1, p[1] + p[2]);
                        bx[2 * n - 1 - i] = p[0];
                        by[2 * n - 1 - i] = Math.max(-1, p[1] - p[2]);
                    }
                    XYSeries band = ch.addSeries(meas + " ± sd", bx, by);
                    band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
                    band.setFillColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 60));
                    band.setLineColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 0));
                    band.setMarker(SeriesMarkers.NONE);
                    band.setShowInLegend(false);
                    XYSeries line = ch.addSeries(meas, x, y);
                    line.setLineColor(col);
                    line.setMarkerColor(col);
                    line.setMarker(SeriesMarkers.CIRCLE);
                    line.setLineStyle(new BasicStroke(2f));
                }
                empty(ch);
                panels.add(ch);
            }
        }
        return panels;
    }

    /**
     * One panel per model: the affine expression (y) against the exact per-point trace (x) at the last checkpoint
     * of {@code runs}, correct and misclassified points apart, with y = x; non-positive values cannot be drawn on
     * the log axes and are left out of the picture (not of the Pearson coefficients in the legend).
     */
    static List<XYChart> scatterPanels(List<ModelRun> runs) {
        List<XYChart> panels = new ArrayList<>();
        for (ModelRun r : runs) {
            List<PointValues> l = r.values();
            PointValues pv = l.get(l.size() - 1);
            XYChart ch = chart(String.format(Locale.ROOT, "%s, step %d (train acc %.2f)", r.name(), pv.step(),
                    pv.trainAcc()), "exact per-point trace", "(||h||^2+1)(1-||p||^2)");
            ch.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            ch.getStyler().setXAxisLogarithmic(true);
            ch.getStyler().setYAxisLogarithmic(true);
            ch.getStyler().setMarkerSize(4);
            double[] t = pv.trace();
            double[] a = pv.measures().get("affine_trace_expr");
            if (E2FlatnessVsMargins.allNaN(a)) { // not applicable: something follows the last Linear layer
                ch.addSeries("n/a: the last layer is not Linear", new double[] {1}, new double[] {1});
                panels.add(ch);
                continue;
            }
            double lo = Double.POSITIVE_INFINITY;
            double hi = 0;
            for (String group : List.of("correct", "incorrect")) {
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                List<double[]> drawn = new ArrayList<>();
                for (int i = 0; i < t.length; i++) {
                    boolean ok = pv.predicted()[i] == pv.labels()[i];
                    if (ok != group.equals("correct")) {
                        continue;
                    }
                    xs.add(t[i]);
                    ys.add(a[i]);
                    if (t[i] > 0 && a[i] > 0 && Double.isFinite(t[i]) && Double.isFinite(a[i])) {
                        drawn.add(new double[] {t[i], a[i]});
                        lo = Math.min(lo, Math.min(t[i], a[i]));
                        hi = Math.max(hi, Math.max(t[i], a[i]));
                    }
                }
                if (drawn.isEmpty()) {
                    continue;
                }
                String name = String.format(Locale.ROOT, "%s (%d), r = %s", group.equals("correct") ? "correct"
                        : "misclassified", xs.size(), r(xs, ys));
                XYSeries s = ch.addSeries(name, drawn.stream().mapToDouble(p -> p[0]).toArray(),
                        drawn.stream().mapToDouble(p -> p[1]).toArray());
                s.setMarker(SeriesMarkers.CIRCLE);
                s.setMarkerColor(group.equals("correct") ? COLORS[0] : COLORS[1]);
            }
            if (hi > 0) {
                XYSeries diag = ch.addSeries("y = x", new double[] {lo, hi}, new double[] {lo, hi});
                diag.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                diag.setMarker(SeriesMarkers.NONE);
                diag.setLineColor(Color.GRAY);
            }
            empty(ch);
            panels.add(ch);
        }
        return panels;
    }

    /** Pearson's r of two lists to 2 decimals, "n/a" when undefined (fewer than 2 points, a constant column). */
    private static String r(List<Double> x, List<Double> y) {
        try {
            double v = Correlation.pearson(x.stream().mapToDouble(Double::doubleValue).toArray(),
                    y.stream().mapToDouble(Double::doubleValue).toArray());
            return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "n/a";
        } catch (IllegalArgumentException e) {
            return "n/a";
        }
    }

    private static XYChart chart(String title, String xLabel, String yLabel) {
        XYChart ch = new XYChartBuilder().width(PANEL_W).height(PANEL_H).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        ch.getStyler().setChartBackgroundColor(Color.WHITE);
        ch.getStyler().setPlotBackgroundColor(Color.WHITE);
        ch.getStyler().setMarkerSize(6);
        if (title.length() > LONG_TITLE) { // a long model spec: a smaller title, so that it is not cut at the panel's edges
            ch.getStyler().setChartTitleFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 11));
        }
        return ch;
    }

    /** Titles longer than this many characters (a model spec such as mlp:784-256-256-256-256-10) are set smaller. */
    static final int LONG_TITLE = 40;

    /** A chart without series gets a note (XChart cannot draw an empty chart). */
    private static void empty(XYChart ch) {
        if (ch.getSeriesMap().isEmpty()) {
            ch.addSeries("(no group with enough points)", new double[] {1}, new double[] {0});
        }
    }

    /** Draws {@code panels} row by row, {@code columns} per row, into one PNG at {@code file} (atomically). */
    static void compose(List<XYChart> panels, int columns, Path file) {
        int rows = (panels.size() + columns - 1) / columns;
        BufferedImage img = new BufferedImage(columns * PANEL_W, Math.max(1, rows) * PANEL_H,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int i = 0; i < panels.size(); i++) {
            g.drawImage(BitmapEncoder.getBufferedImage(panels.get(i)), (i % columns) * PANEL_W,
                    (i / columns) * PANEL_H, null);
        }
        g.dispose();
        try {
            AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
