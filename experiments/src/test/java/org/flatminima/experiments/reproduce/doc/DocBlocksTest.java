package org.flatminima.experiments.reproduce.doc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.reproduce.doc.DocBlocks.Block;
import org.junit.jupiter.api.Test;

/** The markers of generated tables: parsing, one-line errors naming the line, and rewriting in place. */
class DocBlocksTest {

    private static final String DOC = String.join("\n",
            "# Title",                                                          // 1
            "Prose quoting `<!-- table: ID source: PATH -->` inline.",          // 2
            "",                                                                 // 3
            "<!-- table: e1-traces source: results/q/E1 scale: quick -->",      // 4
            "",                                                                 // 5
            "| old |",                                                          // 6
            "",                                                                 // 7
            "<!-- end table -->",                                               // 8
            "between",                                                          // 9
            "  <!-- table: sweep-ranking source: results/s -->",                // 10
            "<!-- end table -->",                                               // 11
            "end", "");

    @Test
    void parsesBlocksWithLinesIdsSourcesOptionsAndBodies() {
        List<Block> blocks = DocBlocks.parse(DOC, "d.md");
        assertThat(blocks).hasSize(2);
        Block a = blocks.get(0);
        assertThat(a.openLine()).isEqualTo(4);
        assertThat(a.endLine()).isEqualTo(8);
        assertThat(a.id()).isEqualTo("e1-traces");
        assertThat(a.source()).isEqualTo("results/q/E1");
        assertThat(a.options()).isEqualTo(Map.of("scale", "quick"));
        assertThat(a.body()).containsExactly("", "| old |", "");
        Block b = blocks.get(1);
        assertThat(List.of(b.openLine(), b.endLine())).containsExactly(10, 11);
        assertThat(b.options()).isEmpty();
        assertThat(b.body()).isEmpty();
        assertThat(b.where("d.md")).isEqualTo("d.md:10");
    }

    @Test
    void rewriteReplacesOnlyTheBodies() {
        List<Block> blocks = DocBlocks.parse(DOC, "d.md");
        String out = DocBlocks.rewrite(DOC, blocks, b -> DocBlocks.body("| " + b.id() + " |\n|---|\n"));
        assertThat(out).isEqualTo(String.join("\n",
                "# Title",
                "Prose quoting `<!-- table: ID source: PATH -->` inline.",
                "",
                "<!-- table: e1-traces source: results/q/E1 scale: quick -->",
                "",
                "| e1-traces |",
                "|---|",
                "",
                "<!-- end table -->",
                "between",
                "  <!-- table: sweep-ranking source: results/s -->",
                "",
                "| sweep-ranking |",
                "|---|",
                "",
                "<!-- end table -->",
                "end", ""));
        // rewriting with the bodies already there gives the text back byte for byte
        assertThat(DocBlocks.rewrite(DOC, blocks, Block::body)).isEqualTo(DOC);
        // and the rewritten document parses to the new bodies
        assertThat(DocBlocks.parse(out, "d.md").get(1).body()).containsExactly("", "| sweep-ranking |", "|---|", "");
    }

    @Test
    void anEndMarkerMissingBeforeTheNextTableNamesBothLines() {
        String doc = "a\n<!-- table: e1-traces source: r/E1 -->\n| t |\n<!-- table: e5-reparametrisation source: r/E5 -->\n"
                + "<!-- end table -->\n";
        assertOneLine(doc, "d.md:4: a table marker inside the block opened at line 2");
    }

    @Test
    void aBlockOpenAtTheEndOfTheDocumentNamesItsMarkerLine() {
        assertOneLine("x\ny\n<!-- table: e1-traces source: r/E1 -->\n| t |\n", "d.md:3: table 'e1-traces' is not closed");
    }

    @Test
    void aDuplicatedEndMarkerNamesTheSecond() {
        String doc = "<!-- table: e1-traces source: r/E1 -->\n<!-- end table -->\n\n<!-- end table -->\n";
        assertOneLine(doc, "d.md:4: '<!-- end table -->' without an opening");
    }

    @Test
    void aMalformedMarkerNamesItsLine() {
        assertOneLine("\n\n<!-- table: e1-traces -->\n<!-- end table -->\n", "d.md:3: malformed table marker");
        assertOneLine("<!-- table: e1-traces source: r scale quick -->\n<!-- end table -->\n",
                "d.md:1: malformed table marker");
    }

    @Test
    void aRepeatedOptionNamesItsLine() {
        assertOneLine("\n<!-- table: e4-scaling source: r scale: quick scale: full -->\n<!-- end table -->\n",
                "d.md:2: option 'scale' appears twice");
    }

    private static void assertOneLine(String doc, String prefix) {
        assertThatThrownBy(() -> DocBlocks.parse(doc, "d.md")).isInstanceOf(UserException.class)
                .satisfies(e -> assertThat(e.getMessage()).startsWith(prefix).doesNotContain("\n"));
    }
}
