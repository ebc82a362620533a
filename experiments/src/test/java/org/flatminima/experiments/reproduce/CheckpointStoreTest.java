package org.flatminima.experiments.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-checkpoint resumability: an E2 or E3 run crashed after checkpoint k and rerun writes CSVs identical, byte for
 * byte, to an uninterrupted run's, and does not recompute the checkpoints saved before the crash.
 */
class CheckpointStoreTest {

    /** Two models, 100 points, batch 20, one epoch: 5 steps, checkpoints at steps 0, 1, 2, 5. */
    static final E2Config E2_TINY = E2Config.builder().archs("affine:784-10", "mlp:784-16-10").lrs(0.01, 0.05)
            .data(DataSets.EMBEDDED).trainPoints(100).measurePoints(0).testPoints(50).epochs(1).batchSize(20)
            .checkpoints(3).resamples(10).authorsArch("mlp:784-16-10").authorsPoints(3).build();

    /** The injected crash. */
    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash() {
            super("injected crash");
        }
    }

    /** Records the hook's events as "saved run step", "resumed run step" and "discarded run"; may crash. */
    static final class Recorder implements CheckpointStore.Hook {
        final List<String> saved = new ArrayList<>();
        final List<String> resumed = new ArrayList<>();
        final List<String> discarded = new ArrayList<>();
        final int crashAfter;

        Recorder(int crashAfter) {
            this.crashAfter = crashAfter;
        }

        @Override
        public void saved(String run, long step) {
            saved.add(run + " " + step);
            if (saved.size() == crashAfter) {
                throw new Crash();
            }
        }

        @Override
        public void resumed(String run, long step) {
            resumed.add(run + " " + step);
        }

        @Override
        public void discarded(String run) {
            discarded.add(run);
        }
    }

    static ReproduceContext ctx(Path out, long seed) {
        return new ReproduceContext(out, seed, Scale.QUICK, new DataSets(DataSets.Locations.fromEnvironment()),
                DType.F64, Progress.NONE);
    }

    /** Every CSV under {@code dir}, by relative path, as bytes. */
    static Map<String, String> csvs(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".csv")).toList()) {
                m.put(dir.relativize(p).toString(), Files.readString(p));
            }
        }
        return m;
    }

    /**
     * Runs the experiment made by {@code make} uninterrupted in {@code a}; then in {@code b} with a crash after the
     * {@code k}-th saved checkpoint, then again; checks the CSVs and what the rerun computed. Returns the rerun's
     * recorder.
     */
    static Recorder crashAndResume(Function<Recorder, Experiment> make, Path a, Path b, int k, String id)
            throws Exception {
        Recorder full = new Recorder(-1);
        Experiment.Section sa = make.apply(full).run(ctx(a, 5));
        assertThat(full.saved.size()).isGreaterThan(k);
        assertThat(full.resumed).isEmpty();

        Recorder crash = new Recorder(k);
        assertThatThrownBy(() -> make.apply(crash).run(ctx(b, 5))).isInstanceOf(Crash.class);
        assertThat(crash.saved).isEqualTo(full.saved.subList(0, k));

        Recorder again = new Recorder(-1);
        Experiment.Section sb = make.apply(again).run(ctx(b, 5));
        // nothing saved before the crash is computed again; everything after it is
        assertThat(again.saved).isEqualTo(full.saved.subList(k, full.saved.size()));
        assertThat(again.discarded).isEmpty();

        Map<String, String> ca = csvs(a.resolve(id));
        Map<String, String> cb = csvs(b.resolve(id));
        assertThat(ca).isNotEmpty();
        assertThat(cb.keySet()).isEqualTo(ca.keySet());
        for (String f : ca.keySet()) {
            assertThat(cb.get(f)).as(f).isEqualTo(ca.get(f));
        }
        assertThat(sb.markdown()).isEqualTo(sa.markdown());
        // the summary says how many checkpoints were resumed (the report's wall time covers the last run only)
        assertThat(sa.summary()).doesNotContainKey(Reproduction.RESUMED);
        assertThat(sb.summary()).containsEntry(Reproduction.RESUMED, k);
        // finished runs keep their results but not their training state
        try (Stream<Path> s = Files.walk(b.resolve(id).resolve(CheckpointStore.DIR))) {
            assertThat(s.filter(p -> p.toString().endsWith(".safetensors")).toList()).isEmpty();
        }
        return again;
    }

    @Test
    void e2CrashedAfterACheckpointResumesToTheSameCsvs(@TempDir Path a, @TempDir Path b) throws Exception {
        // checkpoints saved in order: affine 0, 1, 2, 5; mlp 0, 1 | crash | mlp 2, 5
        Recorder again = crashAndResume(h -> new E2FlatnessVsMargins(E2_TINY, h), a, b, 6, "E2");
        assertThat(again.saved).containsExactly("E2 embedded/seed-0/mlp:784-16-10 2",
                "E2 embedded/seed-0/mlp:784-16-10 5");
        // the affine run was finished (nothing trained, nothing computed); the MLP continued training from step
        // 1's saved state
        assertThat(again.resumed).containsExactly("E2 embedded/seed-0/mlp:784-16-10 1");

        // another seed: the saved checkpoints are discarded and everything is recomputed
        Recorder other = new Recorder(-1);
        new E2FlatnessVsMargins(E2_TINY, other).run(ctx(b, 6));
        assertThat(other.discarded).containsExactly("E2 embedded/seed-0/affine",
                "E2 embedded/seed-0/mlp:784-16-10");
        assertThat(other.saved).hasSize(8);
        assertThat(csvs(b.resolve("E2")).get("embedded/seed-0/points.csv")).isNotEqualTo(
                csvs(a.resolve("E2")).get("embedded/seed-0/points.csv"));
    }

    @Test
    void e3CrashedAfterACheckpointResumesToTheSameCsvs(@TempDir Path a, @TempDir Path b) throws Exception {
        // saved in order, seed 5: authors-small 0, 16; authors-large 0, 1; authors-large-steps 0, 1 | crash | 4, 16;
        // then the rest
        Recorder again = crashAndResume(h -> new E3BatchSize(E3Test.TINY, h), a, b, 6, "E3");
        assertThat(again.saved.subList(0, 2)).containsExactly("E3 seed-5 authors-large-steps 4",
                "E3 seed-5 authors-large-steps 16");
        // the finished runs are not trained again; the crashed one continues from its step-1 state
        assertThat(again.resumed).containsExactly("E3 seed-5 authors-large-steps 1");
    }

    @Test
    void resultsRoundTripBitForBit(@TempDir Path dir) {
        double[] v = {0.1, 1.0 / 3, Math.PI * 1e-300, Double.MIN_VALUE, -0.0, Double.MAX_VALUE, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 6.02214076e23};
        E2FlatnessVsMargins.PointValues pv = new E2FlatnessVsMargins.PointValues(7, 0.5, 0.25, "exact-ggn", v,
                new int[v.length], new int[v.length], Map.of("output_margin", v));
        E2FlatnessVsMargins.CheckpointResult r = new E2FlatnessVsMargins.CheckpointResult(pv, List.of(), null,
                List.of("x"));
        CheckpointStore<E2FlatnessVsMargins.CheckpointResult> s = CheckpointStore.open(dir, "t", Map.of("k", 1),
                E2FlatnessVsMargins.CheckpointResult.class, CheckpointStore.NONE);
        s.save(7, r, null, null);
        E2FlatnessVsMargins.CheckpointResult back = CheckpointStore.open(dir, "t", Map.of("k", 1),
                E2FlatnessVsMargins.CheckpointResult.class, CheckpointStore.NONE).finished().get(7L);
        for (double[] w : List.of(back.values().trace(), back.values().measures().get("output_margin"))) {
            for (int i = 0; i < v.length; i++) {
                assertThat(Double.doubleToRawLongBits(w[i])).as("value %d", i)
                        .isEqualTo(Double.doubleToRawLongBits(v[i]));
            }
        }
        assertThat(back.authors()).isNull();
        // another configuration: nothing is reused
        assertThat(CheckpointStore.open(dir, "t", Map.of("k", 2), E2FlatnessVsMargins.CheckpointResult.class,
                CheckpointStore.NONE).finished()).isEmpty();
    }
}
