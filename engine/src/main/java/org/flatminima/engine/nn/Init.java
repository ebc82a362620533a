package org.flatminima.engine.nn;

import java.util.SplittableRandom;

/**
 * PyTorch's default initialisation, as formulas (the values are reproducible from a seed but are <em>not</em>
 * bit-for-bit PyTorch's, whose generator is different).
 *
 * <ul>
 *   <li>{@code Linear} and {@code Conv2d} weight: {@code kaiming_uniform_(w, a = sqrt(5))}, i.e.
 *       {@code U(-bound, bound)} with {@code gain = sqrt(2 / (1 + a^2)) = sqrt(1/3)} and
 *       {@code bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in)}, where {@code fan_in} is the number of inputs
 *       of one output unit: {@code in_features} for Linear, {@code in_channels * k * k} for Conv2d.</li>
 *   <li>their bias: {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))} with the same {@code fan_in} (0 if
 *       {@code fan_in = 0}).</li>
 *   <li>BatchNorm: weight 1, bias 0; running mean 0, running variance 1.</li>
 * </ul>
 */
public final class Init {
    private Init() {
    }

    /** {@code 1 / sqrt(fanIn)}: the bound of both the weight and the bias of Linear and Conv2d (0 if fanIn = 0). */
    public static double defaultBound(int fanIn) {
        return fanIn > 0 ? 1.0 / Math.sqrt(fanIn) : 0.0;
    }

    /** {@code n} independent values uniform in {@code [-bound, bound)}. */
    public static double[] uniform(SplittableRandom rnd, int n, double bound) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = -bound + 2 * bound * rnd.nextDouble();
        }
        return v;
    }

    /** {@code n} copies of {@code value}. */
    public static double[] constant(int n, double value) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, value);
        return v;
    }
}
