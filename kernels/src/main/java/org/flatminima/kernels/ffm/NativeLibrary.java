package org.flatminima.kernels.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds and loads our C kernel library, {@code libflatminima.so}, from the class path.
 *
 * <p>The {@code flatminima-native} jar holds two flavours under {@code native/linux-x86_64/<flavour>/}:
 * {@code x86-64-v3} (AVX2 + FMA) and the baseline {@code x86-64}. The flavour is chosen from the CPU flags in
 * {@code /proc/cpuinfo}; the resource is copied to a temporary file (deleted once loaded) and loaded with
 * {@link SymbolLookup#libraryLookup(Path, Arena)} into the global arena. Its {@code fm_abi_version()} must
 * equal {@link #ABI_VERSION}, otherwise the library is ignored.
 */
public final class NativeLibrary {

    /** The ABI version this Java code was written against: {@code FM_ABI_VERSION} in native/src/flatminima.h. */
    public static final int ABI_VERSION = 17;

    /** The AVX2 flavour. */
    public static final String V3 = "x86-64-v3";
    /** The baseline flavour. */
    public static final String BASELINE = "x86-64";

    /** /proc/cpuinfo flags a CPU needs for {@link #V3} (lzcnt appears as "abm" in Linux's flag list). */
    static final List<String> V3_FLAGS =
            List.of("avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "xsave");

    private static final System.Logger LOG = System.getLogger("flatminima.kernels");

    /**
     * A loaded library.
     *
     * @param lookup its symbols
     * @param flavour {@link #V3} or {@link #BASELINE}
     * @param resource the class-path resource it was extracted from
     */
    public record Loaded(SymbolLookup lookup, String flavour, String resource) {
    }

    /**
     * The outcome of {@link #load()}: either a library or the reason there is none.
     *
     * @param library the library, or null
     * @param reason why there is no library (one line), or null when loaded
     */
    public record Result(Loaded library, String reason) {
    }

    private NativeLibrary() {
    }

    /**
     * The flavours to try, best first, for a platform: {@code [x86-64-v3, x86-64]} when every flag of
     * {@link #V3_FLAGS} is present, {@code [x86-64]} on other x86_64 Linux machines, empty elsewhere.
     * A pure function of its arguments.
     *
     * @param osName the {@code os.name} property
     * @param osArch the {@code os.arch} property ("amd64" or "x86_64" on x86_64)
     * @param cpuFlags the "flags" line of /proc/cpuinfo (with or without its "flags :" prefix), or null
     */
    public static List<String> flavours(String osName, String osArch, String cpuFlags) {
        if (osName == null || !osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return List.of();
        }
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            return List.of();
        }
        Set<String> flags = new HashSet<>();
        if (cpuFlags != null) {
            String s = cpuFlags.contains(":") ? cpuFlags.substring(cpuFlags.indexOf(':') + 1) : cpuFlags;
            flags.addAll(Arrays.asList(s.trim().toLowerCase(Locale.ROOT).split("\\s+")));
        }
        // The kernel names lzcnt "abm" on both vendors; accept "lzcnt" too in case a kernel ever reports it.
        if (flags.contains("lzcnt")) {
            flags.add("abm");
        }
        return flags.containsAll(V3_FLAGS) ? List.of(V3, BASELINE) : List.of(BASELINE);
    }

    /** The reason a library reporting ABI version {@code found} must be ignored, or null when it matches. */
    public static String abiMismatch(int found) {
        return found == ABI_VERSION ? null
                : "libflatminima.so has ABI version " + found + " but this code needs " + ABI_VERSION
                        + " (stale build): rebuild the native module";
    }

    /** The class-path resource of a flavour. */
    public static String resourceFor(String flavour) {
        return "native/linux-x86_64/" + flavour + "/libflatminima.so";
    }

    /** The "flags" line of /proc/cpuinfo, or null if unreadable. */
    static String cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return line;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /**
     * Loads the best flavour that exists and works here. Never throws: the result says why nothing loaded.
     * Each call loads a fresh copy; {@link CKernels} calls it once per process.
     */
    public static Result load() {
        return load(flavours(System.getProperty("os.name"), System.getProperty("os.arch"), cpuFlags()));
    }

    /** Loads the first of the given flavours that exists and works (tests use it to load a given flavour). */
    static Result load(List<String> candidates) {
        return load(candidates, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * {@link #load(List)} with each flavour copied into {@code dir} (the JVM cannot map a class-path resource) and
     * the copy deleted as soon as it is loaded or refused: the mapping outlives the file on Linux, so nothing is
     * left in {@code dir} even when the JVM is killed (a copy deleted at exit stayed behind a SIGKILL).
     */
    static Result load(List<String> candidates, Path dir) {
        if (candidates.isEmpty()) {
            return new Result(null, "no C kernels for " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch") + " (only Linux x86_64 is built)");
        }
        List<String> problems = new ArrayList<>();
        for (String flavour : candidates) {
            String resource = resourceFor(flavour);
            try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    problems.add(resource + " not on the class path");
                    continue;
                }
                Path tmp = Files.createTempFile(dir, "libflatminima-" + flavour + "-", ".so");
                SymbolLookup lookup;
                try {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    lookup = SymbolLookup.libraryLookup(tmp, Arena.global());
                } finally {
                    Files.deleteIfExists(tmp);
                }
                MethodHandle abi = Linker.nativeLinker().downcallHandle(
                        lookup.find("fm_abi_version").orElseThrow(
                                () -> new IllegalStateException("symbol fm_abi_version missing")),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT));
                int found = (int) abi.invokeExact();
                String mismatch = abiMismatch(found);
                if (mismatch != null) {
                    LOG.log(System.Logger.Level.WARNING, "flatminima: C kernels ignored: " + mismatch);
                    return new Result(null, mismatch);
                }
                return new Result(new Loaded(lookup, flavour, resource), null);
            } catch (Throwable e) {
                problems.add(flavour + ": " + e.getMessage());
            }
        }
        return new Result(null, String.join("; ", problems));
    }
}
