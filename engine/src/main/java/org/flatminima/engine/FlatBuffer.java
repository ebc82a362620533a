package org.flatminima.engine;

import java.util.Arrays;
import java.util.Comparator;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Shapes;

/**
 * A new vector assembled from disjoint ranges that their users write in place: each range is a view of the
 * vector in its own shape, handed out by {@link #range}; a user marks it {@link #markWritten written} once it has
 * written all of it, and {@link #finish} zeroes every element outside the written ranges. The buffer's initial
 * contents are never seen, so it is allocated without a fill. The flat cotangent of a model's parameters, each
 * parameter tensor's cotangent written into its range by the product that computes it
 * ({@code org.flatminima.engine.autodiff.FlatCotangents}), instead of a buffer per tensor and a copy of each.
 */
public final class FlatBuffer {
    private final Tensor buffer;
    private final int[] offsets;
    private final Integer[] byOffset; // the ranges' indices in the order of their offsets
    private final Tensor[] ranges;
    private final boolean[] written;
    private boolean finished;

    /**
     * A vector of {@code length} elements with ranges {@code [offsets[i], offsets[i] + size(shapes[i]))}, which
     * must be disjoint and inside it.
     */
    public FlatBuffer(DType dtype, int length, int[] offsets, int[][] shapes) {
        if (offsets.length != shapes.length) {
            throw new IllegalArgumentException("flat buffer: " + offsets.length + " offsets for " + shapes.length
                    + " shapes");
        }
        Integer[] order = new Integer[offsets.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> offsets[i]));
        this.byOffset = order;
        long end = 0;
        for (int i : order) {
            long size = Shapes.size(shapes[i]);
            if (offsets[i] < end || offsets[i] + size > length) {
                throw new IllegalArgumentException("flat buffer: range " + i + " [" + offsets[i] + ", "
                        + (offsets[i] + size) + ") overlaps another or leaves the vector of " + length);
            }
            end = offsets[i] + size;
        }
        this.buffer = Tensor.uninitialised(dtype, length);
        this.offsets = offsets.clone();
        this.ranges = new Tensor[offsets.length];
        this.written = new boolean[offsets.length];
        for (int i = 0; i < ranges.length; i++) {
            int n = Math.toIntExact(Shapes.size(shapes[i]));
            ranges[i] = buffer.slice(0, offsets[i], offsets[i] + n).reshape(shapes[i]);
        }
    }

    /** Range {@code i}: a view of the vector in its shape, to be written in full before it is marked written. */
    public Tensor range(int i) {
        return ranges[i];
    }

    /** True once range {@code i} is marked written (further writes then add onto it). */
    public boolean written(int i) {
        return written[i];
    }

    /** Declares that every element of range {@code i} has been written. */
    public void markWritten(int i) {
        written[i] = true;
    }

    /** True when some range is marked written. */
    public boolean anyWritten() {
        for (boolean w : written) {
            if (w) {
                return true;
            }
        }
        return false;
    }

    /** The vector, every element outside the written ranges zeroed. Once; the ranges must not be written after. */
    public Tensor finish() {
        if (finished) {
            throw new IllegalStateException("flat buffer: finished twice");
        }
        finished = true;
        long end = 0;
        for (int i : byOffset) {
            if (written[i]) {
                zero(end, offsets[i]);
                end = offsets[i] + ranges[i].size();
            }
        }
        zero(end, buffer.size());
        return buffer;
    }

    private void zero(long from, long to) {
        long bytes = buffer.dtype().byteSize();
        if (to > from) {
            buffer.segment().asSlice(from * bytes, (to - from) * bytes).fill((byte) 0);
        }
    }
}
