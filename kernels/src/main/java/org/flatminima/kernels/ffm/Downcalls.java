package org.flatminima.kernels.ffm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/** Links downcall handles by symbol name; a missing symbol fails with its name. */
final class Downcalls {

    private static final Linker LINKER = Linker.nativeLinker();
    /** For short kernels: heap segments pass without a copy; the GC waits for the call to return. */
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);

    private Downcalls() {
    }

    /** Thrown when a required symbol is missing from a library. */
    static final class MissingSymbolException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MissingSymbolException(String library, String symbol) {
            super("symbol " + symbol + " not found in " + library);
        }
    }

    /** A critical downcall handle for a required symbol. */
    static MethodHandle critical(SymbolLookup lookup, String library, String symbol, FunctionDescriptor fd) {
        return LINKER.downcallHandle(
                lookup.find(symbol).orElseThrow(() -> new MissingSymbolException(library, symbol)), fd, CRITICAL);
    }

    /** A critical downcall handle for an optional symbol, or null when the library lacks it. */
    static MethodHandle criticalOptional(SymbolLookup lookup, String symbol, FunctionDescriptor fd) {
        return lookup.find(symbol).map(s -> LINKER.downcallHandle(s, fd, CRITICAL)).orElse(null);
    }

    /** A plain downcall handle for an optional symbol, or null when the library lacks it. */
    static MethodHandle optional(SymbolLookup lookup, String symbol, FunctionDescriptor fd) {
        return lookup.find(symbol).map(s -> LINKER.downcallHandle(s, fd)).orElse(null);
    }

    /** Wraps a failure inside a downcall (which the JVM reports as Throwable). */
    static RuntimeException failure(String symbol, Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall " + symbol + " failed", t);
    }
}
