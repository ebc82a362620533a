package org.flatminima.engine;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The raw memory behind {@link Scope}s: 64-byte aligned blocks from the C allocator, kept after a scope closes
 * and handed to the next scope that asks for a block of the same size class.
 *
 * <p>Why: a training or curvature loop allocates the same tensors every iteration. Fresh memory from an arena
 * costs a {@code malloc}, the page faults of first touch (large blocks come from {@code mmap}, so every iteration
 * faults its pages in again) and the arena's zeroing; on the CNN workload W3 that was a fifth of the gradient's
 * time. A reused block is already mapped and hot in cache. This is the CPU caching allocator of other
 * frameworks, sized for one thread's loop.
 *
 * <p>Sizes are rounded up to a class with at most 12.5% waste (eight classes per power of two, 64 bytes
 * minimum). Thread-safe (scopes of several threads share the pool).
 *
 * <p><b>How much it keeps.</b> Idle blocks are capped; beyond the cap a released block goes back to the C
 * allocator at once. The cap ({@link #capFor}) follows the work: it is the largest number of bytes the pool's
 * blocks have had in use at once (its high-water mark of live bytes since the start or the last
 * {@link #trim}) plus {@value #FLOOR_BYTES} bytes (2 GiB: the fixed cap of earlier versions, room for idle
 * blocks of other size classes than the largest pass's), and never more than a quarter of the machine's
 * physical memory ({@code OperatingSystemMXBean.getTotalMemorySize}, which is a container's limit
 * inside a container). So a pass that needs more than 2 GiB at once (W3's batched Hutchinson-10: every
 * direction's activations) finds its blocks again on the next call instead of returning them to the C
 * allocator and faulting them in again, while a laptop's pool stays within a quarter of its memory. The cost:
 * after such a pass the process keeps up to its peak in idle blocks until {@link #trim}. When the physical
 * memory cannot be read the cap is the floor.
 *
 * <p><b>Footprint.</b> Idle blocks of one size class cannot serve a request of another, so a pass of new shapes
 * after a large one (ten single HVPs after a batched pass of ten) would add its own blocks to the large pass's
 * idle ones. Under the adaptive policy the pool therefore also bounds its footprint, live plus idle bytes, by
 * {@link #footprintFor} (the high-water mark of live bytes plus an eighth of it, at least
 * {@value #SLACK_BYTES} bytes): a request that finds no idle block of its class first frees idle blocks of
 * other classes, largest first, until the new block fits under that bound. {@code -Dflatminima.poolBytes=N}
 * replaces the policy by a fixed cap of N idle bytes (0 keeps nothing) and no footprint bound.
 */
final class BufferPool {

    /** Alignment of every block, in bytes (a cache line; what the kernels assume). */
    static final long ALIGN = 64;

    /** The cap when nothing has been used yet, and the slack above the peak (bytes); at most a quarter of memory. */
    static final long FLOOR_BYTES = 2L << 30;

    /** The least room above the high-water mark of live bytes that the footprint bound leaves (256 MiB). */
    static final long SLACK_BYTES = 256L << 20;

    /** {@code -Dflatminima.poolBytes}: a fixed cap, or -1 when unset (the adaptive policy). */
    private static final long OVERRIDE = Long.getLong("flatminima.poolBytes", -1L);
    /** Physical memory of the machine (or container) in bytes, or 0 when it cannot be read. */
    private static final long PHYSICAL = physicalMemory();
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(libc.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(libc.find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    /** Idle blocks by size class (sorted, so that the footprint bound can free the largest first). */
    private static final TreeMap<Long, ArrayDeque<Long>> IDLE = new TreeMap<>();
    private static long idleBytes;
    private static long liveBytes;
    private static long peakLiveBytes;
    private static long cap = capFor(OVERRIDE, 0, PHYSICAL);
    private static long hits;
    private static long misses;
    private static long evictions;

    private BufferPool() {
    }

    /**
     * The cap on idle bytes: {@code override} when it is not negative; else {@link #FLOOR_BYTES} plus the peak
     * live bytes, at most a quarter of {@code physicalBytes} (or {@link #FLOOR_BYTES} when {@code physicalBytes}
     * is not positive, i.e. unknown). A pure function, so that the policy is testable.
     */
    static long capFor(long override, long peakLiveBytes, long physicalBytes) {
        if (override >= 0) {
            return override;
        }
        long limit = physicalBytes > 0 ? physicalBytes / 4 : FLOOR_BYTES;
        return Math.min(limit, FLOOR_BYTES + Math.max(0, Math.min(peakLiveBytes, Long.MAX_VALUE - FLOOR_BYTES)));
    }

    private static long physicalMemory() {
        try {
            if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os) {
                return Math.max(0, os.getTotalMemorySize());
            }
        } catch (RuntimeException | LinkageError e) {
            // no management module: fall through to "unknown"
        }
        return 0;
    }

    /**
     * The bound on live plus idle bytes under the adaptive policy: {@code peakLiveBytes} plus an eighth of it, at
     * least {@link #SLACK_BYTES} above it. A pure function, so that the policy is testable.
     */
    static long footprintFor(long peakLiveBytes) {
        long peak = Math.max(0, peakLiveBytes);
        long slack = Math.max(SLACK_BYTES, peak / 8);
        return peak > Long.MAX_VALUE - slack ? Long.MAX_VALUE : peak + slack;
    }

    /** The size class of a request of {@code n} bytes: n rounded up to 1/8 of its power of two (>= 64). */
    static long sizeClass(long n) {
        long c = Math.max(n, ALIGN);
        int shift = Math.max(6, 63 - Long.numberOfLeadingZeros(c) - 3);
        long step = 1L << shift;
        return (c + step - 1) & -step;
    }

    /** The address of an idle or new block of {@code sizeClass} bytes (a value of {@link #sizeClass}). */
    static long take(long sizeClass) {
        long[] evicted;
        synchronized (IDLE) {
            liveBytes += sizeClass;
            if (liveBytes > peakLiveBytes) {
                peakLiveBytes = liveBytes;
                cap = capFor(OVERRIDE, peakLiveBytes, PHYSICAL);
            }
            ArrayDeque<Long> q = IDLE.get(sizeClass);
            if (q != null && !q.isEmpty()) {
                idleBytes -= sizeClass;
                hits++;
                return q.pop();
            }
            misses++;
            evicted = OVERRIDE < 0 ? evictAbove(footprintFor(peakLiveBytes)) : null;
        }
        if (evicted != null) {
            for (int i = 0; i < evicted.length && evicted[i] != 0; i++) {
                free(evicted[i]);
            }
        }
        long address = 0;
        try {
            address = ((MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, sizeClass)).address();
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        } finally {
            if (address == 0) {
                synchronized (IDLE) {
                    liveBytes -= sizeClass;
                }
            }
        }
        if (address == 0) {
            throw new OutOfMemoryError("cannot allocate " + sizeClass + " bytes of off-heap tensor memory");
        }
        return address;
    }

    /**
     * Removes idle blocks, largest size class first, until live plus idle bytes are at most {@code bound}; returns
     * their addresses (a zero ends the list) or null when none had to go. Holds the lock: the caller frees them.
     */
    private static long[] evictAbove(long bound) {
        if (liveBytes + idleBytes <= bound || idleBytes == 0) {
            return null;
        }
        long[] out = new long[8];
        int n = 0;
        Iterator<Map.Entry<Long, ArrayDeque<Long>>> it = IDLE.descendingMap().entrySet().iterator();
        while (liveBytes + idleBytes > bound && it.hasNext()) {
            Map.Entry<Long, ArrayDeque<Long>> e = it.next();
            ArrayDeque<Long> q = e.getValue();
            while (!q.isEmpty() && liveBytes + idleBytes > bound) {
                if (n + 1 >= out.length) {
                    out = java.util.Arrays.copyOf(out, 2 * out.length);
                }
                out[n++] = q.pop();
                idleBytes -= e.getKey();
                evictions++;
            }
            if (q.isEmpty()) {
                it.remove();
            }
        }
        return out;
    }

    /** Returns a block taken with {@link #take}; it is kept for reuse, or freed when the pool is full. */
    static void give(long address, long sizeClass) {
        synchronized (IDLE) {
            liveBytes -= sizeClass;
            if (idleBytes + sizeClass <= cap) {
                IDLE.computeIfAbsent(sizeClass, k -> new ArrayDeque<>()).push(address);
                idleBytes += sizeClass;
                return;
            }
        }
        free(address);
    }

    /**
     * Frees every idle block and restarts the high-water mark from the bytes now in use (tests; or to give memory
     * back to the system after a large computation).
     */
    static void trim() {
        synchronized (IDLE) {
            peakLiveBytes = liveBytes;
            cap = capFor(OVERRIDE, peakLiveBytes, PHYSICAL);
            for (ArrayDeque<Long> q : IDLE.values()) {
                for (Long a : q) {
                    free(a);
                }
            }
            IDLE.clear();
            idleBytes = 0;
        }
    }

    /** Bytes held idle for reuse. */
    static long idleBytes() {
        synchronized (IDLE) {
            return idleBytes;
        }
    }

    /** The physical memory the cap is bounded by, in bytes (0: unknown), and the fixed cap (-1: none). */
    static long[] physicalAndOverride() {
        return new long[] {PHYSICAL, OVERRIDE};
    }

    /** The current cap on idle bytes (see {@link #capFor}). */
    static long cap() {
        synchronized (IDLE) {
            return cap;
        }
    }

    /** Bytes of the pool's blocks in use now and at most so far (since the start or the last {@link #trim}). */
    static long[] liveAndPeak() {
        synchronized (IDLE) {
            return new long[] {liveBytes, peakLiveBytes};
        }
    }

    /** {hits, misses} of {@link #take} so far, and the idle blocks freed by the footprint bound. */
    static long[] stats() {
        synchronized (IDLE) {
            return new long[] {hits, misses, evictions};
        }
    }

    private static void free(long address) {
        try {
            FREE.invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }
}
