package org.flatminima.experiments.models;

import java.util.List;
import org.flatminima.engine.nn.Module;
import org.flatminima.experiments.MemoryBudget;

/**
 * The sizes of a {@link ModelSpec}, counted exactly in longs before the engine builds anything (the engine's own
 * counts are ints and overflow on absurd specs), and the checks against this JVM's memory.
 */
final class ModelSizes {

    /** Bytes of one float32 value: the smallest dtype the engine computes in, so the most lenient estimate. */
    static final int FLOAT32_BYTES = 4;

    private ModelSizes() {
    }

    /** The number of values of one sample of the batched {@code shape}, exactly (saturating at Long.MAX_VALUE). */
    static long perSample(int[] shape) {
        long n = 1;
        for (int d = 1; d < shape.length; d++) {
            n = MemoryBudget.bytes(n, shape[d]);
        }
        return n;
    }

    /**
     * The number of parameters of {@code modules}, counted exactly in a long (the engine's own count is an int
     * and overflows on absurd specs).
     */
    static long parameterCount(List<Module> modules) {
        long p = 0;
        for (Module m : modules) {
            for (Module.ParamSpec ps : m.parameters()) {
                long n = 1;
                for (int d : ps.shape()) {
                    n = MemoryBudget.bytes(n, d);
                }
                p = n == Long.MAX_VALUE || p > Long.MAX_VALUE - n ? Long.MAX_VALUE : p + n;
            }
        }
        return p;
    }

    /**
     * Refuses, in one line with the estimate, a model whose parameters would not fit in {@code budget} bytes of
     * tensor memory even as float32, or that has more parameters than the engine's flat vector can index.
     */
    static void checkParameters(String spec, List<Module> modules, long budget) {
        long p = parameterCount(modules);
        long bytes = MemoryBudget.bytes(p, FLOAT32_BYTES);
        String has = MemoryBudget.count(p) + " parameters (" + MemoryBudget.show(bytes)
                + " in float32)";
        if (bytes > budget) {
            throw new SpecException(spec, has + "; this JVM can use " + MemoryBudget.show(budget) + " ("
                    + MemoryBudget.FIX + "): choose a smaller model or give it more memory");
        }
        if (p > Integer.MAX_VALUE) {
            throw new SpecException(spec, has + "; the engine's flat parameter vector holds at most "
                    + MemoryBudget.count(Integer.MAX_VALUE));
        }
    }

    /** Refuses a layer whose output for one sample ({@code shape}, batched) would not fit in {@code budget}. */
    static void checkOutput(String spec, String where, int[] shape, long budget) {
        long values = perSample(shape);
        long bytes = MemoryBudget.bytes(values, FLOAT32_BYTES);
        if (bytes > budget) {
            throw new SpecException(spec, where + " outputs " + MemoryBudget.count(values) + " values per sample ("
                    + MemoryBudget.show(bytes) + " in float32); this JVM can use " + MemoryBudget.show(budget) + " ("
                    + MemoryBudget.FIX + "): choose a smaller layer");
        }
    }
}
