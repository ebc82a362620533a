package org.flatminima.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Where tensor memory comes from, and when it goes back.
 *
 * <p>By default a tensor's off-heap storage is reclaimed by the garbage collector (an automatic arena).
 * Because the collector does not see off-heap memory, {@link #allocate} counts the automatically managed
 * bytes still alive and asks for a collection when they pass a budget, as the JDK does for direct buffers; it
 * then waits until the cleaners have returned what the collection found, and asks for the next one at twice
 * the bytes still live (at least the budget, {@code -Dflatminima.autoMemoryBudget}, 1 GiB by default).
 *
 * <p>In hot loops, a scope frees everything allocated inside it at once, deterministically:
 * <pre>{@code
 * try (Scope s = Scope.open()) {
 *     Tensor loss = model.loss(batch);   // all temporaries live in s
 *     params = s.keep(updated);          // copied out to the enclosing scope (or to the GC)
 * }                                      // everything else freed here
 * }</pre>
 * Scopes nest per thread; a tensor made in a scope must not be used after the scope closes (its accessors then
 * throw {@link IllegalStateException}; a raw {@link java.lang.foreign.MemorySegment} taken from it before the
 * close must not be kept either, since its memory goes back to the {@link BufferPool} for reuse). Scoped memory
 * is accessible from every thread, so kernels may use several threads on it. Opening and closing a scope costs
 * well under a microsecond.
 */
public final class Scope implements AutoCloseable {

    private static final ThreadLocal<ArrayDeque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicLong AUTO_LIVE = new AtomicLong();
    private static final long AUTO_BUDGET = Long.getLong("flatminima.autoMemoryBudget", 1L << 30);
    /** Live GC-managed bytes at which the next collection is requested; grows when live data really is large. */
    private static final AtomicLong NEXT_GC_AT = new AtomicLong(AUTO_BUDGET);
    private static final long ALIGN = 64;
    /** The longest a collection of GC-managed memory waits for the cleaners to return it. */
    private static final long RECLAIM_WAIT_NANOS = 2_000_000_000L;
    /** Live bytes not falling over a pause this long (ms): the cleaners are done, even above the target. */
    private static final long SETTLED_MS = 32;

    /** The pooled blocks of this scope: address and size class, pairwise; returned to the pool on close. */
    private long[] blocks = new long[16];
    private int nBlocks;
    private final Thread owner = Thread.currentThread();
    private long bytes;
    private volatile boolean closed;

    private Scope() {
    }

    /** Opens a scope on this thread; close it with try-with-resources. */
    public static Scope open() {
        Scope s = new Scope();
        STACK.get().push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null when allocations go to the garbage collector. */
    public static Scope current() {
        return STACK.get().peek();
    }

    /** Bytes allocated in this scope so far. */
    public long bytes() {
        return bytes;
    }

    /** Bytes of automatically managed (GC-reclaimed) tensor storage still alive, process-wide. */
    public static long autoLiveBytes() {
        return AUTO_LIVE.get();
    }

    /** Live GC-managed bytes at which the next collection is requested (for tests). */
    static long nextCollectionAt() {
        return NEXT_GC_AT.get();
    }

    /** Runs {@code action} on the thread of GC-managed memory's cleanups once {@code owner} is unreachable (for
     * tests, which hold that thread back with it). */
    static void onCleanerThread(Object owner, Runnable action) {
        CLEANER.register(owner, action);
    }

    /**
     * Copies {@code t} into the enclosing scope (or into GC-managed memory when there is none), so it survives
     * this scope's close.
     */
    public Tensor keep(Tensor t) {
        ArrayDeque<Scope> st = STACK.get();
        if (st.peek() != this) {
            throw new IllegalStateException("keep() must be called on the innermost open scope");
        }
        st.pop();
        try {
            return t.copy();
        } finally {
            st.push(this);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a scope must be closed by the thread that opened it");
        }
        ArrayDeque<Scope> st = STACK.get();
        if (st.peek() != this) {
            throw new IllegalStateException("scopes must be closed innermost first");
        }
        st.pop();
        closed = true;
        for (int i = 0; i < nBlocks; i += 2) {
            BufferPool.give(blocks[i], blocks[i + 1]);
        }
        nBlocks = 0;
    }

    /** Whether this scope has closed (its tensors may no longer be used). */
    public boolean isClosed() {
        return closed;
    }

    /**
     * {@code n} bytes of uninitialised, 64-byte aligned memory that lives until this scope closes, taken from
     * the {@link BufferPool} (so a loop's allocations reuse the previous iteration's mapped memory) and
     * returned to it on close.
     *
     * <p>The segment itself is not invalidated by close (it is a plain native segment, accessible from every
     * thread): tensors check their scope on every access instead ({@link Tensor#segment()} throws after close).
     * A shared arena per scope would invalidate the segments too, but closing one costs a handshake with every
     * thread, about 55 microseconds here, which dominated small-batch steps; a confined one would keep the
     * kernels' worker threads out.
     */
    MemorySegment allocateRaw(long n) {
        if (closed) {
            throw new IllegalStateException("allocation in a closed scope");
        }
        long cls = BufferPool.sizeClass(n);
        long addr = BufferPool.take(cls);
        if (nBlocks == blocks.length) {
            blocks = java.util.Arrays.copyOf(blocks, 2 * blocks.length);
        }
        blocks[nBlocks++] = addr;
        blocks[nBlocks++] = cls;
        bytes += n;
        return MemorySegment.ofAddress(addr).reinterpret(n);
    }

    /**
     * {@code n} bytes of uninitialised, 64-byte aligned memory in the current scope (pooled), or zeroed
     * GC-managed memory when no scope is open. For kernel outputs that are written in full before being read.
     */
    static MemorySegment allocateUninitialised(long byteSize, Object owner) {
        Scope s = current();
        if (s == null) {
            return allocate(byteSize, owner);
        }
        MemorySegment seg = s.allocateRaw(Math.max(byteSize, 1));
        return POISON ? seg.fill((byte) 0xFF) : seg;
    }

    /**
     * {@code -Dflatminima.poisonUninitialised=true} (set by the test build): uninitialised memory is filled with
     * all-ones bytes, a NaN in both float types, so a kernel that leaves part of its output unwritten shows.
     */
    private static final boolean POISON = Boolean.getBoolean("flatminima.poisonUninitialised");

    /**
     * Runs {@code body} with this scope as the innermost on its thread although scopes inside it are open, so
     * that what {@code body} makes lives in this scope and is freed when it closes: state of an outer loop that
     * an inner step creates (an optimiser's buffers, made at its first step, inside that step's scope).
     */
    public <T> T enter(Supplier<T> body) {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a scope can be entered only on the thread that opened it");
        }
        if (closed) {
            throw new IllegalStateException("this scope is closed: state that lives in it cannot be made any more");
        }
        ArrayDeque<Scope> st = STACK.get();
        st.push(this);
        try {
            return body.get();
        } finally {
            st.pop();
        }
    }

    /**
     * Runs {@code body} as if no scope were open on this thread, so the tensors it makes are GC-managed and
     * outlive every open scope. For long-lived state created inside a loop's scope (optimiser buffers).
     */
    public static <T> T outside(Supplier<T> body) {
        ArrayDeque<Scope> saved = STACK.get();
        STACK.set(new ArrayDeque<>());
        try {
            return body.get();
        } finally {
            STACK.set(saved);
        }
    }

    /**
     * Collects now and waits until the cleaners have returned what the collection found; then the next collection
     * is requested at twice the bytes still live (at least the budget). Package-private for tests, which start
     * from the state of the process rather than of the tests before them.
     */
    static void collectAuto() {
        collectAuto(0);
    }

    /**
     * As the JDK does for direct buffers: {@code System.gc()}, then give the cleaners (their own thread) time to
     * return memory. Waits while live bytes keep falling, until they stop falling over a pause of a few
     * milliseconds at or below {@code target} (or of {@link #SETTLED_MS} above it: live data really is that
     * large), at most {@link #RECLAIM_WAIT_NANOS}. Taking the live bytes while the cleaners are still at work would set the next
     * collection too high, and again higher at the next, with lagging cleaners (many queued cleanups, a busy
     * machine); should the wait end before they are done, their cleanups lower it ({@link #released}).
     */
    private static void collectAuto(long target) {
        System.gc();
        long deadline = System.nanoTime() + RECLAIM_WAIT_NANOS;
        long seen = AUTO_LIVE.get();
        for (long pause = 1; System.nanoTime() < deadline; pause = Math.min(2 * pause, SETTLED_MS)) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long live = AUTO_LIVE.get();
            // no longer falling (other threads' allocations may make it rise): done at or below the target after
            // a few milliseconds, above it after SETTLED_MS
            if (live >= seen && (pause >= SETTLED_MS || pause >= 4 && live <= target)) {
                break;
            }
            seen = live;
        }
        NEXT_GC_AT.set(Math.max(AUTO_BUDGET, 2 * AUTO_LIVE.get()));
    }

    /**
     * Allocates {@code byteSize} bytes (64-byte aligned, zeroed) in the current scope, or GC-managed memory.
     * {@code owner} is the object whose reachability keeps GC-managed memory alive.
     */
    static MemorySegment allocate(long byteSize, Object owner) {
        Scope s = current();
        long n = Math.max(byteSize, 1);
        if (s != null) {
            return s.allocateRaw(n).fill((byte) 0);
        }
        long threshold = NEXT_GC_AT.get();
        if (AUTO_LIVE.get() + n > threshold && NEXT_GC_AT.compareAndSet(threshold, Long.MAX_VALUE)) {
            collectAuto(threshold - n);
        }
        MemorySegment seg = Arena.ofAuto().allocate(n, ALIGN);
        AUTO_LIVE.addAndGet(n);
        CLEANER.register(owner, () -> released(n));
        return seg;
    }

    /**
     * The cleanup of {@code n} GC-managed bytes: they are no longer live, and the next collection comes at twice
     * the live bytes if that is lower than where it was set (not while one is under way, which sets it itself).
     * So a collection whose wait for the cleaners ended before they were done (a busy machine can hold the
     * cleaner thread back longer than {@link #collectAuto(long)} waits) sets the next one too high only until they
     * have caught up.
     */
    private static void released(long n) {
        long live = AUTO_LIVE.addAndGet(-n);
        long next = Math.max(AUTO_BUDGET, 2 * live);
        NEXT_GC_AT.getAndUpdate(t -> t == Long.MAX_VALUE || t <= next ? t : next);
    }
}
