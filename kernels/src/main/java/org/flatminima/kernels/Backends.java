package org.flatminima.kernels;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds the backends that can run here and chooses one.
 *
 * <p>The preference order is {@code native}, {@code vector}, {@code scalar}. The choice can be forced with
 * the system property {@code -Dflatminima.backend=scalar|vector|native} or the environment variable
 * {@code FLATMINIMA_BACKEND} (the property wins). Falling back from a better backend logs one line that
 * names what is missing and how to get it; forcing a backend that cannot run is an error with that line.
 */
public final class Backends {

    /** The system property that forces a backend. */
    public static final String PROPERTY = "flatminima.backend";
    /** The environment variable that forces a backend. */
    public static final String ENV = "FLATMINIMA_BACKEND";
    /** Known backends, best first. */
    public static final List<String> NAMES = List.of("native", "vector", "scalar");

    private static final System.Logger LOG = System.getLogger("flatminima.kernels");
    private static volatile Backend preferred;

    private Backends() {
    }

    /**
     * What {@link #probe} found.
     *
     * @param name the backend's name
     * @param backend the instance, or null when unavailable
     * @param reason why it is unavailable (with the fix), or a note on a partial fallback; null when none
     */
    public record Status(String name, Backend backend, String reason) {
        public boolean available() {
            return backend != null;
        }
    }

    /** Tries to create the named backend (a new instance each call). */
    public static Status probe(String name) {
        return switch (name) {
            case "scalar" -> new Status("scalar", new ScalarBackend(), null);
            case "vector" -> reflective("vector", "org.flatminima.kernels.vector.VectorBackend");
            case "native" -> reflective("native", "org.flatminima.kernels.ffm.NativeBackend");
            default -> throw new IllegalArgumentException("unknown backend '" + name + "': use one of " + NAMES);
        };
    }

    /** Probes every backend, best first. */
    public static List<Status> probeAll() {
        List<Status> all = new ArrayList<>();
        for (String n : NAMES) {
            all.add(probe(n));
        }
        return all;
    }

    /**
     * The named backend, or an {@link IllegalArgumentException} (a user error: the name was asked for) whose
     * message says why it cannot run and how
     * to fix that.
     */
    public static Backend get(String name) {
        Status s = probe(name.toLowerCase(Locale.ROOT).trim());
        if (!s.available()) {
            throw new IllegalArgumentException("backend '" + s.name() + "' is not available: " + s.reason());
        }
        return s.backend();
    }

    /** The name forced by property or environment, or null. */
    public static String forcedName() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return p.trim().toLowerCase(Locale.ROOT);
        }
        String e = System.getenv(ENV);
        if (e != null && !e.isBlank()) {
            return e.trim().toLowerCase(Locale.ROOT);
        }
        return null;
    }

    /** The process-wide backend: the forced one, else the best available. Chosen once. */
    public static Backend preferred() {
        Backend b = preferred;
        if (b == null) {
            synchronized (Backends.class) {
                b = preferred;
                if (b == null) {
                    b = choose();
                    preferred = b;
                }
            }
        }
        return b;
    }

    private static Backend choose() {
        String forced = forcedName();
        if (forced != null) {
            return get(forced);
        }
        for (String n : NAMES) {
            Status s = probe(n);
            if (s.available()) {
                return s.backend();
            }
            LOG.log(System.Logger.Level.WARNING, "flatminima: backend ''{0}'' unavailable, falling back: {1}",
                    n, s.reason());
        }
        throw new AssertionError("the scalar backend is always available");
    }

    private static Status reflective(String name, String className) {
        try {
            Class<?> c = Class.forName(className);
            Object b = c.getMethod("create").invoke(null);
            Backend backend = (Backend) b;
            String note = null;
            if (backend instanceof PartialBackend pb) {
                note = pb.fallbackNote();
            }
            return new Status(name, backend, note);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            // unavailable, or a property set to a value it does not take (the message names the fix)
            String msg = cause instanceof BackendUnavailableException || cause instanceof IllegalArgumentException
                    ? cause.getMessage()
                    : missesVectorApi(cause) ? VECTOR_API_MISSING : String.valueOf(cause);
            return new Status(name, null, msg);
        } catch (ClassNotFoundException e) {
            return new Status(name, null, "class " + className + " is missing from the class path"
                    + " (this build does not include the " + name + " backend)");
        } catch (NoClassDefFoundError e) {
            return new Status(name, null, missesVectorApi(e) ? VECTOR_API_MISSING : e.toString());
        } catch (ReflectiveOperationException | LinkageError e) {
            return new Status(name, null, e.toString());
        }
    }

    private static final String VECTOR_API_MISSING =
            "the Java Vector API is missing: run with --add-modules jdk.incubator.vector";

    /** True when {@code t} is a failure to load a class of the incubating Vector API module. */
    private static boolean missesVectorApi(Throwable t) {
        return t instanceof NoClassDefFoundError && t.getMessage() != null
                && t.getMessage().replace('.', '/').startsWith("jdk/incubator/vector");
    }

    /** Implemented by a backend that runs with some parts missing (e.g. no C kernels) and can say which. */
    public interface PartialBackend {
        /** A one-line note on what falls back and how to get it, or null when nothing does. */
        String fallbackNote();
    }
}
