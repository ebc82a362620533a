package org.flatminima.engine;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.BinaryOp;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Shapes;

/**
 * How a matrix product of {@link TensorOps} ({@code matmul}, {@code matmulAdd}, {@code matmulSum},
 * {@code matmulInto}) becomes GEMM calls on the {@link Engine#backend()}: batch axes folded into rows, one GEMM per
 * matrix of a non-contiguous batched left operand, a stack of right operands as one GEMM, and views passed to
 * GEMM in place where their layout allows.
 */
final class Gemms {
    private Gemms() {
    }

    /** True when the products of {@code a @ b} are one GEMM over a stack of {@code b}'s columns ({@link #stacked}). */
    static boolean stacks(Tensor a, Tensor b, long count) {
        return Shapes.size(Arrays.copyOf(a.shape(), a.rank() - 2)) == 1 && count > 1 && a.dim(-1) > 0
                && b.dim(-1) <= STACK_MAX_COLUMNS;
    }

    /**
     * {@code y = a @ b + c} for a contiguous {@code y} of the product's shape and a bias {@code c} of shape
     * {@code [n]} (a linear layer's) where the products are one GEMM ({@code b} a matrix, {@code a}'s batch axes
     * folded into its rows): the backend's {@link Backend#gemmOntoRow}, the bits of {@code c} broadcast into
     * {@code y} and {@link #product} at beta 1, without that broadcast where the GEMM reads the row in its first
     * store; with {@code relu}, {@link Backend#gemmOntoRowRelu}, the ReLU of that in the GEMM's last store where it
     * can. False, having done nothing, for any other product or addend.
     */
    static boolean productOntoRow(Tensor a, Tensor b, Tensor c, Tensor y, boolean relu) {
        int m = a.dim(-2);
        int k = a.dim(-1);
        int n = b.dim(-1);
        if (b.rank() != 2 || c.rank() != 1 || c.dim(0) != n || n > 1 && c.strides()[0] != 1 || k == 0
                || c.dtype() != a.dtype() || a.rank() > 2 && sliceByMatrix(a, m)) {
            return false;
        }
        Tensor a2 = a.rank() == 2 ? a : a.contiguous().reshape(-1, k);
        Operand oa = operand(a2);
        Operand ob = operand(b);
        if (relu) {
            Engine.backend().gemmOntoRowRelu(a.dtype(), oa.trans, ob.trans, a2.dim(0), n, k, 1.0, oa.seg, oa.ld,
                    ob.seg, ob.ld, c.segment(), y.segment(), n);
        } else {
            Engine.backend().gemmOntoRow(a.dtype(), oa.trans, ob.trans, a2.dim(0), n, k, 1.0, oa.seg, oa.ld, ob.seg,
                    ob.ld, c.segment(), y.segment(), n);
        }
        return true;
    }

    /**
     * {@code y = a @ b + beta * y} for a contiguous {@code y} of the product's shape (beta 0 or 1; with beta = 0 and
     * {@code k = 0} y is left as it is).
     */
    static void product(Tensor a, Tensor b, Tensor y, double beta) {
        int[] aBatch = Arrays.copyOf(a.shape(), a.rank() - 2);
        int[] bBatch = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = Arrays.copyOf(y.shape(), y.rank() - 2);
        int m = a.dim(-2);
        int k = a.dim(-1);
        int n = b.dim(-1);
        long count = Shapes.size(batch);
        DType t = a.dtype();
        if (beta == 1.0 && stacks(a, b, count)) {
            Tensor y3 = y.reshape((int) count, m, n);
            Tensor stack = stacked(a, b.expand(TensorOps.concat(batch, k, n)), (int) count, m, n);
            TensorOps.assignBinary(y3, BinaryOp.ADD, y3, stack);
            return;
        }
        if (bBatch.length == 0 || Shapes.size(bBatch) == 1 && batch.length == aBatch.length) {
            Tensor b2 = b.rank() == 2 ? b : b.reshape(b.dim(-2), n);
            if (sliceByMatrix(a, m)) {
                // one GEMM per matrix of a, the matrices shared out among the threads (each GEMM on one)
                int matrices = (int) Shapes.size(aBatch);
                Tensor[] as = new Tensor[matrices];
                int[] idx = new int[aBatch.length];
                for (int i = 0; i < matrices; i++) {
                    Tensor ai = a;
                    for (int d = 0; d < aBatch.length; d++) {
                        ai = ai.select(0, idx[d]);
                    }
                    as[i] = ai;
                    Shapes.increment(idx, aBatch);
                }
                Tensor y3 = y.reshape(matrices, m, n);
                Backend be = Engine.backend();
                be.runParts(matrices, i -> gemm2d(be, t, as[i], b2, y3.select(0, i), 1.0, beta));
                return;
            }
            // fold a's batch axes into the rows of one GEMM
            Tensor a2 = a.rank() == 2 ? a : a.contiguous().reshape(-1, k);
            gemm2d(Engine.backend(), t, a2, b2, y.reshape(-1, n), 1.0, beta);
            return;
        }
        Tensor ea = a.expand(TensorOps.concat(batch, m, k));
        Tensor eb = b.expand(TensorOps.concat(batch, k, n));
        Tensor y3 = y.reshape((int) count, m, n);
        int[] idx = new int[batch.length];
        for (int i = 0; i < count; i++) {
            Tensor ai = ea;
            Tensor bi = eb;
            for (int d = 0; d < batch.length; d++) {
                ai = ai.select(0, idx[d]);
                bi = bi.select(0, idx[d]);
            }
            gemm2d(Engine.backend(), t, ai, bi, y3.select(0, i), 1.0, beta);
            Shapes.increment(idx, batch);
        }
    }

    /**
     * Rows of {@code a}'s matrices from which a product of a non-contiguous batched {@code a} runs one GEMM per
     * matrix rather than copying {@code a} to fold its batch into the rows of one GEMM.
     */
    static final int SLICE_MIN_ROWS = 64;

    /**
     * True when a batched {@code a} is better multiplied matrix by matrix: it is not contiguous (folding its batch
     * into rows would copy all of it), each matrix is one that GEMM reads in place (row-major or transposed, as a
     * weight gradient's {@code g.mT()} of stacked directions), and the matrices have enough rows for GEMMs of
     * their own to run at full speed. The matrices' GEMMs are shared out among the backend's threads whole (not
     * each split across them), so every entry is computed as on one thread.
     */
    private static boolean sliceByMatrix(Tensor a, int m) {
        if (a.rank() <= 2 || a.isContiguous() || m < SLICE_MIN_ROWS) {
            return false;
        }
        long[] s = a.strides();
        int r = a.rank();
        int rows = a.dim(-2);
        int cols = a.dim(-1);
        boolean rowMajor = (cols == 1 || s[r - 1] == 1) && (rows == 1 || s[r - 2] >= cols);
        boolean colMajor = (rows == 1 || s[r - 2] == 1) && (cols == 1 || s[r - 1] >= rows);
        return rowMajor || colMajor;
    }

    /** Columns of {@code b}'s matrices up to which a shared {@code a} multiplies their stack in one GEMM. */
    static final int STACK_MAX_COLUMNS = 64;

    /**
     * {@code a @ b[i]} for one matrix {@code a} and a batch {@code b} {@code [count, k, n]} with few columns (a
     * linear layer's input times a stack of directions' weights, or its transpose times a stack of output
     * cotangents), as a view {@code [count, m, n]} of one GEMM over the stack's {@code count * n} columns instead of
     * {@code count} GEMMs of {@code n}: {@code a} is read once instead of once per matrix and the product runs at a
     * width where GEMM is efficient. In double it is computed transposed, {@code [b[0] b[1] ...]^T a^T} with the
     * stack as rows, which OpenBLAS's double kernels run 13-20% faster than {@code a @ [b[0] b[1] ...]} (at one and
     * two threads); its float kernels run the two at one speed on one thread and the stack as columns faster on two,
     * where its rows split better (docs/PERFORMANCE.md, "Directions' products stacked"). The stacked operand is a
     * view when its layout allows ({@code W^T} of stacked weights), otherwise a copy of the stack, far less than the
     * products it replaces read.
     */
    static Tensor stacked(Tensor a, Tensor b, int count, int m, int n) {
        int k = b.dim(-2);
        DType t = a.dtype();
        Tensor a2 = a;
        while (a2.rank() > 2) {
            a2 = a2.select(0, 0);
        }
        Tensor b3 = b.rank() == 3 ? b : b.reshape(count, k, n);
        if (t == DType.F64) {
            Tensor rows = b3.transpose(1, 2).reshape(count * n, k);
            Tensor product = Tensor.uninitialised(t, count * n, m);
            gemm2d(Engine.backend(), t, rows, a2.transpose(0, 1), product, 1.0, 0.0);
            return product.reshape(count, n, m).transpose(1, 2);
        }
        Tensor columns = b3.transpose(1, 2).isContiguous() ? b3.transpose(1, 2).reshape(count * n, k).transpose(0, 1)
                : b3.permute(1, 0, 2).contiguous().reshape(k, count * n);
        Tensor product = Tensor.uninitialised(t, m, count * n);
        gemm2d(Engine.backend(), t, a2, columns, product, 1.0, 0.0);
        return product.reshape(m, count, n).permute(1, 0, 2);
    }

    /**
     * {@code {a @ b + c, a @ db[i] + dc[i]}} for a matrix {@code a [m, k]}, a matrix {@code b [k, n]} and the stack
     * {@code db [count, k, n]} of its tangents (one axis of directions, or none: {@code db [k, n]}, {@code oneAxis}
     * false), {@code c} null or {@code [n]} and {@code dc} null or {@code [count, n]} (a bias and its tangents, added
     * to every row): one GEMM over the stack {@code S = [b^T; db[0]^T; ...]} of {@code (count + 1) n} rows (copies of b
     * and db, far smaller than a), instead of {@code a @ b} and then {@code a @ db}'s stack ({@link #stacked}), each
     * reading all of {@code a}: with few columns in b reading {@code a} is most of either product's time
     * (docs/PERFORMANCE.md, "A product's value and tangent in one GEMM"). A row-major {@code a} (a layer's input)
     * gives {@code a S^T}, whose rows hold each point's outputs and tangents side by side, the layout the next
     * elementwise operations read; a transposed one ({@code x^T} of a weight gradient {@code x^T g}) gives
     * {@code S a^T}, whose rows are the weight cotangent's rows and its tangents', the layout the flat cotangent
     * takes. Returns views of the one output: the value {@code [m, n]} and the tangent {@code [count, m, n]} (or
     * {@code [m, n]}).
     */
    static Tensor[] withTangents(Tensor a, Tensor b, Tensor c, Tensor db, Tensor dc, boolean oneAxis) {
        int m = a.dim(0);
        int k = a.dim(1);
        int n = b.dim(1);
        int count = oneAxis ? db.dim(0) : 1;
        int rows = (count + 1) * n;
        DType t = a.dtype();
        Tensor stack = Tensor.uninitialised(t, rows, k);
        TensorOps.assign(stack.slice(0, 0, n), b.transpose(0, 1));
        TensorOps.assign(stack.slice(0, n, rows).reshape(count, n, k),
                oneAxis ? db.transpose(1, 2) : db.transpose(0, 1).unsqueeze(0));
        Tensor addend = null;
        if (c != null || dc != null) {
            Tensor none = Tensor.zeros(t, 1);
            addend = Tensor.uninitialised(t, count + 1, n);
            TensorOps.assign(addend.select(0, 0), c == null ? none.expand(n) : c);
            TensorOps.assign(addend.slice(0, 1, count + 1),
                    dc == null ? none.expand(count, n) : dc.reshape(count, n));
        }
        boolean byRows = m > 1 && a.strides()[0] == 1; // a transposed view
        Tensor y = Tensor.uninitialised(t, byRows ? rows : m, byRows ? m : rows);
        if (addend != null) {
            TensorOps.assign(y, byRows ? addend.reshape(rows, 1).expand(rows, m)
                    : addend.reshape(1, rows).expand(m, rows));
        }
        double beta = addend == null ? 0.0 : 1.0;
        if (byRows) {
            gemm2d(Engine.backend(), t, stack, a.transpose(0, 1), y, 1.0, beta);
            Tensor tangent = y.slice(0, n, rows).reshape(count, n, m).transpose(1, 2);
            return new Tensor[] {y.slice(0, 0, n).transpose(0, 1), oneAxis ? tangent : tangent.select(0, 0)};
        }
        gemm2d(Engine.backend(), t, a, stack.transpose(0, 1), y, 1.0, beta);
        Tensor tangent = y.reshape(m, count + 1, n).slice(1, 1, count + 1).permute(1, 0, 2);
        return new Tensor[] {y.slice(1, 0, n), oneAxis ? tangent : tangent.select(0, 0)};
    }

    /**
     * {@link TensorOps#gemm2d(DType, Tensor, Tensor, Tensor, double, double)} on the given backend: for the parts of a
     * {@link Backend#runParts} call, which may run on threads whose {@link Engine#backend()} is another one.
     */
    static void gemm2d(Backend be, DType t, Tensor a, Tensor b, Tensor c, double alpha, double beta) {
        long[] cs = c.strides();
        if (c.dim(1) > 1 && cs[1] != 1) {
            throw new IllegalArgumentException("gemm2d: the output must be row-major");
        }
        Operand oa = operand(a);
        Operand ob = operand(b);
        int ldc = (int) Math.max(c.dim(1), c.dim(0) > 1 ? cs[0] : 1);
        be.gemm(t, oa.trans, ob.trans, a.dim(0), b.dim(1), a.dim(1), alpha, oa.seg, oa.ld,
                ob.seg, ob.ld, beta, c.segment(), ldc);
    }

    private record Operand(MemorySegment seg, boolean trans, int ld) {
    }

    private static Operand operand(Tensor x) {
        long[] s = x.strides();
        int rows = x.dim(0);
        int cols = x.dim(1);
        if ((cols == 1 || s[1] == 1) && (rows == 1 || s[0] >= cols)) {
            return new Operand(x.segment(), false, (int) Math.max(cols, rows == 1 ? cols : s[0]));
        }
        if ((rows == 1 || s[0] == 1) && (cols == 1 || s[1] >= rows)) {
            return new Operand(x.segment(), true, (int) Math.max(rows, cols == 1 ? rows : s[1]));
        }
        Tensor c = x.contiguous();
        return new Operand(c.segment(), false, cols);
    }
}
