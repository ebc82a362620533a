package org.flatminima.experiments.models;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ParameterLayout;
import org.flatminima.kernels.DType;

/**
 * Moves a {@link Network}'s state (PyTorch's {@code state_dict}: the flat parameter vector's named views plus the
 * buffers) to and from safetensors files, with PyTorch's names, so a {@code state_dict} saved from PyTorch with
 * {@code safetensors.torch.save_file} loads as is and a saved file loads in PyTorch.
 */
public final class Weights {
    private Weights() {
    }

    /**
     * Loads {@code file} into {@code net}: sets its buffers and returns the flat parameter vector, both in
     * {@code dtype} (F32 and F64 files convert either way).
     *
     * @throws SafetensorsException if the file is bad, or its tensors do not match the model: every missing name
     *     (with the expected shape), every wrong shape (both shapes) and every unexpected name are listed in one line
     */
    public static Tensor load(Path file, Network net, DType dtype) {
        Safetensors.Contents c = Safetensors.read(file, dtype);
        return fromTensors(file, net, c.tensors(), dtype);
    }

    /** {@link #load} for tensors already read from {@code source} (named in the error message). */
    public static Tensor fromTensors(Path source, Network net, Map<String, Tensor> tensors, DType dtype) {
        String problems = mismatches(net, tensors);
        if (!problems.isEmpty()) {
            throw new SafetensorsException(source, "does not match the model: " + problems);
        }
        requireFinite(source, tensors);
        return net.loadStateDict(tensors, dtype);
    }

    /**
     * Refuses a NaN or infinite value in {@code tensors} (read from {@code source}), naming the tensor and the
     * value's index, e.g. {@code model.safetensors: tensor 0.weight holds NaN at index [3, 17]}.
     */
    public static void requireFinite(Path source, Map<String, Tensor> tensors) {
        tensors.forEach((name, t) -> {
            double[] v = t.toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                if (!Double.isFinite(v[i])) {
                    throw new SafetensorsException(source, "tensor " + name + " holds " + v[i] + " at index "
                            + Arrays.toString(unravel(i, t.shape())) + "; the file is damaged or comes from a "
                            + "diverged run: use an earlier checkpoint");
                }
            }
        });
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    /**
     * Every way {@code tensors} fails to match {@code net}'s state_dict, as one line ({@code ""} if it matches):
     * {@code missing 0.bias [32]; 3.weight has shape [64, 16, 3, 3], expected [64, 32, 3, 3]; unexpected 11.weight [10, 128]}.
     */
    public static String mismatches(Network net, Map<String, Tensor> tensors) {
        Map<String, int[]> expected = expectedShapes(net.layout());
        List<String> missing = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        expected.forEach((name, shape) -> {
            Tensor t = tensors.get(name);
            if (t == null) {
                missing.add(name + " " + Arrays.toString(shape));
            } else if (!Arrays.equals(t.shape(), shape)) {
                wrong.add(name + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
            }
        });
        tensors.forEach((name, t) -> {
            if (!expected.containsKey(name)) {
                unexpected.add(name + " " + Arrays.toString(t.shape()));
            }
        });
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("missing " + String.join(", ", missing));
        }
        parts.addAll(wrong);
        if (!unexpected.isEmpty()) {
            parts.add("unexpected " + String.join(", ", unexpected) + prefixHint(expected, unexpected, tensors));
        }
        return String.join("; ", parts);
    }

    /** A hint when the file's names are the model's with a common prefix, e.g. {@code module.} or {@code model.}. */
    private static String prefixHint(Map<String, int[]> expected, List<String> unexpected, Map<String, Tensor> tensors) {
        for (String name : tensors.keySet()) {
            for (String want : expected.keySet()) {
                if (name.endsWith("." + want) && !expected.containsKey(name)) {
                    String prefix = name.substring(0, name.length() - want.length());
                    boolean all = tensors.keySet().stream().allMatch(n -> n.startsWith(prefix)
                            && expected.containsKey(n.substring(prefix.length())));
                    if (all) {
                        return " (the names carry the prefix '" + prefix + "': save the state_dict of the "
                                + "nn.Sequential itself, or strip the prefix)";
                    }
                }
            }
        }
        return "";
    }

    /** The state_dict's names and shapes (parameters then buffers per module, PyTorch's order). */
    public static Map<String, int[]> expectedShapes(ParameterLayout layout) {
        Map<String, int[]> params = new LinkedHashMap<>();
        for (ParameterLayout.Entry e : layout.entries()) {
            params.put(e.name(), e.shape());
        }
        Map<String, int[]> buffers = layout.bufferShapes();
        Map<String, int[]> out = new LinkedHashMap<>();
        for (String name : layout.stateDictNames()) {
            out.put(name, params.containsKey(name) ? params.get(name) : buffers.get(name));
        }
        return out;
    }

    /**
     * Saves {@code net}'s state_dict for the flat vector {@code flat} to {@code file} (atomically), parameters and
     * float buffers in {@code flat}'s dtype, {@code num_batches_tracked} as I64 (as PyTorch), with
     * {@code metadata} (e.g. {@code {"format": "pt"}}).
     */
    public static void save(Path file, Network net, Tensor flat, Map<String, String> metadata) {
        List<Safetensors.Item> items = new ArrayList<>();
        net.stateDict(flat).forEach((name, t) -> items.add(new Safetensors.Item(name,
                name.equals("num_batches_tracked") || name.endsWith(".num_batches_tracked") ? Safetensors.Dtype.I64
                        : Safetensors.Dtype.of(flat.dtype()), t)));
        Safetensors.write(file, items, metadata);
    }
}
