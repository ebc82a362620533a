package org.flatminima.engine.nn;

import java.lang.foreign.MemorySegment;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.Window2d;

/**
 * {@link Conv2d}'s per-sample rule. The per-sample weight gradient is {@code G_n = g_n cols_n^T} ({@code g_n [O, L]}
 * the cotangent at the output, {@code cols_n [R, L]} the unfolded input, {@code R = C k k}); bias
 * {@code sum_l g_{n,:,l}}. Two ways to its squares:
 * <ul>
 *   <li><b>products</b>: form {@code G_n}, one GEMM per sample and pass ({@code O L R} multiply-adds), and square
 *       it. Gives the squares entry by entry, so it is the way whenever a diagonal is wanted. The unfolded batch is
 *       kept across the passes when it has at most {@link SampleSquares.Batch#keepElements} elements, else
 *       unfolded again per pass.</li>
 *   <li><b>Gram matrices</b>, for the traces alone: {@code ||g cols^T||_F^2 = <g^T g, cols^T cols>}, the Frobenius
 *       product of two symmetric {@code L x L} matrices. The columns' Gram matrix {@code K_n} depends on the input
 *       only, so it is formed once per batch ({@code R L^2 / 2} multiply-adds by a symmetric rank-k update); each
 *       pass costs {@code O L^2 / 2} for {@code g_n^T g_n} and {@code L^2} for the product of the upper
 *       triangles. Taken when that is cheaper over the batch's passes ({@link #gramPays}) and the {@code m L^2}
 *       elements of the {@code K_n} fit in {@code keepElements}: the second convolution of an MNIST CNN (32 to 64
 *       channels, 3 x 3, L = 196) needs about half the multiply-adds of the products over nine passes; a first
 *       layer (R = 9, L = 784) never pays. A diagonal term {@code diag(r)} at the output
 *       ({@link #addDiagonal}) then costs {@code sum_{o,l} r_{n,o,l} ||cols_{n,:,l}||^2}.</li>
 * </ul>
 * When only the traces are wanted, either way runs sample by sample, each sample on one thread and the samples
 * shared out among the backend's threads ({@link #traces}); with a diagonal, the products run as batched GEMMs.
 */
final class Conv2dSquares implements SampleSquares {
    /** Bound on the per-sample matrices of one chunk of a pass (elements times 4). */
    private static final long CHUNK_ELEMENTS = 1L << 24;

    /** Which way a test wants, or null for the cheaper ({@link #gramPays}). */
    static Boolean forceGram = null;

    private final Conv2d cv;
    private final Tensor a;
    private final int m;
    private final Window2d one;
    /** The unfolded batch kept for the products, or null. */
    private final Tensor cols;
    /** The Gram way: {@code K_n}'s upper triangle with its off-diagonal entries doubled, {@code [m, L, L]}, or null. */
    private final Tensor gram;
    /** The Gram way: {@code ||cols_{n,:,l}||^2}, {@code [m, L]}. */
    private final Tensor colSquares;
    private final double[] wNorm;
    private final SquareSums bias;
    private final Tensor dw;
    private final Tensor db;

    Conv2dSquares(Conv2d cv, SampleSquares.Batch batch) {
        this.cv = cv;
        this.a = batch.input().contiguous();
        this.m = a.dim(0);
        this.one = window(1);
        this.wNorm = new double[m];
        this.bias = cv.bias() ? new SquareSums(a, m, cv.out()) : null;
        this.dw = batch.diagonal(0);
        this.db = cv.bias() ? batch.diagonal(1) : null;
        int l = one.colCols();
        boolean gramWay = forceGram != null ? forceGram
                : gramPays(cv.out(), one.colRows(), l, batch.passes())
                        && (long) m * l * l <= batch.keepElements();
        if (dw == null && gramWay) {
            Tensor[] k = columnGrams();
            this.gram = k[0];
            this.colSquares = k[1];
            this.cols = null;
        } else {
            this.gram = null;
            this.colSquares = null;
            long colsSize = (long) m * one.colRows() * l;
            this.cols = colsSize <= batch.keepElements() ? unfold(0, m) : null;
        }
    }

    /**
     * Whether the Gram matrices take fewer multiply-adds than the products over {@code passes} passes of one
     * batch: {@code R L^2 / 2 + passes (O / 2 + 1) L^2 < passes O L R} (false when the passes are unknown).
     */
    static boolean gramPays(int o, int r, int l, int passes) {
        return passes > 0 && (double) r * l * l / 2 + (double) passes * (o / 2.0 + 1) * l * l
                < (double) passes * o * l * r;
    }

    private Window2d window(int count) {
        return Window2d.square(count, a.dim(1), a.dim(2), a.dim(3), cv.kernel(), cv.stride(), cv.pad());
    }

    /** im2col of images {@code [from, from + count)}: {@code [count, R, L]}. */
    private Tensor unfold(int from, int count) {
        Window2d g = window(count);
        Tensor c = Tensor.zeros(a.dtype(), count, g.colRows(), g.colCols());
        Engine.backend().im2col(a.dtype(), g, a.segment().asSlice(from * g.imageSize() * a.dtype().byteSize()),
                c.segment());
        return c;
    }

    /** Samples per chunk whose per-sample matrices of {@code perSample} elements stay under the bound. */
    private int chunk(long perSample) {
        return (int) Math.max(1, Math.min(m, CHUNK_ELEMENTS / 4 / Math.max(1, perSample)));
    }

    /**
     * The Gram way's per-batch matrices: {@code {K_n}} with its off-diagonal entries doubled (a symmetric rank-k
     * update with alpha 2, then the diagonal halved: exact), and the column squares, which are K's diagonal.
     */
    private Tensor[] columnGrams() {
        int l = one.colCols();
        int r = one.colRows();
        DType t = a.dtype();
        Tensor k = Tensor.zeros(t, m, l, l);
        Tensor sq = Tensor.zeros(t, m, l);
        Backend be = Engine.backend();
        int chunk = chunk((long) r * l);
        for (int i0 = 0; i0 < m; i0 += chunk) {
            int n = Math.min(chunk, m - i0);
            int from = i0;
            try (Scope s = Scope.open()) {
                Tensor c = unfold(i0, n);
                be.runParts(n, i -> {
                    MemorySegment ki = k.select(0, from + i).segment();
                    MemorySegment si = sq.select(0, from + i).segment();
                    be.syrk(t, true, l, r, 2.0, c.select(0, i).segment(), l, 0.0, ki, l);
                    for (int j = 0; j < l; j++) {
                        double d = t.get(ki, (long) j * l + j) / 2;
                        t.set(ki, (long) j * l + j, d);
                        t.set(si, j, d);
                    }
                });
            }
        }
        return new Tensor[] {k, sq};
    }

    @Override
    public void add(Tensor g, Tensor weight) {
        Tensor g3 = g.contiguous().reshape(m, cv.out(), one.colCols());
        if (dw == null) {
            traces(g3, weight);
            return;
        }
        if (bias != null) {
            bias.add(TensorOps.sum(g3, 2, false), weight);
        }
        accumulate(g3, weight, false);
    }

    /**
     * The traces alone: per sample, its squared weight gradient norm by the Gram matrices (a symmetric rank-k update
     * {@code g_n^T g_n} into a scratch matrix, then its dot product with {@code K_n}, a 1 x 1 GEMM over the
     * {@code L^2} entries) or by the product ({@code G_n = g_n cols_n^T} into a scratch matrix, then its dot product
     * with itself), and its bias gradient {@code g_n 1} (a GEMM with a column of ones), all while {@code g_n} and
     * the scratch are in cache. The samples are split among the threads in contiguous groups, each with its own
     * scratch (zeroed once: the updates never write below the diagonal, and im2col of one image always writes the
     * same entries); each sample's numbers are the same wherever it runs.
     */
    private void traces(Tensor g3, Tensor weight) {
        int l = one.colCols();
        int r = one.colRows();
        int o = cv.out();
        DType t = a.dtype();
        long es = t.byteSize();
        Backend be = Engine.backend();
        int groups = Math.max(1, Math.min(m, be.threads()));
        boolean unfoldEach = gram == null && cols == null;
        double[] w = weight == null ? null : weight.toDoubleArray();
        try (Scope s = Scope.open()) {
            Tensor scratch = Tensor.zeros(t, groups, gram != null ? l * l : o * r);
            Tensor colScratch = unfoldEach ? Tensor.zeros(t, groups, r * l) : null;
            Tensor norms = Tensor.zeros(t, m);
            Tensor sums = bias != null ? Tensor.zeros(t, m, o) : null;
            double[] ones = new double[l];
            java.util.Arrays.fill(ones, 1);
            MemorySegment onesSeg = Tensor.of(t, ones, l).segment();
            MemorySegment out = norms.segment();
            be.runParts(groups, gi -> {
                MemorySegment sc = scratch.select(0, gi).segment();
                for (int i = (int) ((long) m * gi / groups); i < (int) ((long) m * (gi + 1) / groups); i++) {
                    MemorySegment gn = g3.select(0, i).segment();
                    if (sums != null) {
                        be.gemm(t, false, false, o, 1, l, 1.0, gn, l, onesSeg, 1, 0.0, sums.select(0, i).segment(), 1);
                    }
                    if (gram != null) {
                        be.syrk(t, true, l, o, 1.0, gn, l, 0.0, sc, l);
                        be.gemm(t, false, true, 1, 1, l * l, 1.0, sc, l * l, gram.select(0, i).segment(), l * l,
                                0.0, out.asSlice(es * i), 1);
                    } else {
                        MemorySegment cn;
                        if (unfoldEach) {
                            cn = colScratch.select(0, gi).segment();
                            be.im2col(t, one, a.segment().asSlice(es * i * one.imageSize()), cn);
                        } else {
                            cn = cols.select(0, i).segment();
                        }
                        be.gemm(t, false, true, o, r, l, 1.0, gn, l, cn, l, 0.0, sc, r);
                        be.gemm(t, false, true, 1, 1, o * r, 1.0, sc, o * r, sc, o * r, 0.0, out.asSlice(es * i), 1);
                    }
                }
            });
            double[] nv = norms.toDoubleArray();
            for (int i = 0; i < m; i++) {
                wNorm[i] += w == null ? nv[i] : w[i] * nv[i];
            }
            if (sums != null) {
                bias.add(sums, weight);
            }
        }
    }

    /**
     * {@code diag(r)} at the output: the unit column {@code (o, l)} has per-sample weight gradient
     * {@code e_o cols_{:,l}^T}, so the weighted squares sum to {@code r_n (cols_n^2)^T} ({@code [O, R]}), one GEMM
     * per sample instead of one per column; their sum, for the traces alone, to
     * {@code sum_l (sum_o r_{n,o,l}) ||cols_{n,:,l}||^2}. Bias {@code sum_l r_{n,o,l}}.
     */
    @Override
    public void addDiagonal(Tensor r) {
        Tensor r3 = r.contiguous().reshape(m, cv.out(), one.colCols());
        if (bias != null) {
            bias.addRaw(TensorOps.sum(r3, 2, false));
        }
        if (gram != null) {
            double[] t = SquareSums.rowSums(TensorOps.mul(TensorOps.sum(r3, 1, false), colSquares));
            for (int i = 0; i < m; i++) {
                wNorm[i] += t[i];
            }
        } else {
            accumulate(r3, null, true);
        }
    }

    /**
     * The products: adds each sample's squared weight gradient {@code (g_n cols_n^T)^2} times its weight, or with
     * {@code diagonal} the term {@code g_n (cols_n^2)^T} of a diagonal {@code g}, chunk by chunk of samples.
     */
    private void accumulate(Tensor g3, Tensor weight, boolean diagonal) {
        int chunk = chunk((long) one.colRows() * one.colCols());
        for (int i0 = 0; i0 < m; i0 += chunk) {
            int k = Math.min(chunk, m - i0);
            try (Scope s = Scope.open()) {
                Tensor c = cols != null ? cols.slice(0, i0, i0 + k) : unfold(i0, k);
                Tensor gk = g3.slice(0, i0, i0 + k);
                Tensor sq = diagonal ? TensorOps.matmul(gk, SquareSums.square(c).transpose(1, 2))
                        : SquareSums.weighted(SquareSums.square(TensorOps.matmul(gk, c.transpose(1, 2))),
                                weight == null ? null : weight.slice(0, i0, i0 + k)); // [k, O, R]
                double[] r = SquareSums.rowSums(sq);
                for (int i = 0; i < k; i++) {
                    wNorm[i0 + i] += r[i];
                }
                if (dw != null) {
                    SquareSums.addInto(dw, TensorOps.sum(sq, 0, false));
                }
            }
        }
    }

    @Override
    public double[][] finish() {
        return bias == null ? new double[][] {wNorm} : new double[][] {wNorm, bias.finish(db)};
    }
}
