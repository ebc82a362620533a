package org.flatminima.engine;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

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
 * minimum). Idle blocks are capped at {@code -Dflatminima.poolBytes} (default 2 GiB): beyond it a released
 * block goes back to the C allocator at once. Thread-safe (scopes of several threads share the pool).
 */
final class BufferPool {

    /** Alignment of every block, in bytes (a cache line; what the kernels assume). */
    static final long ALIGN = 64;

    private static final long CAP = Long.getLong("flatminima.poolBytes", 2L << 30);
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

    private static final Map<Long, ArrayDeque<Long>> IDLE = new HashMap<>();
    private static long idleBytes;
    private static long hits;
    private static long misses;

    private BufferPool() {
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
        synchronized (IDLE) {
            ArrayDeque<Long> q = IDLE.get(sizeClass);
            if (q != null && !q.isEmpty()) {
                idleBytes -= sizeClass;
                hits++;
                return q.pop();
            }
            misses++;
        }
        MemorySegment p;
        try {
            p = (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, sizeClass);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
        if (p.address() == 0) {
            throw new OutOfMemoryError("cannot allocate " + sizeClass + " bytes of off-heap tensor memory");
        }
        return p.address();
    }

    /** Returns a block taken with {@link #take}; it is kept for reuse, or freed when the pool is full. */
    static void give(long address, long sizeClass) {
        synchronized (IDLE) {
            if (idleBytes + sizeClass <= CAP) {
                IDLE.computeIfAbsent(sizeClass, k -> new ArrayDeque<>()).push(address);
                idleBytes += sizeClass;
                return;
            }
        }
        free(address);
    }

    /** Frees every idle block (tests; or to give memory back to the system after a large computation). */
    static void trim() {
        synchronized (IDLE) {
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

    /** {hits, misses} of {@link #take} so far. */
    static long[] stats() {
        synchronized (IDLE) {
            return new long[] {hits, misses};
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
