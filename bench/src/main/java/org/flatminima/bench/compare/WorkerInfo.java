package org.flatminima.bench.compare;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** What {@link CompareWorker} reports about the process it runs in: its version, BLAS, CPU and JIT compiler. */
final class WorkerInfo {

    private WorkerInfo() {
    }

    /** The bench module's version, from its jar's Maven properties, or "unknown". */
    static String version() {
        try (var s = WorkerInfo.class.getResourceAsStream(
                "/META-INF/maven/org.flatminima/flatminima-bench/pom.properties")) {
            if (s != null) {
                Properties p = new Properties();
                p.load(s);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            // fall through
        }
        String v = WorkerInfo.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    /**
     * The path of the BLAS library mapped into this process, or null; with oneMKL ({@code FLATMINIMA_BLAS=mkl})
     * "its libmkl_rt + the OpenBLAS of its small products".
     */
    static String mappedBlas() {
        String openblas = null;
        String mkl = null;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = l.indexOf('/');
                if (slash < 0) {
                    continue;
                }
                String path = l.substring(slash).trim();
                String file = path.substring(path.lastIndexOf('/') + 1);
                if (openblas == null && (file.contains("openblas") || file.startsWith("libblas"))) {
                    openblas = path;
                } else if (mkl == null && file.startsWith("libmkl_rt")) {
                    mkl = path;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return mkl == null ? openblas : openblas == null ? mkl : mkl + " + " + openblas;
    }

    /** The CPU's model name from /proc/cpuinfo, or "unknown". */
    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            return "unknown";
        }
        return "unknown";
    }

    /**
     * Milliseconds the JVM's JIT compilers have spent compiling so far (summed over the compiler threads), or -1
     * where the JVM does not say. A time reply gives the difference over its timed calls ({@code jit_ms}): on two
     * vCPUs a compiler thread busy with a workload's first steps takes a core from its second thread, so the
     * driver warms a case up until a batch of calls sees little compiling (bench/compare.py).
     */
    static long compileMillis() {
        var jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }
}
