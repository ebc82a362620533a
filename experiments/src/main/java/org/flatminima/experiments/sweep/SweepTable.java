package org.flatminima.experiments.sweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.AtomicFiles;

/**
 * The sweep table: one row per (run, checkpoint), the columns of {@link #COLUMNS} in that order (docs: the sweep
 * design). A cell is text: numbers are written with {@link Double#toString(double)} (or {@link Long#toString} for
 * the integer columns), so a value read back is bit for bit the value written; an empty cell means "not
 * measured", {@code NaN} (or {@code Infinity}) "measured and not finite".
 *
 * <p>CSV: a header line of the column names, then one line per row, RFC 4180 quoting for cells that hold a comma,
 * a quote or a line break (an {@code arch} such as {@code seq:1x28x28:conv(8,3,pad=1),relu,...}).
 */
public final class SweepTable {
    private SweepTable() {
    }

    /** What a column holds. */
    public enum Kind {
        /** Free text. */
        TEXT,
        /** A whole number ({@link Long#toString}). */
        INTEGER,
        /** A floating-point number ({@link Double#toString(double)}; NaN and infinities allowed). */
        REAL
    }

    /** The columns, in table order (the CSV header). */
    public static final List<String> COLUMNS = List.of(
            "run_id", "status", "dataset", "arch", "dtype", "optimizer", "lr", "momentum", "weight_decay",
            "batch_size", "epochs", "schedule", "seed",
            "step", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "gap_accuracy", "gap_loss",
            "trace", "trace_method", "pp_trace_mean", "pp_trace_median", "pp_trace_q1", "pp_trace_q3",
            "top_eigenvalue",
            "output_margin_mean", "output_margin_median", "softmax_margin_mean", "softmax_margin_median",
            "input_margin_mean", "input_margin_median",
            "spectral_norm_product", "output_margin_norm_median", "input_margin_norm_median",
            "one_minus_m2_mean", "affine_trace_expr_mean");

    /** The columns of a run (identification and hyperparameters): the same in each of its rows. */
    public static final List<String> RUN_COLUMNS = COLUMNS.subList(0, COLUMNS.indexOf("step"));

    /** The columns of one checkpoint (training state and measures): what {@code measures/step-N.json} holds. */
    public static final List<String> CHECKPOINT_COLUMNS = COLUMNS.subList(COLUMNS.indexOf("step"), COLUMNS.size());

    private static final List<String> TEXT = List.of("run_id", "status", "dataset", "arch", "dtype", "optimizer",
            "schedule", "trace_method");
    private static final List<String> INTEGER = List.of("batch_size", "epochs", "seed", "step");
    private static final Map<String, Integer> INDEX = IntStream.range(0, COLUMNS.size()).boxed()
            .collect(Collectors.toUnmodifiableMap(COLUMNS::get, i -> i));

    /** What {@code column} holds; an unknown column is an {@link IllegalArgumentException}. */
    public static Kind kind(String column) {
        index(column);
        return TEXT.contains(column) ? Kind.TEXT : INTEGER.contains(column) ? Kind.INTEGER : Kind.REAL;
    }

    private static int index(String column) {
        Integer i = INDEX.get(column);
        if (i == null) {
            throw new IllegalArgumentException("no sweep table column '" + column + "'");
        }
        return i;
    }

    /** Orders rows by run id, then step. */
    public static final Comparator<Row> ORDER = Comparator.comparing(Row::runId).thenComparingLong(Row::step);

    /** One row: a cell per column, "" when empty. Immutable; equal when every cell is equal. */
    public static final class Row {
        private final String[] cells;

        private Row(String[] cells) {
            this.cells = cells;
        }

        /** A builder with every cell empty. */
        public static Builder builder() {
            return new Builder(new String[COLUMNS.size()]);
        }

        /** A builder holding this row's cells. */
        public Builder toBuilder() {
            return new Builder(cells.clone());
        }

        /** The cell of {@code column} as written ("" when empty). */
        public String cell(String column) {
            return cells[index(column)];
        }

        /** Whether the cell of {@code column} is empty (not measured). */
        public boolean isEmpty(String column) {
            return cells[index(column)].isEmpty();
        }

        /** The number in {@code column} (an integer or real column), or null when the cell is empty. */
        public Double number(String column) {
            if (kind(column) == Kind.TEXT) {
                throw new IllegalArgumentException(column + " is a text column");
            }
            String c = cells[index(column)];
            return c.isEmpty() ? null : Double.parseDouble(c);
        }

        public String runId() {
            return cell("run_id");
        }

        public String status() {
            return cell("status");
        }

        /** The step (-1 when the cell is empty). */
        public long step() {
            String c = cell("step");
            return c.isEmpty() ? -1 : Long.parseLong(c);
        }

        /** The cells in column order. */
        public List<String> cells() {
            return List.of(cells);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Row r && Arrays.equals(cells, r.cells);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(cells);
        }

        @Override
        public String toString() {
            return line(cells);
        }
    }

    /** Fills a {@link Row}; each setter formats its value the table's way. */
    public static final class Builder {
        private final String[] cells;

        private Builder(String[] cells) {
            this.cells = cells;
        }

        /** Sets a text cell (null: empty). */
        public Builder text(String column, String value) {
            require(column, Kind.TEXT);
            cells[index(column)] = value == null ? "" : value;
            return this;
        }

        /** Sets an integer cell. */
        public Builder integer(String column, long value) {
            require(column, Kind.INTEGER);
            cells[index(column)] = Long.toString(value);
            return this;
        }

        /** Sets a real cell ({@link Double#toString(double)}: NaN and infinities as Java writes them). */
        public Builder real(String column, double value) {
            require(column, Kind.REAL);
            cells[index(column)] = Double.toString(value);
            return this;
        }

        /**
         * Sets a cell from its text as written in a table ("" for empty); a number column refuses text that is
         * not a number of its kind.
         */
        public Builder cell(String column, String text) {
            Kind k = kind(column);
            if (!text.isEmpty() && k != Kind.TEXT) {
                try {
                    if (k == Kind.INTEGER) {
                        Long.parseLong(text);
                    } else {
                        Double.parseDouble(text);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(column + " must be " + (k == Kind.INTEGER ? "an integer"
                            : "a number") + ", got '" + text + "'");
                }
            }
            cells[index(column)] = text;
            return this;
        }

        public Row build() {
            String[] c = cells.clone();
            for (int i = 0; i < c.length; i++) {
                if (c[i] == null) {
                    c[i] = "";
                }
            }
            return new Row(c);
        }

        private static void require(String column, Kind k) {
            if (kind(column) != k) {
                throw new IllegalArgumentException(column + " is a " + kind(column) + " column, not " + k);
            }
        }
    }

    /** The table as CSV text: the header, then one line per row. */
    public static String csv(List<Row> rows) {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (Row r : rows) {
            sb.append(line(r.cells)).append('\n');
        }
        return sb.toString();
    }

    /** Writes the rows to {@code file} as CSV, atomically. */
    public static void write(Path file, List<Row> rows) {
        byte[] bytes = csv(rows).getBytes(StandardCharsets.UTF_8);
        try {
            AtomicFiles.write(file, out -> out.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a table {@link #write} wrote; a file that is not one is a {@link UserException} naming the line. */
    public static List<Row> read(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new UserException("cannot read the sweep table " + file + ": " + e.getMessage());
        }
    }

    /** Parses the CSV text of a table; {@code source} names it in errors. */
    public static List<Row> parse(String text, String source) {
        List<List<String>> records = SweepTableCsv.parse(text, source);
        if (records.isEmpty() || !records.getFirst().equals(COLUMNS)) {
            throw new UserException(source + " is not a sweep table: its header is not " + String.join(",", COLUMNS));
        }
        List<Row> rows = new ArrayList<>();
        for (int r = 1; r < records.size(); r++) {
            List<String> f = records.get(r);
            if (f.size() != COLUMNS.size()) {
                throw new UserException(source + " record " + (r + 1) + " has " + f.size() + " cells, the header "
                        + COLUMNS.size() + ": the table is damaged; write it again");
            }
            Builder b = Row.builder();
            for (int c = 0; c < f.size(); c++) {
                try {
                    b.cell(COLUMNS.get(c), f.get(c));
                } catch (IllegalArgumentException e) {
                    throw new UserException(source + " record " + (r + 1) + ": " + e.getMessage());
                }
            }
            rows.add(b.build());
        }
        return rows;
    }

    /**
     * The rows of every run in {@code sweepDir/runs/} (finished, diverged or not yet done), sorted by run id, then
     * step. A directory without {@code config.json} is skipped (a run that has not started writing).
     */
    public static List<Row> collect(Path sweepDir) {
        Path runs = sweepDir.resolve("runs");
        if (!Files.isDirectory(runs)) {
            return List.of();
        }
        List<Row> rows = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(runs)) {
            for (Path d : dirs.sorted().toList()) {
                SweepRunDirectory run = new SweepRunDirectory(d);
                if (Files.isRegularFile(run.config())) {
                    rows.addAll(run.rows());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + runs + ": " + e.getMessage(), e);
        }
        rows.sort(ORDER);
        return rows;
    }

    private static String line(String[] cells) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(SweepTableCsv.quote(cells[i]));
        }
        return sb.toString();
    }
}
