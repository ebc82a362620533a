package org.flatminima.experiments.reproduce.doc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flatminima.cli.Main;
import org.flatminima.experiments.UserException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Checking and rewriting a document's tables, copying result files, and the command's exit statuses. */
class DocTablesTest {

    @TempDir
    Path root;
    Path doc;
    Path out;

    static final String E5_CSV = "alpha,trace_exact_ggn,top_eigenvalue\n0.5,4.0,2.0\n2.0,8.0,3.0\n";
    static final String E5_TABLE = "| alpha | 1/2 | 2 |\n|---|---|---|\n| trace (exact-ggn) | 4 | 8 |\n"
            + "| top eigenvalue | 2 | 3 |";

    @BeforeEach
    void setUp() throws IOException {
        out = root.resolve("out");
        DocRenderersTest.marker(out.resolve("E5"), "E5", "quick", "");
        Files.writeString(out.resolve("E5/reparametrisation.csv"), E5_CSV);
        Files.writeString(out.resolve("E5/plot.png"), "not a table's file");
        doc = root.resolve("docs/DOC.md");
        Files.createDirectories(doc.getParent());
        Files.writeString(doc, """
                # Doc

                <!-- table: e5-reparametrisation source: results/q/E5 scale: quick -->

                | hand-written | 1 |

                <!-- end table -->

                text
                """);
    }

    @Test
    void copyThenUpdateThenCheckIsClean() throws IOException {
        List<String> copied = DocTables.copyFrom(doc, List.of(DocTables.Copy.parse(out + "=results/q/")));
        assertThat(copied).containsExactly("results/q/E5/done.json", "results/q/E5/reparametrisation.csv");
        assertThat(root.resolve("docs/results/q/E5/plot.png")).doesNotExist(); // only what the table reads
        assertThat(DocTables.check(doc)).containsExactly("" + doc + ":3: table 'e5-reparametrisation' (results/q/E5) "
                + "differs from its result files from line 5: run 'flatminima doc-tables " + doc + "' to rewrite it");

        assertThat(DocTables.update(doc)).containsExactly(3);
        assertThat(Files.readString(doc)).isEqualTo("# Doc\n\n<!-- table: e5-reparametrisation source: results/q/E5 "
                + "scale: quick -->\n\n" + E5_TABLE + "\n\n<!-- end table -->\n\ntext\n");
        assertThat(DocTables.check(doc)).isEmpty();
        assertThat(DocTables.update(doc)).isEmpty();

        // a changed result file is drift again
        Files.writeString(root.resolve("docs/results/q/E5/reparametrisation.csv"), E5_CSV.replace("4.0", "4.5"));
        assertThat(DocTables.check(doc)).singleElement().asString().startsWith(doc + ":3: table 'e5-reparametrisation'");
    }

    @Test
    void aMissingFileInTheOutputCopiesNothing() throws IOException {
        Files.delete(out.resolve("E5/done.json"));
        assertThatThrownBy(() -> DocTables.copyFrom(doc, List.of(DocTables.Copy.parse(out + "=results/q"))))
                .isInstanceOf(UserException.class).hasMessageStartingWith(doc + ":3: table 'e5-reparametrisation' needs ");
        assertThat(root.resolve("docs/results")).doesNotExist();
        assertThatThrownBy(() -> DocTables.copyFrom(doc, List.of(DocTables.Copy.parse(out + "=results/other"))))
                .isInstanceOf(UserException.class).hasMessageContaining("no table of " + doc + " has its source under");
    }

    @Test
    void anErrorInAnyTableLeavesTheDocumentAsItWas() throws IOException {
        DocTables.copyFrom(doc, List.of(DocTables.Copy.parse(out + "=results/q")));
        Files.writeString(doc, Files.readString(doc) + "\n<!-- table: e1-traces source: results/q/E1 scale: quick -->\n"
                + "<!-- end table -->\n");
        String before = Files.readString(doc);
        assertThatThrownBy(() -> DocTables.update(doc)).isInstanceOf(UserException.class)
                .hasMessageStartingWith(doc + ":11: table 'e1-traces': no result file ");
        assertThat(Files.readString(doc)).isEqualTo(before);
    }

    @Test
    void unknownIdsOptionsAndSourcesAreOneLineNamingTheMarkersLine() throws IOException {
        assertUpdateFails("<!-- table: e5-reparametrization source: r -->", "d.md:2: unknown table "
                + "'e5-reparametrization': did you mean 'e5-reparametrisation'? known tables: e1-traces, ");
        assertUpdateFails("<!-- table: e5-reparametrisation source: r -->",
                "d.md:2: table 'e5-reparametrisation' needs option 'scale: VALUE'");
        assertUpdateFails("<!-- table: e5-reparametrisation source: r scale: quick data: x -->",
                "d.md:2: table 'e5-reparametrisation' has no option 'data' (it takes: scale, seed)");
        assertUpdateFails("<!-- table: sweep-ranking source: ../r -->", "d.md:2: source '../r' must be a relative");
        assertUpdateFails("<!-- table: sweep-ranking source: /tmp/r -->", "d.md:2: source '/tmp/r' must be a relative");
    }

    private void assertUpdateFails(String marker, String prefix) throws IOException {
        Path d = root.resolve("d.md");
        Files.writeString(d, "x\n" + marker + "\n<!-- end table -->\n");
        Path relative = root.relativize(d);
        String cwdFree = d.toString(); // messages name the document as given
        assertThatThrownBy(() -> DocTables.update(d)).isInstanceOf(UserException.class)
                .satisfies(e -> assertThat(e.getMessage().replace(cwdFree, relative.toString())).startsWith(prefix)
                        .doesNotContain("\n"));
    }

    @Test
    void theCommandExitsThreeOnDriftZeroWhenCleanTwoOnAUserError() throws IOException {
        Run drift = run("doc-tables", doc.toString(), "--check");
        assertThat(drift.status()).isEqualTo(2); // no result files yet: a user error naming the file
        assertThat(drift.err()).contains("no result file ").contains("done.json");

        Run update = run("doc-tables", doc.toString(), "--from", out + "=results/q");
        assertThat(update.status()).isZero();
        assertThat(update.out()).contains("copied 2 result files").contains("rewrote 1 tables of " + doc);
        assertThat(run("doc-tables", doc.toString(), "--check").status()).isZero();

        Files.writeString(doc, Files.readString(doc).replace("| trace (exact-ggn) | 4 |", "| trace (exact-ggn) | 5 |"));
        Run check = run("doc-tables", doc.toString(), "--check");
        assertThat(check.status()).isEqualTo(DocTablesCommand.EXIT_DRIFT);
        assertThat(check.err().lines().toList()).singleElement().asString()
                .startsWith(doc + ":3: table 'e5-reparametrisation' (results/q/E5) differs from its result files from "
                        + "line 7");

        Run both = run("doc-tables", doc.toString(), "--check", "--from", out + "=results/q");
        assertThat(both.status()).isEqualTo(2);
        assertThat(run("doc-tables", root.resolve("none.md").toString()).err()).contains("no document ");
    }

    record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        cl.setOut(new PrintWriter(o, true));
        cl.setErr(new PrintWriter(e, true));
        int status = cl.execute(args);
        return new Run(status, o.toString(), e.toString());
    }
}
