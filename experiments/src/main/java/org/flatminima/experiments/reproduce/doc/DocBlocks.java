package org.flatminima.experiments.reproduce.doc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flatminima.experiments.UserException;

/**
 * The generated blocks of a Markdown document: the lines between an opening marker
 * {@code <!-- table: ID source: PATH [KEY: VALUE]... -->} and the next {@code <!-- end table -->}, each marker alone on
 * its line. {@code ID} names a {@link TableRenderer}, {@code PATH} the result files it reads (relative to the
 * document's directory, like a Markdown link), and the optional {@code KEY: VALUE} pairs are the renderer's options.
 * The lines between the markers are the block's body: an empty line, the rendered table, an empty line (the empty
 * lines keep every Markdown renderer from reading a marker as a table row).
 *
 * <p>Only a line that starts with {@code <!-- table:} (leading blanks aside) or is exactly the end marker counts,
 * so prose may quote the markers inside other text. Every problem with the markers is a {@link UserException} with one line naming the document and line: a
 * malformed opening marker, an opening marker inside an open block (a duplicated or a missing end marker), an end
 * marker without an opening one, a block still open at the end of the document, a repeated option.
 */
public final class DocBlocks {

    /** The end marker, alone on its line. */
    public static final String END = "<!-- end table -->";

    /** What starts an opening marker; a line starting so that does not match {@link #OPEN} is an error. */
    static final String OPEN_PREFIX = "<!-- table:";

    private static final Pattern OPEN = Pattern.compile(
            "<!-- table: (\\S+) source: (\\S+)((?: [A-Za-z][A-Za-z0-9_-]*: \\S+)*) -->");
    private static final Pattern OPTION = Pattern.compile(" ([A-Za-z][A-Za-z0-9_-]*): (\\S+)");

    private DocBlocks() {
    }

    /**
     * One generated block.
     *
     * @param openLine 1-based line of the opening marker
     * @param endLine  1-based line of the end marker
     * @param id       the renderer's id
     * @param source   the source path as written (relative to the document's directory)
     * @param options  the options in marker order, unmodifiable
     * @param body     the lines between the two markers
     */
    public record Block(int openLine, int endLine, String id, String source, Map<String, String> options,
                        List<String> body) {
        /** {@code doc:line} of the opening marker, the prefix of this block's error and drift lines. */
        public String where(String doc) {
            return doc + ":" + openLine;
        }
    }

    /** The lines of {@code text}: split at {@code \n}, so joining them with {@code \n} gives the text back. */
    static List<String> lines(String text) {
        return List.of(text.split("\n", -1));
    }

    /**
     * The blocks of {@code text} in document order; {@code doc} names the document in error lines.
     *
     * @throws UserException on a marker problem (see the class comment)
     */
    public static List<Block> parse(String text, String doc) {
        List<String> lines = lines(text);
        List<Block> blocks = new ArrayList<>();
        int open = -1; // 0-based line of the open block's marker, or -1
        Matcher m = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith(OPEN_PREFIX)) {
                if (open >= 0) {
                    throw new UserException(doc + ":" + (i + 1) + ": a table marker inside the block opened at line "
                            + (open + 1) + ": add '" + END + "' after that block's table, or remove the repeated marker");
                }
                m = OPEN.matcher(line);
                if (!m.matches()) {
                    throw new UserException(doc + ":" + (i + 1) + ": malformed table marker '" + line
                            + "': write '<!-- table: ID source: PATH [KEY: VALUE]... -->' on a line of its own");
                }
                open = i;
            } else if (line.equals(END)) {
                if (open < 0) {
                    throw new UserException(doc + ":" + (i + 1) + ": '" + END + "' without an opening "
                            + "'<!-- table: ID source: PATH -->' before it: add the opening marker or remove this line");
                }
                blocks.add(new Block(open + 1, i + 1, m.group(1), m.group(2), options(m.group(3), doc, open + 1),
                        List.copyOf(lines.subList(open + 1, i))));
                open = -1;
            }
        }
        if (open >= 0) {
            throw new UserException(doc + ":" + (open + 1) + ": table '" + m.group(1) + "' is not closed: add '" + END
                    + "' after its table");
        }
        return List.copyOf(blocks);
    }

    private static Map<String, String> options(String text, String doc, int line) {
        Map<String, String> options = new LinkedHashMap<>();
        Matcher o = OPTION.matcher(text);
        while (o.find()) {
            if (o.group(1).equals("table") || o.group(1).equals("source")
                    || options.put(o.group(1), o.group(2)) != null) {
                throw new UserException(doc + ":" + line + ": option '" + o.group(1) + "' appears twice in the marker");
            }
        }
        return Collections.unmodifiableMap(options);
    }

    /** The body a block holds when its table is {@code table} (Markdown lines, no trailing line break). */
    public static List<String> body(String table) {
        List<String> body = new ArrayList<>();
        body.add("");
        body.addAll(lines(table.stripTrailing()));
        body.add("");
        return body;
    }

    /**
     * {@code text} with the body of every block replaced by {@code bodies.apply(block)}; every other line, the markers
     * included, is kept byte for byte.
     */
    public static String rewrite(String text, List<Block> blocks, Function<Block, List<String>> bodies) {
        List<String> lines = lines(text);
        List<String> out = new ArrayList<>(lines.size());
        int next = 0; // 0-based index of the next line to copy
        for (Block b : blocks) {
            out.addAll(lines.subList(next, b.openLine()));
            out.addAll(bodies.apply(b));
            next = b.endLine() - 1;
        }
        out.addAll(lines.subList(next, lines.size()));
        return String.join("\n", out);
    }
}
