package org.flatminima.engine;

import java.util.function.Supplier;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.CheckedBackend;

/**
 * The backend the engine computes on: the process-wide choice of {@link Backends#preferred()}, overridable
 * per thread (tests run the same code on every backend this way). Arguments are validated once, by
 * {@link CheckedBackend}.
 */
public final class Engine {
    private static final ThreadLocal<Backend> OVERRIDE = new ThreadLocal<>();
    private static volatile Backend defaultBackend;

    private Engine() {
    }

    /** The backend of this thread. */
    public static Backend backend() {
        Backend b = OVERRIDE.get();
        if (b != null) {
            return b;
        }
        b = defaultBackend;
        if (b == null) {
            synchronized (Engine.class) {
                if (defaultBackend == null) {
                    defaultBackend = CheckedBackend.wrap(Backends.preferred());
                }
                b = defaultBackend;
            }
        }
        return b;
    }

    /** Runs {@code body} on this thread with {@code backend} (restoring the previous one afterwards). */
    public static <T> T with(Backend backend, Supplier<T> body) {
        Backend prev = OVERRIDE.get();
        OVERRIDE.set(CheckedBackend.wrap(backend));
        try {
            return body.get();
        } finally {
            if (prev == null) {
                OVERRIDE.remove();
            } else {
                OVERRIDE.set(prev);
            }
        }
    }

    /** Runs {@code body} on this thread with {@code backend}. */
    public static void with(Backend backend, Runnable body) {
        with(backend, () -> {
            body.run();
            return null;
        });
    }

    /**
     * Gives the memory pool's idle blocks back to the system and restarts its high-water mark from the bytes in use
     * now (tensors whose scopes are open keep theirs). Useful after a large computation, before measuring memory,
     * or before a long phase that needs less; the pool refills as scopes allocate again.
     */
    public static void trimPool() {
        BufferPool.trim();
    }

    /**
     * Bytes of the memory pool's idle blocks: memory this process holds but can reuse for new tensors (so it adds
     * to what the system reports as available when judging whether a computation fits).
     */
    public static long idlePoolBytes() {
        return BufferPool.idleBytes();
    }
}
