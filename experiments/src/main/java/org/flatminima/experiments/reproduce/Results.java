package org.flatminima.experiments.reproduce;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.flatminima.experiments.data.AtomicFiles;

/**
 * A table of results: written as CSV (full precision) and rendered as a Markdown table (rounded). Also JSON
 * helpers; every file is written atomically.
 */
public final class Results {

    /** The JSON mapper of result and marker files (indented). */
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final List<String> columns;
    private final List<Object[]> rows = new ArrayList<>();

    /** A table with the given column names. */
    public Results(String... columns) {
        this.columns = List.of(columns);
    }

    /** Adds a row: numbers or strings, one per column. */
    public Results row(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException(values.length + " values for " + columns.size() + " columns");
        }
        rows.add(values.clone());
        return this;
    }

    /** The rows added so far. */
    public List<Object[]> rows() {
        return List.copyOf(rows);
    }

    /** Writes the table as CSV (doubles with 17 significant digits). */
    public void writeCsv(Path file) {
        write(file, w -> {
            w.write(String.join(",", columns));
            w.write("\n");
            for (Object[] r : rows) {
                List<String> cells = new ArrayList<>();
                for (Object v : r) {
                    cells.add(v instanceof Double d ? Double.toString(d) : String.valueOf(v));
                }
                w.write(String.join(",", cells));
                w.write("\n");
            }
        });
    }

    /** The table in Markdown, numbers with {@code digits} significant digits. */
    public String markdown(int digits) {
        StringBuilder b = new StringBuilder("| ").append(String.join(" | ", columns)).append(" |\n|");
        b.append("---|".repeat(columns.size())).append('\n');
        for (Object[] r : rows) {
            b.append('|');
            for (Object v : r) {
                b.append(' ').append(format(v, digits)).append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** A number with {@code digits} significant digits (integers as they are). */
    public static String format(Object v, int digits) {
        if (v instanceof Double d) {
            if (d == 0 || d.isNaN() || d.isInfinite()) {
                return String.valueOf(d);
            }
            double a = Math.abs(d);
            if (a >= 1e-3 && a < 1e6) {
                return String.format(Locale.ROOT, "%." + digits + "g", d).replaceFirst("(\\.\\d*?)0+$", "$1")
                        .replaceFirst("\\.$", "");
            }
            return String.format(Locale.ROOT, "%." + (digits - 1) + "e", d);
        }
        return String.valueOf(v);
    }

    /** Writes {@code value} as indented JSON. */
    public static void writeJson(Path file, Object value) {
        write(file, w -> w.write(JSON.writeValueAsString(value)));
    }

    /** What writes a file's content (UTF-8). */
    interface Content {
        void to(Writer w) throws IOException;
    }

    static void write(Path file, Content c) {
        try {
            AtomicFiles.write(file, out -> {
                Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
                c.to(w);
                w.flush();
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The largest of {@code |a_i - b_i| / max(|b_i|, tiny)}. */
    public static double maxRelDiff(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(a.length + " vs " + b.length + " values");
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), Double.MIN_NORMAL));
        }
        return m;
    }
}
