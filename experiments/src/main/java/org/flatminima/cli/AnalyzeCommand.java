package org.flatminima.cli;

import org.flatminima.experiments.UserException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.analysis.Analysis;
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
 * PyTorch state_dict saved as safetensors) on an IDX data set. The output contract is documented in the README
 * and kept stable.
 */
@Command(name = "analyze",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Measures the Hessian trace, top eigenvalues and margins of a model on a data set.")
public final class AnalyzeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--arch", required = true, paramLabel = "SPEC",
            description = "the architecture: mlp:IN-H1-...-OUT, affine:IN-OUT or seq:CxHxW:L1,L2,...")
    String arch;

    @Option(names = "--weights", required = true, paramLabel = "MODEL.safetensors",
            description = "the weights, with PyTorch's state_dict names for that architecture")
    Path weights;

    @Option(names = "--images", required = true, paramLabel = "IMAGES", description = "IDX images (raw or gzip)")
    Path images;

    @Option(names = "--labels", required = true, paramLabel = "LABELS", description = "IDX labels (raw or gzip)")
    Path labels;

    @Option(names = "--limit", paramLabel = "N", description = "use the first N points")
    Integer limit;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--eigenvalues", defaultValue = "0", paramLabel = "K",
            description = "top K eigenvalues of the Hessian of the mean loss (default: ${DEFAULT-VALUE})")
    int eigenvalues;

    @Option(names = "--trace", defaultValue = "auto",
            description = "auto, exact or hutchinson (default: ${DEFAULT-VALUE}: the cheapest exact method the model "
                    + "allows, else Hutchinson to a 1% relative standard error)")
    String trace;

    @Option(names = "--per-point", paramLabel = "POINTS.csv",
            description = "write one row per point: index,label,predicted,loss,trace,output_margin,softmax_margin,input_margin")
    Path perPoint;

    @Option(names = "--json", paramLabel = "RESULT.json", description = "write the result as JSON")
    Path json;

    @Override
    public Integer call() throws IOException {
        DType t = DType.parse(dtype);
        if (eigenvalues < 0) {
            throw new UserException("--eigenvalues must be >= 0, got " + eigenvalues);
        }
        Analysis.TraceMode mode = Analysis.TraceMode.parse(trace);
        ModelSpec model = ModelSpec.parse(arch);
        Network net = model.network();
        Dataset data = Dataset.readIdx("data", images, labels, net.classes(), limit).as(t).as(Dataset.Layout.IMAGES);
        if (limit != null) {
            if (limit < 1 || limit > data.size()) {
                throw new UserException("--limit must be in [1, " + data.size() + "], got " + limit);
            }
            data = data.first(limit);
        }
        TrainCommand.checkInputs(model, net, data);
        if (eigenvalues > net.parameterCount()) {
            throw new UserException("--eigenvalues " + eigenvalues + " exceeds the " + net.parameterCount()
                    + " parameters");
        }
        Tensor theta = Weights.load(weights, net, t);
        Analysis.Result r = Analysis.run(net, theta, data.images(), data.labels(), mode, eigenvalues, perPoint != null);
        if (perPoint != null) {
            writeAtomically(perPoint, csv(r.perPoint()));
        }
        if (json != null) {
            writeAtomically(json, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(toJson(model.toString(), t, r)) + "\n");
        } else {
            print(spec.commandLine().getOut(), model.toString(), t, r);
        }
        return 0;
    }

    static Map<String, Object> toJson(String arch, DType t, Analysis.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", arch);
        m.put("params", r.params());
        m.put("points", r.points());
        m.put("dtype", t == DType.F32 ? "f32" : "f64");
        m.put("loss", r.loss());
        m.put("accuracy", r.accuracy());
        Map<String, Object> tr = new LinkedHashMap<>();
        tr.put("value", r.trace().value());
        tr.put("method", r.trace().method());
        tr.put("stderr", r.trace().stderr());
        m.put("trace", tr);
        m.put("eigenvalues", r.eigenvalues());
        Map<String, Object> margins = new LinkedHashMap<>();
        margins.put("output", stats(r.output()));
        margins.put("softmax", stats(r.softmax()));
        margins.put("input", stats(r.input()));
        m.put("margins", margins);
        return m;
    }

    private static Map<String, Double> stats(Summary s) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mean", s.mean());
        m.put("median", s.median());
        m.put("min", s.min());
        m.put("max", s.max());
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
        o.printf("loss      %.6f%n", r.loss());
        o.printf("accuracy  %.4f%n", r.accuracy());
        o.printf("trace     %.6g (%s%s)%n", r.trace().value(), r.trace().method(),
                r.trace().stderr() > 0 ? String.format(", standard error %.3g", r.trace().stderr()) : "");
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
        o.flush();
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new UserException("cannot write " + file + ": directory " + dir + " does not exist");
        }
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
