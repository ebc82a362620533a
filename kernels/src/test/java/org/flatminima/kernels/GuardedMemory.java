package org.flatminima.kernels;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Segments that touch pages the process may neither read nor write ({@code PROT_NONE}), for the bounds of native
 * kernels: a segment from {@link #atEnd} ends on the first byte of such a page, one from {@link #atStart} begins
 * on the byte after one. A kernel that reads or writes a single element past the end (or before the start) of an
 * operand so placed gets SIGSEGV, and the JVM stops with a fatal error (exit code 134, an {@code hs_err} file in
 * the module's directory, Surefire naming the test class as crashed), whatever the heap happens to hold around
 * it: what an over-read of a {@code malloc}ed operand does only when it happens to cross into an unmapped page.
 * Linux only (mmap and mprotect from the C library); {@link #available()} says whether it works here.
 */
public final class GuardedMemory implements AutoCloseable {

    private static final int PROT_NONE = 0;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int SC_PAGESIZE = 30;

    private static final MethodHandle MMAP;
    private static final MethodHandle MPROTECT;
    private static final MethodHandle MUNMAP;
    private static final long PAGE;

    static {
        MethodHandle mmap = null;
        MethodHandle mprotect = null;
        MethodHandle munmap = null;
        long page = 0;
        if (System.getProperty("os.name", "").startsWith("Linux")) {
            Linker l = Linker.nativeLinker();
            var lookup = l.defaultLookup();
            mmap = l.downcallHandle(lookup.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            mprotect = l.downcallHandle(lookup.find("mprotect").orElseThrow(), FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            munmap = l.downcallHandle(lookup.find("munmap").orElseThrow(), FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            MethodHandle sysconf = l.downcallHandle(lookup.find("sysconf").orElseThrow(), FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            try {
                page = (long) sysconf.invokeExact(SC_PAGESIZE);
            } catch (Throwable e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        MMAP = mmap;
        MPROTECT = mprotect;
        MUNMAP = munmap;
        PAGE = page;
    }

    private record Mapping(MemorySegment base, long bytes) {
    }

    private final List<Mapping> mappings = new ArrayList<>();

    /** Whether guarded segments can be made here (Linux). */
    public static boolean available() {
        return MMAP != null && PAGE > 0;
    }

    /** {@code bytes} bytes (zeros) ending where an inaccessible page begins. */
    public MemorySegment atEnd(long bytes) {
        MemorySegment data = map(bytes);
        return data.asSlice(data.byteSize() - bytes, bytes);
    }

    /** {@code bytes} bytes (zeros) beginning where an inaccessible page ends. */
    public MemorySegment atStart(long bytes) {
        return map(bytes).asSlice(0, bytes);
    }

    /** The accessible pages, between an inaccessible page before them and one after. */
    private MemorySegment map(long bytes) {
        if (!available()) {
            throw new IllegalStateException("guarded memory needs Linux's mmap and mprotect");
        }
        long pages = Math.max(1, (bytes + PAGE - 1) / PAGE);
        long total = (pages + 2) * PAGE;
        try {
            MemorySegment base = ((MemorySegment) MMAP.invokeExact(MemorySegment.NULL, total, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L)).reinterpret(total);
            if (base.address() == -1L) {
                throw new IllegalStateException("mmap of " + total + " bytes failed");
            }
            mappings.add(new Mapping(base, total));
            protect(base.asSlice(0, PAGE));
            protect(base.asSlice(total - PAGE, PAGE));
            return base.asSlice(PAGE, pages * PAGE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static void protect(MemorySegment page) throws Throwable {
        int rc = (int) MPROTECT.invokeExact(page, page.byteSize(), PROT_NONE);
        if (rc != 0) {
            throw new IllegalStateException("mprotect failed: " + rc);
        }
    }

    /** Unmaps every segment made here. */
    @Override
    public void close() {
        try {
            for (Mapping m : mappings) {
                int rc = (int) MUNMAP.invokeExact(m.base(), m.bytes());
                if (rc != 0) {
                    throw new IllegalStateException("munmap failed: " + rc);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        } finally {
            mappings.clear();
        }
    }
}
