package org.flatminima.experiments.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.experiments.train.TrainingData;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run's measures against independent computations; divergence; a directory holding another run. */
class SweepRunTest {

    @TempDir
    Path tmp;

    private static Dataset split(DataSets.Split s, int n) {
        return TrainingData.split(new DataSets(DataSets.Locations.fromEnvironment()), "embedded", s, DType.F64, n,
                "points");
    }

    /**
     * The affine model after 4 steps, measured on its first 3 training points: every column against a hand
     * computation from the saved weights. For {@code z = W x + b}, {@code p = softmax(z)}: the Hessian of a point's
     * loss is {@code (diag p - p p^T) (x) [x;1][x;1]^T}, of trace {@code (1 - |p|^2)(|x|^2 + 1)}; its range lies in
     * the span of {@code e_c (x) [x_n;1]}, so the top eigenvalue of the mean is that of the 30 x 30 matrix
     * {@code K G} (K the block-diagonal of {@code (diag p_n - p_n p_n^T) / N}, G the Gram matrix
     * {@code [x_n;1]^T[x_m;1]} times the identity on classes), found by power iteration; the input-space margin of
     * an affine model is {@code gamma / |w_y - w_j*|}; the spectral norm of W by power iteration on {@code W W^T}.
     */
    @Test
    void affineMeasuresEqualTheHandComputation() {
        RunConfig cfg = SweepRuns.tiny("affine:784-10", 0.01, 1, 3).build();
        List<SweepTable.Row> rows = SweepRun.execute(cfg, tmp.resolve("affine"));
        assertThat(rows).extracting(SweepTable.Row::step).containsExactly(0L, 2L, 4L);
        SweepTable.Row r = rows.getLast();
        assertThat(r.status()).isEqualTo("finished");
        assertThat(r.cell("trace_method")).isEqualTo("closed-form");
        assertThat(r.runId()).isEqualTo(cfg.id());
        assertThat(r.cell("arch")).isEqualTo("affine:784-10");
        assertThat(r.number("epoch")).isEqualTo(1.0);

        Network net = ModelSpec.parse("affine:784-10").network();
        Tensor theta = Weights.load(tmp.resolve("affine/model.safetensors"), net, DType.F64);
        List<ParameterLayout.Entry> e = net.layout().entries();
        double[] w = theta.slice(0, e.get(0).offset(), e.get(0).offset() + e.get(0).size()).toDoubleArray();
        double[] bias = theta.slice(0, e.get(1).offset(), e.get(1).offset() + e.get(1).size()).toDoubleArray();
        Dataset train = split(DataSets.Split.TRAIN, 200);
        Dataset test = split(DataSets.Split.TEST, 100);
        double[][] xs = rows(train);
        double[][] xt = rows(test);

        double[] trainEval = lossAndAccuracy(w, bias, xs, train.labels());
        double[] testEval = lossAndAccuracy(w, bias, xt, test.labels());
        assertThat(r.number("train_loss")).isCloseTo(trainEval[0], within(1e-12));
        assertThat(r.number("train_accuracy")).isEqualTo(trainEval[1]);
        assertThat(r.number("test_loss")).isCloseTo(testEval[0], within(1e-12));
        assertThat(r.number("test_accuracy")).isEqualTo(testEval[1]);
        assertThat(r.number("gap_accuracy")).isCloseTo(trainEval[1] - testEval[1], within(1e-15));
        assertThat(r.number("gap_loss")).isCloseTo(testEval[0] - trainEval[0], within(1e-12));

        int n = 3;
        double[] pp = new double[n];
        double[] out = new double[n];
        double[] soft = new double[n];
        double[] in = new double[n];
        double[] bound = new double[n];
        double[][] probs = new double[n][];
        for (int i = 0; i < n; i++) {
            double[] z = logits(w, bias, xs[i]);
            double[] p = softmax(z);
            probs[i] = p;
            int y = train.labels()[i];
            int j = -1;
            for (int c = 0; c < 10; c++) {
                if (c != y && (j < 0 || z[c] > z[j])) {
                    j = c;
                }
            }
            double x2 = 0;
            for (double v : xs[i]) {
                x2 += v * v;
            }
            double p2 = 0;
            for (double v : p) {
                p2 += v * v;
            }
            pp[i] = (1 - p2) * (x2 + 1);
            out[i] = z[y] - z[j];
            soft[i] = p[y] - p[j];
            bound[i] = 1 - soft[i] * soft[i];
            double d2 = 0;
            for (int k = 0; k < 784; k++) {
                double d = w[y * 784 + k] - w[j * 784 + k];
                d2 += d * d;
            }
            in[i] = out[i] / Math.sqrt(d2);
        }
        double trace = mean(pp);
        assertThat(r.number("trace")).isCloseTo(trace, within(1e-10 * trace));
        assertThat(r.number("affine_trace_expr_mean")).isCloseTo(trace, within(1e-10 * trace));
        assertThat(r.number("pp_trace_mean")).isCloseTo(trace, within(1e-10 * trace));
        double[] s = pp.clone();
        Arrays.sort(s);
        assertThat(r.number("pp_trace_median")).isCloseTo(s[1], within(1e-10 * s[1]));
        assertThat(r.number("pp_trace_q1")).isCloseTo((s[0] + s[1]) / 2, within(1e-10 * s[1]));
        assertThat(r.number("pp_trace_q3")).isCloseTo((s[1] + s[2]) / 2, within(1e-10 * s[1]));
        assertThat(r.number("one_minus_m2_mean")).isCloseTo(mean(bound), within(1e-12));
        assertThat(r.number("output_margin_mean")).isCloseTo(mean(out), within(1e-10));
        assertThat(r.number("output_margin_median")).isCloseTo(median3(out), within(1e-10));
        assertThat(r.number("softmax_margin_mean")).isCloseTo(mean(soft), within(1e-12));
        assertThat(r.number("softmax_margin_median")).isCloseTo(median3(soft), within(1e-12));
        assertThat(r.number("input_margin_mean")).isCloseTo(mean(in), within(1e-10));
        assertThat(r.number("input_margin_median")).isCloseTo(median3(in), within(1e-10));
        double sigma = spectralNorm(w, 10, 784);
        assertThat(r.number("spectral_norm_product")).isCloseTo(sigma, within(1e-8 * sigma));
        assertThat(r.number("output_margin_norm_median")).isCloseTo(median3(out) / sigma, within(1e-8));
        assertThat(r.number("input_margin_norm_median")).isCloseTo(median3(in) / sigma, within(1e-8));
        double top = topEigenvalue(xs, probs, n);
        assertThat(r.number("top_eigenvalue")).isCloseTo(top, within(1e-6 * top));
    }

    /**
     * The MLP's trace (exact-ggn) against the same trace by P exact Hessian-vector products (exact-hvp), at the
     * saved weights on the 3 measured points; its per-point statistics against exact-hvp's per-point traces.
     */
    @Test
    void mlpTraceEqualsExactHessianVectorProducts() {
        RunConfig cfg = SweepRuns.tiny("mlp:784-16-10", 0.05, 1, 3).measures(List.of("trace", "per_point_trace"))
                .build();
        SweepTable.Row r = SweepRun.execute(cfg, tmp.resolve("mlp")).getLast();
        assertThat(r.cell("trace_method")).isEqualTo("exact-ggn");
        assertThat(r.isEmpty("top_eigenvalue")).isTrue();
        assertThat(r.isEmpty("output_margin_mean")).isTrue();
        assertThat(r.isEmpty("affine_trace_expr_mean")).isTrue();
        Network net = ModelSpec.parse("mlp:784-16-10").network();
        Tensor theta = Weights.load(tmp.resolve("mlp/model.safetensors"), net, DType.F64);
        Dataset d = split(DataSets.Split.TRAIN, 3);
        var b = Curvature.of(net, theta, d.images(), d.labels()).breakdown(Curvature.Method.EXACT_HVP, true);
        assertThat(r.number("trace")).isCloseTo(b.total(), within(1e-9 * Math.abs(b.total())));
        double[] s = b.perPoint().clone();
        Arrays.sort(s);
        assertThat(r.number("pp_trace_median")).isCloseTo(s[1], within(1e-9 * Math.abs(s[1])));
        assertThat(r.number("pp_trace_mean")).isCloseTo(mean(s), within(1e-9 * Math.abs(mean(s))));
    }

    /** A smooth model (tanh) takes exact-hbp (Hessian backpropagation), and says so; it equals exact-hvp. */
    @Test
    void smoothModelTakesExactHbp() {
        String arch = "seq:1x28x28:flatten,linear(4),tanh,linear(10)";
        RunConfig cfg = SweepRuns.tiny(arch, 0.05, 1, 5).measures(List.of("trace")).build();
        SweepTable.Row r = SweepRun.execute(cfg, tmp.resolve("tanh")).getLast();
        assertThat(r.cell("trace_method")).isEqualTo("exact-hbp");
        Network net = ModelSpec.parse(arch).network();
        Tensor theta = Weights.load(tmp.resolve("tanh/model.safetensors"), net, DType.F64);
        Dataset d = split(DataSets.Split.TRAIN, 5);
        double exact = Curvature.of(net, theta, d.images(), d.labels()).trace(Curvature.Method.EXACT_HVP).value();
        assertThat(r.number("trace")).isCloseTo(exact, within(1e-10 * Math.abs(exact)));
    }

    /**
     * A learning rate of 1e200 makes the loss NaN or infinite within a few steps: the run is recorded as diverged
     * (done.json with the step), its rows are the checkpoints reached and one at the divergence step with empty
     * measures, no exception, no model; executing it again returns the same rows.
     */
    @Test
    void divergenceIsRecordedNotThrown() throws Exception {
        RunConfig base = SweepRuns.tiny("mlp:784-16-10", 1e200, 3, 3).build();
        RunConfig cfg = base.toBuilder().train(base.train().toBuilder().checkpointEvery(1).build()).build();
        Path dir = tmp.resolve("diverged");
        List<SweepTable.Row> rows = SweepRun.execute(cfg, dir);
        SweepRunDirectory.Done done = new SweepRunDirectory(dir).readDone();
        assertThat(done.status()).isEqualTo("diverged");
        assertThat(done.reason()).contains("at step " + done.step());
        assertThat(done.step()).isBetween(1L, 11L);
        assertThat(rows).isNotEmpty().allSatisfy(x -> assertThat(x.status()).isEqualTo("diverged"));
        List<Long> steps = new ArrayList<>();
        for (long s = 0; s < done.step(); s++) {
            steps.add(s);
        }
        steps.add(done.step());
        assertThat(rows).extracting(SweepTable.Row::step).containsExactlyElementsOf(steps);
        SweepTable.Row last = rows.getLast();
        assertThat(last.number("epoch")).isEqualTo(done.step() / 4.0);
        for (String c : SweepTable.CHECKPOINT_COLUMNS) {
            if (!c.equals("step") && !c.equals("epoch")) {
                assertThat(last.cell(c)).as(c).isEmpty();
            }
        }
        assertThat(rows.getFirst().isEmpty("trace")).isFalse();
        assertThat(Files.exists(dir.resolve("model.safetensors"))).isFalse();
        assertThat(SweepRun.execute(cfg, dir)).isEqualTo(rows);
    }

    /** A directory holding another run is refused, in one line naming both ids; a different thread count is not. */
    @Test
    void aDirectoryOfAnotherRunIsRefused() throws Exception {
        RunConfig a = SweepRuns.tiny("affine:784-10", 0.01, 1, 3).measures(List.of()).build();
        RunConfig b = a.toBuilder().train(a.train().toBuilder().lr(0.02).build()).build();
        Path dir = tmp.resolve("run");
        List<SweepTable.Row> rows = SweepRun.execute(a, dir);
        String config = Files.readString(dir.resolve("config.json"));
        assertThatThrownBy(() -> SweepRun.execute(b, dir)).isInstanceOf(UserException.class)
                .hasMessageContaining(a.id()).hasMessageContaining(b.id()).hasMessageNotContaining("\n");
        assertThat(Files.readString(dir.resolve("config.json"))).isEqualTo(config);
        assertThat(SweepRun.execute(a.toBuilder().threads(2).build(), dir)).isEqualTo(rows);
        assertThat(RunConfig.fromJson(config)).isEqualTo(a);
    }

    /** A data set that is not there is refused before anything is written. */
    @Test
    void aMissingDataSetWritesNothing() {
        RunConfig cfg = SweepRuns.tiny("affine:784-10", 0.01, 1, 3).dataset("nosuch").build();
        Path dir = tmp.resolve("none");
        assertThatThrownBy(() -> SweepRun.execute(cfg, dir)).isInstanceOf(UserException.class)
                .hasMessageContaining("nosuch");
        assertThat(Files.exists(dir)).isFalse();
    }

    // ---------------------------------------------------------------- the hand computations

    private static double[][] rows(Dataset d) {
        double[] all = d.images().toDoubleArray();
        double[][] r = new double[d.size()][];
        for (int i = 0; i < r.length; i++) {
            r[i] = Arrays.copyOfRange(all, i * 784, (i + 1) * 784);
        }
        return r;
    }

    private static double[] logits(double[] w, double[] b, double[] x) {
        double[] z = new double[10];
        for (int c = 0; c < 10; c++) {
            double s = b[c];
            for (int k = 0; k < 784; k++) {
                s += w[c * 784 + k] * x[k];
            }
            z[c] = s;
        }
        return z;
    }

    private static double[] softmax(double[] z) {
        double m = Arrays.stream(z).max().orElseThrow();
        double[] p = new double[z.length];
        double s = 0;
        for (int c = 0; c < z.length; c++) {
            p[c] = Math.exp(z[c] - m);
            s += p[c];
        }
        for (int c = 0; c < z.length; c++) {
            p[c] /= s;
        }
        return p;
    }

    /** Mean cross-entropy and accuracy of the affine model. */
    private static double[] lossAndAccuracy(double[] w, double[] b, double[][] x, int[] y) {
        double loss = 0;
        int ok = 0;
        for (int i = 0; i < x.length; i++) {
            double[] z = logits(w, b, x[i]);
            double m = Arrays.stream(z).max().orElseThrow();
            double s = 0;
            int arg = 0;
            for (int c = 0; c < 10; c++) {
                s += Math.exp(z[c] - m);
                arg = z[c] > z[arg] ? c : arg;
            }
            loss += m + Math.log(s) - z[y[i]];
            ok += arg == y[i] ? 1 : 0;
        }
        return new double[] {loss / x.length, ok / (double) x.length};
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).sum() / v.length;
    }

    private static double median3(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[1];
    }

    /** Largest singular value of W [rows, cols] by power iteration on W W^T. */
    private static double spectralNorm(double[] w, int rows, int cols) {
        double[][] g = new double[rows][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < rows; j++) {
                for (int k = 0; k < cols; k++) {
                    g[i][j] += w[i * cols + k] * w[j * cols + k];
                }
            }
        }
        return Math.sqrt(powerIteration(g));
    }

    /** Top eigenvalue of the affine model's Hessian of the mean loss on n points, in the 10n-dimensional span. */
    private static double topEigenvalue(double[][] x, double[][] p, int n) {
        double[][] gram = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                double s = 1;
                for (int k = 0; k < 784; k++) {
                    s += x[a][k] * x[b][k];
                }
                gram[a][b] = s;
            }
        }
        // H restricted to the span is similar to K G with K = blockdiag_n((diag p_n - p_n p_n^T) / n) and
        // G = gram (x) I_10; index (n, c) = n * 10 + c. K G = K^{1/2} (K^{1/2} G K^{1/2}) K^{-1/2}: the symmetric
        // form G^{1/2} K G^{1/2} has the same eigenvalues; power iteration on K G works as well (real, >= 0).
        int m = 10 * n;
        double[][] kg = new double[m][m];
        for (int a = 0; a < n; a++) {
            for (int c = 0; c < 10; c++) {
                for (int b = 0; b < n; b++) {
                    for (int d = 0; d < 10; d++) {
                        double k = ((c == d ? p[a][c] : 0) - p[a][c] * p[a][d]) / n;
                        kg[a * 10 + c][b * 10 + d] = k * gram[a][b];
                    }
                }
            }
        }
        return powerIteration(kg);
    }

    /** Dominant eigenvalue (real, non-negative spectrum) by power iteration to convergence. */
    private static double powerIteration(double[][] a) {
        int m = a.length;
        double[] v = new double[m];
        for (int i = 0; i < m; i++) {
            v[i] = 1 + 0.01 * i;
        }
        double lambda = 0;
        for (int it = 0; it < 200_000; it++) {
            double[] u = new double[m];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    u[i] += a[i][j] * v[j];
                }
            }
            double norm = Math.sqrt(Arrays.stream(u).map(t -> t * t).sum());
            double vn = Math.sqrt(Arrays.stream(v).map(t -> t * t).sum());
            double next = norm / vn;
            for (int i = 0; i < m; i++) {
                v[i] = u[i] / norm;
            }
            if (Math.abs(next - lambda) <= 1e-15 * next) {
                return next;
            }
            lambda = next;
        }
        return lambda;
    }
}
