package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The pool's cap on idle bytes and its footprint bound: the policies as functions, and the high-water mark that
 * drives them.
 */
class BufferPoolCapTest {

    private static final long GIB = 1L << 30;

    @Test
    void theCapIsThePeakPlusTheFloorAtMostAQuarterOfPhysicalMemory() {
        long machine = 24 * GIB;
        assertThat(BufferPool.capFor(-1, 0, machine)).isEqualTo(2 * GIB);
        assertThat(BufferPool.capFor(-1, GIB, machine)).isEqualTo(3 * GIB);
        // a 3.6 GB pass: its peak plus 2 GiB
        assertThat(BufferPool.capFor(-1, 3_600_000_000L, machine)).isEqualTo(3_600_000_000L + 2 * GIB);
        // more than a quarter of the machine: a quarter (6 GiB)
        assertThat(BufferPool.capFor(-1, 5 * GIB, machine)).isEqualTo(6 * GIB);
        assertThat(BufferPool.capFor(-1, Long.MAX_VALUE, machine)).isEqualTo(6 * GIB);
    }

    @Test
    void aSmallMachineCapsEvenTheFloor() {
        // 4 GiB laptop: a quarter is 1 GiB, below the 2 GiB floor
        assertThat(BufferPool.capFor(-1, 0, 4 * GIB)).isEqualTo(GIB);
        assertThat(BufferPool.capFor(-1, 3 * GIB, 4 * GIB)).isEqualTo(GIB);
        // 8 GiB: a quarter is the floor, whatever the peak
        assertThat(BufferPool.capFor(-1, 5 * GIB, 8 * GIB)).isEqualTo(2 * GIB);
        // 16 GiB: the peak shows up to 4 GiB
        assertThat(BufferPool.capFor(-1, GIB, 16 * GIB)).isEqualTo(3 * GIB);
        assertThat(BufferPool.capFor(-1, 3 * GIB, 16 * GIB)).isEqualTo(4 * GIB);
    }

    @Test
    void unknownPhysicalMemoryMeansTheFloor() {
        assertThat(BufferPool.capFor(-1, 0, 0)).isEqualTo(2 * GIB);
        assertThat(BufferPool.capFor(-1, 5 * GIB, 0)).isEqualTo(2 * GIB);
        assertThat(BufferPool.capFor(-1, 5 * GIB, -1)).isEqualTo(2 * GIB);
    }

    @Test
    void thePropertyReplacesThePolicy() {
        assertThat(BufferPool.capFor(8 * GIB, 0, 4 * GIB)).isEqualTo(8 * GIB);
        assertThat(BufferPool.capFor(0, 5 * GIB, 24 * GIB)).isZero();
        assertThat(BufferPool.capFor(12345, 5 * GIB, 24 * GIB)).isEqualTo(12345);
    }

    @Test
    void aScopeRaisesTheHighWaterMarkAndItsBlocksStayIdleUpToTheCap() {
        long[] env = BufferPool.physicalAndOverride();
        // Three untouched blocks of 1 GiB: address space only (never written, so no resident memory).
        long block = GIB;
        long before;
        try (Scope s = Scope.open()) {
            before = BufferPool.liveAndPeak()[0];
            for (int i = 0; i < 3; i++) {
                s.allocateRaw(block);
            }
            long[] lp = BufferPool.liveAndPeak();
            assertThat(lp[0]).isEqualTo(before + 3 * block);
            assertThat(lp[1]).isGreaterThanOrEqualTo(before + 3 * block);
            assertThat(BufferPool.cap()).isEqualTo(BufferPool.capFor(env[1], lp[1], env[0]));
        }
        assertThat(BufferPool.liveAndPeak()[0]).isEqualTo(before);
        assertThat(BufferPool.idleBytes()).isLessThanOrEqualTo(BufferPool.cap());
        if (env[1] < 0 && env[0] / 4 >= 3 * block + GIB && before < GIB) {
            // a machine of at least 16 GiB keeps all three: the cap grew past the 2 GiB floor with the peak
            assertThat(BufferPool.cap()).isGreaterThanOrEqualTo(3 * block);
            assertThat(BufferPool.idleBytes()).isGreaterThanOrEqualTo(3 * block);
        }
        BufferPool.trim();
        assertThat(BufferPool.idleBytes()).isZero();
        assertThat(BufferPool.liveAndPeak()[1]).isEqualTo(BufferPool.liveAndPeak()[0]);
        assertThat(BufferPool.cap()).isEqualTo(BufferPool.capFor(env[1], BufferPool.liveAndPeak()[1], env[0]));
    }

    @Test
    void theFootprintBoundIsThePeakPlusAnEighthAtLeastTheSlack() {
        assertThat(BufferPool.footprintFor(0)).isEqualTo(BufferPool.SLACK_BYTES);
        assertThat(BufferPool.footprintFor(GIB)).isEqualTo(GIB + BufferPool.SLACK_BYTES); // GIB / 8 < 256 MiB
        assertThat(BufferPool.footprintFor(8 * GIB)).isEqualTo(9 * GIB);
        assertThat(BufferPool.footprintFor(-5)).isEqualTo(BufferPool.SLACK_BYTES);
        assertThat(BufferPool.footprintFor(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aPassOfOtherShapesFreesIdleBlocksInsteadOfAddingToThem() {
        long[] env = BufferPool.physicalAndOverride();
        Assumptions.assumeTrue(env[1] < 0 && env[0] / 4 >= 4 * GIB,
                "the adaptive policy on a machine of at least 16 GiB (the cap keeps 3 GiB idle)");
        BufferPool.trim();
        // Blocks of 1 GiB, then of 3/4 GiB: address space only (never written, so no resident memory).
        try (Scope s = Scope.open()) {
            for (int i = 0; i < 3; i++) {
                s.allocateRaw(GIB);
            }
        }
        long peak = BufferPool.liveAndPeak()[1];
        long live = BufferPool.liveAndPeak()[0];
        assertThat(BufferPool.idleBytes()).isGreaterThanOrEqualTo(3 * GIB);
        long evicted = BufferPool.stats()[2];
        long bound = BufferPool.footprintFor(peak);
        try (Scope s = Scope.open()) {
            for (int i = 0; i < 4; i++) {
                s.allocateRaw(3 * GIB / 4);
                assertThat(BufferPool.liveAndPeak()[0] + BufferPool.idleBytes()).isLessThanOrEqualTo(bound);
            }
            // 3 GiB live again (the peak did not move), and no 1 GiB block is left idle
            assertThat(BufferPool.liveAndPeak()[0]).isEqualTo(live + 3 * GIB);
            assertThat(BufferPool.liveAndPeak()[1]).isEqualTo(peak);
            assertThat(BufferPool.idleBytes()).isEqualTo(0);
        }
        // the first, second and fourth requests each freed one 1 GiB block; the third fitted under the bound
        assertThat(BufferPool.stats()[2] - evicted).isEqualTo(3);
        BufferPool.trim();
    }
}
