package org.flatminima.experiments.train;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.flatminima.engine.Engine;
import org.flatminima.engine.Scope;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Autodiff;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.Mode;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.MemoryBudget;
import org.flatminima.experiments.UserException;
import org.flatminima.kernels.DType;

/**
 * The memory of one training step, estimated before the first step so that a batch the machine cannot hold is
 * refused with one line instead of being ended by the kernel's out-of-memory killer halfway through a run.
 *
 * <p>A step (loss and gradient of a mini-batch) runs in a {@link Scope}, so everything it allocates lives until
 * it ends: its footprint is the scope's bytes. That grows linearly with the batch (activations, their
 * cotangents, batch norm's temporaries) on top of a part that does not (parameters' gradient, the unfolded
 * input of a convolution, built a few images at a time). Two small steps, of {@link #PROBE} and
 * {@code 2 * PROBE} points, give both parts; the estimate at batch B is {@code fixed + B * perPoint}. Beyond the
 * probes the bytes per point fall a little (the chunked parts stop growing), so the estimate is an upper bound
 * of the step's own bytes: for KeskarC3 in float32, 1.79 GB at batch 512 against 1.74 GB measured, and 13.8 GB
 * at batch 4096. The process holds more than its steps (the data, the JVM, evaluation passes, the pool's
 * blocks of other sizes): E3's batch-4096 training of KeskarC3 peaked at 17.7 GB resident.
 *
 * <p>The estimate is compared with the memory available to the process: Linux's {@code MemAvailable} (free
 * memory plus what the kernel can reclaim), capped by the cgroup's limit when there is one, or with a budget of
 * one's own ({@link #availableBytes}). Set {@code -Dflatminima.memoryCheck=false} (in {@code FLATMINIMA_JAVA_OPTS})
 * to skip the check.
 */
public final class StepMemory {

    /**
     * Points of the smaller probe step (the larger one takes twice as many). Not fewer: below about 32 points a
     * step's bytes are not yet linear in the batch (a convolution's unfolded input and Winograd's transforms are
     * built in chunks of a few images that grow with the batch up to a fixed size), and a slope measured there
     * is off by up to 2.7x (KeskarC3, 4 against 8 points).
     */
    public static final int PROBE = 32;

    /** Whether {@link #require} checks at all ({@code -Dflatminima.memoryCheck}, default true). */
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("flatminima.memoryCheck"));

    private StepMemory() {
    }

    /**
     * A step's bytes as {@code fixed + batch * perPoint}.
     *
     * @param fixed bytes that do not grow with the batch
     * @param perPoint bytes per point of the batch
     */
    public record Estimate(long fixed, long perPoint) {
        /** Bytes of a step of {@code batch} points (saturating, never negative). */
        public long at(int batch) {
            long b = MemoryBudget.bytes(batch, perPoint);
            return b == Long.MAX_VALUE ? b : Math.max(0, fixed + b);
        }
    }

    /**
     * Bytes one training step of {@code net} (in {@link Mode#TRAIN}: batch statistics, dropout) at {@code params}
     * allocates for the first {@code points} points of {@code data}. Runs the step in a scope of its own and
     * leaves the parameters and the model's buffers (running statistics) as they were.
     */
    public static long stepBytes(Network net, Tensor params, Batch data, int points) {
        Network model = net.withMode(Mode.TRAIN);
        try (Scope s = Scope.open()) {
            Batch batch = data.range(0, points);
            // a fixed noise seed: the probe draws no randomness a later step would see
            Autodiff.valueAndGrad(th -> model.logits(th, batch.x(), 0L).crossEntropy(batch.labels()), Var.of(params));
            return s.bytes();
        }
    }

    /**
     * The estimate from two probe steps on the first {@link #PROBE} and {@code 2 * PROBE} points of
     * {@code data} (fewer when it is smaller).
     */
    public static Estimate estimate(Network net, Tensor params, Batch data) {
        ESTIMATES.incrementAndGet();
        int small = Math.max(1, Math.min(PROBE, data.size() / 2));
        if (data.size() < 2) {
            return new Estimate(stepBytes(net, params, data, data.size()), 0);
        }
        long a = stepBytes(net, params, data, small);
        long b = stepBytes(net, params, data, 2 * small);
        long perPoint = Math.max(0, (b - a) / small);
        return new Estimate(Math.max(0, a - small * perPoint), perPoint);
    }

    /**
     * Refuses (a {@link UserException} naming the batch, the estimate and the fixes) when a step of {@code batch}
     * points needs more than {@code available} bytes. A pure function, so that the policy is testable.
     */
    public static void check(Estimate e, int batch, long available) {
        long need = e.at(batch);
        if (need > available) {
            throw new UserException("a training step at batch " + batch + " needs about " + MemoryBudget.show(need)
                    + " of memory (" + MemoryBudget.show(e.perPoint()) + " per point, estimated from steps of "
                    + PROBE + " and " + 2 * PROBE + " points); " + MemoryBudget.show(available)
                    + " is available: free memory, use a smaller batch, or set -Dflatminima.memoryCheck=false in "
                    + "FLATMINIMA_JAVA_OPTS to try anyway");
        }
    }

    /**
     * {@link #check} of a step of {@code batch} points (at most the data's) against {@link #availableBytes()},
     * unless disabled or the step is no larger than the probes. Call it before the first step of a run.
     */
    public static void require(Network net, Tensor params, Batch train, int batch) {
        if (ENABLED) {
            require(net, params, train, batch, availableBytes());
        }
    }

    /** {@link #require(Network, Tensor, Batch, int)} against {@code available} bytes, enabled or not. */
    static void require(Network net, Tensor params, Batch train, int batch, long available) {
        int points = Math.min(batch, train.size());
        if (points <= 2 * PROBE) {
            return;
        }
        Probed last = lastProbed;
        Estimate e = last != null && last.isOf(net, train, params.dtype()) ? last.estimate()
                : estimate(net, params, train);
        // `train` checks before it touches --out, then the trainer checks the same step again: probed once
        lastProbed = new Probed(new WeakReference<>(net), new WeakReference<>(train), params.dtype(), e);
        check(e, points, available);
    }

    /**
     * The estimate of the last probed step, of this network and data (by identity, weakly held so that the data
     * is not kept alive) in this dtype.
     */
    private record Probed(WeakReference<Network> net, WeakReference<Batch> train, DType dtype, Estimate estimate) {
        boolean isOf(Network n, Batch b, DType t) {
            return net.get() == n && train.get() == b && dtype == t;
        }
    }

    private static volatile Probed lastProbed;

    /** Estimates made so far (for the tests: a step checked twice is probed once). */
    static final AtomicLong ESTIMATES = new AtomicLong();

    /**
     * Bytes this process can still allocate: {@code -Dflatminima.memoryBudget=BYTES} when set (the memory a run may
     * take on a machine shared with others; read at each call), else {@code MemAvailable} of
     * {@code /proc/meminfo}, capped by the cgroup (v2) limit less its usage (where neither can be read, the JVM's
     * view of free physical memory), plus the idle blocks of the engine's pool ({@link Engine#idlePoolBytes}),
     * which this process holds and can reuse.
     */
    public static long availableBytes() {
        Long budget = Long.getLong("flatminima.memoryBudget");
        if (budget != null) {
            return budget;
        }
        long avail = meminfoAvailable(Path.of("/proc/meminfo"));
        if (avail < 0) {
            avail = MemoryBudget.freePhysicalBytes();
        }
        long cgroup = cgroupRoom(Path.of("/sys/fs/cgroup/memory.max"), Path.of("/sys/fs/cgroup/memory.current"));
        long room = cgroup < 0 ? avail : Math.min(avail, cgroup);
        return room == Long.MAX_VALUE ? room : room + Engine.idlePoolBytes();
    }

    /** {@code MemAvailable} of a {@code /proc/meminfo} file in bytes, or -1 when it cannot be read. */
    static long meminfoAvailable(Path meminfo) {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemAvailable:")) {
                    String[] f = line.substring("MemAvailable:".length()).trim().split("\\s+");
                    return Long.parseLong(f[0]) * (f.length > 1 && f[1].equalsIgnoreCase("kB") ? 1024 : 1);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: the caller falls back
        }
        return -1;
    }

    /** A cgroup's limit less its usage in bytes, or -1 when unlimited or unreadable. */
    static long cgroupRoom(Path max, Path current) {
        try {
            String m = Files.readString(max).trim();
            if (m.equals("max")) {
                return -1;
            }
            return Math.max(0, Long.parseLong(m) - Long.parseLong(Files.readString(current).trim()));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
