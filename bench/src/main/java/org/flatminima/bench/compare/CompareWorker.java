package org.flatminima.bench.compare;

import static org.flatminima.bench.compare.Fields.integer;
import static org.flatminima.bench.compare.Fields.oneLine;
import static org.flatminima.bench.compare.Fields.parseDType;
import static org.flatminima.bench.compare.Fields.putNumber;
import static org.flatminima.bench.compare.Fields.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.KernelTimes;
import org.flatminima.kernels.GemmProbe;

/**
 * Our side of the side-by-side comparison with PyTorch ({@code bench/compare.sh}): a long-lived worker that
 * answers one JSON request per line on stdin with one JSON reply per line on stdout (flushed); logs go to
 * stderr. The PyTorch worker ({@code bench/peers/torch_worker.py}) speaks the same protocol.
 *
 * <p>Requests ({@code cmd}): {@code info}; {@code time} with {@code workload} (W1, W2, W3, M4, or GEMM),
 * {@code op} (forward, grad, hvp, hvp10, gemm, perpoint, train), {@code dtype} (f32/f64), optional {@code batch},
 * {@code variant} ("all" or a name), {@code warmup} (untimed calls) and {@code reps} (timed calls, each in its
 * own {@link Scope}; times in milliseconds of wall clock, and {@code jit_ms}, the JIT compilers' time during them);
 * {@code rss} (VmHWM and VmRSS in KiB);
 * {@code mem_reset} (drop the caches, give freed memory back, reset VmHWM: see {@link Memory}); {@code quit}.
 * A bad request is answered with {@code {"ok":false,"error":...}}; the worker goes on.
 *
 * <p>Op {@code perpoint} (field {@code points}) computes each point's exact loss-Hessian trace on the
 * {@link SharedInstance} (weights and points the PyTorch worker generates identically) and returns the traces
 * beside the timing, so the driver can check the two sides against each other; op {@code train} (field
 * {@code steps}) is {@link Training}'s unit on W3 or M4.
 *
 * <p>Models, data and directions are cached per (workload, dtype, batch), at most {@value #CACHE_ENTRIES} at a
 * time. Every run uses the engine's current backend (native unless configured otherwise) with the thread count
 * given by {@code --threads}; op gemm times each available backend.
 */
public final class CompareWorker {

    /** Setups kept at once (least recently used dropped first). */
    public static final int CACHE_ENTRIES = 4;

    /** Hutchinson probes of op hvp10. */
    public static final int HUTCHINSON_PROBES = 10;

    /** Default batch of op train (E2's). */
    public static final int TRAIN_BATCH = 100;

    /** Default steps of one timed unit of op train. */
    public static final int TRAIN_STEPS = 10;

    private static final List<String> GEMM_BACKENDS = List.of("native", "vector");

    private final int threads;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Object> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
            return size() > CACHE_ENTRIES;
        }
    };

    /** A worker whose kernels use {@code threads} threads (values below 1 mean 1). */
    public CompareWorker(int threads) {
        this.threads = Math.max(1, threads);
        Engine.backend().setThreads(this.threads);
    }

    /** Runs the worker on stdin/stdout: {@code CompareWorker --threads T}. Anything else printed goes to stderr. */
    public static void main(String[] args) throws IOException {
        int threads = 1;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--threads") && i + 1 < args.length) {
                threads = Integer.parseInt(args[++i]);
            } else if (args[i].startsWith("--threads=")) {
                threads = Integer.parseInt(args[i].substring("--threads=".length()));
            } else {
                System.err.println("usage: CompareWorker [--threads T]   (JSON lines on stdin/stdout)");
                System.exit(2);
            }
        }
        Writer out = new BufferedWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                StandardCharsets.UTF_8));
        // the protocol owns stdout: anything else that prints goes to stderr
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        new CompareWorker(threads).serve(in, out);
    }

    /** Answers requests line by line until {@code quit} or the end of the input. */
    public void serve(BufferedReader in, Writer out) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            boolean quit = isQuit(line);
            out.write(handle(line));
            out.write('\n');
            out.flush();
            if (quit) {
                return;
            }
        }
    }

    private boolean isQuit(String line) {
        try {
            JsonNode n = json.readTree(line);
            return n != null && n.isObject() && "quit".equals(n.path("cmd").asText(null));
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /** The reply (one line of JSON, no newline) to one request line. Never throws. */
    public String handle(String line) {
        ObjectNode reply;
        try {
            JsonNode req;
            try {
                req = json.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("malformed request (not JSON): "
                        + e.getOriginalMessage());
            }
            if (req == null || !req.isObject()) {
                throw new IllegalArgumentException("malformed request: expected a JSON object");
            }
            String cmd = text(req, "cmd", null);
            if (cmd == null) {
                throw new IllegalArgumentException("malformed request: no \"cmd\"");
            }
            reply = switch (cmd) {
                case "info" -> info();
                case "time" -> time(req);
                case "rss" -> rss();
                case "mem_reset" -> memReset();
                case "quit" -> json.createObjectNode().put("ok", true);
                default -> throw new IllegalArgumentException("unknown cmd '" + cmd
                        + "': use info, time, rss, mem_reset or quit");
            };
        } catch (Throwable e) {
            reply = json.createObjectNode().put("ok", false).put("error", oneLine(e));
        }
        try {
            return json.writeValueAsString(reply);
        } catch (JsonProcessingException e) {
            return "{\"ok\":false,\"error\":\"cannot encode the reply\"}";
        }
    }

    // ------------------------------------------------------------------ info, rss

    private ObjectNode info() {
        Backend b = Engine.backend();
        ObjectNode r = json.createObjectNode();
        r.put("ok", true);
        r.put("impl", "flatminima");
        r.put("version", WorkerInfo.version());
        r.put("backend", b.name());
        r.put("threads", threads);
        r.put("java", Runtime.version().toString());
        r.put("java_vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        String mapped = WorkerInfo.mappedBlas();
        r.put("blas", mapped != null ? mapped : b.name());
        ArrayNode details = r.putArray("details"); // the BLAS library, its version and core, the C kernels
        b.details().forEach(details::add);
        r.put("cpu", WorkerInfo.cpuModel());
        ArrayNode flags = r.putArray("jvm_flags");
        ManagementFactory.getRuntimeMXBean().getInputArguments().forEach(flags::add);
        r.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        return r;
    }

    /** VmHWM as {@code peak_rss_kb} (the peak since the start or the last {@code mem_reset}), VmRSS as {@code rss_kb}. */
    private ObjectNode rss() throws IOException {
        long[] m = Memory.peakAndCurrentKb();
        return json.createObjectNode().put("ok", true).put("peak_rss_kb", m[0]).put("rss_kb", m[1]);
    }

    /**
     * Drops every cached setup, gives freed memory back ({@link Memory#release}) and resets VmHWM; replies the
     * resident set after that ({@code rss_kb}), {@code reset} (whether VmHWM was reset) and {@code note} (what
     * could not be done, if anything).
     */
    private ObjectNode memReset() throws IOException {
        cache.clear();
        String note = Memory.release();
        String failed = Memory.resetPeak();
        long[] m = Memory.peakAndCurrentKb();
        ObjectNode r = json.createObjectNode().put("ok", true).put("rss_kb", m[1]).put("peak_rss_kb", m[0])
                .put("reset", failed == null);
        String all = (note + (failed == null ? "" : " " + failed)).trim();
        if (!all.isEmpty()) {
            r.put("note", all);
        }
        return r;
    }

    // ------------------------------------------------------------------ time

    /**
     * One timed variant: {@code run} is one repetition, {@code check} (untimed; null: run's value) a sanity value,
     * {@code extra} (null: none) adds fields to the variant's result after the timed calls.
     */
    private record Variant(String name, DoubleSupplier run, DoubleSupplier check, Consumer<ObjectNode> extra) {
        Variant(String name, DoubleSupplier run, DoubleSupplier check) {
            this(name, run, check, null);
        }
    }

    private ObjectNode time(JsonNode req) {
        String workload = text(req, "workload", null);
        String op = text(req, "op", null);
        if (workload == null || op == null) {
            throw new IllegalArgumentException("time needs \"workload\" and \"op\"");
        }
        DType dtype = parseDType(text(req, "dtype", "f32"));
        String variant = text(req, "variant", "all");
        int warmup = integer(req, "warmup", 1, 0, 1_000_000);
        int reps = integer(req, "reps", 1, 1, 1_000_000);
        List<Variant> variants;
        if (op.equals("gemm")) {
            if (!workload.equals("GEMM")) {
                throw new IllegalArgumentException("op gemm needs workload GEMM");
            }
            variants = gemm(dtype, integer(req, "n", 512, 1, 16384));
        } else {
            if (workload.equals("GEMM")) {
                throw new IllegalArgumentException("workload GEMM has only op gemm");
            }
            Workloads.network(workload); // validates the name
            int batch = integer(req, "batch", op.equals("train") ? TRAIN_BATCH : Workloads.defaultBatch(workload),
                    1, 1_000_000);
            variants = switch (op) {
                case "perpoint" -> {
                    int points = integer(req, "points", 1000, 1, 1_000_000); // "batch" plays no part
                    Curvature.Method m = Curvature.Method.parse(text(req, "method", "exact-ggn"));
                    Instance inst = instance(workload, dtype, points);
                    double[][] last = new double[1][];
                    yield List.of(new Variant("exact", () -> {
                        last[0] = perPointTraces(inst.net(), inst.theta(), inst.x(), inst.labels(), points, m);
                        return mean(last[0]);
                    }, null, r -> {
                        ArrayNode t = r.putArray("traces");
                        for (double v : last[0]) {
                            t.add(v);
                        }
                    }));
                }
                case "train" -> {
                    int steps = integer(req, "steps", TRAIN_STEPS, 1, 1_000_000);
                    Training tr = training(workload, dtype, batch);
                    yield List.of(new Variant("sgd_momentum", () -> tr.run(steps), null,
                            r -> r.put("steps", steps)));
                }
                default -> timeSetup(setup(workload, dtype, batch), op);
            };
        }
        return runVariants(variants, variant, op, warmup, reps);
    }

    private static List<Variant> timeSetup(Setup s, String op) {
        return switch (op) {
            case "forward", "grad", "hvp" -> List.of(new Variant("flatminima", first(s, op), checkOf(s, op)));
            case "hvp10" -> List.of(new Variant("batched", () -> hutchinsonBatched(s), null),
                    new Variant("loop", () -> hutchinsonLoop(s), null));
            default -> throw new IllegalArgumentException("unknown op '" + op
                    + "': use forward, grad, hvp, hvp10, perpoint, train or gemm");
        };
    }

    private ObjectNode runVariants(List<Variant> variants, String variant, String op, int warmup, int reps) {
        List<String> names = variants.stream().map(Variant::name).toList();
        if (!variant.equals("all") && !names.contains(variant)) {
            ObjectNode r = json.createObjectNode().put("ok", true);
            r.putArray("results").addObject().put("variant", variant)
                    .put("error", "no variant '" + variant + "' for op " + op + ": use all or " + names);
            return r;
        }
        ObjectNode reply = json.createObjectNode().put("ok", true);
        ArrayNode results = reply.putArray("results");
        for (Variant v : variants) {
            if (!variant.equals("all") && !variant.equals(v.name())) {
                continue;
            }
            ObjectNode r = results.addObject().put("variant", v.name());
            try {
                // the check and the warm-up are left out of -Dflatminima.kernelTimes' table
                double[] check = {Double.NaN};
                KernelTimes.untimed(() -> {
                    if (v.check() != null) {
                        check[0] = scoped(v.check());
                    }
                    for (int i = 0; i < warmup; i++) {
                        scoped(v.run());
                    }
                });
                ArrayNode times = r.putArray("times_ms");
                double last = Double.NaN;
                long jit0 = WorkerInfo.compileMillis();
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    last = scoped(v.run());
                    times.add((System.nanoTime() - t0) / 1e6);
                }
                if (jit0 >= 0) {
                    r.put("jit_ms", WorkerInfo.compileMillis() - jit0);
                }
                putNumber(r, "check", v.check() == null ? last : check[0]);
                if (v.extra() != null) {
                    v.extra().accept(r);
                }
            } catch (Throwable e) {
                r.removeAll();
                r.put("variant", v.name()).put("error", oneLine(e));
            }
        }
        return reply;
    }

    private static double scoped(DoubleSupplier f) {
        try (Scope s = Scope.open()) {
            return f.getAsDouble();
        }
    }

    private static DoubleSupplier first(Setup s, String op) {
        return switch (op) {
            case "forward" -> () -> s.loss().apply(s.theta()).value().item();
            case "grad" -> () -> Autodiff.grad(s.loss(), s.theta()).value().get(0);
            default -> () -> Autodiff.hvp(s.loss(), s.theta(), s.direction()).value().get(0);
        };
    }

    /** Untimed sanity values: the loss, the gradient's norm, {@code <v, Hv>}. */
    private static DoubleSupplier checkOf(Setup s, String op) {
        return switch (op) {
            case "forward" -> () -> s.loss().apply(s.theta()).value().item();
            case "grad" -> () -> {
                Tensor g = Autodiff.grad(s.loss(), s.theta()).value();
                return Math.sqrt(TensorOps.sumAll(TensorOps.mul(g, g)).item());
            };
            default -> () -> TensorOps.sumAll(TensorOps.mul(s.direction().value(),
                    Autodiff.hvp(s.loss(), s.theta(), s.direction()).value())).item();
        };
    }

    /** Hutchinson's estimate with the ten Rademacher probes, one batched HVP pass. */
    static double hutchinsonBatched(Setup s) {
        Tensor hv = Autodiff.hvpBatch(s.loss(), s.theta(), s.probes()).value();
        return TensorOps.sumAll(TensorOps.mul(s.probes().value(), hv)).item() / HUTCHINSON_PROBES;
    }

    /**
     * Hutchinson's estimate with the ten Rademacher probes, ten single HVPs, each in its own {@link Scope} (as
     * {@code curvature.Hutchinson} runs them, and as PyTorch frees each probe's graph): without it the ten
     * passes' temporaries would all live until the call's scope closes.
     */
    static double hutchinsonLoop(Setup s) {
        double sum = 0;
        for (Var v : s.probeRows()) {
            sum += scoped(() -> TensorOps.sumAll(TensorOps.mul(v.value(),
                    Autodiff.hvp(s.loss(), s.theta(), v).value())).item());
        }
        return sum / HUTCHINSON_PROBES;
    }

    private static double mean(double[] t) {
        double sum = 0;
        for (double v : t) {
            sum += v;
        }
        return sum / t.length;
    }

    /**
     * Each of the first {@code points} points' own loss-Hessian trace through the Curvature facade.
     *
     * <p>What exact-ggn computes for these ReLU networks (max-pooling included): the logits z are piecewise
     * linear in each single parameter (the others fixed), so every diagonal entry of each {@code d^2 z_c /
     * d theta^2} is 0 almost everywhere; the loss Hessian {@code J^T H_CE J + sum_c (dL/dz_c) d^2 z_c / d theta^2}
     * then has the trace of the Gauss-Newton part, {@code tr(J^T H_CE J)} with {@code J = dz/d theta} and
     * {@code H_CE = diag(p) - p p^T}, although the two matrices differ off the diagonal.
     */
    static double[] perPointTraces(Network net, Var theta, Tensor x, int[] labels, int points, Curvature.Method m) {
        Tensor xs = x.slice(0, 0, points).contiguous();
        int[] ys = Arrays.copyOf(labels, points);
        return Curvature.of(net, theta.value(), xs, ys).perPointTraces(m).values();
    }

    // ------------------------------------------------------------------ setups

    /**
     * A workload's model with PyTorch's default initialisation (seed 1), inputs uniform in [0, 1), labels, one
     * normal direction and {@value #HUTCHINSON_PROBES} Rademacher probes ({@code probes} [10, P], and its rows).
     */
    record Setup(Network net, DType dtype, Tensor x, int[] labels, Var theta, Function<Var, Var> loss,
                 Var direction, Var probes, Var[] probeRows) {
    }

    /** A network at the {@link SharedInstance}'s parameters with its first {@code points} shared points. */
    record Instance(Network net, Var theta, Tensor x, int[] labels) {
    }

    /** The cached shared instance of (workload, dtype, points), built on first use. */
    Instance instance(String workload, DType dtype, int points) {
        String key = "shared/" + workload + "/" + dtype + "/" + points;
        if (cache.get(key) instanceof Instance hit) {
            return hit;
        }
        Network net = Workloads.network(workload);
        Instance inst = new Instance(net, Var.of(SharedInstance.parameters(net, dtype)),
                SharedInstance.inputs(net, dtype, points), SharedInstance.labels(points));
        cache.put(key, inst);
        return inst;
    }

    /** The cached training setup of (workload, dtype, batch), built on first use. */
    Training training(String workload, DType dtype, int batch) {
        String key = "train/" + workload + "/" + dtype + "/" + batch;
        if (cache.get(key) instanceof Training hit) {
            return hit;
        }
        Training t = new Training(workload, dtype, batch);
        cache.put(key, t);
        return t;
    }

    /** The cached setup of (workload, dtype, batch), built on first use. */
    Setup setup(String workload, DType dtype, int batch) {
        String key = workload + "/" + dtype + "/" + batch;
        Object hit = cache.get(key);
        if (hit instanceof Setup s) {
            return s;
        }
        Network net = Workloads.network(workload);
        SplittableRandom rnd = new SplittableRandom(42);
        Tensor x = Workloads.inputs(net, dtype, batch, rnd);
        int[] labels = Workloads.labels(batch, rnd);
        Var theta = Var.of(net.initParams(dtype, 1));
        int p = net.parameterCount();
        Var direction = Var.of(Tensor.normal(dtype, rnd, p));
        double[] signs = new double[HUTCHINSON_PROBES * p];
        for (int i = 0; i < signs.length; i++) {
            signs[i] = rnd.nextBoolean() ? 1.0 : -1.0;
        }
        Tensor probes = Tensor.of(dtype, signs, HUTCHINSON_PROBES, p);
        Var[] rows = new Var[HUTCHINSON_PROBES];
        for (int k = 0; k < HUTCHINSON_PROBES; k++) {
            rows[k] = Var.of(probes.select(0, k).contiguous());
        }
        Setup s = new Setup(net, dtype, x, labels, theta, net.lossFunction(x, labels), direction, Var.of(probes),
                rows);
        cache.put(key, s);
        return s;
    }

    /** Square GEMM operands of one size. */
    private record GemmSetup(MemorySegment a, MemorySegment b, MemorySegment c) {
    }

    private List<Variant> gemm(DType t, int n) {
        String key = "GEMM/" + t + "/" + n;
        GemmSetup g = cache.get(key) instanceof GemmSetup hit ? hit : null;
        if (g == null) {
            long count = (long) n * n;
            Arena arena = Arena.ofAuto();
            g = new GemmSetup(arena.allocate(count * t.byteSize(), GemmProbe.ALIGNMENT),
                    arena.allocate(count * t.byteSize(), GemmProbe.ALIGNMENT),
                    arena.allocate(count * t.byteSize(), GemmProbe.ALIGNMENT));
            GemmProbe.fillUniform(t, g.a(), count, 1);
            GemmProbe.fillUniform(t, g.b(), count, 2);
            cache.put(key, g);
        }
        GemmSetup ops = g;
        List<Variant> out = new ArrayList<>();
        for (String name : GEMM_BACKENDS) {
            out.add(new Variant(name, () -> {
                Backend b = gemmBackend(name);
                b.gemm(t, false, false, n, n, n, 1.0, ops.a(), n, ops.b(), n, 0.0, ops.c(), n);
                return t == DType.F32 ? ops.c().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0)
                        : ops.c().getAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 0);
            }, null));
        }
        return out;
    }

    private final Map<String, Backend> gemmBackends = new LinkedHashMap<>();

    private Backend gemmBackend(String name) {
        Backend b = gemmBackends.get(name);
        if (b == null) {
            Backends.Status st = Backends.probe(name);
            if (!st.available()) {
                throw new IllegalStateException("backend " + name + " unavailable: " + st.reason());
            }
            b = st.backend();
            b.setThreads(threads);
            gemmBackends.put(name, b);
        }
        return b;
    }
}
