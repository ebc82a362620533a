package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.data.AtomicFiles;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files of a reproduction after crashes: markers, temporaries, and the two reports agreeing. */
class ReproductionFilesTest {

    /** A quick stand-in for E1 (its id, so that the report lists it) that draws one plot. */
    static final Experiment E1 = new Experiment() {
        @Override
        public String id() {
            return "E1";
        }

        @Override
        public String title() {
            return "stand-in";
        }

        @Override
        public Map<String, Object> config(Scale scale) {
            return Map.of("points", 3);
        }

        @Override
        public Section run(ReproduceContext c) {
            new Plots.Line("t", "x", "y").series("s", new double[] {1, 2, 3}, new double[] {3, 1, 2})
                    .save(c.dir("E1").resolve("trace-vs-step.png"));
            return new Section("![plot](E1/trace-vs-step.png)", Map.of(), List.of("E1/trace-vs-step.png"));
        }
    };

    private static ReproduceContext ctx(Path out) {
        return new ReproduceContext(out, 7, Scale.QUICK, new DataSets(DataSets.Locations.fromEnvironment()),
                DType.F64, Progress.NONE);
    }

    @Test
    void aMarkerWithoutMarkdownIsRunAgainInsteadOfFailing(@TempDir Path out) throws Exception {
        Reproduction.run(List.of(E1), ctx(out), false);
        Path marker = out.resolve("E1").resolve(Reproduction.MARKER);
        ObjectNode m = (ObjectNode) Results.JSON.readTree(marker.toFile());
        m.remove("markdown");
        Files.writeString(marker, Results.JSON.writeValueAsString(m));
        assertThat(Reproduction.readMarker(out, "E1")).isNull();
        List<Reproduction.Outcome> again = Reproduction.run(List.of(E1), ctx(out), false);
        assertThat(again).singleElement().extracting(Reproduction.Outcome::reused).isEqualTo(false);
        assertThat(Results.JSON.readTree(marker.toFile()).get("markdown").asText()).isNotBlank();
        assertThat(Files.readString(out.resolve("report.md"))).contains("## E1: ");
    }

    @Test
    void staleTemporariesOfCrashedWritesAreRemovedByTheNextRunFreshOnesStay(@TempDir Path out) throws Exception {
        FileTime old = FileTime.from(Instant.now().minus(AtomicFiles.STALE).minusSeconds(60));
        Files.createDirectories(out.resolve("E1"));
        Path report = Files.writeString(out.resolve(".report.md.8123456789.tmp"), "# half a rep");
        Path plot = Files.writeString(out.resolve("E1").resolve("trace-vs-step.png.tmp.png"), "\u0089PN");
        Path step = Files.writeString(out.resolve("E1").resolve(".step-00000020.json.77.tmp"), "{");
        for (Path p : List.of(report, plot, step)) {
            Files.setLastModifiedTime(p, old);
        }
        Path fresh = Files.writeString(out.resolve("E1").resolve(".other.json.5.tmp"), "being written");
        Path users = Files.writeString(out.resolve("notes.tmp"), "mine");
        Files.setLastModifiedTime(users, old);
        Reproduction.run(List.of(E1), ctx(out), false);
        assertThat(report).doesNotExist();
        assertThat(plot).doesNotExist();
        assertThat(plot.resolveSibling("trace-vs-step.png")).isRegularFile(); // the plot itself, written atomically
        assertThat(step).doesNotExist();
        assertThat(fresh).exists();
        assertThat(users).exists();
        try (var files = Files.walk(out)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.endsWith(".tmp.png") || n.startsWith(".report."));
        }
    }

    /** A kill between the two renames leaves a new report.md beside an old report.html; the next run repairs it. */
    @Test
    void aReportHtmlThatDisagreesWithReportMdIsRenderedAgain(@TempDir Path out) throws IOException {
        Path md = out.resolve("report.md");
        Path html = out.resolve("report.html");
        Files.writeString(md, "# new\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        Files.writeString(html, ReportHtml.render(Reproduction.TITLE, "# old\n"));
        assertThat(Reproduction.repairReport(out)).isTrue();
        assertThat(Files.readString(html)).isEqualTo(ReportHtml.render(Reproduction.TITLE, Files.readString(md)))
                .contains("<h1>new</h1>", "<td>2</td>");
        assertThat(Reproduction.repairReport(out)).isFalse(); // they agree now
        Files.delete(html);
        assertThat(Reproduction.repairReport(out)).isTrue();
        assertThat(html).exists();
    }
}
