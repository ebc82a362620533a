package org.flatminima.bench.compare;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.flatminima.engine.Engine;

/**
 * The worker's resident memory, and the reset that lets the driver measure each case's peak in a long-lived
 * process.
 *
 * <p>Linux keeps a process's peak resident set ({@code VmHWM} in {@code /proc/self/status}); writing {@code 5}
 * to {@code /proc/self/clear_refs} resets it to the current resident set (proc(5), "clear_refs", since Linux
 * 4.0). Before a case the driver asks for {@link #release()} (drop what earlier cases left: the worker's caches,
 * the engine's idle pool blocks, freed C heap) and then the reset; after the case {@code VmHWM} is the peak
 * while the case ran, from the resident baseline reported at the reset.
 */
final class Memory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private Memory() {
    }

    /** {@code VmHWM} (peak) and {@code VmRSS} (current) in KiB, -1 when absent. */
    static long[] peakAndCurrentKb() throws IOException {
        long peak = -1;
        long rss = -1;
        for (String l : Files.readAllLines(STATUS)) {
            if (l.startsWith("VmHWM:")) {
                peak = kib(l);
            } else if (l.startsWith("VmRSS:")) {
                rss = kib(l);
            }
        }
        return new long[] {peak, rss};
    }

    private static long kib(String statusLine) {
        String[] f = statusLine.trim().split("\\s+");
        return Long.parseLong(f[1]);
    }

    /** Resets {@code VmHWM} to the current resident set; null when done, else why not. */
    static String resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return null;
        } catch (IOException | SecurityException e) {
            return "cannot write 5 to /proc/self/clear_refs: " + e.getMessage();
        }
    }

    /**
     * Gives back memory that nothing uses any more: two collections (GC-managed tensors are freed by their
     * cleaners), the engine's idle pool blocks ({@link Engine#trimPool}), and the free pages of the C heap
     * ({@code malloc_trim(0)}, glibc). Returns what could not be done ("" when everything was).
     */
    static String release() {
        StringBuilder problems = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Engine.trimPool();
        } catch (RuntimeException e) {
            problems.append("pool not trimmed (").append(e).append("); ");
        }
        try {
            MALLOC_TRIM.invoke(0L);
        } catch (Throwable e) {
            problems.append("malloc_trim failed (").append(e).append("); ");
        }
        return problems.toString().trim();
    }

    private static final MethodHandle MALLOC_TRIM;

    static {
        Linker linker = Linker.nativeLinker();
        MALLOC_TRIM = linker.defaultLookup().find("malloc_trim")
                .map(a -> linker.downcallHandle(a, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)))
                .orElse(null);
    }
}
