package org.flatminima.experiments.measures;

import org.flatminima.engine.Tensor;

/**
 * The authors' affine-trace expression from the raw network input: their {@code get_linear_loss_trace}
 * ({@code margin_flatness/postprocessing/margins.py}; the same formula as {@code get_affine_trace} in
 * {@code margin_flatness/postprocessing/sharpness.py}), cross-entropy branch:
 * <pre>
 *   inputs_norm = torch.norm(inputs.view(N, -1), dim=1)            # the raw input, flattened
 *   curr_results = (inputs_norm**2 + 1) * (1 - torch.norm(softmax(outputs), dim=1)**2)
 * </pre>
 * that is {@code (||x_n||^2 + 1)(1 - ||p_n||^2)} per point, with x the input the network is given (not an
 * intermediate layer), {@code +1} for the bias, summed over coordinates and over classes (no mean: one point's
 * loss, cross-entropy of a batch of one). For an affine classifier {@code z = W x + b} it is the exact trace of
 * the point's loss Hessian with respect to (W, b), which is {@code (diag p - p p^T) (x) [x; 1][x; 1]^T}: trace
 * {@code (1 - ||p||^2)(||x||^2 + 1)}. For a deeper network it is the trace an affine classifier on the raw input
 * with the same softmax outputs would have; {@link Margins#affineTraceExpression} uses the last layer's input
 * instead (the exact trace of the last layer's block). The two coincide for an affine model.
 *
 * <p>The raw input is whatever the network is fed: the authors standardised MNIST with the scalars
 * (0.1307, 0.3081) and fed Fashion-MNIST as {@code p / 255}; the values here use this project's inputs.
 */
public final class AuthorsAffineTrace {
    private AuthorsAffineTrace() {
    }

    /**
     * {@code (||x_n||^2 + 1)(1 - ||p_n||^2)} per point from the raw inputs {@code x} ({@code [N, ...]}, flattened
     * per point) and the columns' {@code 1 - ||p||^2} (from the model's logits on the same points).
     */
    public static double[] rawInput(Tensor x, Margins.Columns cols) {
        int n = cols.output().length;
        if (x.rank() < 1 || x.dim(0) != n) {
            throw new IllegalArgumentException("the inputs must be [N, ...] with N = " + n + ", got "
                    + java.util.Arrays.toString(x.shape()));
        }
        Tensor flat = x.contiguous().reshape(n, (int) (x.size() / Math.max(1, n)));
        return Margins.affineTraceExpression(flat, cols);
    }
}
