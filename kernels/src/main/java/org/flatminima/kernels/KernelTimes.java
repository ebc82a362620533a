package org.flatminima.kernels;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.flatminima.kernels.vector.Parallel;

/**
 * The wall time of every call into a backend, by kernel and, for products, elementwise kernels and reductions, by
 * shape: where a workload's time goes, measured rather than sampled. (A JFR profile of W3's gradient put 65% of
 * the samples in GEMM where timing every call puts 43%: JFR's samples of threads in native code are not weighted
 * like those of threads in Java; docs/PERFORMANCE.md, "Winograd transforms two rows of tiles to a vector".)
 *
 * <p>On with {@code -Dflatminima.kernelTimes=true}: {@link CheckedBackend#wrap} then wraps the engine's backend,
 * and the table goes to standard error when the JVM exits. A call made while another is running (the products
 * and transforms inside a {@code runParts}, on whichever thread runs the part) is listed under "inside", so the
 * top-level rows add up to the time spent in kernels. Each call costs a reflective dispatch, two clock reads and
 * its row's name built as a string: W3's float gradient step (about 6,000 calls) took 94 ms with it against 85
 * without at one thread, 61 against 50 at two (docs/PERFORMANCE.md, "The softmax of few columns, four rows to a
 * vector"), so the times of very small kernels are inflated, and more so at two threads; compare rows, not totals
 * with a run made without it. Calls inside {@link #untimed} are not recorded: the compare worker's warm-up and
 * check calls, so that its table covers the timed calls only.
 */
public final class KernelTimes implements InvocationHandler {
    /** System property that turns the timing on. */
    public static final String PROPERTY = "flatminima.kernelTimes";

    private static final Map<String, LongAdder[]> TIMES = new ConcurrentHashMap<>();
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final AtomicBoolean HOOKED = new AtomicBoolean();
    /** Bodies of {@link #untimed} running now, on any thread: while above 0 no call is recorded. */
    private static final java.util.concurrent.atomic.AtomicInteger UNTIMED = new java.util.concurrent.atomic.AtomicInteger();

    private final Backend target;

    private KernelTimes(Backend target) {
        this.target = target;
    }

    /** Whether {@link #PROPERTY} asks for the timing. */
    static boolean requested() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** A backend that times every call into {@code b}; the first wrap registers the report at the JVM's exit. */
    public static Backend wrap(Backend b) {
        if (HOOKED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.print(report()), "kernel-times"));
        }
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                new KernelTimes(b));
    }

    /** Whether {@code b} is a backend {@link #wrap} made. */
    static boolean isTimed(Backend b) {
        return Proxy.isProxyClass(b.getClass()) && Proxy.getInvocationHandler(b) instanceof KernelTimes;
    }

    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
        if (m.getDeclaringClass() == Object.class) {
            return m.getName().equals("equals") ? proxy == args[0]
                    : m.getName().equals("hashCode") ? System.identityHashCode(proxy) : "timed " + target;
        }
        if (UNTIMED.get() > 0) {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
        int[] depth = DEPTH.get();
        boolean inside = depth[0] > 0 || Parallel.inside();
        depth[0]++;
        long t0 = System.nanoTime();
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            long dt = System.nanoTime() - t0;
            depth[0]--;
            LongAdder[] row = TIMES.computeIfAbsent((inside ? "  inside: " : "") + key(m.getName(), args),
                    k -> new LongAdder[] {new LongAdder(), new LongAdder()});
            row[0].increment();
            row[1].add(dt);
        }
    }

    /** The kernel's name, with the shape for the kernels whose cost depends on more than a length. */
    static String key(String name, Object[] a) {
        return switch (name) {
            case "gemm" -> "gemm " + a[0] + " " + ((Boolean) a[1] ? "T" : "N") + ((Boolean) a[2] ? "T" : "N") + " m="
                    + a[3] + " n=" + a[4] + " k=" + a[5] + " beta=" + a[11];
            case "binary" -> "binary " + a[0] + " " + a[1] + " " + Arrays.toString((int[]) a[2])
                    + " strides " + Arrays.toString((long[]) a[4]) + " " + Arrays.toString((long[]) a[6]);
            case "unary" -> "unary " + a[0] + " " + a[1] + " n=" + a[2];
            case "copy" -> "copy " + a[0] + (a[0] == a[1] ? " " : " to " + a[1] + " ") + Arrays.toString((int[]) a[2])
                    + " strides " + Arrays.toString((long[]) a[4]);
            case "reduce" -> "reduce " + a[0] + " " + a[1] + " " + a[2] + " x " + a[3] + " x " + a[4];
            default -> name;
        };
    }

    /** The table so far: total ms, share of the top-level total, calls, microseconds per call, kernel. */
    public static String report() {
        List<Map.Entry<String, LongAdder[]>> rows = new ArrayList<>(TIMES.entrySet());
        rows.sort((x, y) -> Long.compare(y.getValue()[1].sum(), x.getValue()[1].sum()));
        double top = rows.stream().filter(e -> !e.getKey().startsWith(" "))
                .mapToLong(e -> e.getValue()[1].sum()).sum();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "flatminima kernel times (-D%s): %.1f ms in kernels%n%10s %7s %9s %10s  kernel%n", PROPERTY,
                top / 1e6, "ms", "share", "calls", "us/call"));
        for (Map.Entry<String, LongAdder[]> e : rows) {
            long calls = e.getValue()[0].sum();
            long ns = e.getValue()[1].sum();
            s.append(String.format(Locale.ROOT, "%10.1f %6.1f%% %9d %10.2f  %s%n", ns / 1e6,
                    top > 0 ? 100 * ns / top : 0, calls, ns / 1e3 / calls, e.getKey()));
        }
        return s.toString();
    }

    /**
     * Runs {@code body} without recording its calls, on this thread or any other (the parts of a {@code runParts}
     * included): a benchmark's warm-up, whose first calls run in the interpreter and would otherwise dominate the
     * means of kernels called a few hundred times.
     */
    public static void untimed(Runnable body) {
        UNTIMED.incrementAndGet();
        try {
            body.run();
        } finally {
            UNTIMED.decrementAndGet();
        }
    }

    /** Forgets every time so far (for a run that times only its measured calls). */
    public static void reset() {
        TIMES.clear();
    }
}
