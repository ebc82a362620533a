package org.flatminima.experiments;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.function.ToLongFunction;

/**
 * How much memory this JVM can give a model or a data set, so that sizes are refused with an estimate before
 * anything is allocated instead of failing halfway with an {@link OutOfMemoryError}.
 *
 * <p>Tensors live off the heap: outside a {@code Scope} they come from an automatic arena, which the JDK counts
 * against {@code -XX:MaxDirectMemorySize} (by default the maximum heap, {@code -Xmx}), so that is the limit of a
 * model's parameters and of a data set's image tensor. Raw data-set bytes are read into Java arrays, limited by
 * the maximum heap. Neither can exceed the machine's physical memory.
 */
public final class MemoryBudget {

    /** Where the user raises the limits. */
    public static final String FIX = "-Xmx in FLATMINIMA_JAVA_OPTS";

    private MemoryBudget() {
    }

    /** The limits are fixed for the life of the JVM: measured once (the platform beans read /proc). */
    private static final class Limits {
        static final long PHYSICAL = physicalBytes();
        static final long DIRECT = maxDirectBytes();
    }

    /** Bytes of off-heap tensor memory this JVM can use (max direct memory, capped by physical memory). */
    public static long tensorBytes() {
        return Math.min(Limits.DIRECT, Limits.PHYSICAL);
    }

    /** Bytes of Java heap this JVM can use (capped by physical memory). */
    public static long heapBytes() {
        return Math.min(Runtime.getRuntime().maxMemory(), Limits.PHYSICAL);
    }

    /** Free physical memory as the JVM sees it (container-aware), or {@link Long#MAX_VALUE} when unknown. */
    public static long freePhysicalBytes() {
        return osBytes(OperatingSystemMXBean::getFreeMemorySize);
    }

    /** A size the operating-system bean reports, or {@link Long#MAX_VALUE} when it reports none. */
    private static long osBytes(ToLongFunction<OperatingSystemMXBean> size) {
        try {
            long v = size.applyAsLong(ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class));
            return v > 0 ? v : Long.MAX_VALUE;
        } catch (RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long maxDirectBytes() {
        long direct = Runtime.getRuntime().maxMemory();
        try {
            String v = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxDirectMemorySize").getValue();
            long set = Long.parseLong(v);
            if (set > 0) {
                direct = set;
            }
        } catch (RuntimeException e) {
            // not a HotSpot JVM: the JDK's default, the maximum heap, stands
        }
        return direct;
    }

    private static long physicalBytes() {
        return osBytes(OperatingSystemMXBean::getTotalMemorySize);
    }

    /**
     * {@code count * bytesEach} without overflow: {@link Long#MAX_VALUE} when the product does not fit in a long
     * (still far beyond any budget).
     */
    public static long bytes(long count, long bytesEach) {
        try {
            return Math.multiplyExact(count, bytesEach);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** A byte count for people: {@code 318 GB}, {@code 6.3 GB}, {@code 512 MB}, {@code 12 kB} (decimal units). */
    public static String show(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "more than 9 EB";
        }
        String[] units = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        if (u == 0) {
            return bytes + " bytes";
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /** A count with thousands separators: {@code 79,400,001,010}. */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
