package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.reproduce.doc.DocBlocks.Block;

/**
 * Regenerates the marked tables of a Markdown document from their result files ({@link DocBlocks} for the markers,
 * {@link Renderers} for the tables): {@link #check} lists the tables whose text differs from what their files give,
 * {@link #update} rewrites them (the whole document atomically, only when something changed), and {@link #copyFrom}
 * first copies the files the tables read from a run's output directory into the document's result directory.
 * Sources are relative to the document's directory, like its Markdown links.
 */
public final class DocTables {

    /**
     * A copy from a run's output directory: every table whose source is {@code target} or lies under it reads its
     * files from the same place under {@code out}.
     *
     * @param out    the output directory of {@code flatminima reproduce}, {@code sweep} or {@code rank}
     * @param target a source prefix as the markers write it, e.g. {@code results/reproduce-quick}
     */
    public record Copy(Path out, String target) {
        /** Parses {@code OUT=PATH}. */
        public static Copy parse(String s) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1) {
                throw new UserException("--from '" + s + "': write OUT=PATH, e.g. out/reproduce=results/reproduce-quick "
                        + "(PATH as the markers' source: relative to the document)");
            }
            return new Copy(Path.of(s.substring(0, eq)), trimSlash(s.substring(eq + 1)));
        }
    }

    private DocTables() {
    }

    /**
     * One line per table of {@code doc} whose text differs from what its result files give ({@code doc:line: ...},
     * the line of the opening marker); empty when every table is up to date. Writes nothing.
     */
    public static List<String> check(Path doc) throws IOException {
        String text = read(doc);
        List<String> drift = new ArrayList<>();
        for (Block b : DocBlocks.parse(text, doc.toString())) {
            List<String> want = DocBlocks.body(render(b, doc));
            if (!want.equals(b.body())) {
                int at = firstDifference(b.body(), want);
                drift.add(b.where(doc.toString()) + ": table '" + b.id() + "' (" + b.source() + ") differs from its "
                        + "result files from line " + (b.openLine() + 1 + at) + ": run 'flatminima doc-tables " + doc
                        + "' to rewrite it");
            }
        }
        return drift;
    }

    /**
     * Rewrites every table of {@code doc} from its result files; the document is replaced atomically, and only when
     * a table changed. Every table is rendered before anything is written, so an error leaves the document as it was.
     *
     * @return the opening-marker lines of the tables that changed
     */
    public static List<Integer> update(Path doc) throws IOException {
        String text = read(doc);
        List<Block> blocks = DocBlocks.parse(text, doc.toString());
        Map<Block, List<String>> bodies = new LinkedHashMap<>();
        List<Integer> changed = new ArrayList<>();
        for (Block b : blocks) {
            List<String> want = DocBlocks.body(render(b, doc));
            bodies.put(b, want);
            if (!want.equals(b.body())) {
                changed.add(b.openLine());
            }
        }
        if (!changed.isEmpty()) {
            String updated = DocBlocks.rewrite(text, blocks, bodies::get);
            AtomicFiles.write(doc, out -> out.write(updated.getBytes(StandardCharsets.UTF_8)));
        }
        return changed;
    }

    /**
     * Copies, for every copy in {@code copies}, the files that the tables under its target read from its output
     * directory into the document's directory (each file atomically). Every file is checked to exist before any is
     * copied.
     *
     * @return the files written, relative to the document's directory
     * @throws UserException when a target matches no table of the document, or a file is missing in the output
     */
    public static List<String> copyFrom(Path doc, List<Copy> copies) throws IOException {
        List<Block> blocks = DocBlocks.parse(read(doc), doc.toString());
        Path docDir = directory(doc);
        Map<Path, Path> plan = new LinkedHashMap<>(); // destination -> origin
        Set<String> written = new TreeSet<>();
        for (Copy c : copies) {
            boolean any = false;
            for (Block b : blocks) {
                String rest = under(b.source(), c.target());
                if (rest == null) {
                    continue;
                }
                any = true;
                TableRenderer r = renderer(b, doc);
                Path from = rest.isEmpty() ? c.out() : c.out().resolve(rest);
                for (String f : r.files()) {
                    Path origin = from.resolve(f);
                    if (!Files.isRegularFile(origin)) {
                        throw new UserException(b.where(doc.toString()) + ": table '" + b.id() + "' needs " + origin
                                + ", which does not exist: name the output directory of a finished run");
                    }
                    plan.put(docDir.resolve(source(b, doc)).resolve(f), origin);
                    written.add(b.source() + "/" + f);
                }
            }
            if (!any) {
                throw new UserException("--from " + c.out() + "=" + c.target() + ": no table of " + doc
                        + " has its source under '" + c.target() + "'");
            }
        }
        for (Map.Entry<Path, Path> e : plan.entrySet()) {
            AtomicFiles.write(e.getKey(), out -> Files.copy(e.getValue(), out));
        }
        return List.copyOf(written);
    }

    /** The table of block {@code b} of document {@code doc}, or a one-line error naming the marker's line. */
    static String render(Block b, Path doc) throws IOException {
        TableRenderer r = renderer(b, doc);
        Path dir = directory(doc).resolve(source(b, doc));
        try {
            return r.render(dir, b.options());
        } catch (UserException e) {
            throw new UserException(b.where(doc.toString()) + ": table '" + b.id() + "': " + e.getMessage(), e);
        }
    }

    /** The renderer a block names, after checking its options. */
    private static TableRenderer renderer(Block b, Path doc) {
        String where = b.where(doc.toString());
        TableRenderer r = Renderers.find(b.id()).orElseThrow(() -> new UserException(where + ": unknown table '"
                + b.id() + "': " + Renderers.known(b.id())));
        for (String k : r.requiredOptions()) {
            if (!b.options().containsKey(k)) {
                throw new UserException(where + ": table '" + b.id() + "' needs option '" + k + ": VALUE' in its marker");
            }
        }
        for (String k : b.options().keySet()) {
            if (!r.requiredOptions().contains(k) && !r.optionalOptions().contains(k)) {
                Set<String> takes = new TreeSet<>(r.requiredOptions());
                takes.addAll(r.optionalOptions());
                throw new UserException(where + ": table '" + b.id() + "' has no option '" + k + "' (it takes: "
                        + (takes.isEmpty() ? "none" : String.join(", ", takes)) + ")");
            }
        }
        return r;
    }

    /** A block's source as a path: relative, normalised and inside the document's directory. */
    private static Path source(Block b, Path doc) {
        Path p = Path.of(b.source());
        if (p.isAbsolute() || !p.normalize().equals(p) || p.startsWith("..") || b.source().endsWith("/")) {
            throw new UserException(b.where(doc.toString()) + ": source '" + b.source() + "' must be a relative path "
                    + "inside the document's directory, without '..' or '.', e.g. results/reproduce-quick/E1");
        }
        return p;
    }

    /** The rest of {@code source} below {@code prefix} ("" when equal), or null when it is not below it. */
    private static String under(String source, String prefix) {
        if (source.equals(prefix)) {
            return "";
        }
        return source.startsWith(prefix + "/") ? source.substring(prefix.length() + 1) : null;
    }

    private static String trimSlash(String s) {
        String t = s;
        while (t.endsWith("/") && t.length() > 1) {
            t = t.substring(0, t.length() - 1);
        }
        return t.startsWith("./") ? t.substring(2) : t;
    }

    private static Path directory(Path doc) {
        Path dir = doc.toAbsolutePath().getParent();
        return dir == null ? Path.of("/") : dir;
    }

    private static String read(Path doc) throws IOException {
        try {
            return Files.readString(doc, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserException("no document " + doc + ": name a Markdown file with table markers, e.g. "
                    + "docs/REPRODUCTION.md");
        }
    }

    private static int firstDifference(List<String> a, List<String> b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            if (!a.get(i).equals(b.get(i))) {
                return i;
            }
        }
        return n;
    }
}
