package org.flatminima.experiments.reproduce.doc;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.reproduce.Reproduction;
import org.flatminima.experiments.reproduce.Results;
import org.flatminima.experiments.sweep.rank.TableCsv;

/**
 * Reads the result files of a table: CSV by header names, and the {@code done.json} marker of a reproduce experiment.
 * Every problem is one line naming the file and, for a column, the column: a renderer fails loudly rather than render a
 * table from a file whose format changed.
 */
final class ResultFiles {
    private ResultFiles() {
    }

    /**
     * The rows of CSV file {@code name} in {@code dir}, which must have every column of {@code columns}.
     *
     * @throws UserException when the file is missing, has no rows, or lacks a column (naming the first missing one)
     */
    static List<Map<String, String>> csv(Path dir, String name, String... columns) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new UserException("no result file " + file + ": copy it there from the run's output directory "
                    + "(flatminima doc-tables --from OUT=PATH)");
        }
        List<Map<String, String>> rows = TableCsv.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        if (rows.isEmpty()) {
            throw new UserException(file + " has a header and no rows: rerun the command that writes it");
        }
        for (String c : columns) {
            if (!rows.get(0).containsKey(c)) {
                throw new UserException(file + " has no column '" + c + "': the renderer needs it; the file's format "
                        + "changed, so update the renderer or the file");
            }
        }
        return rows;
    }

    /** The number in column {@code column} of {@code row} (read from {@code file}); "NaN" is NaN. */
    static double number(Map<String, String> row, String column, Path file) {
        String s = row.get(column);
        if (s == null) {
            throw new UserException(file + " has no column '" + column + "': the renderer needs it; the file's format "
                    + "changed, so update the renderer or the file");
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new UserException(file + ": column '" + column + "' holds '" + s + "', not a number");
        }
    }

    /** The numbers of column {@code column} in {@code rows}. */
    static double[] numbers(List<Map<String, String>> rows, String column, Path file) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = number(rows.get(i), column, file);
        }
        return v;
    }

    /**
     * The configuration in the {@code done.json} marker of experiment {@code id} in {@code dir}, after checking that
     * the marker is that experiment's and was run at {@code scale}.
     *
     * @throws UserException when the marker is missing, unreadable, of another experiment or of another scale
     */
    static Map<String, Object> experimentConfig(Path dir, String id, String scale) throws IOException {
        return object(experimentMarker(dir, id, scale), "config", dir.resolve(Reproduction.MARKER));
    }

    /**
     * The whole {@code done.json} marker of experiment {@code id} in {@code dir} (its {@code config}, {@code summary},
     * ...), after the checks of {@link #experimentConfig}.
     */
    static Map<String, Object> experimentMarker(Path dir, String id, String scale) throws IOException {
        Path file = dir.resolve(Reproduction.MARKER);
        if (!Files.isRegularFile(file)) {
            throw new UserException("no result file " + file + ": copy it there from the run's output directory "
                    + "(flatminima doc-tables --from OUT=PATH)");
        }
        Map<String, Object> m;
        try {
            m = Results.JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (IOException e) {
            throw new UserException(file + " is not a reproduce marker (" + firstLine(e.getMessage()) + ")", e);
        }
        if (!id.equals(m.get("id")) || !(m.get("config") instanceof Map<?, ?> config)) {
            throw new UserException(file + " is the marker of '" + m.get("id") + "', not of " + id
                    + ": the source directory holds another experiment's files");
        }
        if (!scale.equals(config.get("scale"))) {
            throw new UserException(file + " was run at scale '" + config.get("scale") + "', the marker says '" + scale
                    + "': copy the files of a " + scale + "-scale run, or correct the marker's scale");
        }
        return m;
    }

    /** The JSON object under {@code key} of {@code json} (read from {@code file}). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> json, String key, Path file) {
        if (!(json.get(key) instanceof Map<?, ?> m)) {
            throw new UserException(file + " has no object '" + key + "' where the renderer needs it: the file's "
                    + "format changed, so update the renderer or the file");
        }
        return (Map<String, Object>) m;
    }

    /** The JSON number under {@code key} of {@code json} ("NaN" and "Infinity" as strings too; read from {@code file}). */
    static double jsonNumber(Map<String, Object> json, String key, Path file) {
        Object v = json.get(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s && s.matches("-?(NaN|Infinity)")) {
            return Double.parseDouble(s);
        }
        throw new UserException(file + " has no number '" + key + "' where the renderer needs it: the file's format "
                + "changed, so update the renderer or the file");
    }

    /** The JSON string under {@code key} of {@code json} (read from {@code file}). */
    static String jsonString(Map<String, Object> json, String key, Path file) {
        if (!(json.get(key) instanceof String s)) {
            throw new UserException(file + " has no text '" + key + "' where the renderer needs it: the file's format "
                    + "changed, so update the renderer or the file");
        }
        return s;
    }

    /** The JSON list of strings under {@code key} of {@code json} (read from {@code file}). */
    static List<String> strings(Map<String, Object> json, String key, Path file) {
        if (!(json.get(key) instanceof List<?> l) || !l.stream().allMatch(String.class::isInstance)) {
            throw new UserException(file + " has no list of texts '" + key + "' where the renderer needs it: the "
                    + "file's format changed, so update the renderer or the file");
        }
        return l.stream().map(String.class::cast).toList();
    }

    /** The integer under {@code key} of configuration {@code config} read from {@code file}. */
    static long integer(Map<String, Object> config, String key, Path file) {
        if (!(config.get(key) instanceof Number n)) {
            throw new UserException(file + " has no number '" + key + "' in its config: the renderer needs it");
        }
        return n.longValue();
    }

    /** The rows of {@code rows} whose column {@code column} equals {@code value}, in file order. */
    static List<Map<String, String>> where(List<Map<String, String>> rows, String column, String value) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Map<String, String> r : rows) {
            if (value.equals(r.get(column))) {
                out.add(r);
            }
        }
        return out;
    }

    private static String firstLine(String s) {
        return s == null ? "unreadable" : s.lines().findFirst().orElse("unreadable");
    }
}
