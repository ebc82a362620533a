package org.flatminima.experiments.train;

import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;

/**
 * How many points one forward pass over many points (an evaluation, the margins of a chunk of points) takes at
 * once, so that a model with large feature maps does not hold a whole chunk's activations.
 *
 * <p>Why: every tensor a pass allocates inside a {@link Scope} lives until the scope closes, so a forward pass
 * over m points holds all of its intermediates at once: about m times the bytes of a one-point pass. For
 * KeskarC3 ({@code keskar-c3:1x28x28-10}) in float64 that is about 4 MB per point (24 x 58 x 58 padded maps,
 * batch norm's temporaries, the pooling routes), so a chunk of 1,000 points held 4 GB, and the engine's buffer
 * pool may keep as much idle afterwards (its cap follows the peak). Passes of at most {@link #BUDGET_BYTES} bytes bound that; each per-point value
 * depends on its own point only, and the passes keep the row blocks of the matrix products ({@link #ALIGN}), so
 * the results do not change.
 */
public final class Passes {

    /**
     * Bytes a forward pass over several points may allocate ({@code -Dflatminima.passBytes}, default 2 GiB),
     * judged by the bytes of a one-point forward pass ({@link #bytesPerPoint}), which is an upper bound: for
     * KeskarC3 in float64 9.1 MB against 4.0 MB per point of a pass over 1,000 points, so its passes take 224
     * points and about 1 GB. Not smaller by default: every pass has a fixed cost (each parallel kernel's hand-off
     * to the helper threads, which is slow when other processes hold the cores), so more passes cost more time.
     */
    public static final long BUDGET_BYTES = Long.getLong("flatminima.passBytes", 2L << 30);

    /**
     * Passes of more than one block take a multiple of this many points. The matrix products work on blocks of
     * a few rows (the vector backend's micro-kernel takes 4; a last partial block is handled apart), and a row's
     * sums are added in the same order whenever the block boundaries fall on the same rows: passes that start at
     * multiples of 16 points of a chunk give each point's logits to the bit as one pass over the chunk (checked
     * in the tests). The same holds for the 3x3 convolutions computed by Winograd's algorithm, whose products
     * span chunks of a power of two up to 16 images. Smaller passes (a model of more than a sixteenth of the budget per point) may differ in the
     * last bits, and so may every pass on an OpenBLAS with AVX-512 small-matrix kernels (SkylakeX and later cores:
     * {@code OpenBlas.hasSmallMatrixKernels}), which sum a small product (M N K at most 100^3) in another order
     * than a large one; on other x86 cores a pass's product under that bound runs on our small-product C kernels
     * (docs/kernels.md, "GEMM choice") while the whole one may not, with the same effect; and where the native
     * backend runs its large products on the vector GEMM (512-bit vectors beside an OpenBLAS core without AVX-512
     * kernels, as under {@code OPENBLAS_CORETYPE=Haswell} on an AMD Zen 5), a pass's product of fewer rows than the
     * vector GEMM takes runs on OpenBLAS or those kernels instead, with the same effect again.
     */
    public static final int ALIGN = 16;

    private Passes() {
    }

    /**
     * Points per pass: as many as fit {@code budgetBytes} at {@code bytesPerPoint} each, at least 1 and at most
     * {@code max}; when that is less than {@code max} and at least {@link #ALIGN}, rounded down to a multiple of
     * {@link #ALIGN}. A pure function, so that the policy is testable.
     */
    public static int pointsPerPass(long budgetBytes, long bytesPerPoint, int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        int n = (int) Math.max(1, Math.min(max, budgetBytes / Math.max(1, bytesPerPoint)));
        return n < max && n >= ALIGN ? n - n % ALIGN : n;
    }

    /**
     * Bytes the forward pass of {@code net} in eval mode allocates for one point (zeros of the sample shape, in
     * {@code theta}'s dtype), measured in a scope of its own. An upper bound of the cost of each further point:
     * it includes what a pass allocates once (a convolution's unfolded input is built a few images at a time, up
     * to a fixed number of elements).
     */
    public static long bytesPerPoint(Network net, Tensor theta) {
        int[] sample = net.sampleShape();
        int[] shape = new int[sample.length + 1];
        shape[0] = 1;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        try (Scope s = Scope.open()) {
            net.withMode(Mode.EVAL).logits(Var.of(theta), Tensor.zeros(theta.dtype(), shape));
            return Math.max(1, s.bytes());
        }
    }

    /** {@link #pointsPerPass} for {@code net} at {@code theta} with {@link #BUDGET_BYTES}, at most {@code max}. */
    public static int pointsPerPass(Network net, Tensor theta, int max) {
        return pointsPerPass(BUDGET_BYTES, bytesPerPoint(net, theta), max);
    }

    /**
     * The eval-mode logits {@code [N, classes]} of the points {@code x} ({@code [N, ...]}), computed
     * {@code pointsPerPass} points at a time, each pass in a scope of its own; the result is allocated in the
     * caller's scope. Row i is the logits of point i alone (eval mode: no statistic across points).
     */
    public static Tensor logits(Network net, Tensor theta, Tensor x, int pointsPerPass) {
        Network eval = net.withMode(Mode.EVAL);
        int n = x.dim(0);
        if (pointsPerPass >= n) {
            return eval.logits(Var.of(theta), x).value();
        }
        Tensor out = null;
        for (int from = 0; from < n; from += pointsPerPass) {
            int to = Math.min(n, from + pointsPerPass);
            if (out == null) {
                out = Tensor.zeros(theta.dtype(), n, net.classes());
            }
            Tensor dst = out.slice(0, from, to);
            try (Scope s = Scope.open()) {
                TensorOps.assign(dst, eval.logits(Var.of(theta), x.slice(0, from, to)).value());
            }
        }
        return out;
    }
}
