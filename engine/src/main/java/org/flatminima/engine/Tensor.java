package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Shapes;

/**
 * An n-dimensional array of {@link DType#F32} or {@link DType#F64} values in off-heap memory.
 *
 * <p>A tensor is a view: a shared storage, an offset, a shape and strides (in elements, row-major by default).
 * {@link #reshape}, {@link #transpose}, {@link #slice}, {@link #expand} and friends return views that share
 * storage without copying; {@link #contiguous()} materialises one. Tensors are immutable through this API:
 * operations return new tensors (a kernel may write into a freshly made one before it is handed out).
 *
 * <p>Storage comes from the current {@link Scope} or, outside any scope, is reclaimed by the garbage
 * collector. Arithmetic lives in {@link TensorOps} (raw, not differentiable); differentiable operations are in
 * the autodiff package.
 */
public final class Tensor {

    /**
     * Keeps GC-managed memory alive while any view of it is reachable, and knows the scope whose memory it is:
     * every access checks that the scope is still open.
     */
    private static final class Storage {
        private final MemorySegment segment;
        private final Scope scope;

        Storage(long bytes) {
            this.scope = Scope.current();
            this.segment = Scope.allocate(bytes, this);
        }

        Storage(long bytes, boolean uninitialised) {
            this.scope = Scope.current();
            this.segment = uninitialised ? Scope.allocateUninitialised(bytes, this) : Scope.allocate(bytes, this);
        }

        /** The memory; throws {@link IllegalStateException} once its scope has closed. */
        MemorySegment segment() {
            if (scope != null && scope.isClosed()) {
                throw new IllegalStateException("a tensor was used after the Scope it was made in closed: keep() "
                        + "what must outlive a scope");
            }
            return segment;
        }
    }

    private final DType dtype;
    private final int[] shape;
    private final long[] strides;
    private final long offset;
    private final Storage storage;

    private Tensor(DType dtype, int[] shape, long[] strides, long offset, Storage storage) {
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.storage = storage;
    }

    // ------------------------------------------------------------------ creation

    /** A new contiguous tensor whose elements are zero. */
    public static Tensor zeros(DType dtype, int... shape) {
        int[] s = checkShape(shape);
        return new Tensor(dtype, s, Shapes.contiguousStrides(s), 0,
                new Storage(Shapes.size(s) * dtype.byteSize()));
    }

    /**
     * A new contiguous tensor whose contents are unspecified (inside a scope; zeros outside one): for kernel
     * outputs that are written in full before anything reads them. Package-private: callers must prove that.
     */
    static Tensor uninitialised(DType dtype, int... shape) {
        int[] s = checkShape(shape);
        return new Tensor(dtype, s, Shapes.contiguousStrides(s), 0,
                new Storage(Shapes.size(s) * dtype.byteSize(), true));
    }

    /** A tensor with the same dtype and shape as {@code like}, filled with zeros. */
    public static Tensor zerosLike(Tensor like) {
        return zeros(like.dtype, like.shape);
    }

    /** A new contiguous tensor filled with {@code value}. */
    public static Tensor full(DType dtype, double value, int... shape) {
        Tensor t = zeros(dtype, shape);
        if (value != 0) {
            Engine.backend().fill(dtype, t.size(), value, t.segment());
        }
        return t;
    }

    /** A rank-0 tensor. */
    public static Tensor scalar(DType dtype, double value) {
        return full(dtype, value);
    }

    /** A tensor with the given row-major values; their number must equal the shape's size. */
    public static Tensor of(DType dtype, double[] values, int... shape) {
        int[] s = checkShape(shape);
        if (Shapes.size(s) != values.length) {
            throw new IllegalArgumentException(values.length + " values do not fill shape "
                    + Arrays.toString(s) + " (" + Shapes.size(s) + " elements)");
        }
        Tensor t = zeros(dtype, s);
        MemorySegment seg = t.segment();
        for (int i = 0; i < values.length; i++) {
            dtype.set(seg, i, values[i]);
        }
        return t;
    }

    /** A float32 tensor with the given row-major values. */
    public static Tensor of(float[] values, int... shape) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return of(DType.F32, d, shape);
    }

    /** Independent uniform values in [lo, hi) from a seeded generator (reproducible). */
    public static Tensor uniform(DType dtype, SplittableRandom rnd, double lo, double hi, int... shape) {
        int[] s = checkShape(shape);
        double[] v = new double[Math.toIntExact(Shapes.size(s))];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return of(dtype, v, s);
    }

    /** Independent standard normal values (Box-Muller on a seeded generator). */
    public static Tensor normal(DType dtype, SplittableRandom rnd, int... shape) {
        int[] s = checkShape(shape);
        double[] v = new double[Math.toIntExact(Shapes.size(s))];
        for (int i = 0; i < v.length; i += 2) {
            double u1 = 1.0 - rnd.nextDouble(); // (0, 1]
            double u2 = rnd.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1));
            v[i] = r * Math.cos(2 * Math.PI * u2);
            if (i + 1 < v.length) {
                v[i + 1] = r * Math.sin(2 * Math.PI * u2);
            }
        }
        return of(dtype, v, s);
    }

    private static int[] checkShape(int[] shape) {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        return shape.clone();
    }

    // ------------------------------------------------------------------ properties

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code d}; negative d counts from the end. */
    public int dim(int d) {
        return shape[axis(d)];
    }

    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public long size() {
        return Shapes.size(shape);
    }

    /** A copy of the strides, in elements. */
    public long[] strides() {
        return strides.clone();
    }

    /** Offset of element 0 in the storage, in elements. */
    public long offset() {
        return offset;
    }

    /** True when the elements are laid out row-major without gaps. */
    public boolean isContiguous() {
        long expect = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expect) {
                return false;
            }
            expect *= shape[d];
        }
        return true;
    }

    /** True when both tensors have equal shapes. */
    public boolean sameShape(Tensor o) {
        return Arrays.equals(shape, o.shape);
    }

    /**
     * The storage from element 0 of this view onwards. For a contiguous tensor these are exactly its
     * elements in order; otherwise index it with {@link #strides()}.
     */
    public MemorySegment segment() {
        MemorySegment seg = storage.segment();
        return offset == 0 ? seg : seg.asSlice(offset * dtype.byteSize());
    }

    /** Normalises an axis index (negative counts from the end), or throws naming the rank. */
    public int axis(int d) {
        int a = d < 0 ? d + shape.length : d;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException("axis " + d + " out of range for a tensor of rank " + shape.length
                    + " (shape " + Arrays.toString(shape) + ")");
        }
        return a;
    }

    // ------------------------------------------------------------------ element access (not for hot loops)

    /** The element at the given index tuple. */
    public double get(int... idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + idx.length + " for a tensor of rank " + shape.length);
        }
        long o = offset;
        for (int d = 0; d < idx.length; d++) {
            if (idx[d] < 0 || idx[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " out of shape "
                        + Arrays.toString(shape));
            }
            o += idx[d] * strides[d];
        }
        return dtype.get(storage.segment(), o);
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (size() != 1) {
            throw new IllegalStateException("item() of a tensor with " + size() + " elements (shape "
                    + Arrays.toString(shape) + ")");
        }
        return dtype.get(storage.segment(), offset);
    }

    /** All elements in row-major order, as doubles. */
    public double[] toDoubleArray() {
        Tensor c = contiguous();
        MemorySegment s = c.segment();
        double[] d = new double[Math.toIntExact(size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = dtype.get(s, i);
        }
        return d;
    }

    // ------------------------------------------------------------------ views

    /**
     * The same elements in another shape (one dimension may be -1, inferred). A view when this tensor is
     * contiguous, a copy otherwise.
     */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int d = 0; d < s.length; d++) {
            if (s[d] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one dimension may be -1 in " + Arrays.toString(newShape));
                }
                infer = d;
            } else if (s[d] < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(newShape));
            } else {
                known *= s[d];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size() % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " into "
                        + Arrays.toString(newShape));
            }
            s[infer] = Math.toIntExact(size() / known);
        }
        if (Shapes.size(s) != size()) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " (" + size()
                    + " elements) into " + Arrays.toString(s));
        }
        Tensor src = isContiguous() ? this : contiguous();
        return new Tensor(dtype, s, Shapes.contiguousStrides(s), src.offset, src.storage);
    }

    /** Swaps two axes (a view). */
    public Tensor transpose(int a, int b) {
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        int x = axis(a);
        int y = axis(b);
        perm[x] = y;
        perm[y] = x;
        return permute(perm);
    }

    /** Reorders the axes: dimension i of the result is dimension {@code perm[i]} of this (a view). */
    public Tensor permute(int... perm) {
        if (perm.length != shape.length) {
            throw new IllegalArgumentException("permutation " + Arrays.toString(perm) + " for rank " + shape.length);
        }
        boolean[] seen = new boolean[perm.length];
        int[] s = new int[perm.length];
        long[] st = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            int p = axis(perm[i]);
            if (seen[p]) {
                throw new IllegalArgumentException("not a permutation: " + Arrays.toString(perm));
            }
            seen[p] = true;
            s[i] = shape[p];
            st[i] = strides[p];
        }
        return new Tensor(dtype, s, st, offset, storage);
    }

    /** Elements {@code start} (inclusive) to {@code end} (exclusive) along an axis (a view). */
    public Tensor slice(int axis, int start, int end) {
        int a = axis(axis);
        if (start < 0 || end > shape[a] || start > end) {
            throw new IndexOutOfBoundsException("slice [" + start + ", " + end + ") of axis " + a + " with size "
                    + shape[a]);
        }
        int[] s = shape.clone();
        s[a] = end - start;
        return new Tensor(dtype, s, strides.clone(), offset + start * strides[a], storage);
    }

    /** The sub-tensor at {@code index} along an axis, with that axis removed (a view). */
    public Tensor select(int axis, int index) {
        int a = axis(axis);
        Tensor s = slice(a, index, index + 1);
        return s.squeeze(a);
    }

    /** Inserts a dimension of size 1 at position {@code d} (0..rank; negative counts from the end). */
    public Tensor unsqueeze(int d) {
        int a = d < 0 ? d + shape.length + 1 : d;
        if (a < 0 || a > shape.length) {
            throw new IllegalArgumentException("unsqueeze position " + d + " out of range for rank " + shape.length);
        }
        int[] s = new int[shape.length + 1];
        long[] st = new long[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == a) {
                s[i] = 1;
                st[i] = 0;
            } else {
                s[i] = shape[j];
                st[i] = strides[j];
                j++;
            }
        }
        return new Tensor(dtype, s, st, offset, storage);
    }

    /** Removes a dimension of size 1. */
    public Tensor squeeze(int d) {
        int a = axis(d);
        if (shape[a] != 1) {
            throw new IllegalArgumentException("cannot squeeze axis " + a + " of size " + shape[a]);
        }
        int[] s = new int[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != a) {
                s[j] = shape[i];
                st[j] = strides[i];
                j++;
            }
        }
        return new Tensor(dtype, s, st, offset, storage);
    }

    /**
     * Broadcasts to a larger shape by NumPy's rules (a view with zero strides): dimensions are aligned at the
     * end, and a dimension of size 1 (or a missing leading one) may grow.
     */
    public Tensor expand(int... target) {
        if (target.length < shape.length) {
            throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(shape) + " to "
                    + Arrays.toString(target));
        }
        long[] st = new long[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            if (i < lead) {
                st[i] = 0;
                continue;
            }
            int sd = shape[i - lead];
            if (sd == target[i]) {
                st[i] = sd == 1 ? 0 : strides[i - lead];
            } else if (sd == 1) {
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(shape) + " to "
                        + Arrays.toString(target));
            }
        }
        return new Tensor(dtype, target.clone(), st, offset, storage);
    }

    /** This tensor if already contiguous, else a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : copy();
    }

    /** A new contiguous tensor with the same values. */
    public Tensor copy() {
        return to(dtype);
    }

    /** A new contiguous tensor with the values converted to {@code target}. */
    public Tensor to(DType target) {
        Tensor out = uninitialised(target, shape);
        Engine.backend().copy(dtype, target, shape, segment(), strides, out.segment());
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(dtype.longName()).append(Arrays.toString(shape));
        long n = size();
        if (n <= 16) {
            sb.append(' ').append(Arrays.toString(toDoubleArray()));
        }
        return sb.append(')').toString();
    }
}
