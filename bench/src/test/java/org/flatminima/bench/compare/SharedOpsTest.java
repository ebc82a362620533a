package org.flatminima.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/** The shared instance, op train, the CNN's per-point traces and mem_reset, each against a computation made here. */
class SharedOpsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode ask(CompareWorker w, String request) throws IOException {
        StringWriter out = new StringWriter();
        w.serve(new BufferedReader(new StringReader(request + "\n")), out);
        JsonNode r = JSON.readTree(out.toString().trim());
        assertThat(r.path("ok").asBoolean()).as(r.toString()).isTrue();
        return r;
    }

    private static JsonNode result(JsonNode reply) {
        JsonNode r = reply.path("results").get(0);
        assertThat(r.has("error")).as(r.toString()).isFalse();
        return r;
    }

    /** SplitMix64 written out here, and the values torch_worker.py's self-test asserts for its numpy version. */
    @Test
    void generatorIsSplitMix64AsThePeerHasIt() {
        double[] u = SharedInstance.uniform(1701, 5);
        assertThat(u).containsExactly(0.9584652637826985, 0.513881054120751, 0.5439530890175969,
                0.5163534979916017, 0.3851133299237963);
        long z = 1701 + 3 * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        assertThat(u[2]).isEqualTo((z >>> 11) * 0x1.0p-53);
        int[] y = SharedInstance.labels(4);
        double[] v = SharedInstance.uniform(SharedInstance.LABEL_SEED, 4);
        for (int i = 0; i < 4; i++) {
            assertThat(y[i]).isEqualTo((int) (10 * v[i]));
        }
    }

    /** Each parameter is (2u - 1)/sqrt(fan-in of its layer's weight), u from one stream in state_dict order. */
    @Test
    void parametersHavePyTorchsBoundPerLayer() {
        Network net = Workloads.network("W3");
        Map<String, Tensor> sd = net.stateDict(SharedInstance.parameters(net, DType.F64));
        double[] u = SharedInstance.uniform(SharedInstance.WEIGHT_SEED, net.parameterCount());
        // 0.weight [32,1,3,3] at 0, 0.bias [32] at 288, 3.weight [64,32,3,3] at 320, ..., 9.bias [10] last
        // (2u - 1) times the bound, in that order, as both sides compute it
        assertThat(sd.get("0.weight").contiguous().toDoubleArray()[0]).isEqualTo((2 * u[0] - 1) * (1 / 3.0));
        assertThat(sd.get("0.bias").contiguous().toDoubleArray()[0]).isEqualTo((2 * u[288] - 1) * (1 / 3.0));
        assertThat(sd.get("3.weight").contiguous().toDoubleArray()[0])
                .isEqualTo((2 * u[320] - 1) * (1 / Math.sqrt(288)));
        double[] b9 = sd.get("9.bias").contiguous().toDoubleArray();
        assertThat(b9[9]).isEqualTo((2 * u[u.length - 1] - 1) * (1 / Math.sqrt(128)));
    }

    /** W3 and M4 built from E2's architecture strings have the comparison models' parameters, name for name. */
    @Test
    void trainingSpecsAreTheWorkloadModels() {
        for (String w : new String[] {"W3", "M4"}) {
            Network spec = ModelSpec.parse(Training.spec(w)).network();
            assertThat(spec.layout().entries().toString()).isEqualTo(Workloads.network(w).layout().entries().toString());
        }
    }

    /**
     * One train unit equals SGD with momentum 0.9 written out here (b = g, then b = 0.9 b + g; theta -= 0.05 b)
     * from the shared weights on the shared batch; a second unit starts again from the same state.
     */
    @Test
    void trainUnitEqualsAHandWrittenMomentumLoop() throws IOException {
        for (String workload : new String[] {"M4", "W3"}) {
            int batch = 3;
            int steps = 3;
            CompareWorker w = new CompareWorker(1);
            JsonNode r = result(ask(w, "{\"cmd\":\"time\",\"workload\":\"" + workload + "\",\"op\":\"train\","
                    + "\"dtype\":\"f64\",\"batch\":" + batch + ",\"steps\":" + steps + ",\"warmup\":1,\"reps\":2}"));
            assertThat(r.path("times_ms").size()).isEqualTo(2);
            assertThat(r.path("steps").asInt()).isEqualTo(steps);

            Network net = Workloads.network(workload);
            double[] theta = SharedInstance.parameters(net, DType.F64).toDoubleArray();
            Tensor x = SharedInstance.inputs(net, DType.F64, batch);
            int[] y = SharedInstance.labels(batch);
            double[] buf = null;
            double loss = Double.NaN;
            for (int k = 0; k < steps; k++) {
                try (Scope s = Scope.open()) {
                    Var th = Var.of(Tensor.of(DType.F64, theta, theta.length));
                    loss = net.loss(th, x, y).value().item();
                    double[] g = Autodiff.grad(t -> net.loss(t, x, y), th).value().toDoubleArray();
                    if (buf == null) {
                        buf = g.clone();
                    } else {
                        for (int i = 0; i < g.length; i++) {
                            buf[i] = 0.9 * buf[i] + g[i];
                        }
                    }
                    for (int i = 0; i < g.length; i++) {
                        theta[i] -= 0.05 * buf[i];
                    }
                }
            }
            assertThat(r.path("check").asDouble()).as(workload).isCloseTo(loss, within(1e-12 * loss));
            double[] ours = w.training(workload, DType.F64, batch).params().toDoubleArray();
            for (int i = 0; i < theta.length; i += 97) {
                assertThat(ours[i]).as(workload + " parameter " + i).isCloseTo(theta[i], within(1e-12));
            }
        }
    }

    /**
     * The CNN's exact per-point trace (what the PyTorch worker computes with functorch) equals
     * sum_c p_c ||grad_theta l(x, c)||^2 with ten gradients per point taken here.
     */
    @Test
    void cnnPerPointTraceIsProbabilityWeightedClassGradientNorms() throws IOException {
        CompareWorker w = new CompareWorker(1);
        int points = 2;
        JsonNode traces = result(ask(w, "{\"cmd\":\"time\",\"workload\":\"W3\",\"op\":\"perpoint\","
                + "\"dtype\":\"f64\",\"points\":" + points + ",\"warmup\":0,\"reps\":1}")).path("traces");
        CompareWorker.Instance s = w.instance("W3", DType.F64, points);
        for (int n = 0; n < points; n++) {
            try (Scope sc = Scope.open()) {
                Tensor xn = s.x().slice(0, n, n + 1).contiguous();
                double[] z = s.net().logits(s.theta(), xn).value().toDoubleArray();
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z) {
                    max = Math.max(max, v);
                }
                double norm = 0;
                for (double v : z) {
                    norm += Math.exp(v - max);
                }
                double expected = 0;
                for (int c = 0; c < 10; c++) {
                    int[] label = {c};
                    double[] g = Autodiff.grad(t -> s.net().loss(t, xn, label), s.theta()).value().toDoubleArray();
                    double gg = 0;
                    for (double e : g) {
                        gg += e * e;
                    }
                    expected += Math.exp(z[c] - max) / norm * gg;
                }
                assertThat(traces.get(n).asDouble()).as("point " + n).isCloseTo(expected, within(1e-10 * expected));
            }
        }
    }

    /** After 256 MiB were touched and freed the peak is high; mem_reset brings it back to the resident set. */
    @Test
    void memResetResetsThePeak() throws IOException {
        CompareWorker w = new CompareWorker(1);
        long before = Memory.peakAndCurrentKb()[1];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(256L << 20);
            m.fill((byte) 1);
        }
        long peak = Memory.peakAndCurrentKb()[0];
        assertThat(peak).isGreaterThanOrEqualTo(before + (200L << 10));
        JsonNode r = ask(w, "{\"cmd\":\"mem_reset\"}");
        assertThat(r.path("reset").asBoolean()).as(r.toString()).isTrue();
        assertThat(r.path("peak_rss_kb").asLong()).isLessThan(peak - (100L << 10))
                .isGreaterThanOrEqualTo(r.path("rss_kb").asLong());
    }
}
