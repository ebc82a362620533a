package org.flatminima.engine.nn;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;

/**
 * A classifier as a pure function of one flat parameter vector: a {@link Module} (usually a {@link Sequential}),
 * the shape of one input sample, and the {@link ParameterLayout} of its parameters. {@link #loss} is the
 * function whose gradient and Hessian the experiments take, e.g.
 * {@code Autodiff.hvp(net.lossFunction(x, y), theta, v)}.
 *
 * <p>Inputs are {@code [N, ...sampleShape]}. When the sample shape has rank 1 (an MLP or affine model,
 * {@code mlp:784-...}), any input {@code [N, d1, d2, ...]} with {@code d1*d2*... = sampleShape[0]} is flattened
 * first (the flatten is not a module, so it takes no index). Inputs are converted to the parameters' dtype.
 */
public final class Network {
    private final Module module;
    private final int[] sampleShape;
    private final ParameterLayout layout;
    private final int classes;

    /**
     * A network taking samples of {@code sampleShape} (without the batch axis). Checks every layer's shapes now,
     * so a wrong architecture fails here with the failing layer's index; the output must be {@code [N, classes]}.
     */
    public Network(Module module, int... sampleShape) {
        this.module = module;
        this.sampleShape = sampleShape.clone();
        this.layout = ParameterLayout.of(module);
        int[] out = module.outputShape(batched(1));
        if (out.length != 2) {
            throw new IllegalArgumentException(module + " maps input " + Arrays.toString(batched(1))
                    + " to " + Arrays.toString(out) + "; a classifier must output [N, classes]");
        }
        this.classes = out[1];
    }

    private int[] batched(int n) {
        int[] s = new int[sampleShape.length + 1];
        s[0] = n;
        System.arraycopy(sampleShape, 0, s, 1, sampleShape.length);
        return s;
    }

    public Module module() {
        return module;
    }

    /** The shape of one input sample (no batch axis). */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Number of classes (the width of the logits). */
    public int classes() {
        return classes;
    }

    public ParameterLayout layout() {
        return layout;
    }

    /** P, the length of the flat parameter vector. */
    public int parameterCount() {
        return layout.size();
    }

    /** Each module with parameters and its range {@code [offset, offset + size)} in the flat vector. */
    public List<ParameterLayout.LayerRange> layerRanges() {
        return layout.layers();
    }

    /** A flat vector with PyTorch's default initialisation (see {@link ParameterLayout#init}). */
    public Tensor initParams(DType dtype, long seed) {
        return layout.init(dtype, seed);
    }

    /** Logits {@code [N, classes]} for inputs {@code x} (see the class comment for accepted shapes). */
    public Var logits(Var flatParams, Tensor x) {
        return module.forward(Var.of(prepare(x, flatParams.dtype())), layout.root(flatParams));
    }

    /** Mean softmax cross-entropy of the logits against integer labels in {@code [0, classes)} (rank 0). */
    public Var loss(Var flatParams, Tensor x, int[] labels) {
        int n = x.rank() == 0 ? 0 : x.dim(0);
        if (labels.length != n) {
            throw new IllegalArgumentException(labels.length + " labels for " + n + " inputs");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " of point " + i + " is outside [0, "
                        + classes + ")");
            }
        }
        return logits(flatParams, x).crossEntropy(labels);
    }

    /** {@code theta -> loss(theta, x, labels)}, ready for {@code Autodiff.grad} and {@code Autodiff.hvp}. */
    public Function<Var, Var> lossFunction(Tensor x, int[] labels) {
        int[] y = labels.clone();
        return theta -> loss(theta, x, y);
    }

    private Tensor prepare(Tensor x, DType dtype) {
        int[] s = x.shape();
        int[] want = batched(s.length == 0 ? 0 : s[0]);
        if (!Arrays.equals(s, want)) {
            long trailing = 1;
            for (int d = 1; d < s.length; d++) {
                trailing *= s[d];
            }
            if (sampleShape.length == 1 && s.length >= 2 && trailing == sampleShape[0]) {
                x = x.contiguous().reshape(want);
            } else {
                throw new ShapeMismatchException("input of " + module, "expected input shape [N, "
                        + joined(sampleShape) + "], got " + Arrays.toString(s));
            }
        }
        return x.dtype() == dtype ? x : x.to(dtype);
    }

    private static String joined(int[] s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length; i++) {
            b.append(i == 0 ? "" : ", ").append(s[i]);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "Network(" + module + ", sample " + Arrays.toString(sampleShape) + ", P=" + parameterCount() + ")";
    }
}
