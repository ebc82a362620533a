package org.flatminima.experiments.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.flatminima.experiments.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep table: columns, exact CSV round trips, collecting runs, and the sequential sweep. */
class SweepTableTest {

    @TempDir
    Path tmp;

    static final double[] AWKWARD = {0.1, -0.0, 1e-300, Double.MIN_VALUE, 1.0 / 3, Math.PI * 1e17, Double.NaN,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 123456789.123456789, -2.5e-8};

    /** A row with every kind of cell: awkward doubles, NaN, infinities, empty cells, text with commas and quotes. */
    static SweepTable.Row awkward(int k) {
        SweepTable.Builder b = SweepTable.Row.builder().text("run_id", "run" + k).text("status", "finished")
                .text("arch", "seq:1x28x28:conv(8,3,pad=1),relu,\"x\"\nlinear(10)").text("optimizer", "sgd")
                .text("schedule", "cr\r\nlf").text("trace_method", "new\nline").text("dtype", "q\"uote")
                .integer("seed", -7).integer("step", k).integer("batch_size", Long.MAX_VALUE);
        int i = k;
        for (String c : SweepTable.COLUMNS) {
            if (SweepTable.kind(c) == SweepTable.Kind.REAL && (i++ % 4) != 3) {
                b.real(c, AWKWARD[i % AWKWARD.length]);
            }
        }
        return b.build();
    }

    @Test
    void columnsAreTheDesignsInOrder() {
        assertThat(SweepTable.COLUMNS).hasSize(39).startsWith("run_id", "status", "dataset")
                .endsWith("one_minus_m2_mean", "affine_trace_expr_mean");
        assertThat(String.join(",", SweepTable.COLUMNS.subList(13, 21)))
                .isEqualTo("step,epoch,train_loss,train_accuracy,test_loss,test_accuracy,gap_accuracy,gap_loss");
        assertThat(SweepTable.kind("trace_method")).isEqualTo(SweepTable.Kind.TEXT);
        assertThat(SweepTable.kind("step")).isEqualTo(SweepTable.Kind.INTEGER);
        assertThat(SweepTable.kind("trace")).isEqualTo(SweepTable.Kind.REAL);
    }

    @Test
    void csvRoundTripIsExact() {
        List<SweepTable.Row> rows = List.of(awkward(0), awkward(1), awkward(2), SweepTable.Row.builder().build());
        Path f = tmp.resolve("table.csv");
        SweepTable.write(f, rows);
        List<SweepTable.Row> back = SweepTable.read(f);
        assertThat(back).isEqualTo(rows);
        for (int r = 0; r < rows.size(); r++) {
            for (String c : SweepTable.COLUMNS) {
                if (SweepTable.kind(c) == SweepTable.Kind.REAL && !rows.get(r).isEmpty(c)) {
                    assertThat(Double.doubleToRawLongBits(back.get(r).number(c))).as(c)
                            .isEqualTo(Double.doubleToRawLongBits(rows.get(r).number(c)));
                }
            }
        }
        SweepTable.Row a = back.getFirst();
        assertThat(a.cell("arch")).isEqualTo("seq:1x28x28:conv(8,3,pad=1),relu,\"x\"\nlinear(10)");
        assertThat(a.isEmpty("dataset")).isTrue();
        assertThat(a.cell("schedule")).isEqualTo("cr\r\nlf");
        assertThat(a.number("seed")).isEqualTo(-7.0);
        assertThat(rows.get(0).cells()).contains("NaN", "Infinity", "-0.0", "1.0E-300", "4.9E-324");
    }

    /** The measures file of a checkpoint keeps every value bit for bit, NaN and empty cells included. */
    @Test
    void measuresFileRoundTripIsExact() {
        SweepRunDirectory d = new SweepRunDirectory(tmp.resolve("run"));
        SweepTable.Builder b = SweepTable.Row.builder();
        SweepTable.Row full = awkward(5);
        for (String c : SweepTable.CHECKPOINT_COLUMNS) {
            b.cell(c, full.cell(c));
        }
        SweepTable.Row row = b.text("trace_method", "exact-ggn").build();
        d.writeMeasures(row);
        assertThat(d.readMeasures(5)).isEqualTo(row);
        assertThat(d.measuredSteps()).containsExactly(5L);
    }

    @Test
    void damagedTablesAreRefusedInOneLine() {
        String header = String.join(",", SweepTable.COLUMNS) + "\n";
        for (String text : List.of("a,b\n", header + "x,y\n", header + "\"open\n",
                header + ",".repeat(13) + "notanumber" + ",".repeat(25) + "\n", header + "no line end")) {
            assertThatThrownBy(() -> SweepTable.parse(text, "t.csv")).isInstanceOf(UserException.class)
                    .hasMessageStartingWith("t.csv").hasMessageNotContaining("\n");
        }
        assertThat(SweepTable.parse(header, "t.csv")).isEmpty();
    }

    /**
     * The sequential sweep of an affine and an MLP run writes table.csv; collecting the directory gives the same
     * rows, sorted by run id then step; so does reading table.csv; a second sweep trains nothing.
     */
    @Test
    void sequentialSweepWritesTheCollectedTable() throws Exception {
        List<RunConfig> runs = List.of(SweepRuns.tiny("mlp:784-16-10", 0.05, 1, 10).build(),
                SweepRuns.tiny("affine:784-10", 0.01, 1, 10).build());
        List<SweepTable.Row> rows = SequentialSweep.run(runs, tmp, null);
        assertThat(rows).hasSize(6).isSortedAccordingTo(SweepTable.ORDER);
        assertThat(SweepTable.collect(tmp)).isEqualTo(rows);
        assertThat(SweepTable.read(tmp.resolve("table.csv"))).isEqualTo(rows);
        for (RunConfig r : runs) {
            assertThat(rows.stream().filter(x -> x.runId().equals(r.id())).map(SweepTable.Row::step).toList())
                    .containsExactly(0L, 2L, 4L);
            assertThat(Files.isRegularFile(tmp.resolve("runs").resolve(r.id()).resolve("done.json"))).isTrue();
        }
        int[] steps = {0};
        assertThat(SequentialSweep.run(runs, tmp, new SequentialSweep.Listener() {
            @Override
            public void step(long step, long totalSteps, double loss) {
                steps[0]++;
            }
        })).isEqualTo(rows);
        assertThat(steps[0]).isZero();
    }
}
