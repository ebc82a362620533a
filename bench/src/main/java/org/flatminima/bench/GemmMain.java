package org.flatminima.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.flatminima.kernels.Backends;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link GemmBenchmark} the way {@code bench/gemm.sh} wants: backends that cannot run here are skipped
 * up front (with the reason), the scalar oracle runs single-threaded with fewer iterations (its n = 1024
 * call takes seconds), and all results go to one JSON file plus a Markdown table of GFLOP/s.
 *
 * <p>Usage: {@code GemmMain [--out FILE.json] [JMH options]}. JMH options ({@code -p n=256}, {@code -wi},
 * {@code -i}, {@code -w}, {@code -r}, {@code -f}) override the defaults, also for scalar. The mode is always
 * throughput in calls per second.
 */
public final class GemmMain {

    private GemmMain() {
    }

    /** Entry point; exits 0 on success, 1 when a benchmark failed, 2 on bad arguments. */
    public static void main(String[] args) throws IOException {
        System.exit(run(args));
    }

    static int run(String[] args) throws IOException {
        Path out = null;
        List<String> jmhArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--out") && i + 1 < args.length) {
                out = Path.of(args[++i]);
            } else {
                jmhArgs.add(args[i]);
            }
        }
        CommandLineOptions cmd;
        try {
            cmd = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        } catch (CommandLineOptionException e) {
            System.err.println("gemm: " + e.getMessage());
            return 2;
        }
        if (cmd.shouldHelp()) {
            System.out.println("Usage: bench/gemm.sh [JMH options]   (GemmMain [--out FILE.json] [JMH options])");
            cmd.showHelp();
            return 0;
        }

        Collection<String> wanted = cmd.getParameter("backend").orElse(List.of("scalar", "vector", "native"));
        List<String> fast = new ArrayList<>();
        boolean scalar = false;
        Map<String, String> skipped = new LinkedHashMap<>();
        for (String name : wanted) {
            Backends.Status s;
            try {
                s = Backends.probe(name);
            } catch (IllegalArgumentException e) {
                System.err.println("gemm: " + e.getMessage());
                return 2;
            }
            if (!s.available()) {
                skipped.put(name, s.reason());
                System.out.println("# skipping backend " + name + ": " + s.reason());
            } else if (name.equals("scalar")) {
                scalar = true;
            } else {
                fast.add(name);
            }
        }

        List<RunResult> results = new ArrayList<>();
        String include = "^" + Pattern.quote(GemmBenchmark.class.getName() + ".gemm") + "$";
        try {
            if (!fast.isEmpty()) {
                results.addAll(new Runner(builder(cmd, include).param("backend", fast.toArray(String[]::new))
                        .build()).run());
            }
            if (scalar) {
                ChainedOptionsBuilder ob = builder(cmd, include).param("backend", "scalar");
                if (!cmd.getParameter("threads").hasValue()) {
                    ob.param("threads", "1"); // the oracle is single-threaded
                }
                if (!cmd.getWarmupIterations().hasValue()) {
                    ob.warmupIterations(1);
                }
                if (!cmd.getMeasurementIterations().hasValue()) {
                    ob.measurementIterations(3);
                }
                results.addAll(new Runner(ob.build()).run());
            }
        } catch (RunnerException e) {
            System.err.println("gemm: JMH failed: " + e.getMessage());
            return 1;
        }

        String table = table(results, skipped);
        System.out.println();
        System.out.print(table);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            try (PrintStream ps = new PrintStream(Files.newOutputStream(out), true, StandardCharsets.UTF_8)) {
                ResultFormatFactory.getInstance(ResultFormatType.JSON, ps).writeOut(results);
            }
            Path md = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.json$", "") + ".md");
            Files.writeString(md, table);
            System.out.println("\nresults: " + out + "\ntable:   " + md);
        }
        return results.isEmpty() && !wanted.isEmpty() && skipped.size() < wanted.size() ? 1 : 0;
    }

    private static ChainedOptionsBuilder builder(CommandLineOptions cmd, String include) {
        ChainedOptionsBuilder ob = new OptionsBuilder().parent(cmd).include(include).mode(Mode.Throughput)
                .timeUnit(TimeUnit.SECONDS);
        if (!cmd.getJvmArgs().hasValue()) {
            // forks get the benchmark's jvmArgsAppend only, not a copy of this JVM's flags on top
            ob.jvmArgs();
        }
        return ob;
    }

    /** A Markdown table: one row per run, GFLOP/s = calls/s * 2 n^3 / 1e9, with JMH's 99.9% error. */
    static String table(List<RunResult> results, Map<String, String> skipped) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "JDK %s, %s, %d CPUs%s%n%n", Runtime.version(),
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), cpuModel()));
        sb.append("| backend | dtype | n | threads | GFLOP/s | ± (99.9%) | ms/call |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|\n");
        List<RunResult> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.<RunResult, Integer>comparing(r -> order(param(r, "backend")))
                .thenComparing(r -> param(r, "dtype"))
                .thenComparingInt(r -> Integer.parseInt(param(r, "n")))
                .thenComparingInt(r -> Integer.parseInt(param(r, "threads"))));
        for (RunResult r : sorted) {
            Result<?> p = r.getPrimaryResult();
            double n = Double.parseDouble(param(r, "n"));
            double flop = 2 * n * n * n;
            double err = p.getScoreError() * flop / 1e9;
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %s | %.3f |%n",
                    param(r, "backend"), param(r, "dtype"), param(r, "n"), param(r, "threads"),
                    p.getScore() * flop / 1e9, Double.isFinite(err) ? String.format(Locale.ROOT, "%.2f", err) : "-",
                    1e3 / p.getScore()));
        }
        for (Map.Entry<String, String> e : skipped.entrySet()) {
            sb.append("\n").append(e.getKey()).append(": skipped, ").append(e.getValue());
        }
        if (!skipped.isEmpty()) {
            sb.append('\n');
        }
        return sb.toString();
    }

    private static int order(String backend) {
        int i = Backends.NAMES.indexOf(backend);
        return i < 0 ? Integer.MAX_VALUE : i;
    }

    private static String param(RunResult r, String name) {
        BenchmarkParams p = r.getParams();
        String v = p.getParam(name);
        return v == null ? "?" : v;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return ", " + line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no model name
        }
        return "";
    }
}
