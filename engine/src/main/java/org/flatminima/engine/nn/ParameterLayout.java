package org.flatminima.engine.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;

/**
 * Where each parameter of a module tree lives in the flat parameter vector: the ordered list of
 * {@code (name, shape, offset)} in PyTorch {@code state_dict} order (depth first; a module's own parameters in
 * registration order, then its children by index), with PyTorch's names ({@code "0.weight"}, {@code "0.bias"},
 * {@code "2.weight"}, ...). Each parameter is stored row-major in {@code [offset, offset + size)}, and the
 * entries are contiguous, so the total {@link #size() P} is the sum of their sizes.
 *
 * <p>{@link #view} takes a parameter out of a flat {@link Var} with the differentiable flat-view primitive
 * ({@link Var#view}), so gradients and Hessian-vector products of a model are with respect to the whole flat
 * vector.
 */
public final class ParameterLayout {

    /** One parameter: its full name, shape and offset in the flat vector. */
    public record Entry(String name, int[] shape, int offset) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** Number of elements. */
        public int size() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        /** One past the last element: the entry is {@code [offset, end)}. */
        public int end() {
            return offset + size();
        }

        @Override
        public String toString() {
            return name + " " + Arrays.toString(shape) + " @" + offset;
        }
    }

    /**
     * The parameters of one module that has its own ({@code name} is its prefix without the dot: {@code "0"},
     * {@code "3.1"}; {@code ""} for a root leaf module): the range {@code [offset, offset + size)} of the flat
     * vector, e.g. for per-layer Hessian traces.
     */
    public record LayerRange(String name, Module module, int offset, int size) {
        /** One past the last element. */
        public int end() {
            return offset + size;
        }
    }

    private record Owner(Module module, String localName) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Entry> byName = new LinkedHashMap<>();
    private final Map<String, Owner> owners = new LinkedHashMap<>();
    private final List<LayerRange> layers = new ArrayList<>();
    private final Map<String, Module.ParamSpec> buffers = new LinkedHashMap<>();
    private final Map<String, Owner> bufferOwners = new LinkedHashMap<>();
    private final List<String> stateDictNames = new ArrayList<>();
    private int size;

    private ParameterLayout() {
    }

    /** The layout of {@code root}'s parameters. */
    public static ParameterLayout of(Module root) {
        ParameterLayout l = new ParameterLayout();
        l.walk(root, "");
        return l;
    }

    private void walk(Module m, String prefix) {
        int start = size;
        for (Module.ParamSpec p : m.parameters()) {
            Entry e = new Entry(prefix + p.name(), p.shape(), size);
            size = Math.addExact(size, p.size());
            entries.add(e);
            byName.put(e.name(), e);
            owners.put(e.name(), new Owner(m, p.name()));
            stateDictNames.add(e.name());
        }
        for (Module.ParamSpec b : m.buffers()) {
            buffers.put(prefix + b.name(), b);
            bufferOwners.put(prefix + b.name(), new Owner(m, b.name()));
            stateDictNames.add(prefix + b.name());
        }
        if (size > start) {
            String name = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
            layers.add(new LayerRange(name, m, start, size - start));
        }
        List<Module> ch = m.children();
        for (int i = 0; i < ch.size(); i++) {
            walk(ch.get(i), prefix + i + ".");
        }
    }

    /** The parameters in flat-vector (= state_dict) order. */
    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    /** The names in flat-vector order. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** The modules that have parameters, each with its range in the flat vector, in flat-vector order. */
    public List<LayerRange> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** The buffers' full names and shapes (not in the flat vector), in state_dict order. */
    public Map<String, int[]> bufferShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        buffers.forEach((k, v) -> m.put(k, v.shape()));
        return m;
    }

    /**
     * Every name of PyTorch's {@code state_dict} in its order: per module, its parameters then its buffers,
     * depth first.
     */
    public List<String> stateDictNames() {
        return Collections.unmodifiableList(stateDictNames);
    }

    /** The buffers at their initial values ({@link Module#initialBuffer}), in {@code dtype}. */
    public Buffers initBuffers(DType dtype) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        bufferOwners.forEach((name, o) -> m.put(name,
                Tensor.of(dtype, o.module().initialBuffer(o.localName()), buffers.get(name).shape())));
        return new Buffers(m);
    }

    /**
     * Buffers from named tensors (e.g. a PyTorch state_dict) in {@code dtype}; parameter names are ignored, a
     * missing, wrong-shaped or unknown name is an error naming it and the expected shape.
     */
    public Buffers buffersFromMap(Map<String, Tensor> map, DType dtype) {
        checkNoUnknown(map);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (var b : buffers.entrySet()) {
            Tensor t = checked(map, b.getKey(), b.getValue().shape(), "buffer");
            m.put(b.getKey(), t.dtype() == dtype ? t.contiguous() : t.to(dtype));
        }
        return new Buffers(m);
    }

    private void checkNoUnknown(Map<String, Tensor> map) {
        for (String k : map.keySet()) {
            if (!byName.containsKey(k) && !buffers.containsKey(k)) {
                throw new IllegalArgumentException("unexpected weight '" + k + "': the model has " + stateDictNames);
            }
        }
    }

    private static Tensor checked(Map<String, Tensor> map, String name, int[] shape, String what) {
        Tensor t = map.get(name);
        if (t == null) {
            throw new IllegalArgumentException("missing " + what + " '" + name + "': expected shape "
                    + Arrays.toString(shape));
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(what + " '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        return t;
    }

    /** Total number of parameters P (the length of the flat vector). */
    public int size() {
        return size;
    }

    /** The entry {@code name}; an unknown name is an error listing the known ones. */
    public Entry entry(String name) {
        Entry e = byName.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no parameter '" + name + "'; the model has " + names());
        }
        return e;
    }

    /**
     * The root scope of parameter views over {@code flat} (what {@link Module#forward} takes), in training mode and
     * without buffers: enough for models without batch normalisation.
     */
    public ParamView root(Var flat) {
        return root(flat, Mode.TRAIN, null, null);
    }

    /**
     * The root scope over {@code flat} in {@code mode} with the given buffers; if {@code updates} is not null,
     * modules record new buffer values there (by full name) instead of changing {@code buffers}.
     */
    public ParamView root(Var flat, Mode mode, Buffers buffers, Map<String, Tensor> updates) {
        checkFlat(flat.shape());
        return new ParamView(this, flat, "", mode, buffers, updates);
    }

    /** Parameter {@code name} as a differentiable view of {@code flat}, in its declared shape. */
    public Var view(Var flat, String name) {
        checkFlat(flat.shape());
        Entry e = entry(name);
        return flat.view(e.offset(), e.shape());
    }

    private void checkFlat(int[] shape) {
        if (shape.length != 1 || shape[0] != size) {
            throw new IllegalArgumentException("the flat parameter vector has shape " + Arrays.toString(shape)
                    + ", expected [" + size + "] (" + entries.size() + " parameters: " + names() + ")");
        }
    }

    /**
     * Name to tensor, in flat-vector order. The tensors are views sharing {@code flat}'s storage (copy them to
     * keep them past a change of {@code flat}).
     */
    public Map<String, Tensor> toMap(Tensor flat) {
        checkFlat(flat.shape());
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Entry e : entries) {
            m.put(e.name(), flat.slice(0, e.offset(), e.end()).reshape(e.shape()));
        }
        return m;
    }

    /**
     * The flat vector of the given named tensors, in {@code dtype}. Strict like PyTorch's
     * {@code load_state_dict}: a missing name, a wrong shape or an unknown name is an error that names the weight
     * and the expected shape. Names of buffers ({@link #bufferShapes()}) are accepted and ignored here (see
     * {@link #buffersFromMap}).
     */
    public Tensor fromMap(Map<String, Tensor> map, DType dtype) {
        checkNoUnknown(map);
        double[] flat = new double[size];
        for (Entry e : entries) {
            Tensor t = checked(map, e.name(), e.shape, "weight");
            System.arraycopy(t.toDoubleArray(), 0, flat, e.offset(), e.size());
        }
        return Tensor.of(dtype, flat, size);
    }

    /**
     * {@link #fromMap(Map, DType)} in the tensors' own dtype (they must all have the same; use the two-argument
     * form to convert).
     */
    public Tensor fromMap(Map<String, Tensor> map) {
        DType dtype = null;
        for (var en : map.entrySet()) {
            if (!byName.containsKey(en.getKey())) {
                continue;
            }
            if (dtype != null && en.getValue().dtype() != dtype) {
                throw new IllegalArgumentException("weights of mixed dtypes (" + dtype + " and "
                        + en.getValue().dtype() + " for '" + en.getKey() + "'); name the dtype to convert to");
            }
            dtype = en.getValue().dtype();
        }
        if (dtype == null) {
            dtype = DType.F32;
        }
        return fromMap(map, dtype);
    }

    /**
     * A flat vector with PyTorch's default initialisation of every parameter ({@link Init}), drawn in flat-vector
     * order from one {@link SplittableRandom} seeded with {@code seed}: reproducible for a seed, not equal to
     * PyTorch's values (a different generator).
     */
    public Tensor init(DType dtype, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] flat = new double[size];
        for (Entry e : entries) {
            Owner o = owners.get(e.name());
            double[] v = o.module().initialValues(o.localName(), rnd);
            if (v.length != e.size()) {
                throw new IllegalStateException(o.module() + " initialised '" + o.localName() + "' with "
                        + v.length + " values, expected " + e.size());
            }
            System.arraycopy(v, 0, flat, e.offset(), v.length);
        }
        return Tensor.of(dtype, flat, size);
    }

    @Override
    public String toString() {
        return "ParameterLayout(P=" + size + ", " + entries + ")";
    }
}
