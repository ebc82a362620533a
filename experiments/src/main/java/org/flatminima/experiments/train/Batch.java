package org.flatminima.experiments.train;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.flatminima.engine.Tensor;

/**
 * A set of labelled points: inputs {@code x [N, ...]} and labels. {@link #take} gathers rows (a mini-batch) by
 * copying contiguous row blocks.
 *
 * @param x the inputs, batch axis first
 * @param labels one label per row
 */
public record Batch(Tensor x, int[] labels) {

    public Batch {
        if (x.rank() < 1 || x.dim(0) != labels.length) {
            throw new IllegalArgumentException(labels.length + " labels for inputs of shape " + Arrays.toString(x.shape()));
        }
    }

    /** Number of points. */
    public int size() {
        return labels.length;
    }

    /** The points at the given row indices, in that order. */
    public Batch take(int[] rows) {
        Tensor c = x.contiguous();
        int[] shape = c.shape();
        long rowElems = c.size() / Math.max(1, shape[0]);
        long rowBytes = rowElems * c.dtype().byteSize();
        shape[0] = rows.length;
        Tensor out = Tensor.zeros(c.dtype(), shape);
        MemorySegment src = c.segment();
        MemorySegment dst = out.segment();
        int[] lab = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int r = rows[i];
            if (r < 0 || r >= labels.length) {
                throw new IndexOutOfBoundsException("row " + r + " of " + labels.length);
            }
            MemorySegment.copy(src, r * rowBytes, dst, i * rowBytes, rowBytes);
            lab[i] = labels[r];
        }
        return new Batch(out, lab);
    }

    /** Rows {@code [from, to)}. */
    public Batch range(int from, int to) {
        int[] rows = new int[to - from];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = from + i;
        }
        return take(rows);
    }
}
