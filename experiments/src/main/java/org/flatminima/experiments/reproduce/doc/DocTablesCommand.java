package org.flatminima.experiments.reproduce.doc;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.flatminima.experiments.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code flatminima doc-tables DOC [--check] [--from OUT=PATH]...}: regenerates the marked tables of a Markdown document
 * from result files ({@link DocTables}). A separate command rather than an option of {@code reproduce}: the tables
 * also come from {@code sweep} and {@code rank} outputs, nothing is computed (it runs in well under a second), and
 * {@code --check} can guard the document in a test or a script without running any experiment.
 */
@Command(name = "doc-tables",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Regenerates (or checks) the tables of a document that are marked as generated from result files.",
        footer = {
                "",
                "A generated table sits between two lines of its own:",
                "  <!-- table: ID source: PATH [KEY: VALUE]... -->",
                "  <!-- end table -->",
                "PATH is relative to the document, like its links (results/... in docs/).",
                "Tables (ID): e1-traces, e2-pearson-seeds, e2-authors-estimator, e3-runs,",
                "e4-scaling, e5-reparametrisation (one experiment's directory of 'reproduce'",
                "output; option scale: quick|full, e4-scaling also data: NAME),",
                "sweep-configurations and sweep-ranking (a sweep's directory).",
                "After './flatminima reproduce --out out/reproduce':",
                "  flatminima doc-tables docs/REPRODUCTION.md \\",
                "      --from out/reproduce=results/reproduce-quick",
                "Exit status: 0 success (--check: every table up to date), 1 environment",
                "error or bug, 2 user error, 3 --check: a table differs from its result",
                "files (one line each on stderr).",
        })
public final class DocTablesCommand implements Callable<Integer> {

    /** Exit status of {@code --check} when a table differs from its result files. */
    public static final int EXIT_DRIFT = 3;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DOC", description = "the Markdown document, e.g. docs/REPRODUCTION.md")
    Path doc;

    @Option(names = "--check", description = "write nothing; list the tables that differ from their files, exit 3 if any")
    boolean check;

    @Option(names = "--from", paramLabel = "OUT=PATH",
            description = "first copy the files that the tables under source PATH read from run output directory OUT "
                    + "(repeatable)")
    List<String> from = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (check) {
            if (!from.isEmpty()) {
                throw new UserException("--check writes nothing, --from copies files: use one or the other");
            }
            List<String> drift = DocTables.check(doc);
            PrintWriter err = spec.commandLine().getErr();
            drift.forEach(err::println);
            err.flush();
            if (!drift.isEmpty()) {
                return EXIT_DRIFT;
            }
            out.println("doc-tables: every table of " + doc + " is up to date");
            out.flush();
            return 0;
        }
        List<DocTables.Copy> copies = from.stream().map(DocTables.Copy::parse).toList();
        if (!copies.isEmpty()) {
            List<String> files = DocTables.copyFrom(doc, copies);
            out.println("doc-tables: copied " + files.size() + " result files: " + String.join(", ", files));
        }
        List<Integer> changed = DocTables.update(doc);
        out.println(changed.isEmpty() ? "doc-tables: every table of " + doc + " was up to date"
                : "doc-tables: rewrote " + changed.size() + " tables of " + doc + " (markers at lines "
                        + changed.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("") + ")");
        out.flush();
        return 0;
    }
}
