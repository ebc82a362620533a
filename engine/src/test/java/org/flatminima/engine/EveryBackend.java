package org.flatminima.engine;

import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;

/**
 * Test fixture: a body run on every backend available here (the oracle "scalar", "vector", "native"), each
 * backend's thread count restored afterwards whatever the body set.
 */
public final class EveryBackend {
    /** The backends, by name, in the order they are run. */
    public static final String[] NAMES = {"scalar", "vector", "native"};

    /** What runs on each backend. */
    @FunctionalInterface
    public interface Body {
        void run(String name, Backend backend);
    }

    private EveryBackend() {
    }

    /** Runs {@code body} on each available backend of {@link #NAMES}. */
    public static void forEach(Body body) {
        for (String name : NAMES) {
            if (!Backends.probe(name).available()) {
                continue;
            }
            Backend be = Backends.get(name);
            int before = be.threads();
            try {
                body.run(name, be);
            } finally {
                be.setThreads(before);
            }
        }
    }
}
