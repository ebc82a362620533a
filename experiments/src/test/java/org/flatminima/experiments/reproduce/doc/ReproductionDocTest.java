package org.flatminima.experiments.reproduce.doc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.reproduce.Results;
import org.flatminima.experiments.sweep.rank.MeasureRanking;
import org.flatminima.experiments.sweep.rank.RankFiles;
import org.flatminima.experiments.sweep.rank.RankOptions;
import org.flatminima.experiments.sweep.rank.TableCsv;
import org.junit.jupiter.api.Test;

/**
 * docs/REPRODUCTION.md cannot drift from the code: every generated table is regenerated from the result files
 * committed under docs/results/ and must equal the document's text; the committed ranking is what
 * {@code flatminima rank --target test_accuracy} computes from the committed sweep table; and the across-seed numbers
 * that E2's and E3's tables read (E2's {@code done.json} summary, E3's {@code summary.csv}) are the mean and sample
 * standard deviation, computed here, of the per-seed values committed beside them.
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
        assertThat(ids).containsExactly("e1-traces results/reproduce-quick-e1/E1",
                "e1-seeds results/reproduce-quick-e1/E1",
                "e1-traces results/reproduce-full-e1/E1", "e1-seeds results/reproduce-full-e1/E1",
                "e2-pearson-seeds results/reproduce-quick/E2",
                "e2-pearson-seeds results/reproduce-full-e2-mnist/E2",
                "e2-authors-estimator results/reproduce-full-e2-mnist/E2",
                "e2-pearson-seeds results/reproduce-full-e2-fashion/E2",
                "e2-authors-estimator results/reproduce-quick/E2",
                "e2-pearson-seeds results/reproduce-archs-std/E2",
                "e2-pearson-seeds results/reproduce-archs-bn-std/E2",
                "e2-pearson-seeds results/reproduce-keskar-std/E2",
                "e2-pearson-seeds results/reproduce-keskar-fashion-std/E2",
                "e2-authors-estimator results/reproduce-keskar-std/E2",
                "e3-runs results/reproduce-e3-keskar-std/E3",
                "e3-runs results/reproduce-e3-lenet-std/E3", "e3-runs results/reproduce-e3-simplenet-bn-std/E3",
                "e3-runs results/reproduce-e3-simplenet-std-15ep/E3",
                "e3-runs results/reproduce-full/E3", "e3-runs results/reproduce-quick/E3", "e4-scaling results/reproduce-quick-e4/E4",
                "e4-seeds results/reproduce-quick-e4/E4", "e4-seeds results/reproduce-quick-e4/E4",
                "e4-scaling results/reproduce-full-e4/E4", "e4-seeds results/reproduce-full-e4/E4",
                "e4-seeds results/reproduce-full-e4/E4",
                "e5-reparametrisation results/reproduce-quick-e5/E5", "e5-reparametrisation results/reproduce-full-e5/E5", "sweep-configurations results/sweep-authors-mnist",
                "sweep-ranking results/sweep-authors-mnist");
    }

    @Test
    void theCommittedRankingIsTheCodesRankingOfTheCommittedSweepTable() throws IOException {
        MeasureRanking r = MeasureRanking.of(TableCsv.read(SWEEP.resolve("table.csv")),
                RankOptions.builder().target("test_accuracy").build());
        assertThat(RankFiles.csv(r)).isEqualTo(Files.readString(SWEEP.resolve("rank.csv")));
    }

    static final Path QUICK = Path.of("..", "docs", "results", "reproduce-quick");

    /** The mean and the sample standard deviation (divisor n - 1) of {@code v}, written out here. */
    static double[] meanSd(List<Double> v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        double mean = sum / v.size();
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return new double[] {mean, v.size() < 2 ? Double.NaN : Math.sqrt(ss / (v.size() - 1))};
    }

    @Test
    void theCommittedE3SummariesAreTheMeanAndSampleSdOfTheirRunsPerSeed() throws IOException {
        checkE3Summary(QUICK.resolve("E3"), 2);
        checkE3Summary(Path.of("..", "docs", "results", "reproduce-full", "E3"), 3);
        checkE3Summary(Path.of("..", "docs", "results", "reproduce-e3-simplenet-bn-std", "E3"), 2);
        checkE3Summary(Path.of("..", "docs", "results", "reproduce-e3-simplenet-std-15ep", "E3"), 2);
    }

    /** A run with a diverged seed (NaN) has a NaN mean and sd. */
    private static void checkE3Summary(Path dir, int seeds) throws IOException {
        List<Map<String, String>> runs = TableCsv.read(dir.resolve("runs.csv"));
        List<Map<String, String>> summary = TableCsv.read(dir.resolve("summary.csv"));
        long measures = summary.stream().map(s -> s.get("measure")).distinct().count();
        assertThat(measures).isGreaterThanOrEqualTo(9); // 10 with the top eigenvalue (full scale)
        assertThat(summary).hasSize(7 * (int) measures);
        for (Map<String, String> s : summary) {
            List<Double> v = runs.stream().filter(r -> r.get("run").equals(s.get("run")))
                    .map(r -> Double.parseDouble(r.get(s.get("measure")))).toList();
            assertThat(v).as(s.get("run")).hasSize(Integer.parseInt(s.get("seeds"))).hasSize(seeds);
            double[] ms = meanSd(v);
            if (v.stream().anyMatch(x -> Double.isNaN(x))) {
                assertThat(Double.parseDouble(s.get("mean"))).as(s.toString()).isNaN();
                continue;
            }
            assertThat(Double.parseDouble(s.get("mean"))).as(s.toString()).isCloseTo(ms[0], within(1e-12));
            assertThat(Double.parseDouble(s.get("sd"))).as(s.toString()).isCloseTo(ms[1], within(1e-12));
        }
    }

    @Test
    void theCommittedE2SummariesAgreeWithTheirSeedsFinalValues() throws IOException {
        checkE2Summary(QUICK.resolve("E2"), 2, 2);
        checkE2Summary(Path.of("..", "docs", "results", "reproduce-full-e2-mnist", "E2"), 3, 1);
        checkE2Summary(Path.of("..", "docs", "results", "reproduce-full-e2-fashion", "E2"), 3, 1);
    }

    @SuppressWarnings("unchecked")
    private static void checkE2Summary(Path dir, int expectedSeeds, int dataSets) throws IOException {
        Map<String, Object> marker = Results.JSON.readValue(dir.resolve("done.json").toFile(), Map.class);
        Map<String, Object> config = (Map<String, Object>) marker.get("config");
        Map<String, Object> summary = (Map<String, Object>) marker.get("summary");
        int seeds = ((Number) config.get("seeds")).intValue();
        assertThat(seeds).isEqualTo(expectedSeeds);
        int checked = 0;
        for (String data : (List<String>) config.get("data")) {
            Map<String, Object> d = (Map<String, Object>) summary.get(data);
            Map<String, Object> across = (Map<String, Object>) d.get("acrossSeeds");
            for (String model : across.keySet()) {
                Map<String, Object> m = (Map<String, Object>) across.get(model);
                List<Double> acc = new java.util.ArrayList<>();
                for (int k = 0; k < seeds; k++) {
                    Map<String, Object> seed = (Map<String, Object>) ((Map<String, Object>) d.get("seed-" + k)).get(model);
                    acc.add(((Number) seed.get("finalTrainAccuracy")).doubleValue());
                }
                assertThat(((Number) m.get("trainAccuracyMean")).doubleValue()).isCloseTo(meanSd(acc)[0], within(1e-12));
                for (String measure : E2PearsonSeedsTable.MEASURES) {
                    Map<String, Object> p = (Map<String, Object>) m.get("pearson_" + measure);
                    List<Double> v = ((List<Number>) p.get("seeds")).stream().map(Number::doubleValue).toList();
                    assertThat(v).hasSize(seeds);
                    double[] ms = meanSd(v);
                    assertThat(((Number) p.get("mean")).doubleValue()).isCloseTo(ms[0], within(1e-12));
                    assertThat(((Number) p.get("sd")).doubleValue()).isCloseTo(ms[1], within(1e-12));
                    if (!measure.equals("affine_trace_expr_raw")) { // the per-seed summary has no raw-input column
                        for (int k = 0; k < seeds; k++) {
                            Map<String, Object> seed = (Map<String, Object>)
                                    ((Map<String, Object>) d.get("seed-" + k)).get(model);
                            assertThat(((Number) seed.get("finalPearson_" + measure)).doubleValue()).isEqualTo(v.get(k));
                        }
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(dataSets * 3 * E2PearsonSeedsTable.MEASURES.size());
    }

    /** Every image the page shows is committed under docs/, and every committed figure is shown. */
    @Test
    void everyFigureThePageShowsIsCommittedAndEveryCommittedFigureIsShown() throws IOException {
        String doc = Files.readString(DOC);
        List<String> shown = java.util.regex.Pattern.compile("!\\[[^\\]]*\\]\\(([^)]+)\\)").matcher(doc).results()
                .map(m -> m.group(1)).toList();
        assertThat(shown).as("the page shows the redrawn figures").hasSizeGreaterThanOrEqualTo(6);
        for (String link : shown) {
            Path file = DOC.resolveSibling(link);
            assertThat(file).as(link).isRegularFile();
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(file), 4);
            assertThat(head).as(link + " is a PNG").containsExactly(0x89, 'P', 'N', 'G');
        }
        try (var files = Files.list(DOC.resolveSibling("figures"))) {
            for (Path f : files.toList()) {
                assertThat(shown).as("%s is committed but not shown", f).contains("figures/" + f.getFileName());
            }
        }
    }
}
