package org.flatminima.experiments.sweep;

import java.util.ArrayList;
import java.util.List;
import org.flatminima.experiments.UserException;

/**
 * RFC 4180 CSV for the {@link SweepTable}: a cell holding a comma, a double quote or a line break is written in
 * double quotes with its quotes doubled; records end with a line feed (a carriage return before it is accepted).
 */
final class SweepTableCsv {
    private SweepTableCsv() {
    }

    /** The cell as a CSV field. */
    static String quote(String cell) {
        if (cell.indexOf(',') < 0 && cell.indexOf('"') < 0 && cell.indexOf('\n') < 0 && cell.indexOf('\r') < 0) {
            return cell;
        }
        return '"' + cell.replace("\"", "\"\"") + '"';
    }

    /** The records of {@code text}, each a list of fields; {@code source} names the text in errors. */
    static List<List<String>> parse(String text, String source) {
        List<List<String>> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        int line = 1;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    f.append('"');
                    i += 2;
                    continue;
                }
                if (c == '"') {
                    quoted = false;
                } else {
                    line += c == '\n' ? 1 : 0;
                    f.append(c);
                }
                i++;
                continue;
            }
            switch (c) {
                case '"' -> {
                    if (!f.isEmpty() || wasQuoted) {
                        throw new UserException(source + " line " + line + ": a quote inside an unquoted cell");
                    }
                    quoted = true;
                    wasQuoted = true;
                }
                case ',' -> {
                    fields.add(f.toString());
                    f.setLength(0);
                    wasQuoted = false;
                }
                case '\r' -> {
                    if (i + 1 >= text.length() || text.charAt(i + 1) != '\n') {
                        throw new UserException(source + " line " + line + ": a carriage return outside quotes");
                    }
                }
                case '\n' -> {
                    fields.add(f.toString());
                    records.add(fields);
                    fields = new ArrayList<>();
                    f.setLength(0);
                    wasQuoted = false;
                    line++;
                }
                default -> {
                    if (wasQuoted) {
                        throw new UserException(source + " line " + line + ": text after a quoted cell");
                    }
                    f.append(c);
                }
            }
            i++;
        }
        if (quoted) {
            throw new UserException(source + " line " + line + ": a quoted cell is not closed (a torn file?)");
        }
        if (!f.isEmpty() || !fields.isEmpty() || wasQuoted) {
            throw new UserException(source + " line " + line + ": the last record has no line end (a torn file?)");
        }
        return records;
    }
}
