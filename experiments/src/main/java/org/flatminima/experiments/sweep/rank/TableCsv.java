package org.flatminima.experiments.sweep.rank;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;

/**
 * Reads a sweep table ({@code DIR/table.csv}, columns in docs of the sweep design) as rows keyed by the header's
 * column names, so the ranking depends on the names of the columns and not on their positions or on the class that
 * wrote them. CSV as in RFC 4180: fields separated by commas, a field in double quotes may hold commas, quotes
 * (doubled) and line breaks; CRLF or LF line ends; a last empty line is ignored. Cells are kept as written (an empty
 * cell is the empty string: "not measured").
 */
public final class TableCsv {
    private TableCsv() {
    }

    /**
     * The rows of the CSV file {@code file}, each an unmodifiable map from column name to cell, in file order.
     *
     * @throws UserException when the file is missing, empty, has a repeated column name or a row whose number of
     *                       cells differs from the header's (naming the line)
     */
    public static List<Map<String, String>> read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserException("no sweep table at " + file + ": run 'flatminima sweep' with --out "
                    + (file.getParent() == null ? "DIR" : file.getParent()) + " first, or name the sweep's directory");
        }
        return parse(text, file.toString());
    }

    /** The rows of CSV text {@code text}; {@code source} names it in error messages. */
    public static List<Map<String, String>> parse(String text, String source) {
        List<List<String>> records = records(text, source);
        if (records.isEmpty()) {
            throw new UserException(source + " is empty: expected a header line (run_id,status,...) and rows");
        }
        List<String> header = records.get(0);
        for (int i = 0; i < header.size(); i++) {
            if (header.indexOf(header.get(i)) != i) {
                throw new UserException(source + ": column '" + header.get(i) + "' appears twice in the header");
            }
        }
        List<Map<String, String>> rows = new ArrayList<>(records.size() - 1);
        for (int r = 1; r < records.size(); r++) {
            List<String> cells = records.get(r);
            if (cells.size() != header.size()) {
                throw new UserException(source + ": record " + (r + 1) + " has " + cells.size() + " cells, the header "
                        + header.size() + ": the table is damaged; rerun the sweep to rewrite it");
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < header.size(); c++) {
                row.put(header.get(c), cells.get(c));
            }
            rows.add(Collections.unmodifiableMap(row));
        }
        return rows;
    }

    /** The records of {@code text} as lists of fields. */
    private static List<List<String>> records(String text, String source) {
        List<List<String>> records = new ArrayList<>();
        List<String> record = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        int n = text.length();
        boolean any = false; // the current record has started
        while (i < n) {
            char c = text.charAt(i);
            if (c == '"' && field.isEmpty()) {
                int close = i + 1;
                while (true) {
                    if (close >= n) {
                        throw new UserException(source + ": a quoted field is not closed (the file ends inside it)");
                    }
                    if (text.charAt(close) == '"') {
                        if (close + 1 < n && text.charAt(close + 1) == '"') {
                            field.append('"');
                            close += 2;
                            continue;
                        }
                        break;
                    }
                    field.append(text.charAt(close++));
                }
                i = close + 1;
                any = true;
                if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                    throw new UserException(source + ": text after a closing quote in record " + (records.size() + 1));
                }
            } else if (c == ',') {
                record.add(field.toString());
                field.setLength(0);
                any = true;
                i++;
            } else if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                    i++;
                }
                i++;
                if (any || !field.isEmpty()) {
                    record.add(field.toString());
                    records.add(record);
                }
                record = new ArrayList<>();
                field.setLength(0);
                any = false;
            } else {
                field.append(c);
                any = true;
                i++;
            }
        }
        if (any || !field.isEmpty()) {
            record.add(field.toString());
            records.add(record);
        }
        return records;
    }
}
