package org.flatminima.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.flatminima.kernels.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendsCommandTest {

    @AfterEach
    void clearForcedBackend() {
        System.clearProperty(Backends.PROPERTY);
    }

    private static String row(String out, String backend) {
        return out.lines().filter(l -> l.startsWith(backend + " ")).findFirst().orElseThrow();
    }

    /** The cell of a backend's row under a header, cut at the header's column (empty cells stay empty). */
    private static String cell(String out, String backend, String header) {
        String head = out.lines().filter(l -> l.startsWith("backend ")).findFirst().orElseThrow();
        int at = head.indexOf(header);
        String r = row(out, backend);
        if (at >= r.length()) {
            return "";
        }
        String rest = r.substring(at);
        int end = rest.indexOf(' ');
        return end < 0 ? rest : rest.substring(0, end);
    }

    @Test
    void reportsEveryBackendConsistentlyWithProbe() {
        CliRun r = CliRun.main("backends", "--no-probe");
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        for (Backends.Status s : Backends.probeAll()) {
            String row = row(r.out(), s.name());
            assertThat(row.split("\\s+")[1]).isEqualTo(s.available() ? "yes" : "no");
            if (s.reason() != null) {
                assertThat(r.out()).contains(s.name() + ": " + s.reason());
            }
        }
        assertThat(r.out()).doesNotContain("GFLOP/s");
    }

    @Test
    void defaultIsTheBestAvailableUnlessForced() {
        String best = Backends.probeAll().stream().filter(Backends.Status::available)
                .findFirst().orElseThrow().name();
        if (Backends.forcedName() == null) {
            CliRun r = CliRun.main("backends", "--no-probe");
            assertThat(r.out()).contains("default: " + best + " (the best available");
            assertThat(row(r.out(), best)).contains("*");
        }
        System.setProperty(Backends.PROPERTY, "scalar");
        CliRun forced = CliRun.main("backends", "--no-probe");
        assertThat(forced.out()).contains("default: scalar (forced by -Dflatminima.backend=scalar)");
        assertThat(cell(forced.out(), "scalar", "default")).isEqualTo("*");
    }

    @Test
    void unknownForcedBackendIsReportedNotThrown() {
        System.setProperty(Backends.PROPERTY, "cuda");
        CliRun r = CliRun.main("backends", "--no-probe");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("default: none: -Dflatminima.backend=cuda names no backend");
        assertThat(r.out()).doesNotContain("*");
    }

    @Test
    void probeReportsAPositiveRateForTheScalarOracle() {
        CliRun r = CliRun.main("backends", "--size", "24", "--dtype", "f64", "--threads", "1");
        assertThat(r.status()).as(r.out() + r.err()).isZero();
        assertThat(cell(r.out(), "scalar", "n ")).isEqualTo("24");
        assertThat(cell(r.out(), "scalar", "threads")).isEqualTo("1");
        assertThat(Double.parseDouble(cell(r.out(), "scalar", "f64 GFLOP/s"))).isPositive();
        assertThat(r.out()).contains("f64 GFLOP/s").doesNotContain("f32 GFLOP/s").doesNotContain("WRONG");
    }

    @Test
    void scalarProbeSizeIsCapped() {
        assertThat(BackendsCommand.SCALAR_MAX_SIZE).isLessThanOrEqualTo(256);
        CliRun r = CliRun.main("backends", "--size", "200", "--dtype", "f32");
        assertThat(cell(r.out(), "scalar", "n "))
                .isEqualTo(Integer.toString(BackendsCommand.SCALAR_MAX_SIZE));
    }

    @Test
    void outOfRangeOptionsAreUserErrors() {
        for (List<String> args : List.of(List.of("--threads", "0"), List.of("--size", "0"),
                List.of("--size", "100000"), List.of("--dtype", "f16"))) {
            CliRun r = CliRun.main(java.util.stream.Stream.concat(java.util.stream.Stream.of("backends"),
                    args.stream()).toArray(String[]::new));
            assertThat(r.status()).as(args.toString()).isEqualTo(2);
            assertThat(r.errLines()).as(args.toString()).hasSize(1);
            assertThat(r.errLines().getFirst()).startsWith("flatminima: ");
        }
    }
}
