package org.flatminima.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.GemmProbe;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square GEMM {@code C = A B} ({@code n x n}, row-major, alpha 1, beta 0) on one backend, in calls per
 * second: GFLOP/s = score * 2 n^3 / 1e9. {@code threads} is the backend's kernel thread count; JMH drives
 * it from one benchmark thread.
 *
 * <p>A backend that cannot run here, or that cannot use the requested threads (the scalar oracle is
 * single-threaded), fails its trial in {@code @Setup} with the reason; JMH reports that and continues.
 * {@link GemmMain} skips such combinations before they start and runs the slow scalar oracle with fewer
 * iterations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
        "--add-modules=jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow",
})
public class GemmBenchmark {

    /** The backend: scalar, vector or native. */
    @Param({"scalar", "vector", "native"})
    public String backend;

    /** The element type: f32 or f64. */
    @Param({"f32", "f64"})
    public String dtype;

    /** The matrix size. */
    @Param({"256", "512", "1024"})
    public int n;

    /** Threads the backend's kernels may use. */
    @Param({"1", "2"})
    public int threads;

    private Backend impl;
    private DType type;
    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    /** Creates the backend, fills A and B, and checks one product against a double-precision reference. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.Status status = Backends.probe(backend);
        if (!status.available()) {
            throw new IllegalStateException("skipped: backend '" + backend + "' is not available here: "
                    + status.reason());
        }
        impl = status.backend();
        impl.setThreads(threads);
        if (impl.threads() != threads) {
            throw new IllegalStateException("skipped: backend '" + backend + "' runs " + impl.threads()
                    + " thread(s) when asked for " + threads);
        }
        type = DType.parse(dtype);
        long count = (long) n * n;
        arena = Arena.ofShared();
        a = arena.allocate(count * type.byteSize(), GemmProbe.ALIGNMENT);
        b = arena.allocate(count * type.byteSize(), GemmProbe.ALIGNMENT);
        c = arena.allocate(count * type.byteSize(), GemmProbe.ALIGNMENT);
        GemmProbe.fillUniform(type, a, count, 1);
        GemmProbe.fillUniform(type, b, count, 2);
        gemm();
        double err = GemmProbe.maxRelativeError(type, n, a, b, c);
        if (!(err <= GemmProbe.tolerance(type, n))) {
            throw new IllegalStateException("backend '" + backend + "' computes a wrong " + dtype
                    + " GEMM: relative error " + err);
        }
    }

    /** Frees the operands. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }

    /** One {@code C = A B}. */
    @Benchmark
    public MemorySegment gemm() {
        impl.gemm(type, false, false, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
        return c;
    }
}
