package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GuardedMemory;
import org.flatminima.kernels.ReduceOp;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Shapes outside the C kernels' contract, which {@code CheckedBackend} refuses before they reach a backend: a
 * reduction or argmax over no elements, a softmax over rows of no columns, a binary op with a broadcast operand over
 * rows of none. The kernels read and write nothing there (before, the reductions read the first row that is not
 * there, the broadcast op its one element, and the softmax divided by zero columns): every operand is zero bytes
 * against an inaccessible page ({@link GuardedMemory}; a read stops the JVM), and the outputs keep their bits.
 */
class EmptyShapesTest {

    @BeforeAll
    static void needsTheKernels() {
        Assumptions.assumeTrue(CKernels.unavailableReason() == null, "C kernels not loaded");
        Assumptions.assumeTrue(GuardedMemory.available(), "no guarded memory here");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void readAndWriteNothing(DType t) {
        try (GuardedMemory guarded = new GuardedMemory(); Arena arena = Arena.ofConfined()) {
            MemorySegment none = guarded.atEnd(0);
            MemorySegment y = arena.allocate(4 * t.byteSize(), t.byteSize());
            MemorySegment idx = arena.allocate(ValueLayout.JAVA_INT, 4);
            MemorySegment labels = arena.allocate(ValueLayout.JAVA_INT, 2);
            for (int i = 0; i < 4; i++) {
                t.set(y, i, 42.5);
                idx.setAtIndex(ValueLayout.JAVA_INT, i, 7);
            }
            for (ReduceOp op : ReduceOp.values()) {
                CKernels.reduce(t, op, 2, 0, 2, none, y);
                CKernels.reduceCols(t, op, 0, 2, 2, none, y);
            }
            CKernels.argmax(t, 2, 0, 2, none, idx);
            for (int rows : new int[] {0, 2}) {
                CKernels.softmax(t, rows, 0, none, none);
                CKernels.logSoftmax(t, rows, 0, none, none);
                CKernels.softmaxCrossEntropy(t, rows, 0, none, labels, y, MemorySegment.NULL);
            }
            for (BinaryOp op : BinaryOp.values()) {
                CKernels.binary(t, op, 1, 2, 0, none, 0, 0, 0, none, 0, 0, 1, none);
                CKernels.binary(t, op, 1, 2, 0, none, 0, 0, 1, none, 0, 0, 0, none);
            }
            for (int i = 0; i < 4; i++) {
                assertThat(t.get(y, i)).as("output %d", i).isEqualTo(42.5);
                assertThat(idx.getAtIndex(ValueLayout.JAVA_INT, i)).as("index %d", i).isEqualTo(7);
            }
        }
    }
}
