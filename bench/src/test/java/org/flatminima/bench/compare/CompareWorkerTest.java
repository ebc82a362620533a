package org.flatminima.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/** The comparison worker, driven in-process through a reader and a writer, as the driver drives it. */
class CompareWorkerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sends the request lines to {@code w} and returns its replies, one per request. */
    private static List<JsonNode> exchange(CompareWorker w, String... requests) throws IOException {
        StringWriter out = new StringWriter();
        w.serve(new BufferedReader(new StringReader(String.join("\n", requests) + "\n")), out);
        List<JsonNode> replies = new ArrayList<>();
        for (String line : out.toString().split("\n")) {
            replies.add(JSON.readTree(line));
        }
        return replies;
    }

    private static double check(JsonNode reply, String variant) {
        assertThat(reply.path("ok").asBoolean()).as(reply.toString()).isTrue();
        for (JsonNode r : reply.path("results")) {
            if (r.path("variant").asText().equals(variant)) {
                assertThat(r.has("error")).as(r.toString()).isFalse();
                return r.path("check").asDouble();
            }
        }
        throw new AssertionError("no variant " + variant + " in " + reply);
    }

    /** Hutchinson-10 batched and looped agree with each other and with ten Autodiff.hvp calls made here. */
    @Test
    void hutchinsonVariantsAgreeWithSeparateHvps() throws IOException {
        for (String workload : List.of("W1", "M4")) {
            CompareWorker w = new CompareWorker(1);
            List<JsonNode> r = exchange(w, "{\"cmd\":\"time\",\"workload\":\"" + workload
                    + "\",\"op\":\"hvp10\",\"dtype\":\"f64\",\"batch\":12,\"warmup\":0,\"reps\":2}");
            JsonNode reply = r.get(0);
            for (JsonNode v : reply.path("results")) {
                assertThat(v.path("times_ms").size()).isEqualTo(2);
                // the JIT compilers' milliseconds during the timed calls: within all they have spent so far
                assertThat(v.path("jit_ms").isIntegralNumber()).isTrue();
                assertThat(v.path("jit_ms").asLong()).isBetween(0L,
                        ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
            }
            double batched = check(reply, "batched");
            double loop = check(reply, "loop");

            CompareWorker.Setup s = w.setup(workload, DType.F64, 12);
            double sum = 0;
            try (Scope sc = Scope.open()) {
                Tensor probes = s.probes().value();
                for (int k = 0; k < CompareWorker.HUTCHINSON_PROBES; k++) {
                    double[] v = probes.select(0, k).toDoubleArray();
                    for (double e : v) {
                        assertThat(Math.abs(e)).isEqualTo(1.0); // Rademacher
                    }
                    Var vk = Var.of(Tensor.of(DType.F64, v, v.length));
                    double[] hv = Autodiff.hvp(s.loss(), s.theta(), vk).value().toDoubleArray();
                    for (int i = 0; i < v.length; i++) {
                        sum += v[i] * hv[i];
                    }
                }
            }
            double expected = sum / CompareWorker.HUTCHINSON_PROBES;
            assertThat(expected).isNotZero();
            assertThat(batched).as(workload + " batched").isCloseTo(expected, within(1e-10 * Math.abs(expected)));
            assertThat(loop).as(workload + " loop").isCloseTo(expected, within(1e-10 * Math.abs(expected)));
        }
    }

    /**
     * perpoint on the affine W1 (shared instance) equals the closed form (||x||^2 + 1)(1 - ||p||^2), computed here
     * per point; the reply carries every point's trace.
     */
    @Test
    void perPointExactOnAffineModelEqualsClosedForm() throws IOException {
        CompareWorker w = new CompareWorker(1);
        int points = 7;
        JsonNode reply = exchange(w, "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"perpoint\",\"dtype\":\"f64\","
                + "\"points\":" + points + ",\"warmup\":0,\"reps\":1}").get(0);
        double mean = check(reply, "exact");
        JsonNode replied = reply.path("results").get(0).path("traces");

        CompareWorker.Instance s = w.instance("W1", DType.F64, points);
        Map<String, Tensor> sd = s.net().stateDict(s.theta().value());
        double[] wt = sd.get("0.weight").contiguous().toDoubleArray(); // [10, 784]
        double[] b = sd.get("0.bias").contiguous().toDoubleArray();
        double[] x = s.x().contiguous().toDoubleArray();                // [points, 784]
        double[] closed = new double[points];
        for (int n = 0; n < points; n++) {
            double[] z = new double[10];
            double max = Double.NEGATIVE_INFINITY;
            double xx = 0;
            for (int j = 0; j < 784; j++) {
                xx += x[n * 784 + j] * x[n * 784 + j];
            }
            for (int c = 0; c < 10; c++) {
                z[c] = b[c];
                for (int j = 0; j < 784; j++) {
                    z[c] += wt[c * 784 + j] * x[n * 784 + j];
                }
                max = Math.max(max, z[c]);
            }
            double norm = 0;
            for (int c = 0; c < 10; c++) {
                z[c] = Math.exp(z[c] - max);
                norm += z[c];
            }
            double pp = 0;
            for (int c = 0; c < 10; c++) {
                pp += (z[c] / norm) * (z[c] / norm);
            }
            closed[n] = (xx + 1) * (1 - pp);
        }
        double[] traces = CompareWorker.perPointTraces(s.net(), s.theta(), s.x(), s.labels(), points,
                Curvature.Method.EXACT_GGN);
        assertThat(traces).hasSize(points);
        assertThat(replied.size()).isEqualTo(points);
        double sum = 0;
        for (int n = 0; n < points; n++) {
            assertThat(traces[n]).as("point " + n).isCloseTo(closed[n], within(1e-10 * closed[n]));
            assertThat(replied.get(n).asDouble()).as("replied point " + n).isCloseTo(closed[n], within(1e-10 * closed[n]));
            sum += closed[n];
        }
        assertThat(mean).isCloseTo(sum / points, within(1e-10 * sum / points));
    }

    /** Every malformed request gets {"ok":false,"error":...}; the worker keeps answering. */
    @Test
    void malformedRequestsAreAnsweredNotFatal() throws IOException {
        CompareWorker w = new CompareWorker(1);
        String[] bad = {
            "garbage", "[1, 2]", "{}", "{\"cmd\":42}", "{\"cmd\":\"nope\"}", "{\"cmd\":\"time\"}",
            "{\"cmd\":\"time\",\"workload\":\"W9\",\"op\":\"grad\"}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"nope\",\"batch\":4}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"grad\",\"dtype\":\"f16\",\"batch\":4}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"grad\",\"batch\":4,\"reps\":\"x\"}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"grad\",\"batch\":4,\"reps\":0}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"grad\",\"batch\":-3}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"gemm\"}",
            "{\"cmd\":\"time\",\"workload\":\"GEMM\",\"op\":\"grad\"}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"perpoint\",\"batch\":4,\"points\":0}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"train\",\"batch\":4}",
            "{\"cmd\":\"time\",\"workload\":\"M4\",\"op\":\"train\",\"batch\":4,\"steps\":0}",
            "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"perpoint\",\"batch\":4,\"points\":2,\"method\":\"x\"}",
        };
        String[] all = new String[bad.length + 2];
        System.arraycopy(bad, 0, all, 0, bad.length);
        all[bad.length] = "{\"cmd\":\"time\",\"workload\":\"W1\",\"op\":\"grad\",\"batch\":4,\"variant\":\"x\"}";
        all[bad.length + 1] = "{\"cmd\":\"info\"}";
        List<JsonNode> r = exchange(w, all);
        assertThat(r).hasSize(all.length);
        for (int i = 0; i < bad.length; i++) {
            assertThat(r.get(i).path("ok").asBoolean(true)).as(bad[i] + " -> " + r.get(i)).isFalse();
            assertThat(r.get(i).path("error").asText()).as(bad[i]).isNotBlank().doesNotContain("\n");
        }
        JsonNode unknownVariant = r.get(bad.length);
        assertThat(unknownVariant.path("ok").asBoolean()).isTrue();
        assertThat(unknownVariant.path("results").get(0).path("error").asText()).contains("no variant 'x'");
        JsonNode info = r.get(bad.length + 1);
        assertThat(info.path("ok").asBoolean()).isTrue();
        assertThat(info.path("impl").asText()).isEqualTo("flatminima");
        assertThat(info.path("threads").asInt()).isEqualTo(1);
    }

    /** gemm: each backend's C[0][0] equals the dot product of A's first row and B's first column, here. */
    @Test
    void gemmChecksMatchADotProduct() throws IOException {
        CompareWorker w = new CompareWorker(1);
        int n = 48;
        JsonNode reply = exchange(w, "{\"cmd\":\"time\",\"workload\":\"GEMM\",\"op\":\"gemm\",\"dtype\":\"f64\","
                + "\"n\":" + n + ",\"warmup\":1,\"reps\":3}").get(0);
        // the operands as CompareWorker fills them: GemmProbe.fillUniform, seeds 1 and 2, uniform in [-1, 1)
        SplittableRandom ra = new SplittableRandom(1);
        SplittableRandom rb = new SplittableRandom(2);
        double[] a = new double[n * n];
        double[] b = new double[n * n];
        for (int i = 0; i < n * n; i++) {
            a[i] = ra.nextDouble(-1.0, 1.0);
            b[i] = rb.nextDouble(-1.0, 1.0);
        }
        double c00 = 0;
        for (int p = 0; p < n; p++) {
            c00 += a[p] * b[p * n];
        }
        for (JsonNode v : reply.path("results")) {
            if (v.has("error")) {
                continue; // a backend that cannot run here reports why; the driver shows that
            }
            assertThat(v.path("times_ms").size()).isEqualTo(3);
            assertThat(v.path("check").asDouble()).as(v.path("variant").asText()).isCloseTo(c00, within(1e-12));
        }
        assertThat(check(reply, "native")).isCloseTo(c00, within(1e-12));
    }

    /** rss reports the process's peak and current resident set in KiB, peak >= current. */
    @Test
    void rssReportsProcStatus() throws IOException {
        JsonNode r = exchange(new CompareWorker(1), "{\"cmd\":\"rss\"}", "{\"cmd\":\"quit\"}",
                "{\"cmd\":\"info\"}").get(0);
        assertThat(r.path("ok").asBoolean()).isTrue();
        assertThat(r.path("rss_kb").asLong()).isPositive();
        assertThat(r.path("peak_rss_kb").asLong()).isGreaterThanOrEqualTo(r.path("rss_kb").asLong());
    }

    /** The grad check is the gradient's norm, the hvp check {@code <v, Hv>}: both against direct calls here. */
    @Test
    void gradAndHvpChecks() throws IOException {
        CompareWorker w = new CompareWorker(1);
        List<JsonNode> r = exchange(w,
                "{\"cmd\":\"time\",\"workload\":\"M4\",\"op\":\"grad\",\"dtype\":\"f64\",\"batch\":5,\"reps\":1}",
                "{\"cmd\":\"time\",\"workload\":\"M4\",\"op\":\"hvp\",\"dtype\":\"f64\",\"batch\":5,\"reps\":1}",
                "{\"cmd\":\"time\",\"workload\":\"M4\",\"op\":\"forward\",\"dtype\":\"f64\",\"batch\":5,\"reps\":1}");
        CompareWorker.Setup s = w.setup("M4", DType.F64, 5);
        double[] g = Autodiff.grad(s.loss(), s.theta()).value().toDoubleArray();
        double gg = 0;
        for (double e : g) {
            gg += e * e;
        }
        double[] v = s.direction().value().toDoubleArray();
        double[] hv = Autodiff.hvp(s.loss(), s.theta(), s.direction()).value().toDoubleArray();
        double vhv = 0;
        for (int i = 0; i < v.length; i++) {
            vhv += v[i] * hv[i];
        }
        assertThat(check(r.get(0), "flatminima")).isCloseTo(Math.sqrt(gg), within(1e-10 * Math.sqrt(gg)));
        assertThat(check(r.get(1), "flatminima")).isCloseTo(vhv, within(1e-10 * Math.abs(vhv)));
        double loss = s.loss().apply(s.theta()).value().item();
        assertThat(check(r.get(2), "flatminima")).isCloseTo(loss, within(1e-12));
    }
}
