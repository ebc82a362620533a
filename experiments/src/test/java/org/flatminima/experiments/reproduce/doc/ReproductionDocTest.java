package org.flatminima.experiments.reproduce.doc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flatminima.experiments.sweep.rank.MeasureRanking;
import org.flatminima.experiments.sweep.rank.RankFiles;
import org.flatminima.experiments.sweep.rank.RankOptions;
import org.flatminima.experiments.sweep.rank.TableCsv;
import org.junit.jupiter.api.Test;

/**
 * docs/REPRODUCTION.md cannot drift from the code: every generated table is regenerated from the result files
 * committed under docs/results/ and must equal the document's text; and the committed ranking is what
 * {@code flatminima rank --target test_accuracy} computes from the committed sweep table.
 */
class ReproductionDocTest {
    static final Path DOC = Path.of("..", "docs", "REPRODUCTION.md");
    static final Path SWEEP = Path.of("..", "docs", "results", "sweep-authors-mnist");

    @Test
    void everyGeneratedTableEqualsWhatItsCommittedResultFilesGive() throws IOException {
        assertThat(DocTables.check(DOC)).as("run: ./flatminima doc-tables docs/REPRODUCTION.md").isEmpty();
    }

    @Test
    void theDocumentGeneratesTheExpectedTables() throws IOException {
        List<String> ids = DocBlocks.parse(Files.readString(DOC), DOC.toString()).stream()
                .map(b -> b.id() + " " + b.source()).toList();
        assertThat(ids).containsExactly("e1-traces results/reproduce-quick/E1", "e4-scaling results/reproduce-quick/E4",
                "e5-reparametrisation results/reproduce-quick/E5", "sweep-configurations results/sweep-authors-mnist",
                "sweep-ranking results/sweep-authors-mnist");
    }

    @Test
    void theCommittedRankingIsTheCodesRankingOfTheCommittedSweepTable() throws IOException {
        MeasureRanking r = MeasureRanking.of(TableCsv.read(SWEEP.resolve("table.csv")),
                RankOptions.builder().target("test_accuracy").build());
        assertThat(RankFiles.csv(r)).isEqualTo(Files.readString(SWEEP.resolve("rank.csv")));
    }
}
