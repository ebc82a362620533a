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
import java.util.concurrent.atomic.AtomicInteger;
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
 * a lookup of its row by a fingerprint of its arguments (the row's name is built once): W3's float gradient step,
 * about 6,000 calls, took 0-5% longer with the timing at one thread and -9% to +17% at two, within the noise of the
 * machine measured (with the name built on every call by {@code String.format}, as before 2026-12-06, 19% and 48%;
 * docs/PERFORMANCE.md, "The softmax of few columns, four rows to a vector"). So the times of very small kernels are
 * inflated a little; compare rows, not totals with a run made without it. Calls inside {@link #untimed} are not
 * recorded: the compare worker's warm-up and check calls, so that its table covers the timed calls only.
 */
public final class KernelTimes implements InvocationHandler {
    /** System property that turns the timing on. */
    public static final String PROPERTY = "flatminima.kernelTimes";

    /** The rows by {@link #fingerprint}: a call looks its row up without building the row's name. */
    private static final Map<Long, Row> TIMES = new ConcurrentHashMap<>();
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final AtomicBoolean HOOKED = new AtomicBoolean();
    /** Bodies of {@link #untimed} running now, on any thread: while above 0 no call is recorded. */
    private static final AtomicInteger UNTIMED = new AtomicInteger();

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
            String name = m.getName();
            Row row = TIMES.computeIfAbsent(fingerprint(inside, name, args),
                    k -> new Row((inside ? "  inside: " : "") + key(name, args)));
            row.calls.increment();
            row.nanos.add(dt);
        }
    }

    /** A row of the table: its name, built once, and its calls and nanoseconds. */
    private record Row(String name, LongAdder calls, LongAdder nanos) {
        Row(String name) {
            this(name, new LongAdder(), new LongAdder());
        }
    }

    /**
     * 64 bits of a call's kernel, whether it ran inside another call, and every argument that is a number, a
     * boolean, an enum or an array of ints or longs (not the memory segments), so that a call finds its row without
     * building the row's name: at least as fine as {@link #key}'s names (calls that differ only in what a name does
     * not show, a leading dimension, get rows of the same name, which {@link #report} adds up); distinct rows share
     * a fingerprint with a probability of about 2^-64 a pair.
     */
    static long fingerprint(boolean inside, String name, Object[] a) {
        long h = mix(name.hashCode(), inside ? 1 : 2);
        for (Object o : a == null ? new Object[0] : a) {
            h = switch (o) {
                case int[] v -> {
                    long x = mix(h, v.length);
                    for (int e : v) {
                        x = mix(x, e);
                    }
                    yield x;
                }
                case long[] v -> {
                    long x = mix(h, v.length);
                    for (long e : v) {
                        x = mix(x, e);
                    }
                    yield x;
                }
                case Double d -> mix(h, Double.doubleToLongBits(d));
                case Number n -> mix(h, n.longValue());
                case Boolean b -> mix(h, b ? 3 : 4);
                case Enum<?> e -> mix(mix(h, e.getDeclaringClass().getName().hashCode()), e.ordinal());
                case null, default -> mix(h, 5);
            };
        }
        return h;
    }

    /** One step of the fingerprint: {@code h} and {@code x} mixed (a multiply and xor-shifts, as SplitMix64). */
    private static long mix(long h, long x) {
        long z = (h ^ x) * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The kernel's name, with the shape for the kernels whose cost depends on more than a length. */
    static String key(String name, Object[] a) {
        return switch (name) {
            case "gemm" -> "gemm " + a[0] + " " + ((Boolean) a[1] ? "T" : "N") + ((Boolean) a[2] ? "T" : "N") + " m="
                    + a[3] + " n=" + a[4] + " k=" + a[5] + " beta=" + a[11];
            case "gemmOntoRow", "gemmOntoRowRelu" -> name + " " + a[0] + " " + ((Boolean) a[1] ? "T" : "N")
                    + ((Boolean) a[2] ? "T" : "N") + " m=" + a[3] + " n=" + a[4] + " k=" + a[5];
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
        Map<String, long[]> byName = new java.util.HashMap<>(); // rows of one name: calls and nanoseconds
        for (Row r : TIMES.values()) {
            long[] sums = byName.computeIfAbsent(r.name(), n -> new long[2]);
            sums[0] += r.calls().sum();
            sums[1] += r.nanos().sum();
        }
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(byName.entrySet());
        rows.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
        double top = rows.stream().filter(e -> !e.getKey().startsWith(" ")).mapToLong(e -> e.getValue()[1]).sum();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "flatminima kernel times (-D%s): %.1f ms in kernels%n%10s %7s %9s %10s  kernel%n", PROPERTY,
                top / 1e6, "ms", "share", "calls", "us/call"));
        for (Map.Entry<String, long[]> e : rows) {
            long calls = e.getValue()[0];
            long ns = e.getValue()[1];
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
