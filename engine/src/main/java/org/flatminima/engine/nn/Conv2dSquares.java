package org.flatminima.engine.nn;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
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
 *       product of two symmetric {@code L x L} matrices, and over the passes {@code sum_p w_p ||g_p cols^T||^2 =
 *       <sum_p w_p g_p^T g_p, K>}. So the passes' cotangents are kept ({@link #pending}, up to
 *       {@code keepElements} elements) and each sample is done once for all of them, while its data are in cache:
 *       its columns' Gram matrix {@code K_n} ({@code R L^2 / 2} multiply-adds by a symmetric rank-k update), the
 *       passes' {@code sum_p w_p g_p^T g_p} (one update over the stacked {@code [passes O, L]} cotangents when
 *       every weight is 1, {@code passes O L^2 / 2}), and the product of the upper triangles ({@code L^2}). Taken
 *       when that is cheaper than the products over the passes kept at once ({@link #gramPays}): the second
 *       convolution of an MNIST CNN (32 to 64 channels, 3 x 3, L = 196) needs about half the multiply-adds of
 *       the products over nine passes; a first layer (R = 9, L = 784) never pays. A diagonal term
 *       {@code diag(r)} at the output ({@link #addDiagonal}) then costs {@code sum_{o,l} r_{n,o,l}
 *       ||cols_{n,:,l}||^2}.</li>
 * </ul>
 * When only the traces are wanted, either way runs sample by sample, each sample on one thread and the samples
 * shared out among the backend's threads ({@link #productTraces}, {@link #gramTraces}); with a diagonal, the
 * products run as batched GEMMs.
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
    /**
     * The Gram way: copies of the passes' cotangents {@code [m, O, L]} not yet done (at most {@link #kept}), made
     * in the scope this rule was made in, or null for the products.
     */
    private final List<Tensor> pending;
    /** The Gram way: each pending pass's weights as doubles (null for weight 1). */
    private final List<double[]> pendingWeights;
    /** The Gram way: how many passes are done at once. */
    private final int kept;
    /** The scope this rule was made in (null: GC-managed memory), where the pending copies live. */
    private final Scope home;
    /** The Gram way: {@code ||cols_{n,:,l}||^2}, {@code [m, L]}, made on the first {@link #addDiagonal}. */
    private Tensor colSquares;
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
        long perPass = (long) m * cv.out() * l;
        int kept = (int) Math.max(1, Math.min(Math.max(batch.passes(), 1),
                batch.keepElements() / Math.max(1, perPass)));
        boolean gramWay = dw == null && (forceGram != null ? forceGram
                : gramPays(cv.out(), one.colRows(), l, Math.min(batch.passes(), kept)));
        this.home = Scope.current();
        this.kept = kept;
        if (gramWay) {
            this.pending = new ArrayList<>();
            this.pendingWeights = new ArrayList<>();
            this.cols = null;
        } else {
            this.pending = null;
            this.pendingWeights = null;
            long colsSize = (long) m * one.colRows() * l;
            this.cols = colsSize <= batch.keepElements() ? unfold(0, m) : null;
        }
    }

    /**
     * Whether the Gram matrices take fewer multiply-adds than the products over {@code passes} passes done at once:
     * {@code R L^2 / 2 + passes (O / 2 + 1) L^2 < passes O L R} (false when the passes are unknown).
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

    @Override
    public void add(Tensor g, Tensor weight) {
        Tensor g3 = g.contiguous().reshape(m, cv.out(), one.colCols());
        if (pending != null) {
            pending.add(home == null ? Scope.outside(g3::copy) : home.enter(g3::copy));
            pendingWeights.add(weight == null ? null : weight.toDoubleArray());
            if (pending.size() == kept) {
                gramTraces();
            }
            return;
        }
        if (dw == null) {
            productTraces(g3, weight);
            return;
        }
        if (bias != null) {
            bias.add(TensorOps.sum(g3, 2, false), weight);
        }
        accumulate(g3, weight, false);
    }

    /**
     * The products' traces of one pass: per sample, its weight gradient {@code G_n = g_n cols_n^T} into a scratch
     * matrix, then its dot product with itself, and its bias gradient {@code g_n 1} (a GEMM with a column of
     * ones), all while {@code g_n} and the scratch are in cache. The samples are split among the threads in
     * contiguous groups, each with its own scratch; each sample's numbers are the same wherever it runs.
     */
    private void productTraces(Tensor g3, Tensor weight) {
        int l = one.colCols();
        int r = one.colRows();
        int o = cv.out();
        DType t = a.dtype();
        long es = t.byteSize();
        Backend be = Engine.backend();
        int groups = Math.max(1, Math.min(m, be.threads()));
        boolean unfoldEach = cols == null;
        try (Scope s = Scope.open()) {
            Tensor scratch = Tensor.zeros(t, groups, o * r);
            Tensor colScratch = unfoldEach ? Tensor.zeros(t, groups, r * l) : null;
            Tensor norms = Tensor.zeros(t, m);
            Tensor sums = bias != null ? Tensor.zeros(t, m, o) : null;
            MemorySegment ones = ones(t, l);
            MemorySegment out = norms.segment();
            be.runParts(groups, gi -> {
                MemorySegment sc = scratch.select(0, gi).segment();
                for (int i = first(gi, groups); i < first(gi + 1, groups); i++) {
                    MemorySegment gn = g3.select(0, i).segment();
                    if (sums != null) {
                        be.gemm(t, false, false, o, 1, l, 1.0, gn, l, ones, 1, 0.0, sums.select(0, i).segment(), 1);
                    }
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
            });
            double[] nv = norms.toDoubleArray();
            double[] w = weight == null ? null : weight.toDoubleArray();
            for (int i = 0; i < m; i++) {
                wNorm[i] += w == null ? nv[i] : w[i] * nv[i];
            }
            if (sums != null) {
                bias.add(sums, weight);
            }
        }
    }

    /**
     * The Gram way's traces of the pending passes, which it then drops: per sample, in a scratch of its thread,
     * its columns {@code cols_n} (im2col of one image), their Gram matrix {@code K_n} with the off-diagonal
     * entries doubled (a symmetric rank-k update with alpha 2, then the diagonal halved: exact), the passes'
     * cotangents stacked {@code [passes O, L]}, {@code S_n = sum_p w_p g_{p,n}^T g_{p,n}} (one update over the
     * stack when every weight is 1, else one per pass with alpha {@code w_p}), the dot product of the upper
     * triangles of {@code S_n} and {@code K_n} (a 1 x 1 GEMM over the {@code L^2} entries: the updates never
     * write below the diagonal, and the scratch starts at zero), and the bias gradients {@code g_{p,n} 1} (one
     * GEMM with a column of ones over the stack). Contiguous groups of samples per thread; each sample's numbers
     * are the same wherever it runs.
     */
    private void gramTraces() {
        int passes = pending.size();
        if (passes == 0) {
            return;
        }
        int l = one.colCols();
        int r = one.colRows();
        int o = cv.out();
        DType t = a.dtype();
        long es = t.byteSize();
        long block = (long) o * l * es;
        Backend be = Engine.backend();
        int groups = Math.max(1, Math.min(m, be.threads()));
        boolean unit = pendingWeights.stream().allMatch(w -> w == null);
        try (Scope s = Scope.open()) {
            Tensor sScratch = Tensor.zeros(t, groups, l * l);
            Tensor kScratch = Tensor.zeros(t, groups, l * l);
            Tensor colScratch = Tensor.zeros(t, groups, r * l);
            Tensor stack = Tensor.zeros(t, groups, passes * o * l);
            Tensor norms = Tensor.zeros(t, m);
            Tensor sums = bias != null ? Tensor.zeros(t, m, passes, o) : null;
            MemorySegment ones = ones(t, l);
            MemorySegment out = norms.segment();
            be.runParts(groups, gi -> {
                MemorySegment sc = sScratch.select(0, gi).segment();
                MemorySegment kc = kScratch.select(0, gi).segment();
                MemorySegment cn = colScratch.select(0, gi).segment();
                MemorySegment st = stack.select(0, gi).segment();
                for (int i = first(gi, groups); i < first(gi + 1, groups); i++) {
                    be.im2col(t, one, a.segment().asSlice(es * i * one.imageSize()), cn);
                    be.syrk(t, true, l, r, 2.0, cn, l, 0.0, kc, l);
                    for (int j = 0; j < l; j++) {
                        t.set(kc, (long) j * l + j, t.get(kc, (long) j * l + j) / 2);
                    }
                    for (int p = 0; p < passes; p++) {
                        MemorySegment.copy(pending.get(p).segment(), block * i, st, block * p, block);
                    }
                    if (unit) {
                        be.syrk(t, true, l, passes * o, 1.0, st, l, 0.0, sc, l);
                    } else {
                        for (int p = 0; p < passes; p++) {
                            double[] w = pendingWeights.get(p);
                            be.syrk(t, true, l, o, w == null ? 1.0 : w[i], st.asSlice(block * p, block), l,
                                    p == 0 ? 0.0 : 1.0, sc, l);
                        }
                    }
                    be.gemm(t, false, true, 1, 1, l * l, 1.0, sc, l * l, kc, l * l, 0.0, out.asSlice(es * i), 1);
                    if (sums != null) {
                        be.gemm(t, false, false, passes * o, 1, l, 1.0, st, l, ones, 1, 0.0,
                                sums.select(0, i).segment(), 1);
                    }
                }
            });
            double[] nv = norms.toDoubleArray();
            for (int i = 0; i < m; i++) {
                wNorm[i] += nv[i];
            }
            for (int p = 0; p < passes; p++) {
                if (sums != null) {
                    double[] w = pendingWeights.get(p);
                    bias.add(sums.select(1, p), w == null ? null : Tensor.of(t, w, m));
                }
            }
        }
        pending.clear();
        pendingWeights.clear();
    }

    /** The first sample of group {@code gi} of {@code groups}. */
    private int first(int gi, int groups) {
        return (int) ((long) m * gi / groups);
    }

    private static MemorySegment ones(DType t, int l) {
        double[] v = new double[l];
        java.util.Arrays.fill(v, 1);
        return Tensor.of(t, v, l).segment();
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
        if (pending != null) {
            double[] t = SquareSums.rowSums(TensorOps.mul(TensorOps.sum(r3, 1, false), colSquares()));
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

    /** {@code ||cols_{n,:,l}||^2}, {@code [m, L]}, made once (in the scope this rule was made in). */
    private Tensor colSquares() {
        if (colSquares == null) {
            Supplier<Tensor> make = () -> {
                Tensor sq = Tensor.zeros(a.dtype(), m, one.colCols());
                int chunk = chunk((long) one.colRows() * one.colCols());
                for (int i0 = 0; i0 < m; i0 += chunk) {
                    int k = Math.min(chunk, m - i0);
                    try (Scope s = Scope.open()) {
                        TensorOps.assign(sq.slice(0, i0, i0 + k),
                                TensorOps.sum(SquareSums.square(unfold(i0, k)), 1, false));
                    }
                }
                return sq;
            };
            colSquares = home == null ? Scope.outside(make) : home.enter(make);
        }
        return colSquares;
    }

    @Override
    public double[][] finish() {
        if (pending != null) {
            gramTraces();
        }
        return bias == null ? new double[][] {wNorm} : new double[][] {wNorm, bias.finish(db)};
    }
}
