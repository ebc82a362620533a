package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Shapes;

/**
 * Raw (not differentiable) indexing on the current {@link Engine#backend()}: one column per row by labels and its
 * adjoint, one-hot rows, argmax masks, and embedding a tensor in a larger zero vector or matrix (the adjoints of
 * flat slices, used to assemble a parameter vector's cotangent). Every result is a new contiguous tensor; the rest
 * of the raw arithmetic is in {@link TensorOps}.
 */
public final class IndexOps {
    private IndexOps() {
    }

    private static void checkLabels(String op, int rows, int cols, int[] labels) {
        if (labels.length != rows) {
            throw new IllegalArgumentException(op + ": " + labels.length + " labels for " + rows + " rows");
        }
        for (int r = 0; r < rows; r++) {
            if (labels[r] < 0 || labels[r] >= cols) {
                throw new IllegalArgumentException(op + ": label " + labels[r] + " at row " + r + " is not in [0, "
                        + cols + ")");
            }
        }
    }

    /** {@code y[r] = x[r, labels[r]]} for a matrix {@code x [rows, cols]}: one column per row. */
    public static Tensor gatherCols(Tensor x, int[] labels) {
        if (x.rank() != 2) {
            throw new IllegalArgumentException("gatherCols needs a matrix, got shape " + Arrays.toString(x.shape()));
        }
        checkLabels("gatherCols", x.dim(0), x.dim(1), labels);
        Tensor c = x.contiguous();
        Tensor y = Tensor.zeros(x.dtype(), x.dim(0));
        Engine.backend().gatherCols(x.dtype(), x.dim(0), x.dim(1), c.segment(), TensorOps.labelSegment(labels),
                y.segment());
        return y;
    }

    /** The adjoint of {@link #gatherCols}: a {@code [rows, cols]} matrix, zero except {@code y[r, labels[r]] = g[r]}. */
    public static Tensor scatterCols(Tensor g, int[] labels, int cols) {
        if (g.rank() != 1) {
            throw new IllegalArgumentException("scatterCols needs a vector, got shape " + Arrays.toString(g.shape()));
        }
        checkLabels("scatterCols", g.dim(0), cols, labels);
        Tensor c = g.contiguous();
        Tensor y = Tensor.zeros(g.dtype(), g.dim(0), cols);
        Engine.backend().scatterCols(g.dtype(), g.dim(0), cols, c.segment(), TensorOps.labelSegment(labels),
                y.segment());
        return y;
    }

    /** One-hot rows {@code [labels.length, cols]}: 1 at {@code [r, labels[r]]}, 0 elsewhere. */
    public static Tensor oneHot(int[] labels, int cols, DType dtype) {
        return scatterCols(Tensor.full(dtype, 1.0, labels.length), labels, cols);
    }

    /**
     * A tensor shaped like {@code x} with 1 at the first maximum along {@code axis} and 0 elsewhere: the argmax
     * kernel, then ones scattered into rows {@code [outer * inner, len]} (the axis last), moved back in place.
     */
    public static Tensor argmaxMask(Tensor x, int axis) {
        int a = x.axis(axis);
        int[] s = x.shape();
        int outer = (int) Shapes.size(Arrays.copyOfRange(s, 0, a));
        int inner = (int) Shapes.size(Arrays.copyOfRange(s, a + 1, s.length));
        int rows = outer * inner;
        Tensor c = x.contiguous();
        MemorySegment idx = Scope.allocateUninitialised((long) Math.max(1, rows) * 4, c);
        Engine.backend().argmax(x.dtype(), outer, s[a], inner, c.segment(), idx);
        Tensor ones = Tensor.full(x.dtype(), 1.0, rows);
        Tensor mask = Tensor.zeros(x.dtype(), rows, s[a]);
        Engine.backend().scatterCols(x.dtype(), rows, s[a], ones.segment(), idx, mask.segment());
        return inner == 1 ? mask.reshape(s) : mask.reshape(outer, inner, s[a]).permute(0, 2, 1).contiguous().reshape(s);
    }

    /**
     * A zero vector of {@code length} holding the elements of {@code x} (row-major) at {@code offset ..}: the
     * adjoint of taking a flat slice.
     */
    public static Tensor embed(Tensor x, int offset, int length) {
        long n = x.size();
        if (offset < 0 || offset + n > length) {
            throw new IndexOutOfBoundsException("embed: " + n + " elements at offset " + offset
                    + " do not fit in a vector of length " + length);
        }
        Tensor y = Tensor.zeros(x.dtype(), length);
        Tensor dst = y.slice(0, offset, Math.toIntExact(offset + n));
        Engine.backend().copy(x.dtype(), x.dtype(), x.shape(), x.segment(), x.strides(), dst.segment());
        return y;
    }

    /**
     * {@code y [rows, length]} with {@code srcs[i]} (reshaped to {@code [rows, n_i]}, row-major order) in columns
     * {@code [offsets[i], offsets[i] + n_i)}; columns no source covers are zero. When the sources tile
     * {@code [0, length)} exactly (the cotangents of every parameter tensor of a model), nothing is zeroed first.
     */
    public static Tensor embedRowsMany(Tensor[] srcs, int[] offsets, int rows, int length) {
        Integer[] order = new Integer[srcs.length];
        long[] widths = new long[srcs.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            widths[i] = rows == 0 ? 0 : srcs[i].size() / rows;
        }
        Arrays.sort(order, (x, z) -> Integer.compare(offsets[x], offsets[z]));
        long end = 0;
        for (int i : order) {
            end = offsets[i] == end ? end + widths[i] : -1;
            if (end < 0) {
                break;
            }
        }
        DType t = srcs.length == 0 ? DType.F32 : srcs[0].dtype();
        Tensor y = end == length ? Tensor.uninitialised(t, rows, length) : Tensor.zeros(t, rows, length);
        for (int i = 0; i < srcs.length; i++) {
            copyRowsInto(srcs[i].contiguous().reshape(rows, -1), y, offsets[i]);
        }
        return y;
    }

    /**
     * Copies {@code src [rows, n]} into columns {@code [offset, offset + n)} of the contiguous {@code dst
     * [rows, length]}, in place: for assembling a freshly made output only.
     */
    public static void copyRowsInto(Tensor src, Tensor dst, int offset) {
        int rows = src.dim(0);
        int n = src.dim(1);
        if (dst.rank() != 2 || dst.dim(0) != rows || offset < 0 || offset + n > dst.dim(1) || !dst.isContiguous()) {
            throw new IllegalArgumentException("copyRowsInto: " + Arrays.toString(src.shape()) + " at column " + offset
                    + " does not fit " + Arrays.toString(dst.shape()));
        }
        for (int r = 0; r < rows; r++) {
            Tensor s = src.select(0, r);
            Tensor d = dst.select(0, r).slice(0, offset, offset + n);
            Engine.backend().copy(src.dtype(), dst.dtype(), s.shape(), s.segment(), s.strides(), d.segment());
        }
    }

    /**
     * Row-wise {@link #embed}: {@code x [rows, n]} into a zero {@code [rows, length]} at column {@code offset}
     * (the adjoint of slicing columns {@code [offset, offset + n)}).
     */
    public static Tensor embedRows(Tensor x, int offset, int length) {
        if (x.rank() != 2) {
            throw new IllegalArgumentException("embedRows takes [rows, n], got " + Arrays.toString(x.shape()));
        }
        int rows = x.dim(0);
        int n = x.dim(1);
        if (offset < 0 || offset + n > length) {
            throw new IndexOutOfBoundsException("embedRows: " + n + " columns at offset " + offset
                    + " do not fit in " + length);
        }
        Tensor y = Tensor.zeros(x.dtype(), rows, length);
        for (int r = 0; r < rows; r++) {
            Tensor src = x.select(0, r);
            Tensor dst = y.select(0, r).slice(0, offset, offset + n);
            Engine.backend().copy(x.dtype(), x.dtype(), src.shape(), src.segment(), src.strides(), dst.segment());
        }
        return y;
    }
}
