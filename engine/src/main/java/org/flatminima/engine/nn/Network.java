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
    private final Mode mode;
    private Buffers buffers;

    /**
     * A network taking samples of {@code sampleShape} (without the batch axis). Checks every layer's shapes now,
     * so a wrong architecture fails here with the failing layer's index; the output must be {@code [N, classes]}.
     */
    public Network(Module module, int... sampleShape) {
        this.module = module;
        this.sampleShape = sampleShape.clone();
        this.layout = ParameterLayout.of(module);
        this.mode = Mode.TRAIN;
        this.buffers = layout.initBuffers(DType.F64);
        int[] out = module.outputShape(batched(1));
        if (out.length != 2) {
            throw new IllegalArgumentException(module + " maps input " + Arrays.toString(batched(1))
                    + " to " + Arrays.toString(out) + "; a classifier must output [N, classes]");
        }
        this.classes = out[1];
    }

    private Network(Network o, Mode mode) {
        this.module = o.module;
        this.sampleShape = o.sampleShape;
        this.layout = o.layout;
        this.classes = o.classes;
        this.buffers = o.buffers;
        this.mode = mode;
    }

    /**
     * The same network in {@code mode} (PyTorch's {@code train()} / {@code eval()}). A new network is created in
     * {@link Mode#TRAIN}, as in PyTorch; the two share nothing mutable but start from the same buffers.
     */
    public Network withMode(Mode mode) {
        Network n = new Network(this, mode);
        n.buffers = buffers.copy();
        return n;
    }

    public Mode mode() {
        return mode;
    }

    /** The current buffers (running statistics of batch normalisation; empty for other models). */
    public Buffers buffers() {
        return buffers;
    }

    /** Replaces the buffers (e.g. loaded from a checkpoint with {@link #loadStateDict}). */
    public void setBuffers(Buffers b) {
        if (!b.toMap().keySet().equals(buffers.toMap().keySet())) {
            throw new IllegalArgumentException("buffers " + b.toMap().keySet() + " do not match the model's "
                    + buffers.toMap().keySet());
        }
        this.buffers = b;
    }

    /**
     * PyTorch's {@code state_dict}: every parameter (a view of {@code flat}) and every buffer (in {@code flat}'s
     * dtype), by name, in PyTorch's order (per module its parameters then its buffers).
     */
    public java.util.Map<String, Tensor> stateDict(Tensor flat) {
        java.util.Map<String, Tensor> params = layout.toMap(flat);
        java.util.Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        for (String name : layout.stateDictNames()) {
            Tensor b = params.containsKey(name) ? params.get(name) : buffers.get(name);
            m.put(name, b.dtype() == flat.dtype() ? b : b.to(flat.dtype()));
        }
        return m;
    }

    /**
     * Loads a state_dict: sets this network's buffers and returns the flat parameter vector, both in
     * {@code dtype}. Strict: a missing, wrong-shaped or unknown name is an error naming it and the expected shape.
     */
    public Tensor loadStateDict(java.util.Map<String, Tensor> map, DType dtype) {
        Tensor flat = layout.fromMap(map, dtype);
        this.buffers = layout.buffersFromMap(map, dtype);
        return flat;
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
        return forward(flatParams, x, null, null, null);
    }

    /**
     * {@link #logits} with the forward pass's randomness drawn from {@code noiseSeed} (training-mode
     * {@link Dropout}; see {@link ParamView#withNoise}): the same seed gives the same masks.
     */
    public Var logits(Var flatParams, Tensor x, long noiseSeed) {
        return forward(flatParams, x, null, null, noiseSeed);
    }

    /**
     * {@link #logits} with {@code hook} called after every module (see {@link LayerHook}); the hook sees the
     * inputs as this network feeds them (flattened for a rank-1 sample shape, in the parameters' dtype).
     */
    public Var logits(Var flatParams, Tensor x, LayerHook hook) {
        return forward(flatParams, x, null, hook, null);
    }

    private Var forward(Var flatParams, Tensor x, java.util.Map<String, Tensor> updates, LayerHook hook,
            Long noiseSeed) {
        return layout.root(flatParams, mode, buffers, updates).withHook(hook).withNoise(noiseSeed)
                .forward(module, Var.of(prepare(x, flatParams.dtype())));
    }

    /** Mean softmax cross-entropy of the logits against integer labels in {@code [0, classes)} (rank 0). */
    public Var loss(Var flatParams, Tensor x, int[] labels) {
        checkLabels(x, labels);
        return logits(flatParams, x).crossEntropy(labels);
    }

    private void checkLabels(Tensor x, int[] labels) {
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
    }

    /**
     * {@link #loss}, and in {@link Mode#TRAIN} also the update of the buffers that PyTorch makes in a training
     * forward pass (batch normalisation's running statistics and {@code num_batches_tracked}), applied when the
     * forward pass is done. For training loops (one call per step, e.g. inside {@code Autodiff.valueAndGrad});
     * never inside curvature computations, which must not change the model. A network with training-mode
     * {@link Dropout} needs {@link #lossUpdatingBuffers(Var, Tensor, int[], long)} instead.
     */
    public Var lossUpdatingBuffers(Var flatParams, Tensor x, int[] labels) {
        return lossUpdatingBuffers(flatParams, x, labels, null);
    }

    /**
     * {@link #lossUpdatingBuffers(Var, Tensor, int[])} with the step's randomness (training-mode {@link Dropout})
     * drawn from {@code noiseSeed}: a training loop passes a seed derived from its own seed and the step, so the
     * run is reproducible and a resumed run draws the masks an uninterrupted one would have drawn.
     */
    public Var lossUpdatingBuffers(Var flatParams, Tensor x, int[] labels, long noiseSeed) {
        return lossUpdatingBuffers(flatParams, x, labels, Long.valueOf(noiseSeed));
    }

    private Var lossUpdatingBuffers(Var flatParams, Tensor x, int[] labels, Long noiseSeed) {
        java.util.Map<String, Tensor> updates = new java.util.LinkedHashMap<>();
        checkLabels(x, labels);
        Var loss = forward(flatParams, x, mode == Mode.TRAIN ? updates : null, null, noiseSeed).crossEntropy(labels);
        updates.forEach(buffers::set);
        return loss;
    }

    /** {@code theta -> loss(theta, x, labels)}, ready for {@code Autodiff.grad} and {@code Autodiff.hvp}. */
    public Function<Var, Var> lossFunction(Tensor x, int[] labels) {
        int[] y = labels.clone();
        return theta -> loss(theta, x, y);
    }

    /** The inputs as the first module sees them: flattened for a rank-1 sample shape, in {@code dtype}. */
    Tensor prepare(Tensor x, DType dtype) {
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
