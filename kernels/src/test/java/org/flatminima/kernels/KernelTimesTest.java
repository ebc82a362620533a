package org.flatminima.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelTimes}: every call counted under its kernel and shape, nested calls apart, results unchanged; a row's
 * fingerprint follows every argument its name shows.
 */
class KernelTimesTest {
    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
        KernelTimes.reset();
    }

    @AfterEach
    void close() {
        arena.close();
        KernelTimes.reset();
    }

    @Test
    void countsEachCallUnderItsKernelAndShapeAndLeavesTheResultAlone() {
        Backend timed = KernelTimes.wrap(CheckedBackend.wrap(new ScalarBackend()));
        MemorySegment a = arena.allocate(8 * 4, 8); // room for a leading dimension of 4
        MemorySegment b = arena.allocate(12 * 4, 8);
        MemorySegment c = arena.allocate(8 * 4, 8);
        for (int i = 0; i < 6; i++) {
            DType.F32.set(a, i, i + 1);
        }
        for (int i = 0; i < 12; i++) {
            DType.F32.set(b, i, 1);
        }
        timed.gemm(DType.F32, false, false, 2, 4, 3, 1.0, a, 4, b, 4, 0.0, c, 4); // another lda: the same row
        timed.gemm(DType.F32, false, false, 2, 4, 3, 1.0, a, 3, b, 4, 0.0, c, 4);
        timed.gemm(DType.F32, false, false, 2, 4, 3, 1.0, a, 3, b, 4, 0.0, c, 4);
        MemorySegment d = arena.allocate(6 * 4, 8);
        MemorySegment e = arena.allocate(6 * 8, 8);
        timed.copy(DType.F32, DType.F32, new int[] {3, 2}, a, new long[] {1, 3}, d); // a [2, 3] transposed
        timed.copy(DType.F32, DType.F64, new int[] {6}, a, new long[] {1}, e);
        timed.runParts(2, p -> timed.unary(UnaryOp.RELU, DType.F32, 4, 0, c.asSlice(16L * p), c.asSlice(16L * p)));

        assertThat(DType.F32.get(d, 1)).isEqualTo(4.0); // a[1][0] of the transposed copy
        assertThat(DType.F64.get(e, 5)).isEqualTo(6.0);
        assertThat(DType.F32.get(c, 0)).isEqualTo(6.0); // 1 + 2 + 3
        assertThat(DType.F32.get(c, 4)).isEqualTo(15.0); // 4 + 5 + 6
        String report = KernelTimes.report();
        assertThat(report).containsPattern("\\s3\\s+\\S+\\s+gemm F32 NN m=2 n=4 k=3 beta=0.0\\n")
                .containsOnlyOnce("gemm F32 NN");
        assertThat(report).containsPattern("\\s1\\s+\\S+\\s+runParts\\n");
        assertThat(report).containsPattern("\\s1\\s+\\S+\\s+copy F32 \\[3, 2\\] strides \\[1, 3\\]\\n");
        assertThat(report).containsPattern("\\s1\\s+\\S+\\s+copy F32 to F64 \\[6\\] strides \\[1\\]\\n");
        assertThat(report).containsPattern("\\s2\\s+\\S+\\s+  inside: unary RELU F32 n=4\\n");
        assertThat(KernelTimes.isTimed(timed)).isTrue();
        assertThat(CheckedBackend.wrap(timed)).isSameAs(timed);
    }

    @Test
    void callsOfAnUntimedBodyAreNotRecordedButRun() {
        Backend timed = KernelTimes.wrap(CheckedBackend.wrap(new ScalarBackend()));
        MemorySegment c = arena.allocate(8 * 4, 8);
        DType.F32.set(c, 0, -2);
        DType.F32.set(c, 4, -3);
        KernelTimes.untimed(() -> timed.runParts(2,
                p -> timed.unary(UnaryOp.RELU, DType.F32, 4, 0, c.asSlice(16L * p), c.asSlice(16L * p))));
        assertThat(DType.F32.get(c, 0)).isEqualTo(0.0);
        assertThat(DType.F32.get(c, 4)).isEqualTo(0.0);
        assertThat(KernelTimes.report()).doesNotContain("RELU").doesNotContain("runParts");
        timed.unary(UnaryOp.RELU, DType.F32, 8, 0, c, c);
        assertThat(KernelTimes.report()).containsPattern("\\s1\\s+\\S+\\s+unary RELU F32 n=8\\n");
    }

    @Test
    void aKernelsExceptionPassesThroughUnwrapped() {
        Backend timed = KernelTimes.wrap(CheckedBackend.wrap(new ScalarBackend()));
        assertThatThrownBy(() -> timed.gemm(DType.F32, false, false, -1, 1, 1, 1.0, null, 1, null, 1, 0.0, null, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'m' is negative");
        assertThat(KernelTimes.report()).contains("gemm F32 NN m=-1");
    }

    @Test
    void aRowsFingerprintChangesWithEveryArgumentItsNameShows() {
        Object[] gemm = {DType.F32, false, true, 2, 4, 3, 1.0, null, 3, null, 4, 0.0, null, 4};
        long base = KernelTimes.fingerprint(false, "gemm", gemm);
        assertThat(KernelTimes.fingerprint(false, "gemm", gemm.clone())).isEqualTo(base);
        assertThat(KernelTimes.fingerprint(true, "gemm", gemm)).isNotEqualTo(base);
        Object[][] changed = {{0, DType.F64}, {1, true}, {2, false}, {3, 3}, {4, 5}, {5, 2}, {11, 1.0}};
        for (Object[] c : changed) {
            Object[] args = gemm.clone();
            args[(int) c[0]] = c[1];
            assertThat(KernelTimes.fingerprint(false, "gemm", args)).as("argument " + c[0]).isNotEqualTo(base);
        }
        Object[] copy = {DType.F32, DType.F32, new int[] {3, 2}, null, new long[] {1, 3}, null};
        Object[] copy2 = {DType.F32, DType.F32, new int[] {3, 2}, null, new long[] {3, 1}, null};
        Object[] copy3 = {DType.F32, DType.F32, new int[] {3, 2}, null, new long[] {1, 3}, null};
        assertThat(KernelTimes.fingerprint(false, "copy", copy))
                .isNotEqualTo(KernelTimes.fingerprint(false, "copy", copy2))
                .isEqualTo(KernelTimes.fingerprint(false, "copy", copy3));
        assertThat(KernelTimes.fingerprint(false, "unary", new Object[] {UnaryOp.RELU, DType.F32, 4L, 0.0}))
                .isNotEqualTo(KernelTimes.fingerprint(false, "unary", new Object[] {UnaryOp.NEG, DType.F32, 4L, 0.0}));
    }
}
