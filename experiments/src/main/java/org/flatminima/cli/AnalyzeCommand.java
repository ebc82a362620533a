package org.flatminima.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.curvature.HessianBackprop;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.MemoryBudget;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.analysis.Analysis;
import org.flatminima.experiments.analysis.PointTask;
import org.flatminima.experiments.analysis.ShardScheduler;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flatminima analyze}: exact second-order quantities and margins of a model trained elsewhere (e.g. a
 * PyTorch state_dict saved as safetensors) on IDX files ({@code --images}/{@code --labels}) or a named data set
 * ({@code --data}, e.g. {@code cifar10}). The output contract is documented in
 * docs/models.md and kept stable; output files are written by {@link AtomicFiles} (its rules for symbolic links,
 * special files and permissions apply), {@code -} means standard output.
 */
@Command(name = "analyze",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Measures the Hessian trace, top eigenvalues and margins of a model on a data set.",
        footer = {
                "",
                "Outputs: --json and --per-point take a new path, a regular file (replaced atomically: a crash",
                "leaves the old content), a symbolic link (the file it points to is replaced; the link stays) or",
                "'-' for standard output (not both). A directory, FIFO or device is refused before anything is",
                "computed; so is a path whose directory does not exist. Files get the umask's permissions.",
                "A result that is not finite (e.g. logits that overflow) is printed as NaN with the reason and",
                "written to JSON as null, with a \"reason\" field.",
                "Exit status: 0 success, 1 environment error (disk full, permissions, ...) or bug, 2 user error.",
        })
public final class AnalyzeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--arch", required = true, paramLabel = "SPEC",
            description = "the architecture: mlp:IN-H1-...-OUT, affine:IN-OUT, seq:CxHxW:L1,L2,... or a named one "
                    + "NAME:CxHxW-CLASSES (lenet, keskar-c3, simplenet, simplenet-bn; docs/models.md)")
    String arch;

    @Option(names = "--weights", required = true, paramLabel = "MODEL.safetensors",
            description = "the weights, with PyTorch's state_dict names for that architecture")
    Path weights;

    @Option(names = "--images", paramLabel = "IMAGES", description = "IDX images (raw or gzip); or use --data")
    Path images;

    @Option(names = "--labels", paramLabel = "LABELS", description = "IDX labels (raw or gzip); or use --data")
    Path labels;

    @Option(names = "--data", paramLabel = "NAME",
            description = "a named data set instead of --images/--labels: embedded, mnist, fashion-mnist or cifar10")
    String dataName;

    @Option(names = "--split", defaultValue = "train", paramLabel = "train|test",
            description = "with --data: the split to measure (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--cifar-dir", paramLabel = "DIR",
            description = "with --data cifar10: the cifar-10-batches-bin directory or cifar-10-binary.tar.gz "
                    + "(default: $FLATMINIMA_CIFAR10_DIR, else the cache's cifar-10)")
    Path cifarDir;

    @Option(names = "--limit", paramLabel = "N", description = "use the first N points")
    Integer limit;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--eigenvalues", defaultValue = "0", paramLabel = "K",
            description = "top K eigenvalues of the Hessian of the mean loss (default: ${DEFAULT-VALUE})")
    int eigenvalues;

    @Option(names = "--trace", defaultValue = "auto",
            description = "auto, exact or hutchinson (default: ${DEFAULT-VALUE}: the cheapest exact method the model "
                    + "allows, else Hutchinson to a 1%% relative standard error)")
    String trace;

    @Option(names = "--per-point", paramLabel = "POINTS.csv",
            description = "write one row per point ('-': standard output, then no table): "
                    + "index,label,predicted,loss,trace,output_margin,softmax_margin,input_margin")
    Path perPoint;

    @Option(names = "--json", paramLabel = "RESULT.json",
            description = "write the result as JSON, instead of the table ('-': standard output)")
    Path json;

    @Option(names = "--shards", defaultValue = "1", paramLabel = "N",
            description = "measure the points in N shards of whole chunks of " + Analysis.CHUNK + " points, on up to one "
                    + "thread per core (with --master: N tasks of that Spark master); the output is the same for "
                    + "every N, to the bit (default: ${DEFAULT-VALUE}; more shards than chunks gives one per chunk)")
    int shards;

    @Option(names = "--master", paramLabel = "URL",
            description = "run the shards as tasks on this Spark master (spark://HOST:PORT, yarn, local[N], ...); the "
                    + "weights, images and labels paths must reach every node (docs/SWEEPS.md)")
    String master;

    /** An eigenvalue computation estimated to take longer than this many seconds gets a note on stderr. */
    static final double LONG_SECONDS = 60;

    /** An exact-hbp trace needing more backward passes than this per batch of points gets a note on stderr. */
    static final long MANY_PASSES = 200;

    @Override
    public Integer call() throws IOException {
        DType t = DType.parse(dtype);
        if (eigenvalues < 0) {
            throw new UserException("--eigenvalues must be >= 0, got " + eigenvalues);
        }
        if (shards < 1) {
            throw new UserException("--shards must be >= 1, got " + shards);
        }
        requireNonEmpty("--weights", weights);
        DataSets.Split dataSplit = checkDataOptions();
        if (isStdout(json) && isStdout(perPoint)) {
            throw new UserException("--json and --per-point cannot both be '-' (standard output): name a file for one");
        }
        checkOutput(json);
        checkOutput(perPoint);
        Analysis.TraceMode mode = Analysis.TraceMode.parse(trace);
        ModelSpec model = ModelSpec.parse(arch);
        Network net = model.network();
        if (eigenvalues > net.parameterCount()) {
            throw new UserException("--eigenvalues " + eigenvalues + " exceeds the " + net.parameterCount()
                    + " parameters");
        }
        if (eigenvalues > 0) {
            checkFits(Analysis.EigenCost.of(eigenvalues, net.parameterCount(), t), MemoryBudget.tensorBytes());
        }
        Dataset data = (dataName != null
                ? new DataSets(DataSets.Locations.fromEnvironment().withCifarDir(cifarDir))
                        .load(dataName, dataSplit, limit)
                : Dataset.readIdx("data", images, labels, net.classes(), limit)).as(t).as(Dataset.Layout.IMAGES);
        if (limit != null) {
            if (limit < 1 || limit > data.size()) {
                throw new UserException("--limit must be in [1, " + data.size() + "], got " + limit);
            }
            data = data.first(limit);
        }
        org.flatminima.experiments.train.TrainingData.checkInputs(model, net, data);
        Tensor theta = Weights.load(weights, net, t);
        PrintWriter out = spec.commandLine().getOut();
        String hbp = mode == Analysis.TraceMode.HUTCHINSON ? null : hbpNote(net.withMode(Mode.EVAL));
        if (hbp != null) {
            spec.commandLine().getErr().println(ErrorHandling.PREFIX + hbp);
            spec.commandLine().getErr().flush();
        }
        Analysis.Result r;
        try (EigenProgress progress = new EigenProgress(spec.commandLine().getErr())) {
            Analysis.Options options = Analysis.Options.defaults().trace(mode).eigenvalues(eigenvalues)
                    .perPointTraces(perPoint != null);
            ShardScheduler scheduler = scheduler(master);
            if (scheduler == null) {
                r = Analysis.run(net, theta, data.images(), data.labels(), options, shards, progress);
            } else {
                PointTask task = new PointTask(model.toString(), weights.toAbsolutePath().toString(),
                        images.toAbsolutePath().toString(), labels.toAbsolutePath().toString(), dtype, options);
                List<Analysis.Shard> parts = scheduler.run(task, data.size(), shards, master);
                r = Analysis.combine(parts, Analysis.wholeData(net, theta, data.images(), data.labels(), options,
                        progress));
            }
        }
        if (perPoint != null) {
            write(perPoint, csv(r.perPoint()), out);
        }
        if (json != null) {
            write(json, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(toJson(model.toString(), t, r)) + "\n", out);
        } else if (!isStdout(perPoint)) {
            print(out, model.toString(), t, r);
        }
        return 0;
    }

    /**
     * The scheduler of the shards with {@code --master}: a {@link ShardScheduler} on the class path (Spark, from the
     * sweeps module); none (threads of this process) without a master. A master without one is a user error.
     */
    private static ShardScheduler scheduler(String master) {
        if (master == null) {
            return null;
        }
        return ServiceLoader.load(ShardScheduler.class).findFirst().orElseThrow(() -> new UserException(
                "--master needs Apache Spark on the class path: run this through ./flatminima (which adds it), or "
                        + "spark-submit sweeps/target/flatminima-sweeps-submit.jar"));
    }

    /**
     * Either {@code --images} and {@code --labels}, or {@code --data} (not with {@code --master}, whose tasks read
     * the IDX files on every node): the split of {@code --data}, or null for IDX files.
     */
    private DataSets.Split checkDataOptions() {
        if (dataName == null) {
            if (images == null || labels == null) {
                throw new UserException("name the points: --images IMAGES --labels LABELS (IDX files), or --data NAME "
                        + "(e.g. --data cifar10)");
            }
            requireNonEmpty("--images", images);
            requireNonEmpty("--labels", labels);
            return null;
        }
        if (images != null || labels != null) {
            throw new UserException("--data " + dataName + " and --images/--labels both name the points: give one");
        }
        if (master != null) {
            throw new UserException("--master reads the points from --images/--labels on every node: with --data, "
                    + "drop --master (--shards N runs on this machine's cores)");
        }
        return switch (split.strip().toLowerCase(Locale.ROOT)) {
            case "train" -> DataSets.Split.TRAIN;
            case "test" -> DataSets.Split.TEST;
            default -> throw new UserException("--split must be train or test, got '" + split + "'");
        };
    }

    /** An empty path names the working directory; say what is missing instead of "is a directory". */
    private static void requireNonEmpty(String option, Path p) {
        if (p.toString().isEmpty()) {
            throw new UserException(option + " is empty: name a file");
        }
    }

    private static boolean isStdout(Path p) {
        return p != null && p.toString().equals("-");
    }

    /** Refuses an output path that cannot be written (see the help's footer) before anything is computed. */
    private static void checkOutput(Path p) throws IOException {
        if (p == null || isStdout(p)) {
            return;
        }
        Path dir = AtomicFiles.destination(p).getParent();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(p.toString(), null, "its directory " + dir
                    + " does not exist (create it first)");
        }
    }

    /** Refuses (one line, with the estimate) an eigenvalue request whose Lanczos basis exceeds {@code limit} bytes. */
    static void checkFits(Analysis.EigenCost cost, long limit) {
        if (cost.bytes() > limit) {
            throw new UserException(String.format(Locale.ROOT, "--eigenvalues %d needs about %s of memory (%,d Lanczos "
                    + "vectors of %,d parameters), more than the %s this JVM may allocate off the heap: ask for fewer "
                    + "eigenvalues, or raise -XX:MaxDirectMemorySize (e.g. FLATMINIMA_JAVA_OPTS=-XX:MaxDirectMemorySize=%dg)",
                    cost.k(), bytes(cost.bytes()), cost.products() + cost.k(), cost.params(), bytes(limit),
                    Math.max(1, (cost.bytes() >> 30) * 2)));
        }
    }

    /**
     * The note printed before a long eigenvalue computation (null when it is short): how many Hessian-vector
     * products at most, and about how long, from the measured time of one.
     */
    static String costNote(Analysis.EigenCost cost, double secondsPerProduct) {
        double seconds = cost.products() * secondsPerProduct;
        if (seconds < LONG_SECONDS) {
            return null;
        }
        return String.format(Locale.ROOT, "note: %d eigenvalues take up to %,d Hessian-vector products, about %s "
                + "(one took %.2f s) and %s of memory", cost.k(), cost.products(), duration(seconds),
                secondsPerProduct, bytes(cost.bytes()));
    }

    /**
     * The note printed before an exact-hbp trace (the exact method of {@code --trace auto} and {@code exact} on
     * smooth networks) that needs more than {@link #MANY_PASSES} backward passes per batch of points
     * ({@link HessianBackprop#passesPerBatch}); null when {@code net} (in the mode it is measured in) takes another
     * method or fewer passes.
     */
    static String hbpNote(Network net) {
        Curvature.Method best = Curvature.of(net, null, Tensor.zeros(DType.F64, 0), new int[0]).bestExact();
        if (best != Curvature.Method.EXACT_HBP) {
            return null;
        }
        long passes = HessianBackprop.passesPerBatch(net, net.sampleShape());
        if (passes <= MANY_PASSES) {
            return null;
        }
        return String.format(Locale.ROOT, "note: the exact trace (exact-hbp) takes %,d backward passes per batch of "
                + "points (one per class, plus one per unit of a smooth activation's input whose second-derivative "
                + "term cannot be carried down as a diagonal); --trace hutchinson is a cheaper estimate", passes);
    }

    private static String bytes(long b) {
        return b >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GB", b / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.0f MB", Math.ceil(b / (double) (1L << 20)));
    }

    private static String duration(double s) {
        return s >= 3600 ? String.format(Locale.ROOT, "%.1f h", s / 3600)
                : String.format(Locale.ROOT, "%.0f min", Math.ceil(s / 60));
    }

    /** The note on a long eigenvalue computation, and a progress bar when a console is attached. */
    private static final class EigenProgress implements Analysis.Listener, AutoCloseable {
        private final PrintWriter err;
        private ProgressBar bar;

        EigenProgress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void eigenvaluesStart(Analysis.EigenCost cost, double secondsPerProduct) {
            String note = costNote(cost, secondsPerProduct);
            if (note != null) {
                err.println(ErrorHandling.PREFIX + note);
                err.flush();
            }
            if (System.console() != null) {
                bar = new ProgressBarBuilder().setTaskName("eigenvalues").setInitialMax(cost.products())
                        .setStyle(ProgressBarStyle.ASCII).continuousUpdate().build();
            }
        }

        @Override
        public void eigenvalueProducts(long done) {
            if (bar != null) {
                bar.stepTo(done);
            }
        }

        @Override
        public void eigenvaluesEnd() {
            close();
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }

    /**
     * The JSON document: numbers that are not finite become null, and a {@code reason} field (at the top, and in
     * {@code trace} when its value is null) says why.
     */
    static Map<String, Object> toJson(String arch, DType t, Analysis.Result r) {
        String reason = r.nonFiniteReason();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", arch);
        m.put("params", r.params());
        m.put("points", r.points());
        m.put("dtype", t == DType.F32 ? "f32" : "f64");
        m.put("loss", finite(r.loss()));
        m.put("accuracy", r.accuracy());
        Map<String, Object> tr = new LinkedHashMap<>();
        tr.put("value", finite(r.trace().value()));
        tr.put("method", r.trace().method());
        tr.put("stderr", finite(r.trace().stderr()));
        if (!Double.isFinite(r.trace().value())) {
            tr.put("reason", reason);
        }
        m.put("trace", tr);
        List<Double> eig = new ArrayList<>();
        for (double e : r.eigenvalues()) {
            eig.add(finite(e));
        }
        m.put("eigenvalues", eig);
        Map<String, Object> margins = new LinkedHashMap<>();
        margins.put("output", stats(r.output()));
        margins.put("softmax", stats(r.softmax()));
        margins.put("input", stats(r.input()));
        m.put("margins", margins);
        if (reason != null) {
            m.put("reason", reason);
        }
        return m;
    }

    /** {@code v}, or null when it is NaN or infinite (JSON has no such numbers). */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static Map<String, Double> stats(Summary s) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mean", finite(s.mean()));
        m.put("median", finite(s.median()));
        m.put("min", finite(s.min()));
        m.put("max", finite(s.max()));
        return m;
    }

    static String csv(Analysis.PerPoint p) {
        StringBuilder sb = new StringBuilder("index,label,predicted,loss,trace,output_margin,softmax_margin,input_margin\n");
        for (int i = 0; i < p.labels().length; i++) {
            sb.append(i).append(',').append(p.labels()[i]).append(',').append(p.predicted()[i]).append(',')
                    .append(p.loss()[i]).append(',').append(p.trace()[i]).append(',').append(p.outputMargin()[i])
                    .append(',').append(p.softmaxMargin()[i]).append(',').append(p.inputMargin()[i]).append('\n');
        }
        return sb.toString();
    }

    private static void print(PrintWriter o, String arch, DType t, Analysis.Result r) {
        o.printf("model     %s (%,d parameters, %s)%n", arch, r.params(), t.longName());
        o.printf("points    %,d%n", r.points());
        String reason = r.nonFiniteReason();
        o.printf("loss      %.6f%s%n", r.loss(), Double.isFinite(r.loss()) ? "" : ": " + reason);
        o.printf("accuracy  %.4f%n", r.accuracy());
        o.printf("trace     %.6g (%s%s)%s%n", r.trace().value(), r.trace().method(),
                r.trace().stderr() > 0 ? String.format(", standard error %.3g", r.trace().stderr()) : "",
                Double.isFinite(r.trace().value()) ? "" : ": " + reason);
        if (r.eigenvalues().length > 0) {
            StringBuilder sb = new StringBuilder();
            for (double e : r.eigenvalues()) {
                sb.append(String.format("%.6g ", e));
            }
            o.printf("top eigenvalues  %s%n", sb.toString().trim());
        }
        o.printf("%-16s %12s %12s %12s %12s%n", "margin", "mean", "median", "min", "max");
        for (Object[] row : new Object[][] {{"output", r.output()}, {"softmax", r.softmax()}, {"input", r.input()}}) {
            Summary s = (Summary) row[1];
            o.printf("%-16s %12.5g %12.5g %12.5g %12.5g%n", row[0], s.mean(), s.median(), s.min(), s.max());
        }
        if (reason != null && Double.isFinite(r.loss()) && Double.isFinite(r.trace().value())) {
            o.printf("NaN: %s%n", reason);
        }
        o.flush();
    }

    /** Writes {@code text} to {@code file} atomically, or to {@code stdout} when {@code file} is {@code -}. */
    private static void write(Path file, String text, PrintWriter stdout) throws IOException {
        if (isStdout(file)) {
            stdout.print(text);
            stdout.flush();
        } else {
            AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
