package org.flatminima.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GemmProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code flatminima backends}: which compute backends run here, which one is the default, and how fast
 * each does a GEMM. Exit status 1 when a probe fails or a backend computes a wrong product.
 */
@Command(name = "backends",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Lists the compute backends, the default one, and their GEMM speed.",
        description = {
                "Lists the compute backends (native, vector, scalar): whether each can run here and why not, "
                        + "the default choice, threads, and the GFLOP/s of a quick GEMM probe "
                        + "(C = A*B, n x n, median of 7 timed runs after warm-up, checked against a "
                        + "double-precision dot product).",
                "The default is the best available backend unless forced with -Dflatminima.backend=NAME or "
                        + "FLATMINIMA_BACKEND=NAME.",
        })
public final class BackendsCommand implements Callable<Integer> {

    /** The scalar oracle is probed at most at this size, so the command stays quick. */
    static final int SCALAR_MAX_SIZE = 128;
    private static final int MAX_SIZE = 4096;

    @Spec
    CommandSpec spec;

    @Option(names = "--threads", paramLabel = "N",
            description = "threads each backend may use (default: each backend's own default; scalar is "
                    + "always single-threaded)")
    Integer threads;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "all",
            description = "element type of the probe: f32, f64 or all (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--size", paramLabel = "N", defaultValue = "256",
            description = "matrix size n of the probe (default: ${DEFAULT-VALUE}); the scalar oracle uses "
                    + "at most " + SCALAR_MAX_SIZE)
    int size;

    @Option(names = "--no-probe", description = "only report availability; do not time GEMM")
    boolean noProbe;

    /** One backend's line of the report. */
    private record Row(String name, boolean available, int threads, int n, String[] gflops, List<String> notes) {
    }

    @Override
    public Integer call() {
        List<DType> dtypes = parseDtypes();
        if (threads != null && threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        if (size < 1 || size > MAX_SIZE) {
            throw new ParameterException(spec.commandLine(),
                    "--size must be between 1 and " + MAX_SIZE + ", got " + size);
        }
        PrintWriter out = spec.commandLine().getOut();

        List<Backends.Status> statuses = Backends.probeAll();
        Choice choice = chooseDefault(statuses);
        List<Row> rows = new ArrayList<>();
        boolean failed = false;
        for (Backends.Status s : statuses) {
            List<String> notes = new ArrayList<>();
            if (s.reason() != null) {
                notes.add(s.reason());
            }
            String[] gflops = new String[dtypes.size()];
            java.util.Arrays.fill(gflops, "-");
            int n = 0;
            int th = 0;
            if (s.available()) {
                Backend b = s.backend();
                if (threads != null) {
                    b.setThreads(threads);
                }
                th = b.threads();
                notes.addAll(b.details());
                if (!noProbe) {
                    n = "scalar".equals(s.name()) ? Math.min(size, SCALAR_MAX_SIZE) : size;
                    for (int d = 0; d < dtypes.size(); d++) {
                        DType t = dtypes.get(d);
                        try {
                            GemmProbe.Result r = GemmProbe.quick().run(b, t, n);
                            // two decimals, or two significant digits below 0.1 (a slow rate is not shown as 0.00)
                            gflops[d] = String.format(Locale.ROOT, r.gflops() < 0.1 ? "%.2g" : "%.2f", r.gflops());
                            if (!r.correct()) {
                                failed = true;
                                gflops[d] += " WRONG";
                                notes.add(String.format(Locale.ROOT,
                                        "%s GEMM is WRONG: relative error %.3g exceeds %.3g",
                                        t.longName(), r.maxRelError(), r.tolerance()));
                            }
                        } catch (RuntimeException | LinkageError e) {
                            failed = true;
                            gflops[d] = "failed";
                            notes.add(t.longName() + " probe failed: " + ErrorHandling.oneLine(e));
                        }
                    }
                }
            }
            rows.add(new Row(s.name(), s.available(), th, n, gflops, notes));
        }
        print(out, rows, dtypes, choice);
        out.flush();
        return failed ? ErrorHandling.EXIT_BUG : 0;
    }

    private List<DType> parseDtypes() {
        String d = dtype.trim().toLowerCase(Locale.ROOT);
        if (d.equals("all") || d.equals("both")) {
            return List.of(DType.F32, DType.F64);
        }
        try {
            return List.of(DType.parse(d));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(),
                    "unknown --dtype '" + dtype + "': use f32, f64 or all");
        }
    }

    /** The default backend and how it was chosen; {@code name} is null when none would be chosen. */
    private record Choice(String name, String how) {
    }

    /** Mirrors {@link Backends#preferred()} without logging or caching, so a bad setting is reported. */
    private static Choice chooseDefault(List<Backends.Status> statuses) {
        String forced = Backends.forcedName();
        if (forced != null) {
            String source = System.getProperty(Backends.PROPERTY) != null
                    && !System.getProperty(Backends.PROPERTY).isBlank()
                    ? "-D" + Backends.PROPERTY + "=" + forced
                    : Backends.ENV + "=" + forced;
            for (Backends.Status s : statuses) {
                if (s.name().equals(forced)) {
                    return s.available()
                            ? new Choice(forced, "forced by " + source)
                            : new Choice(null, source + " forces '" + forced
                                    + "', which is unavailable here: other commands will fail");
                }
            }
            return new Choice(null, source + " names no backend (use one of " + Backends.NAMES
                    + "): other commands will fail");
        }
        for (Backends.Status s : statuses) {
            if (s.available()) {
                return new Choice(s.name(), "the best available; force one with -D" + Backends.PROPERTY
                        + "=NAME or " + Backends.ENV + "=NAME");
            }
        }
        return new Choice(null, "no backend is available");
    }

    private void print(PrintWriter out, List<Row> rows, List<DType> dtypes, Choice choice) {
        List<String[]> table = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("backend", "available", "default", "threads"));
        if (!noProbe) {
            header.add("n");
            for (DType t : dtypes) {
                header.add(t.name().toLowerCase(Locale.ROOT) + " GFLOP/s");
            }
        }
        table.add(header.toArray(String[]::new));
        for (Row r : rows) {
            List<String> cells = new ArrayList<>(List.of(
                    r.name(),
                    r.available() ? "yes" : "no",
                    r.name().equals(choice.name()) ? "*" : "",
                    r.available() ? Integer.toString(r.threads()) : "-"));
            if (!noProbe) {
                cells.add(r.available() ? Integer.toString(r.n()) : "-");
                cells.addAll(List.of(r.gflops()));
            }
            table.add(cells.toArray(String[]::new));
        }
        int[] width = new int[header.size()];
        for (String[] line : table) {
            for (int i = 0; i < line.length; i++) {
                width[i] = Math.max(width[i], line[i].length());
            }
        }
        for (String[] line : table) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < line.length; i++) {
                sb.append(String.format(Locale.ROOT, "%-" + width[i] + "s", line[i]));
                if (i < line.length - 1) {
                    sb.append("  ");
                }
            }
            out.println(sb.toString().stripTrailing());
        }
        out.println();
        for (Row r : rows) {
            for (String note : r.notes()) {
                out.println(r.name() + ": " + note);
            }
        }
        out.println("default: " + (choice.name() != null ? choice.name() + " (" + choice.how() + ")"
                : "none: " + choice.how()));
        if (!noProbe) {
            out.printf(Locale.ROOT, "probe: C = A*B, n x n, median of 7 timed runs after warm-up; "
                    + "GFLOP/s = 2 n^3 / time (scalar at n <= %d; the JMH benchmark in bench/ is the "
                    + "measurement of record)%n", SCALAR_MAX_SIZE);
        }
    }
}
