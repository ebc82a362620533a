package org.flatminima.engine;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.flatminima.kernels.Backend;

/**
 * Test fixture: a backend that counts the calls of each kernel by name and delegates them. The map is concurrent:
 * kernels split work among the backend's threads, which may call the backend too.
 */
public final class CountingBackend {
    private final Map<String, Integer> calls = new ConcurrentSkipListMap<>();
    private final Backend backend;

    public CountingBackend(Backend delegate) {
        backend = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    calls.merge(method.getName(), 1, Integer::sum);
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Runs {@code body} on a counting wrapper of the current backend; the counts of its calls. */
    public static CountingBackend counted(Runnable body) {
        CountingBackend c = new CountingBackend(Engine.backend());
        Engine.with(c.backend, body);
        return c;
    }

    /** The counting backend itself. */
    public Backend backend() {
        return backend;
    }

    /** Calls of the named kernels, summed. */
    public int count(String... kernels) {
        int n = 0;
        for (String k : kernels) {
            n += calls.getOrDefault(k, 0);
        }
        return n;
    }

    /** The calls of every kernel called, by name. */
    @Override
    public String toString() {
        return calls.toString();
    }
}
