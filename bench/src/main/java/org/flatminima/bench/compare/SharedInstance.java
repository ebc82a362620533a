package org.flatminima.bench.compare;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.kernels.DType;

/**
 * Weights, inputs and labels that both sides of the comparison generate identically, so that the per-point
 * traces and the training losses of ours and of the PyTorch worker can be checked against each other: the same
 * network at the same parameters on the same points.
 *
 * <p>The generator is {@link SplittableRandom}{@code (seed).nextDouble()}: value {@code i} (from 1) is
 * {@code (mix64(seed + i * 0x9E3779B97F4A7C15) >>> 11) * 2^-53} with SplitMix64's finaliser {@code mix64}
 * (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), which
 * {@code bench/peers/torch_worker.py} re-implements with numpy's wrapping 64-bit integers. Every value is made
 * in double precision and then rounded to the dtype, identically on both sides.
 * <ul>
 *   <li>Parameters: one stream seeded {@value #WEIGHT_SEED}, in the flat vector's order (PyTorch's
 *       {@code named_parameters()} order for these sequential models: each layer's weight, then its bias);
 *       value {@code (2u - 1) / sqrt(fanIn)} with {@code fanIn} the layer weight's size over its first
 *       dimension, the bound of PyTorch's default initialisation.</li>
 *   <li>Inputs: a stream seeded {@value #INPUT_SEED}, row-major {@code [n, ...sample shape]}, value {@code u}.</li>
 *   <li>Labels: a stream seeded {@value #LABEL_SEED}, label {@code floor(10 u)}.</li>
 * </ul>
 */
public final class SharedInstance {

    /** Seed of the parameter stream. */
    public static final long WEIGHT_SEED = 1701;
    /** Seed of the input stream. */
    public static final long INPUT_SEED = 1702;
    /** Seed of the label stream. */
    public static final long LABEL_SEED = 1703;

    private SharedInstance() {
    }

    /** The first {@code n} values of {@code new SplittableRandom(seed).nextDouble()}. */
    public static double[] uniform(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            u[i] = r.nextDouble();
        }
        return u;
    }

    /** The shared flat parameter vector of {@code net} in {@code dtype}. */
    public static Tensor parameters(Network net, DType dtype) {
        ParameterLayout layout = net.layout();
        Map<String, Integer> fanIn = new HashMap<>();
        for (ParameterLayout.Entry e : layout.entries()) {
            if (e.name().endsWith("weight")) {
                fanIn.put(prefix(e.name()), e.size() / e.shape()[0]);
            }
        }
        double[] u = uniform(WEIGHT_SEED, layout.size());
        double[] flat = new double[u.length];
        for (ParameterLayout.Entry e : layout.entries()) {
            Integer fan = fanIn.get(prefix(e.name()));
            if (fan == null) {
                throw new IllegalArgumentException("parameter " + e.name() + " has no weight in its layer");
            }
            double bound = 1 / Math.sqrt(fan);
            for (int i = e.offset(); i < e.end(); i++) {
                flat[i] = (2 * u[i] - 1) * bound;
            }
        }
        return Tensor.of(dtype, flat, flat.length);
    }

    private static String prefix(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(0, dot);
    }

    /** {@code n} shared inputs for {@code net}: {@code [n, ...sample shape]}, uniform in [0, 1). */
    public static Tensor inputs(Network net, DType dtype, int n) {
        int[] sample = net.sampleShape();
        int[] shape = new int[sample.length + 1];
        shape[0] = n;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        int size = n;
        for (int d : sample) {
            size *= d;
        }
        return Tensor.of(dtype, uniform(INPUT_SEED, size), shape);
    }

    /** {@code n} shared labels in [0, 10). */
    public static int[] labels(int n) {
        double[] u = uniform(LABEL_SEED, n);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (int) Math.floor(10 * u[i]);
        }
        return y;
    }
}
